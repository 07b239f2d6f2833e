/**
 * `--metrics`: a plan narrowed to some metrics (selectMetrics) reports those metrics only, and on
 * either engine their statistics are the very numbers of the whole plan's run, in both quantile
 * modes. Each metric's sums, min, max, histogram counts and exact values depend on its own values
 * only (the pilot's histogram ranges and shifts too), so the comparison is exact equality, not a
 * tolerance: a narrowed run that moved a bin or an f32 block sum would fail it. (Whole, these
 * plans of 14 and 16 metrics fit the GPU engine's 64-invocation workgroups in the 32 KiB of
 * workgroup memory lavapipe and current GPUs offer, as narrowed; a plan that did not would sum in
 * smaller workgroups, README "Output".) Then the CLI's `--metrics` end to end (the built CLI in a
 * child process).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate, type RunResult } from '../src/analysis/index.js';
import { createGpuEngine, type Engine } from '../src/engine/index.js';
import { InputError } from '../src/errors.js';
import { buildPlan, selectMetrics, type Plan } from '../src/plan/index.js';
import { loadScenario } from '../src/scenario/index.js';
import { testAdapter, testEngines } from './gpu-device.js';

const root = join(import.meta.dirname, '..');

async function planOf(file: string, samples: number): Promise<Plan> {
  return buildPlan(await loadScenario(join(root, 'scenarios', file)), { samples });
}

describe('selectMetrics', () => {
  it("keeps the plan's order whatever the order asked, once each", async () => {
    const plan = await planOf('custom-margin.yaml', 1000);
    const picked = selectMetrics(plan, ['margin_fraction', 'ttft_s', 'cost_per_mtok_output', 'ttft_s']);
    expect(picked.metrics).toEqual(['cost_per_mtok_output', 'ttft_s', 'margin_fraction']);
    // The expressions are all still there: margin_fraction reads margin_per_mtok.
    expect(picked.custom).toEqual(plan.custom);
    expect(plan.metrics.length).toBeGreaterThan(3);
  });

  it('refuses an unknown name with a suggestion, and an empty list', async () => {
    const plan = await planOf('h100-llama70b-fp8-owned.yaml', 1000);
    const err = (() => {
      try {
        selectMetrics(plan, ['cost_per_mtok_output', 'cost_per_mtok_outptu', 'nonsense_metric']);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(InputError);
    const issues = (err as InputError).issues;
    expect(issues.map((i) => i.path)).toEqual(['--metrics', '--metrics']);
    expect(issues[0]!.message).toContain('did you mean `cost_per_mtok_output`?');
    expect(issues[1]!.message).not.toContain('did you mean');
    expect((err as InputError).exitCode).toBe(2);
    expect(() => selectMetrics(plan, [])).toThrow(InputError);
  });
});

/** The listed metrics of `narrow` against the same metrics of `whole`, cell by cell, exactly. */
function expectSameListed(whole: RunResult, narrow: RunResult, listed: readonly string[]): void {
  expect(narrow.cells.length).toBe(whole.cells.length);
  narrow.cells.forEach((cell, i) => {
    expect(Object.keys(cell.metrics)).toEqual(listed);
    expect(cell.infeasible_fraction).toBe(whole.cells[i]!.infeasible_fraction);
    for (const m of listed) expect(cell.metrics[m], `cell ${i} ${m}`).toEqual(whole.cells[i]!.metrics[m]);
  });
  if (whole.quantiles.method === 'histogram' && narrow.quantiles.method === 'histogram') {
    expect(narrow.quantiles.relative_error_bound).toBeLessThanOrEqual(whole.quantiles.relative_error_bound);
  }
}

// A sweep (several cells per pass, partials reduced per tile) with metrics picked out of order,
// and a scenario with metric expressions, one of which reads another that is not listed.
const CASES = [
  { file: 'h100-llama70b-sweep.yaml', samples: 2 ** 12, listed: ['cost_per_mtok_output', 'tpot_ms', 'batch_effective'] },
  { file: 'custom-margin.yaml', samples: 2 ** 14, listed: ['cost_per_mtok_energy', 'margin_fraction'] },
];

