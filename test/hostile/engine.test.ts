/**
 * Hostile inputs, the engine side, through the CLI: sweeps of any size on the GPU engine, the
 * memory guard of exact quantiles, non-finite values counted and reported, values beyond the f32
 * range alike on both engines, the fallback of `--backend auto`, and results that do not depend
 * on the thread count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testAdapter } from '../gpu-device.js';
import { caseDir, expectRefused, removeDir, root, runCli, type CliResult } from './harness.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** Writes `text` as case.yaml in a fresh folder; returns the folder. */
function scenarioCase(text: string): string {
  const dir = caseDir({ 'case.yaml': text });
  dirs.push(dir);
  return dir;
}

/** `cptsim <command> case.yaml <flags...>` in the case's folder. */
function cli(dir: string, command: string, flags: string[] = [], env: Record<string, string> = {}, timeoutS = 60): CliResult {
  return runCli([command, 'case.yaml', ...flags], { cwd: dir, timeoutS, env });
}

interface Json {
  samples: number;
  backend: { kind: string };
  cells: { point: Record<string, number>; metrics: Record<string, Record<string, number | null>> }[];
}

describe('GPU sweeps of any size (issue 8 item 1)', () => {
  it('runs a 10,000-cell sweep at 1,000 samples on the GPU engine, every cell right', async (ctx) => {
    if (!(await testAdapter('hostile/engine'))) return ctx.skip();
    // 10,000 cells once failed with "Binding size (148684800) ... is larger than the maximum
    // storage buffer binding size (134217728)": the histograms of all cells bound at once.
    const dir = scenarioCase(
      [
        'name: ten thousand cells',
        'samples: 1000',
        'inputs:',
        '  a: { sweep: { from: 0, to: 99, steps: 100 } }',
        '  b: { sweep: { from: 0, to: 0.99, steps: 100 } }',
        'metrics:',
        // A constant: every cell must hold exactly it, whatever pass the cell ran in (a cell
        // left out would have no samples and null statistics).
        '  m: "2.5"',
        '',
      ].join('\n'),
    );
    // Written to a file: the JSON of 10,000 cells is more than spawnSync buffers.
    const run = cli(dir, 'run', ['--backend', 'gpu', '--format', 'json', '--out', 'result.json'], {}, 120);
    expect(run.code, run.stderr.slice(-600)).toBe(0);
    const r = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Json;
    expect(r.backend.kind).toBe('gpu');
    expect(r.cells).toHaveLength(10_000);
    expect(r.cells.map((c) => c.point['inputs.a']! * 100 + Math.round(c.point['inputs.b']! * 100))).toEqual(
      Array.from({ length: 10_000 }, (_, i) => i),
    );
    let wrong = 0;
    for (const cell of r.cells) {
      const m = cell.metrics['m']!;
      for (const stat of ['mean', 'min', 'max', 'p1', 'p50', 'p99'] as const) if (m[stat] !== 2.5) wrong++;
      if (m['sd'] !== 0) wrong++;
    }
    expect(wrong).toBe(0);
  }, 180_000);
});

