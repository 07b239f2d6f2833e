/**
 * Convergence (`cptsim run --until metric.stat=width`): the order-statistic interval of a quantile
 * against an independent binomial computation and the uniform's closed-form order statistics, the
 * mean's interval against a normal input of known sd, the batch schedule, the equality of a run
 * that stops at n samples with a plain run of n samples, on every engine, and the command line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyPartial } from '../src/aggregate/index.js';
import {
  binomialRanks,
  checkConvergence,
  conditionReports,
  converge,
  parseUntilCondition,
  roundSchedule,
  simulate,
  Z_95,
  type ConvergedResult,
  type RunResult,
  type UntilCondition,
} from '../src/analysis/index.js';
import { createCpuEngine } from '../src/engine/cpu/index.js';
import type { Engine } from '../src/engine/index.js';
import { InputError } from '../src/errors.js';
import { buildPlan, type Plan } from '../src/plan/index.js';
import { parseScenario } from '../src/scenario/index.js';
import { testEngines } from './gpu-device.js';
import { cli, cptsim, root, scratchDir } from './helpers/cli.js';

const tmp = scratchDir('cptsim-converge-');

const TAIL = 0.025;


function scenarioFile(name: string, text: string): string {
  const f = join(tmp, name);
  writeFileSync(f, text);
  return f;
}

const planOf = (text: string, overrides: { samples?: number; seed?: string } = {}): Plan => buildPlan(parseScenario(text, 't.yaml'), overrides);

/**
 * The binomial CDF P(B <= k), B ~ Binomial(n, p), for every k, summed from k = 0 in log space
 * (log pmf(0) = n log(1 - p), then the ratio pmf(k+1)/pmf(k) = (n - k) p / ((k + 1) (1 - p))):
 * an independent computation, not the one under test (which sums outward from the mode).
 */
function binomialCdf(n: number, p: number): Float64Array {
  const out = new Float64Array(n + 1);
  let logPmf = n * Math.log1p(-p);
  let logCdf = logPmf;
  out[0] = Math.exp(logCdf);
  for (let k = 0; k < n; k++) {
    logPmf += Math.log((n - k) / (k + 1)) + Math.log(p / (1 - p));
    const hi = Math.max(logCdf, logPmf);
    logCdf = hi + Math.log(Math.exp(logCdf - hi) + Math.exp(logPmf - hi));
    out[k + 1] = Math.exp(logCdf);
  }
  return out;
}

/** The ranks by their definition, from the oracle's CDF: largest l with P(B <= l-1) <= a/2, smallest u with P(B >= u) <= a/2. */
function oracleRanks(n: number, p: number): { lower: number; upper: number } {
  const cdf = binomialCdf(n, p);
  let lower = 0;
  for (let l = 1; l <= n; l++) if (cdf[l - 1]! <= TAIL) lower = l;
  let upper = n + 1;
  for (let u = n; u >= 1; u--) if (1 - cdf[u - 1]! <= TAIL) upper = u;
  return { lower, upper };
}