describe.each(testEngines('plan-metrics.test.ts', ['cpu2', 'gpu']))('a narrowed plan on the %s engine', (_name, make) => {
  let engine: Engine | null = null;
  beforeAll(async () => {
    engine = await make();
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  for (const c of CASES) {
    for (const quantiles of ['exact', 'hist'] as const) {
      it(`${c.file}, ${quantiles} quantiles: the listed metrics' statistics are the whole run's`, async (ctx) => {
        if (!engine) return ctx.skip();
        const plan = await planOf(c.file, c.samples);
        const narrow = selectMetrics(plan, [...c.listed].reverse());
        const w = await simulate(plan, engine, { quantiles, cdfPoints: 5 });
        const n = await simulate(narrow, engine, { quantiles, cdfPoints: 5 });
        expectSameListed(w.result, n.result, c.listed);
        n.result.cells.forEach((cell, i) => {
          for (const m of c.listed) expect(cell.cdf![m]).toEqual(w.result.cells[i]!.cdf![m]);
        });
      });
    }
  }
});

describe('a narrowed plan on the specialised GPU kernel', () => {
  let engine: Engine | null = null;
  beforeAll(async () => {
    const adapter = await testAdapter('plan-metrics.test.ts');
    if (adapter) engine = await createGpuEngine({ adapter, kernel: 'specialised' });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('h100-llama70b-sweep.yaml, hist quantiles: the listed metrics are the whole run\'s', async (ctx) => {
    if (!engine) return ctx.skip();
    const c = CASES[0]!;
    const plan = await planOf(c.file, c.samples);
    const w = await simulate(plan, engine, { quantiles: 'hist' });
    const n = await simulate(selectMetrics(plan, c.listed), engine, { quantiles: 'hist' });
    expectSameListed(w.result, n.result, c.listed);
  });
});

describe('cptsim run --metrics', () => {
  const cli = join(root, 'dist', 'src', 'cli.js');
  const cptsim = (...args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const FLAGSHIP = 'scenarios/h100-llama70b-fp8-owned.yaml';
  const base = ['run', FLAGSHIP, '--samples', '2000', '--backend', 'cpu', '--threads', '1'];

  it("reports only the listed metrics, in the scenario's order, with the numbers of a whole run", () => {
    const whole = cptsim(...base, '--format', 'json');
    const r = cptsim(...base, '--format', 'json', '--metrics', 'tpot_ms', '--metrics', 'cost_per_mtok_output,tpot_ms', '--probability-below', 'tpot_ms=30');
    expect(whole.code).toBe(0);
    expect(r.code).toBe(0);
    type Cell = { metrics: Record<string, Record<string, number>>; probability_below: Record<string, unknown> };
    const w = (JSON.parse(whole.stdout) as { cells: Cell[] }).cells[0]!;
    const n = (JSON.parse(r.stdout) as { cells: Cell[] }).cells[0]!;
    expect(Object.keys(n.metrics)).toEqual(['cost_per_mtok_output', 'tpot_ms']);
    expect(n.metrics).toEqual({ cost_per_mtok_output: w.metrics['cost_per_mtok_output'], tpot_ms: w.metrics['tpot_ms'] });
    expect(Object.keys(n.probability_below)).toEqual(['tpot_ms']);
  });

  it('exits 2 with a suggestion for an unknown metric, and when --metric or --probability-below names one not listed', () => {
    const unknown = cptsim(...base, '--metrics', 'cost_per_mtok_output,tpot_sm');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--metrics: unknown metric "tpot_sm"; did you mean `tpot_ms`?');
    expect(unknown.stdout).toBe('');
    const shown = cptsim(...base, '--metrics', 'tpot_ms', '--metric', 'ttft_s');
    expect(shown.code).toBe(2);
    expect(shown.stderr).toContain('--metric: metric "ttft_s" is not among --metrics (tpot_ms)');
    const below = cptsim(...base, '--metrics', 'tpot_ms', '--probability-below', 'ttft_s=1');
    expect(below.code).toBe(2);
    expect(below.stderr).toContain('--probability-below: metric "ttft_s" is not among --metrics (tpot_ms)');
    expect(below.stdout).toBe('');
  });
});
