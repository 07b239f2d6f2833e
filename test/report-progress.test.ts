/**
 * Progress on stderr (src/report/progress.ts): on a terminal, one line rewritten in place with
 * samples done, rate and ETA; nothing on a pipe or with --quiet; never on stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDuration, Progress, type ProgressStream } from '../src/report/index.js';

/** A terminal that records what is written to it, with a clock the test moves. */
function fakeTty(isTTY = true): ProgressStream & { text: string } {
  const s = { isTTY, columns: 120, text: '', write: (t: string) => ((s.text += t), true) };
  return s;
}

function clock() {
  const c = { t: 0, now: () => c.t };
  return c;
}

/** The lines a terminal would show last, each redraw starting with a carriage return. */
function redraws(text: string): string[] {
  return text.split('\r\x1b[2K').filter((l) => l !== '');
}

describe('Progress on a terminal', () => {
  it('shows percent, samples done of total, the rate and the time left', () => {
    const tty = fakeTty();
    const c = clock();
    const task = new Progress(tty, { now: c.now }).task('run');
    c.t = 2000;
    task.update(250_000, 1_000_000);
    // 250,000 samples in 2 s: 125 k/s; 750,000 left: 6 s.
    expect(redraws(tty.text)).toEqual(['  run   25%  250,000 / 1,000,000 samples  125.0 k samples/s  ETA 6 s']);
  });
  it('counts model evaluations for a sweep: samples times cells', () => {
    const tty = fakeTty();
    const c = clock();
    const task = new Progress(tty, { now: c.now }).task('run', { evaluationsPerUnit: 100 });
    c.t = 1000;
    task.update(20_000, 40_000);
    expect(redraws(tty.text)[0]).toBe('  run   50%  20,000 / 40,000 samples x 100 cells  2.00 M evaluations/s  ETA 1 s');
  });
  it('redraws at most every intervalMs, but always at the end', () => {
    const tty = fakeTty();
    const c = clock();
    const task = new Progress(tty, { now: c.now, intervalMs: 100 }).task('run');
    c.t = 10;
    task.update(1, 10);
    c.t = 50;
    task.update(2, 10);
    c.t = 60;
    task.update(10, 10);
    c.t = 200;
    task.update(5, 10);
    expect(redraws(tty.text).map((l) => l.split('  ')[2])).toEqual([' 10%', '100%', ' 50%']);
  });
  it('end clears the line so the next output starts clean; a status line shows until replaced', () => {
    const tty = fakeTty();
    const p = new Progress(tty, { now: clock().now });
    p.status('compiling the GPU kernel');
    expect(tty.text).toBe('\r\x1b[2K  compiling the GPU kernel ...');
    const task = p.task('run');
    task.update(1, 1);
    task.end();
    expect(tty.text.endsWith('\r\x1b[2K')).toBe(true);
    const before = tty.text.length;
    task.end();
    expect(tty.text.length).toBe(before);
  });
  it('cuts a line to the terminal width', () => {
    const tty = fakeTty();
    tty.columns = 30;
    const c = clock();
    const task = new Progress(tty, { now: c.now }).task('a long label for a narrow terminal');
    c.t = 1000;
    task.update(1, 2);
    expect(redraws(tty.text)[0]!.length).toBe(29);
  });
});

describe('Progress stays silent', () => {
  it('when the stream is not a terminal', () => {
    const pipe = fakeTty(false);
    const p = new Progress(pipe);
    p.status('compiling');
    const t = p.task('run');
    t.update(1, 2);
    t.end();
    expect(p.active).toBe(false);
    expect(pipe.text).toBe('');
  });
  it('with quiet, even on a terminal', () => {
    const tty = fakeTty();
    const p = new Progress(tty, { quiet: true });
    p.status('compiling');
    p.task('run').update(1, 2);
    expect(tty.text).toBe('');
  });
});

describe('durations', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(formatDuration(0.2)).toBe('1 s');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(3720)).toBe('1 h 2 min');
    expect(formatDuration(NaN)).toBe('?');
  });
});

// ------------------------------------------------------------------------------------------------
// The CLI on a real pseudo-terminal (util-linux `script`): stderr is the terminal, stdout a file.

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript) console.warn('report-progress: util-linux `script` not found; skipping the pseudo-terminal checks of the CLI');
const tmp = mkdtempSync(join(tmpdir(), 'cptsim-progress-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI with stderr on a pseudo-terminal; returns what the terminal showed and stdout. */
function onTerminal(args: string[]): { terminal: string; stdout: string; code: number | null } {
  const out = join(tmp, `out-${Math.random().toString(36).slice(2)}.txt`);
  const quoted = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', `${quoted} > '${out}'`, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { terminal: r.stdout, stdout: readFileSync(out, 'utf8'), code: r.status };
}

describe.skipIf(!hasScript)('cptsim on a terminal', () => {
  it('run shows progress on stderr and keeps stdout clean', () => {
    const r = onTerminal(['run', 'scenarios/h100-llama70b-sweep.yaml', '--backend', 'cpu', '--samples', '4000', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.terminal).toMatch(/run +\d+%  [\d,]+ \/ 4,000 samples x 100 cells/);
    expect(r.stdout).not.toMatch(/[\r\x1b]/);
    expect(r.stdout.split('\n')[0]).toMatch(/^cell,/);
  });
  it('sensitivity --method rank shows its progress', () => {
    const r = onTerminal(['sensitivity', 'scenarios/h100-llama70b-fp8-owned.yaml', '--backend', 'cpu', '--method', 'rank', '--samples', '8000']);
    expect(r.code).toBe(0);
    expect(r.terminal).toMatch(/rank correlation +\d+%  [\d,]+ \/ 8,000 samples/);
    expect(r.stdout).toContain('Spearman rank correlation');
  });
  it('--quiet shows nothing on the terminal', () => {
    const r = onTerminal(['--quiet', 'run', 'scenarios/h100-llama70b-fp8-owned.yaml', '--backend', 'cpu', '--samples', '4000']);
    expect(r.code).toBe(0);
    expect(r.terminal).toBe('');
    expect(r.stdout).toContain('cost_per_mtok_output');
  });
});

describe('Progress and other stderr output', () => {
  it('clear() removes a drawn line so a note starts at the left margin, and does nothing otherwise', () => {
    const tty = fakeTty();
    const p = new Progress(tty);
    p.clear();
    expect(tty.text).toBe('');
    p.status('compiling the GPU kernel');
    p.clear();
    tty.write('cptsim: using GPU adapter\n');
    expect(tty.text).toBe('\r\x1b[2K  compiling the GPU kernel ...\r\x1b[2Kcptsim: using GPU adapter\n');
  });
});