describe('binomialRanks: the order-statistic interval of a quantile', () => {
  it('gives [x_(2), x_(9)] for the median of 10 values (coverage 1 - 22/1024 = 97.85%, the textbook answer)', () => {
    expect(binomialRanks(10, 0.5)).toEqual({ lower: 2, upper: 9 });
  });

  it.each([
    [20, 0.5],
    [100, 0.1],
    [100, 0.9],
    [1000, 0.01],
    [1000, 0.99],
    [4096, 0.25],
    [100_000, 0.05],
    [100_000, 0.5],
    [250_000, 0.99],
  ])('n = %i, p = %f: the ranks the binomial definition gives', (n, p) => {
    const got = binomialRanks(n, p);
    expect(got).toEqual(oracleRanks(n, p));
    // The coverage the ranks promise, P(lower <= B <= upper - 1), is at least 95%.
    const cdf = binomialCdf(n, p);
    const coverage = (got.upper <= n ? cdf[got.upper - 1]! : 1) - (got.lower >= 1 ? cdf[got.lower - 1]! : 0);
    expect(coverage).toBeGreaterThanOrEqual(0.95);
  });

  it('has no lower end when (1 - p)^n > 2.5% and no upper end when p^n > 2.5%', () => {
    // 0.99^100 = 0.366: even the smallest value is above the 1% quantile too often.
    expect(binomialRanks(100, 0.01).lower).toBe(0);
    expect(binomialRanks(100, 0.99).upper).toBe(101);
    // 0.99^367 = 0.02501 > 0.025 > 0.99^368 = 0.02476: 368 is the first n with a lower end.
    expect(binomialRanks(367, 0.01).lower).toBe(0);
    expect(binomialRanks(368, 0.01).lower).toBe(1);
    expect(binomialRanks(367, 0.99).upper).toBe(368);
    expect(binomialRanks(368, 0.99).upper).toBe(368);
  });

  it('takes the normal approximation\'s ranks at very large n (within 3 ranks of n p -+ z sqrt(n p (1 - p)))', () => {
    // Cornish-Fisher: the binomial quantile differs from the normal one by (z^2 - 1)(1 - 2p)/6 < 0.5
    // rank; the continuity correction adds 0.5, the step from a quantile of B to a rank 1, rounding 1.
    const n = 2 ** 36;
    for (const p of [0.01, 0.5, 0.99]) {
      const sd = Math.sqrt(n * p * (1 - p));
      const r = binomialRanks(n, p);
      expect(Math.abs(r.lower - (n * p - Z_95 * sd))).toBeLessThan(3);
      expect(Math.abs(r.upper - (n * p + Z_95 * sd))).toBeLessThan(3);
    }
  });
});

describe('conditionReports on known values', () => {
  /** A finished exact-mode simulation of one cell whose metric took the values given. */
  function exactSim(values: number[]) {
    const plan = planOf('name: t\ninputs: { x: { uniform: [0, 1] } }\nmetrics: { y: "x" }\n', { samples: values.length });
    const partial = emptyPartial(1, 1, 'exact');
    partial.values = [Float32Array.from(values)];
    partial.count[0] = values.length;
    partial.min[0] = Math.min(...values);
    partial.max[0] = Math.max(...values);
    const sorted = [...values].sort((a, b) => a - b);
    const q = (p: number) => {
      const h = (sorted.length - 1) * p;
      const lo = Math.floor(h);
      return sorted[lo]! + (h - lo) * (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!);
    };
    const stats = { mean: 0, sd: 1, stderr: 1, min: partial.min[0]!, max: partial.max[0]!, p1: q(0.01), p5: q(0.05), p10: q(0.1), p25: q(0.25), p50: q(0.5), p75: q(0.75), p90: q(0.9), p95: q(0.95), p99: q(0.99), non_finite: 0 };
    const result = { cells: [{ point: {}, samples: values.length, infeasible_fraction: 0, metrics: { y: stats } }] } as unknown as RunResult;
    return { plan, sim: { result, partial, hist: null } };
  }

  it('takes the interval\'s ends at the order statistics of ranks lower and upper (values 1..n shuffled)', () => {
    const n = 1000;
    const values = Array.from({ length: n }, (_, i) => ((i * 379) % n) + 1); // a permutation of 1..n
    const { plan, sim } = exactSim(values);
    for (const [statistic, p] of [['p50', 0.5], ['p90', 0.9], ['p1', 0.01]] as const) {
      const [report] = conditionReports(plan, sim, [{ metric: 'y', statistic, relativeHalfWidth: 1 }]);
      const want = oracleRanks(n, p);
      const cell = report!.cells[0]!;
      expect(cell.lower).toBe(want.lower);
      expect(cell.upper).toBe(want.upper);
      expect(cell.relative_half_width).toBeCloseTo((want.upper - want.lower) / 2 / cell.estimate!, 12);
    }
  });

  it('leaves the relative width undefined when the estimate is 0 and the interval is not', () => {
    const values = Array.from({ length: 101 }, (_, i) => i - 50);
    const { plan, sim } = exactSim(values);
    const [report] = conditionReports(plan, sim, [{ metric: 'y', statistic: 'p50', relativeHalfWidth: 0.5 }]);
    expect(report!.cells[0]!.estimate).toBe(0);
    expect(report!.cells[0]!.relative_half_width).toBeNull();
    expect(report!.cells[0]!.note).toMatch(/estimate is 0/);
    expect(report!.met).toBe(false);
    expect(report!.achieved).toBeNull();
  });

  it('meets any condition for a constant metric, also a constant 0 (half-width 0)', () => {
    const { plan, sim } = exactSim(Array.from({ length: 50 }, () => 0));
    const reports = conditionReports(plan, sim, [{ metric: 'y', statistic: 'p99', relativeHalfWidth: 1e-9 }]);
    expect(reports[0]!.cells[0]).toMatchObject({ half_width: 0, relative_half_width: 0, met: true });
  });
});