describe('--quantiles exact: refused up front past its memory budget (issue 8 item 7)', () => {
  const flagship = readFileSync(join(root, 'scenarios', 'h100-llama70b-fp8-owned.yaml'), 'utf8');

  // 1e9 samples once grew to 17 GB before the run was killed; 2^40 is past any machine's half.
  // A whole run streams its values (memory that does not grow with the samples); runs that keep
  // them are the ones refused: distribution formats, charts, shards.
  it.each([
    ['run', ['--samples', String(2 ** 40), '--quantiles', 'exact', '--format', 'cdf'], /14 metrics x 4 bytes = [\d,.]+ GiB, more than the [\d,.]+ GiB allowed/],
    ['run', ['--samples', String(2 ** 40), '--quantiles', 'exact', '--shard', '0/2', '--out', 'part.json'], /--quantiles: exact quantiles keep every value/],
    ['run', ['--samples', String(2 ** 40), '--quantiles', 'exact', '--backend', 'cpu', '--threads', '2', '--format', 'hist'], /use --quantiles hist/],
  ])('%s %s', (command, flags, message) => {
    const dir = scenarioCase(flagship);
    expectRefused(cli(dir, command, flags), { message, maxSeconds: 5, dir, before: ['case.yaml'] });
  });

  it('names the cells of a sweep in what it would take', () => {
    const dir = scenarioCase(
      ['name: sweep', 'samples: 100000000000', 'inputs:', '  a: { sweep: [1, 2, 3] }', '  x: { uniform: [0, 1] }', 'metrics:', '  m: "a * x"', ''].join('\n'),
    );
    expectRefused(cli(dir, 'run', ['--quantiles', 'exact', '--format', 'dist-json']), {
      message: /--quantiles: exact quantiles keep every value here: 100,000,000,000 samples x 3 cells x 1 metric x 4 bytes = 1,117.6 GiB/,
      maxSeconds: 5,
      dir,
      before: ['case.yaml'],
    });
  });
});

