/**
 * The hostile-input battery's one way to run the built CLI and judge the outcome: an exit code
 * of 2 for the user's input (1 for the environment), a message that names the field or the path,
 * no stack trace, a bounded run time, and nothing left behind in the case's folder.
 * (`npm test` builds dist/ first.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

export const root = join(import.meta.dirname, '..', '..');
export const cli = join(root, 'dist', 'src', 'cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedS: number;
  /** True when the run was stopped at its time limit. */
  timedOut: boolean;
}

/** Runs `cptsim ...args` in `cwd` (the repo root by default), stopped after `timeoutS`. */
export function runCli(args: string[], opts: { cwd?: string; timeoutS?: number; env?: Record<string, string>; input?: string } = {}): CliResult {
  const start = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], {
    cwd: opts.cwd ?? root,
    encoding: 'utf8',
    timeout: (opts.timeoutS ?? 20) * 1000,
    env: { ...process.env, ...opts.env },
    ...(opts.input === undefined ? {} : { input: opts.input }),
  });
  return {
    code: r.status,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    elapsedS: (performance.now() - start) / 1000,
    timedOut: r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT',
  };
}

/** A fresh folder for one case; `files` are written into it. Returns its path. */
export function caseDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'cptsim-hostile-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A stack trace line as Node prints one (`    at fn (file:line:col)`). */
const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/**
 * Asserts the outcome of a hostile case: the exit code, a stderr that matches `message` (the
 * field path or file name the user gave), no stack trace, no hang, and (when `dir` is given)
 * that the folder holds exactly the files it held before the run (`before`).
 */
export function expectRefused(
  r: CliResult,
  expected: { code?: 1 | 2; message: RegExp | string; maxSeconds?: number; dir?: string; before?: string[] },
): void {
  expect(r.timedOut, `timed out after ${r.elapsedS.toFixed(1)} s; stderr: ${r.stderr.slice(0, 400)}`).toBe(false);
  expect(r.code, `stderr: ${r.stderr.slice(0, 400)}`).toBe(expected.code ?? 2);
  expect(r.stderr).toMatch(expected.message);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toMatch(/internal error/i);
  expect(r.elapsedS).toBeLessThan(expected.maxSeconds ?? 10);
  if (expected.dir !== undefined) {
    expect(readdirSync(expected.dir).sort()).toEqual([...(expected.before ?? [])].sort());
  }
}