describe('the --until syntax and the round schedule', () => {
  it('parses metric.stat=width, a width as a fraction or a percentage', () => {
    expect(parseUntilCondition('cost_per_mtok_output.p50=0.005')).toEqual({ metric: 'cost_per_mtok_output', statistic: 'p50', relativeHalfWidth: 0.005 });
    expect(parseUntilCondition('g.mean=0.5%')).toEqual({ metric: 'g', statistic: 'mean', relativeHalfWidth: 0.005 });
  });

  it.each([
    ['cost_per_mtok_output.p42=0.01', /unknown statistic "p42"/],
    ['cost_per_mtok_output.sd=0.01', /unknown statistic "sd"/],
    ['cost_per_mtok_output.p50=0', /relative half-width > 0/],
    ['cost_per_mtok_output.p50=-1', /relative half-width > 0/],
    ['cost_per_mtok_output.p50=abc', /relative half-width > 0/],
    ['cost_per_mtok_output=0.01', /expected <metric>.<statistic>=<relative half-width>/],
  ])('refuses %s', (text, message) => {
    const r = parseUntilCondition(text);
    expect('error' in r && r.error).toMatch(message);
  });

  it('doubles from the first round and ends at the bound', () => {
    expect(roundSchedule(1000, 10_000)).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(roundSchedule(1000, 1000)).toEqual([1000]);
    expect(roundSchedule(1000, 8000)).toEqual([1000, 2000, 4000, 8000]);
  });

  it('keeps Sobol rounds powers of two (the last doubling at or below the bound)', () => {
    expect(roundSchedule(1024, 10_000, 'sobol')).toEqual([1024, 2048, 4096, 8192]);
  });

  it('refuses --quantiles exact when the last round would not fit in memory, naming the bound', () => {
    const plan = planOf(NORMAL);
    // Keeping the values (for charts): 2^20 samples x 1 cell x 1 metric x 4 bytes = 4 MiB, within
    // an 8 MiB budget, 2^21 is not.
    const options = { conditions: [{ metric: 'y', statistic: 'mean' as const, relativeHalfWidth: 0.01 }], quantiles: 'exact' as const, exactBudgetBytes: 8 * 2 ** 20, exactValues: 'keep' as const };
    expect(checkConvergence(plan, { ...options, maxSamples: 2 ** 21 })).toHaveLength(12);
    expect(() => checkConvergence(plan, { ...options, maxSamples: 2 ** 22 })).toThrow(/--quantiles: exact quantiles keep every value here: 4,194,304 samples.*4,194,304 samples is the last round of --until: a lower --max-samples also does/);
    // Streaming them takes the same memory whatever the last round.
    expect(checkConvergence(plan, { ...options, exactValues: 'auto', maxSamples: 2 ** 30 }).length).toBeGreaterThan(12);
  });

  it('refuses a bound below the first round, and one the sampling scheme cannot run', () => {
    expect(() => roundSchedule(1000, 999)).toThrow(InputError);
    expect(() => roundSchedule(1000, 999)).toThrow(/--max-samples: expected at least the first round's 1,000 samples/);
    expect(() => roundSchedule(1024, 2 ** 25, 'lhs')).toThrow(/--max-samples: sampling: lhs supports/);
  });
});

/** A normal input of known mean and sd: the mean's relative half-width is z sd / (mean sqrt(n)). */
const NORMAL_MEAN = 10;
const NORMAL_SD = 2;
const NORMAL = `name: normal with known sd
seed: converge-normal
samples: 1024
inputs:
  x: { normal: { mean: ${NORMAL_MEAN}, sd: ${NORMAL_SD} } }
metrics:
  y: "x"
`;
const UNIFORM = `name: uniform
seed: converge-uniform
samples: 1000
inputs:
  u: { uniform: [0, 1] }
metrics:
  y: "u"
`;

/** JSON of a result without the fields that may differ between equal runs: timings and the convergence report. */
function comparable(r: RunResult): unknown {
  const { elapsed_s: _e, samples_per_s: _s, convergence: _c, ...rest } = r as ConvergedResult;
  return JSON.parse(JSON.stringify(rest));
}

/** The same, and without the engine's description (its thread count). */
function sameNumbers(r: RunResult): unknown {
  const { backend: _b, ...rest } = comparable(r) as RunResult;
  return rest;
}

const engines = testEngines('test/converge.test.ts', ['cpu1', 'cpu2', 'gpu']);
/** Per engine, the results of the runs below, compared across engines at the end. */
const byEngine = new Map<string, Map<string, ConvergedResult>>();

describe.each(engines)('convergence on the %s engine', (name, make) => {
  async function withEngine(f: (engine: Engine) => Promise<void>): Promise<void> {
    const engine = await make();
    if (!engine) return;
    try {
      await f(engine);
    } finally {
      await engine.dispose();
    }
  }
  const keep = (key: string, r: ConvergedResult) => {
    if (!byEngine.has(name)) byEngine.set(name, new Map());
    byEngine.get(name)!.set(key, r);
  };

  // The estimated relative half-width z s / (xbar sqrt(n)) has a relative sd of about
  // sqrt(1/2 + cv^2) / sqrt(n) (the sd of s / sigma is 1/sqrt(2n), of xbar / mu cv/sqrt(n)), cv = 0.2.
  const noise = (n: number) => Math.sqrt(0.5 + (NORMAL_SD / NORMAL_MEAN) ** 2) / Math.sqrt(n);
  const trueWidth = (n: number) => (Z_95 * NORMAL_SD) / (NORMAL_MEAN * Math.sqrt(n));

  it.each([0.02, 0.005, 0.002])('stops a normal input\'s mean at the first doubling past n* = (z sd / (mean w))^2, w = %f', async (w) => {
    await withEngine(async (engine) => {
      const plan = planOf(NORMAL);
      const schedule = roundSchedule(plan.samples, 2 ** 20);
      const expected = schedule.find((n) => trueWidth(n) <= w)!;
      const before = schedule[schedule.indexOf(expected) - 1];
      // The known answer is unambiguous: each neighbouring round is more than 6 noise sds from w.
      expect(trueWidth(expected)).toBeLessThan(w * (1 - 6 * noise(expected)));
      if (before !== undefined) expect(trueWidth(before)).toBeGreaterThan(w * (1 + 6 * noise(before)));
      const nStar = ((Z_95 * NORMAL_SD) / (NORMAL_MEAN * w)) ** 2;
      const conditions: UntilCondition[] = [{ metric: 'y', statistic: 'mean', relativeHalfWidth: w }];
      const { result } = await converge(plan, engine, { conditions, maxSamples: 2 ** 20 });
      const c = result.convergence;
      expect(c.converged).toBe(true);
      expect(c.samples).toBe(expected);
      expect(result.samples).toBe(expected);
      // Within the derived factor: n* <= n < 2 n* (unless the first round already suffices).
      expect(c.samples).toBeLessThan(Math.max(2 * nStar, plan.samples + 1));
      expect(c.rounds.map((r) => r.samples)).toEqual(schedule.slice(0, schedule.indexOf(expected) + 1));
      expect(c.samples_total).toBe(c.rounds.reduce((s, r) => s + r.samples, 0));
      const achieved = c.conditions[0]!.achieved!;
      expect(Math.abs(achieved / trueWidth(expected) - 1)).toBeLessThan(6 * noise(expected));
      keep(`normal ${w}`, result);
    });
  });

  it('gives the result of a plain run of the samples it stopped at, field for field', async () => {
    await withEngine(async (engine) => {
      const plan = planOf(NORMAL);
      const conditions: UntilCondition[] = [
        { metric: 'y', statistic: 'p90', relativeHalfWidth: 0.01 },
        { metric: 'y', statistic: 'mean', relativeHalfWidth: 0.004 },
      ];
      // Up to 2^21 sample-cells quantiles are exact; --quantiles hist makes every round binned.
      for (const quantiles of ['auto', 'hist'] as const) {
        const { result } = await converge(plan, engine, { conditions, quantiles, probabilityBelow: { y: [9, 11] }, cdfPoints: 5 });
        expect(result.convergence.converged).toBe(true);
        const plain = await simulate({ ...plan, samples: result.samples }, engine, { quantiles, probabilityBelow: { y: [9, 11] }, cdfPoints: 5 });
        expect(comparable(result)).toEqual(comparable(plain.result));
        keep(`plain ${quantiles}`, result);
      }
    });
  });

  it('puts a uniform\'s quantile interval at the closed-form order statistics x_(l) ~ Beta(l, n + 1 - l)', async () => {
    await withEngine(async (engine) => {
      const plan = planOf(UNIFORM);
      for (const [statistic, p] of [['p50', 0.5], ['p10', 0.1], ['p99', 0.99]] as const) {
        const { result } = await converge(plan, engine, { conditions: [{ metric: 'y', statistic, relativeHalfWidth: 0.05 }] });
        const n = result.samples;
        const cell = result.convergence.conditions[0]!.cells[0]!;
        const { lower: l, upper: u } = oracleRanks(n, p);
        // x_(j) of n uniforms is Beta(j, n + 1 - j): mean j / (n + 1), sd sqrt(j (n + 1 - j) / ((n + 1)^2 (n + 2))).
        const sd = (j: number) => Math.sqrt((j * (n + 1 - j)) / ((n + 1) ** 2 * (n + 2)));
        expect(Math.abs(cell.lower! - l / (n + 1))).toBeLessThan(5 * sd(l));
        expect(Math.abs(cell.upper! - u / (n + 1))).toBeLessThan(5 * sd(u));
        // The width x_(u) - x_(l) is itself Beta(u - l, n + 1 - (u - l)).
        expect(Math.abs(cell.upper! - cell.lower! - (u - l) / (n + 1))).toBeLessThan(5 * sd(u - l));
        expect(cell.estimate).toBe(result.cells[0]!.metrics['y']![statistic]);
        expect(cell.relative_half_width).toBeLessThanOrEqual(0.05);
        keep(`uniform ${statistic}`, result);
      }
    });
  });

  it('makes a histogram-mode interval enclose the exact one, at most a bin wider at each end', async () => {
    await withEngine(async (engine) => {
      const plan = planOf(UNIFORM, { samples: 32_768 });
      const conditions: UntilCondition[] = [
        { metric: 'y', statistic: 'p50', relativeHalfWidth: 1 },
        { metric: 'y', statistic: 'p95', relativeHalfWidth: 1 },
      ];
      const exact = (await converge(plan, engine, { conditions, quantiles: 'exact' })).result;
      const binned = (await converge(plan, engine, { conditions, quantiles: 'hist' })).result;
      expect(binned.quantiles.method).toBe('histogram');
      const bound = binned.quantiles.method === 'histogram' ? binned.quantiles.relative_error_bound : 0;
      conditions.forEach((_, k) => {
        const e = exact.convergence.conditions[k]!.cells[0]!;
        const h = binned.convergence.conditions[k]!.cells[0]!;
        expect(h.lower!).toBeLessThanOrEqual(e.lower!);
        expect(h.upper!).toBeGreaterThanOrEqual(e.upper!);
        // One bin at each end: a bin's relative width is at most the result's error bound
        // (the largest relative bin width a quantile fell in) times a margin for the bin beside it.
        expect(e.lower! - h.lower!).toBeLessThanOrEqual(2 * bound * e.lower!);
        expect(h.upper! - e.upper!).toBeLessThanOrEqual(2 * bound * e.upper!);
      });
    });
  });
});

describe('convergence across engines', () => {
  it('takes the same samples on every engine, with identical results for any CPU thread count', () => {
    const cpu1 = byEngine.get('cpu (1 thread)');
    const cpu2 = byEngine.get('cpu (2 worker threads)');
    const gpu = byEngine.get('gpu');
    expect(cpu1).toBeDefined();
    for (const [key, r] of cpu1!) {
      const two = cpu2?.get(key);
      if (two) {
        expect(two.samples, key).toBe(r.samples);
        expect(sameNumbers(two), key).toEqual(sameNumbers(r));
      }
      const g = gpu?.get(key);
      if (g && key === 'plain hist') expect(g.samples, key).toBe(r.samples);
      // (Histogram quantiles move by a bin when a value near an edge falls on its other side.)
      if (g && key !== 'plain hist') {
        expect(g.samples, key).toBe(r.samples);
        expect(g.convergence.rounds.map((x) => x.samples), key).toEqual(r.convergence.rounds.map((x) => x.samples));
        // Per-sample values agree to 1e-4 relative (f32 against f64, DESIGN.md), so do the order
        // statistics, quantiles and means.
        for (const [stat, v] of Object.entries(r.cells[0]!.metrics['y']!)) {
          if (['sd', 'stderr', 'non_finite'].includes(stat)) continue;
          const gv = g.cells[0]!.metrics['y']![stat as 'mean']!;
          expect(Math.abs(gv - v), `${key} ${stat}`).toBeLessThanOrEqual(1e-4 * Math.abs(v) + 1e-6);
        }
      }
    }
  });
});

describe('a scenario of the cost model', () => {
  it('converges the flagship on the CPU engine with several conditions', async () => {
    const { loadScenario } = await import('../src/scenario/index.js');
    const plan = buildPlan(await loadScenario(join(root, 'scenarios/h100-llama70b-fp8-owned.yaml')), { samples: 2048 });
    const engine = createCpuEngine({ threads: 1 });
    try {
      const conditions: UntilCondition[] = [
        { metric: 'cost_per_mtok_output', statistic: 'p50', relativeHalfWidth: 0.02 },
        { metric: 'tpot_ms', statistic: 'mean', relativeHalfWidth: 0.02 },
      ];
      const { result } = await converge(plan, engine, { conditions });
      expect(result.convergence.converged).toBe(true);
      for (const c of result.convergence.conditions) expect(c.achieved!).toBeLessThanOrEqual(c.target);
      // The round before the last did not meet every condition.
      const rounds = result.convergence.rounds;
      if (rounds.length > 1) expect(rounds[rounds.length - 2]!.converged).toBe(false);
    } finally {
      await engine.dispose();
    }
  });
});

/** y = x + s over a sweep of s: the mean's relative half-width is z / (s sqrt(n)), 10 times wider at s = 1 than at s = 10. */
const SWEPT = (values: string) => `name: swept shift
seed: converge-sweep
samples: 1000
inputs:
  x: { normal: { mean: 0, sd: 1 } }
  s: { sweep: [${values}] }
metrics:
  y: "x + s"
  z: "log(s - 1) + x"
`;

describe('cptsim run --until', () => {
  const FLAGSHIP = 'scenarios/h100-llama70b-fp8-owned.yaml';
  const base = ['--backend', 'cpu', '--threads', '1', '--samples', '2048'];

  it('stops at n samples with the JSON of a plain --samples n run, apart from timings and the convergence report', () => {
    const r = cptsim('run', FLAGSHIP, ...base, '--until', 'cost_per_mtok_output.p50=0.02', '--until', 'ttft_s.p90=3%', '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const converged = JSON.parse(r.stdout) as ConvergedResult;
    expect(converged.convergence.converged).toBe(true);
    // The report comes before the cells, in the README's order.
    expect(Object.keys(converged).slice(-2)).toEqual(['convergence', 'cells']);
    expect(Object.keys(converged.convergence)).toEqual(['converged', 'confidence', 'samples', 'max_samples', 'max_samples_reached', 'samples_total', 'rounds', 'conditions']);
    expect(Object.keys(converged.convergence.conditions[0]!)).toEqual(['metric', 'statistic', 'target', 'achieved', 'worst_cell', 'met', 'cells']);
    expect(Object.keys(converged.convergence.conditions[0]!.cells[0]!)).toEqual(['estimate', 'lower', 'upper', 'half_width', 'relative_half_width', 'values', 'met']);
    expect(converged.convergence.conditions.map((c) => `${c.metric}.${c.statistic}`)).toEqual(['cost_per_mtok_output.p50', 'ttft_s.p90']);
    const n = converged.samples;
    expect(n).toBeGreaterThan(2048); // the first round is not enough at these widths
    const plain = cptsim('run', FLAGSHIP, '--backend', 'cpu', '--threads', '1', '--samples', String(n), '--format', 'json');
    expect(plain.code).toBe(0);
    expect(comparable(converged)).toEqual(comparable(JSON.parse(plain.stdout) as RunResult));
    // And on two worker threads: the same samples and numbers.
    const two = cptsim('run', FLAGSHIP, '--backend', 'cpu', '--threads', '2', '--samples', '2048', '--until', 'cost_per_mtok_output.p50=0.02', '--until', 'ttft_s.p90=3%', '--format', 'json');
    expect(sameNumbers(JSON.parse(two.stdout) as RunResult)).toEqual(sameNumbers(converged));
  });

  it('shows the convergence under the table', () => {
    const r = cptsim('run', FLAGSHIP, ...base, '--until', 'cost_per_mtok_output.mean=0.05');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/converged \(95% intervals\) at 2,048 samples per cell after 1 round/);
    expect(r.stdout).toMatch(/cost_per_mtok_output\.mean\s+5%\s+[\d.]+%/);
  });

  it('says on stderr, and in the JSON, when it reaches --max-samples without converging, and exits 0', () => {
    const r = cptsim('run', FLAGSHIP, ...base, '--until', 'cost_per_mtok_output.p99=0.0001', '--max-samples', '5000', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: NOT converged: reached the bound of 5,000 samples \(--max-samples\) after 3 rounds with cost_per_mtok_output\.p99 at [\d.]+% \(target 0\.01%\)/);
    const c = (JSON.parse(r.stdout) as ConvergedResult).convergence;
    expect(c).toMatchObject({ converged: false, max_samples_reached: true, samples: 5000, max_samples: 5000 });
    expect(c.rounds.map((x) => x.samples)).toEqual([2048, 4096, 5000]);
  });

  it('requires every sweep cell to meet a condition, reports the worst, and exempts a cell with no values', () => {
    const file = scenarioFile('swept.yaml', SWEPT('1, 10'));
    const r = cptsim('run', file, '--backend', 'cpu', '--threads', '1', '--until', 'y.mean=0.02', '--until', 'z.mean=1', '--format', 'json');
    expect(r.code).toBe(0);
    const c = (JSON.parse(r.stdout) as ConvergedResult).convergence;
    expect(c.converged).toBe(true);
    const y = c.conditions[0]!;
    // Cell s = 1 needs (z / 0.02)^2 = 9604 samples, cell s = 10 a hundredth of that: the first sets the pace.
    expect(c.samples).toBe(16_000);
    expect(y.worst_cell).toBe(0);
    expect(y.cells[1]!.relative_half_width!).toBeLessThan(y.cells[0]!.relative_half_width! / 5);
    // z = log(s - 1) + x has no finite value at s = 1: nothing to converge there.
    expect(c.conditions[1]!.cells[0]).toMatchObject({ values: 0, met: true, relative_half_width: null });
    expect(c.conditions[1]!.cells[0]!.note).toMatch(/no values/);
  });

  it('never converges a cell whose mean is about 0 (its relative width, z / |Z| for a standard normal Z, stays large)', () => {
    const file = scenarioFile('zero.yaml', SWEPT('0, 10'));
    const r = cptsim('run', file, '--backend', 'cpu', '--threads', '1', '--until', 'y.mean=0.05', '--max-samples', '2000');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/NOT converged: reached the bound of 2,000 samples \(--max-samples\) after 2 rounds with y\.mean at [\d.]+% \(target 5%\)/);
    expect(r.stdout).toMatch(/NOT converged/);
    expect(r.stdout).toMatch(/worst cell/);
  });

  it.each([
    [['--until', 'no_such_metric.p50=0.01'], /--until: unknown metric "no_such_metric"/],
    [['--until', 'cost_per_mtok_outptu.p50=0.01'], /--until: unknown metric "cost_per_mtok_outptu"; did you mean `cost_per_mtok_output`\?/],
    [['--until', 'cost_per_mtok_output.p42=0.01'], /--until.*unknown statistic "p42"/],
    [['--until', 'cost_per_mtok_output.p50=0'], /--until.*relative half-width > 0/],
    [['--until', 'cost_per_mtok_output.p50=-0.1'], /--until.*relative half-width > 0/],
    [['--until', 'cost_per_mtok_output'], /--until.*expected <metric>.<statistic>=<relative half-width>/],
    [['--until', 'cost_per_mtok_output.p50=0.01', '--shard', '0/2'], /--until: a convergence run .* cannot be combined with --shard/],
    [['--until', 'cost_per_mtok_output.p50=0.01', '--checkpoint', 'ck.json'], /--until: .* cannot be combined with --checkpoint/],
    [['--max-samples', '100000'], /--max-samples: is the bound of a convergence run: it needs --until/],
    [['--until', 'cost_per_mtok_output.p50=0.01', '--max-samples', '1000'], /--max-samples: expected at least the first round's 2,048 samples/],
  ])('refuses %j with exit 2 and no output', (args, message) => {
    const r = cptsim('run', FLAGSHIP, ...base, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
  });
});

// The CLI on a pseudo-terminal (util-linux `script`), as in test/report-progress.test.ts.
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript) console.warn('converge: util-linux `script` not found; skipping the progress check of --until on a terminal');

describe.skipIf(!hasScript)('cptsim run --until on a terminal', () => {
  it('shows each round on the progress line and keeps stdout clean', () => {
    const out = join(tmp, 'terminal-out.txt');
    const args = [process.execPath, cli, 'run', 'scenarios/h100-llama70b-fp8-owned.yaml', '--backend', 'cpu', '--threads', '1', '--samples', '2048', '--until', 'cost_per_mtok_output.p50=1%'];
    const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = spawnSync('script', ['-qec', `${quoted} > '${out}'`, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    // 2,048 samples give the median to about 1.9%: 1% takes four rounds (2,048 to 16,384).
    for (const [k, n] of [[1, '2,048'], [2, '4,096'], [3, '8,192']] as const) {
      expect(r.stdout).toMatch(new RegExp(`round ${k} of at most 14 +\\d+%  [\\d,]+ / ${n} samples`));
    }
    const stdout = readFileSync(out, 'utf8');
    expect(stdout).not.toMatch(/[\r\x1b]/);
    expect(stdout).toMatch(/converged \(95% intervals\)/);
  });
});