/** stdout as JSON, after checking the run succeeded. */
function json(r: CliResult): Json {
  expect(r.code, r.stderr.slice(-600)).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

const nonFinite = (metrics: string, extra = '') =>
  `name: non-finite\nsamples: 100000\ninputs:\n  x: { uniform: [0, 1] }\n${extra}metrics:\n${metrics}`;

describe('non-finite values are counted, reported and warned about (issue 8 item 5)', () => {
  // 1 / floor(10 x) is infinite for x < 0.1: about 10% of the samples, once dropped silently.
  const text = nonFinite('  m: "1 / floor(10*x)"\n  none: "log(-x)"\n  fine: "x"\n');

  it.each(['exact', 'hist'])('JSON non_finite per metric and nulls for a metric with no value left (cpu, %s quantiles)', (q) => {
    const dir = scenarioCase(text);
    const r = cli(dir, 'run', ['--backend', 'cpu', '--format', 'json', '--quantiles', q]);
    const m = json(r).cells[0]!.metrics;
    // floor(10 x) = 0 exactly when x < 0.1: binomial(1e5, 0.1), sd 95; 6 sd is far beyond chance.
    expect(Math.abs(m['m']!['non_finite']! - 10_000)).toBeLessThan(600);
    expect(m['none']!['non_finite']).toBe(100_000);
    expect(m['fine']!['non_finite']).toBe(0);
    for (const stat of ['mean', 'sd', 'stderr', 'min', 'max', 'p1', 'p50', 'p99']) expect(m['none']![stat]).toBeNull();
    expect(m['m']!['max']).toBe(1);
    expect(r.stderr).toMatch(/cptsim: warning: m: [\d,]+ of 100,000 samples were not finite .* left out of its statistics/);
    expect(r.stderr).toMatch(/cptsim: warning: none: 100,000 of 100,000 samples were not finite/);
    expect(r.stderr).not.toMatch(/warning: fine/);
  });

  it('the table prints dashes for a statistic of nothing, and says how many were left out', () => {
    const dir = scenarioCase(text);
    const r = cli(dir, 'run', ['--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^none\s+-\s+-\s+-\s+-\s+-$/m);
    expect(r.stdout).toMatch(/not finite, left out: m [\d,]+ of 100,000 samples \([\d.]+%\), none 100,000 of 100,000 samples \(100%\)/);
  });

  it('a sweep table gets a `not finite` column, CSV a non_finite field', () => {
    const dir = scenarioCase(nonFinite('  m: "1 / floor(a*x)"\n', '  a: { sweep: [10, 1] }\n'));
    const table = cli(dir, 'run', ['--backend', 'cpu', '--metric', 'm', '--samples', '1000']);
    expect(table.code).toBe(0);
    // a = 1: floor(x) = 0 for every x in (0, 1), so every value is infinite.
    expect(table.stdout).toMatch(/infeasible\s+not finite/);
    expect(table.stdout).toMatch(/^1\s+-\s+-\s+-\s+-\s+0%\s+100%$/m);
    const csv = cli(dir, 'run', ['--backend', 'cpu', '--format', 'csv', '--samples', '1000']);
    const [header, , second] = csv.stdout.trim().split('\n');
    expect(header!.split(',').at(-1)).toBe('non_finite');
    expect(second!.split(',').at(-1)).toBe('1000');
  });

  it('one sample: sd and stderr are null, not 0', () => {
    const dir = scenarioCase(nonFinite('  fine: "x"\n'));
    const m = json(cli(dir, 'run', ['--backend', 'cpu', '--format', 'json', '--samples', '1'])).cells[0]!.metrics['fine']!;
    expect(m['sd']).toBeNull();
    expect(m['stderr']).toBeNull();
    expect(m['mean']).toBe(m['p50']);
  });
});

describe('beyond the f32 range the engines agree (issue 8 item 6)', () => {
  // exp(1000 x) passes 3.4e38 for x > ln(3.4e38) / 1000 = 0.0887: the GPU's f32 value is infinite.
  const text = nonFinite('  big: "exp(1000*x)"\n');

  it('the CPU engine counts values beyond f32 as not finite, as the GPU engine does', () => {
    const dir = scenarioCase(text);
    const m = json(cli(dir, 'run', ['--backend', 'cpu', '--format', 'json'])).cells[0]!.metrics['big']!;
    expect(Math.abs(m['non_finite']! - 91_128)).toBeLessThan(600);
    expect(m['max']!).toBeLessThanOrEqual(3.4028234663852886e38);
    expect(Number.isFinite(m['mean'])).toBe(true);
  });

  it('both engines leave out the same samples', async (ctx) => {
    if (!(await testAdapter('hostile/engine'))) return ctx.skip();
    const dir = scenarioCase(text);
    const gpu = json(cli(dir, 'run', ['--backend', 'gpu', '--format', 'json'])).cells[0]!.metrics['big']!;
    const cpu = json(cli(dir, 'run', ['--backend', 'cpu', '--format', 'json'])).cells[0]!.metrics['big']!;
    // Only a sample at the edge (x within f32 rounding of 0.0887) could differ.
    expect(Math.abs(gpu['non_finite']! - cpu['non_finite']!)).toBeLessThanOrEqual(2);
  });
});

describe('physical ranges for money and time (issue 8 item 6)', () => {
  const flagship = readFileSync(join(root, 'scenarios', 'h100-llama70b-fp8-owned.yaml'), 'utf8');
  it.each([
    ['capex_usd_per_gpu: 1e308 (once accepted: every cost infinite)', /capex_usd_per_gpu: \{[^}]*\}/, 'capex_usd_per_gpu: 1e308', /costs\.capex_usd_per_gpu: expected a number in \[0, 1000000000\], got 1e\+308/],
    ['capex_usd_per_gpu swept past a billion', /capex_usd_per_gpu: \{[^}]*\}/, 'capex_usd_per_gpu: { sweep: [30000, 2e9] }', /costs\.capex_usd_per_gpu\.sweep\[1\]: expected a number in \[0, 1000000000\], got 2000000000/],
    ['life_years: 1e6', /life_years: \d+/, 'life_years: 1e6', /costs\.life_years: expected a number in \(0, 100\]/],
    ['colocation_usd_per_kw_month: 1e30', /colocation_usd_per_kw_month: [^\n]+/, 'colocation_usd_per_kw_month: 1e30', /costs\.colocation_usd_per_kw_month: expected a number in \[0, 1000000\]/],
  ])('%s', (_, pattern, replacement, message) => {
    const text = flagship.replace(pattern, replacement);
    expect(text).not.toBe(flagship);
    const dir = scenarioCase(text);
    expectRefused(cli(dir, 'validate'), { message: new RegExp(`case\\.yaml:\\d+: ${message.source}`), maxSeconds: 5, dir, before: ['case.yaml'] });
    expectRefused(cli(dir, 'run', ['--backend', 'cpu']), { message, maxSeconds: 5, dir, before: ['case.yaml'] });
  });
});

describe('--backend auto falls back to the CPU engine when the GPU engine fails (issue 8 item 11)', () => {
  const text = nonFinite('  m: "2 * x"\n').replace('samples: 100000', 'samples: 20000');

  // CPTSIM_GPU_FAULT injects the failure: `device-lost` destroys the device after the first chunk
  // is submitted, `shader` breaks the kernel so that the engine cannot start.
  it.for([
    ['device-lost', /cptsim: the GPU engine failed \(the GPU device was lost .*\): using the CPU engine \(\d+ threads?\) from here on/],
    ['shader', /cptsim: the GPU engine could not start \(the GPU kernel failed to compile: .*\): using the CPU engine/],
  ] as const)('%s: auto runs on the CPU engine, says so, and gives the CPU engine\'s numbers', async ([fault, message], ctx) => {
    if (!(await testAdapter('hostile/engine'))) return ctx.skip();
    const dir = scenarioCase(text);
    const r = cli(dir, 'run', ['--format', 'json'], { CPTSIM_GPU_FAULT: fault });
    const got = json(r);
    expect(r.stderr).toMatch(message);
    expect(got.backend.kind).toBe('cpu');
    const cpu = json(cli(dir, 'run', ['--format', 'json', '--backend', 'cpu']));
    expect(got.cells[0]!.metrics).toEqual(cpu.cells[0]!.metrics);
  });

  it.for([
    ['device-lost', /cptsim: the GPU device was lost/],
    ['shader', /cptsim: the GPU kernel failed to compile/],
  ] as const)('%s: --backend gpu does not fall back: exit 1 with the reason', async ([fault, message], ctx) => {
    if (!(await testAdapter('hostile/engine'))) return ctx.skip();
    const dir = scenarioCase(text);
    expectRefused(cli(dir, 'run', ['--backend', 'gpu', '--out', 'result.json'], { CPTSIM_GPU_FAULT: fault }), {
      code: 1,
      message,
      maxSeconds: 30,
      dir,
      before: ['case.yaml'],
    });
  });

  it('a bad input is not a GPU failure: exit 2, no fallback', () => {
    const dir = scenarioCase(nonFinite('  m: "2 * q"\n'));
    const r = cli(dir, 'run', [], { CPTSIM_GPU_FAULT: 'device-lost' });
    expectRefused(r, { message: /metrics\.m: unknown name `q`/, maxSeconds: 10, dir, before: ['case.yaml'] });
    expect(r.stderr).not.toMatch(/using the CPU engine/);
  });
});

describe('results do not depend on --threads, to the last bit (issue 8 item 12)', () => {
  /** The JSON without what legitimately differs: timings and the thread count. */
  const stable = (r: CliResult) => {
    const j = json(r) as Json & Record<string, unknown>;
    delete j['elapsed_s'];
    delete j['samples_per_s'];
    delete (j as { backend?: unknown }).backend;
    return JSON.stringify(j);
  };

  // Histogram mode once differed by about 6e-14 relative between thread counts: the sums of each
  // thread's range were added, not the sums of fixed blocks in order. 300,000 samples span five
  // summation blocks, split 5 / 3 + 2 / 2 + 2 + 1 over 1, 2 and 3 threads.
  it.each(['hist', 'exact'])('%s quantiles: --threads 1, 2 and 3 give identical JSON', (q) => {
    const dir = scenarioCase(readFileSync(join(root, 'scenarios', 'h100-llama70b-fp8-owned.yaml'), 'utf8'));
    const flags = ['--backend', 'cpu', '--format', 'json', '--quantiles', q, '--samples', '300000'];
    const [one, two, three] = ['1', '2', '3'].map((t) => stable(cli(dir, 'run', [...flags, '--threads', t])));
    expect(two).toBe(one);
    expect(three).toBe(one);
  });
});
