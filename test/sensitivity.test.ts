/**
 * Sensitivity analyses against functions with known answers (the habit of SALib and OpenTURNS):
 * the estimators on their own, then the full analyses on every engine.
 */
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inputSamples,
  rankCorrelation,
  ranks,
  sobolAnalysis,
  sobolIndicesFromValues,
  spearman,
  tornado,
} from '../src/analysis/sensitivity.js';
import type { Engine } from '../src/engine/index.js';
import { runRange } from '../src/engine/cpu/index.js';
import { testEngines } from './gpu-device.js';
import { MEASURED_CLOUD, makePlan } from './helpers/plans.js';
import { buildPlan } from '../src/plan/index.js';
import { loadScenario, parseScenario } from '../src/scenario/index.js';
import { G_FUNCTION_A, gFunction, gFunctionIndices, linearIndices, productIndices } from './analytic.js';

/** A, B and AB_i sample matrices of d independent U(0, 1) inputs, and f on each. */
function saltelliValues(d: number, n: number, f: (x: number[]) => number, seed: string) {
  const rng = seedrandom(seed);
  const A = Array.from({ length: n }, () => Array.from({ length: d }, () => rng()));
  const B = Array.from({ length: n }, () => Array.from({ length: d }, () => rng()));
  const fA = A.map(f);
  const fB = B.map(f);
  const fAB = Array.from({ length: d }, (_, i) => A.map((row, j) => f(row.map((x, k) => (k === i ? B[j]![i]! : x)))));
  return { fA, fB, fAB };
}

/** Bootstrap standard deviations of the indices, from the percentile interval of a normal-ish spread. */
function bootSd(ci: [number, number], confidence: number): number {
  // A central interval of level c spans 2 z sd, z the normal quantile at (1 + c) / 2 (1.96 at 95%).
  const z = confidence === 0.95 ? 1.959963984540054 : NaN;
  return (ci[1] - ci[0]) / (2 * z);
}

describe('Sobol estimators (Saltelli 2010 first order, Jansen total)', () => {
  it('recover the variance shares of a linear model: S_i = a_i^2 / sum a^2, and S_i = ST_i', () => {
    const a = [1, 2, 3, 0.5];
    const { fA, fB, fAB } = saltelliValues(a.length, 20000, (x) => x.reduce((s, xi, i) => s + a[i]! * xi, 0), 'linear');
    const { indices, used } = sobolIndicesFromValues(fA, fB, fAB, 200, 0.95, 'linear');
    expect(used).toBe(20000);
    const truths = linearIndices(a, a.map(() => 1 / 12));
    indices.forEach((ix, i) => {
      const truth = truths.first[i]!;
      // Within 5 bootstrap standard deviations of the estimator.
      expect(Math.abs(ix.first - truth)).toBeLessThan(5 * bootSd(ix.first_ci, 0.95) + 1e-12);
      expect(Math.abs(ix.total - truth)).toBeLessThan(5 * bootSd(ix.total_ci, 0.95) + 1e-12);
      expect(ix.first_ci[0]).toBeLessThanOrEqual(ix.first);
      expect(ix.first_ci[1]).toBeGreaterThanOrEqual(ix.first);
    });
  });

  it('recover the analytic indices of the Sobol G-function (a = 0, 1, 4.5, 9, 99, 99)', () => {
    const a = G_FUNCTION_A;
    const truth = gFunctionIndices(a);
    const { fA, fB, fAB } = saltelliValues(a.length, 40000, gFunction(a), 'g-function');
    const { indices } = sobolIndicesFromValues(fA, fB, fAB, 200, 0.95, 'g');
    indices.forEach((ix, i) => {
      const first = truth.first[i]!;
      const total = truth.total[i]!;
      expect(Math.abs(ix.first - first)).toBeLessThan(5 * bootSd(ix.first_ci, 0.95) + 1e-9);
      expect(Math.abs(ix.total - total)).toBeLessThan(5 * bootSd(ix.total_ci, 0.95) + 1e-9);
    });
    // The ranking is the one the a_i imply.
    expect(indices[0]!.total).toBeGreaterThan(indices[1]!.total);
    expect(indices[1]!.total).toBeGreaterThan(indices[2]!.total);
  });

  it('on independent replicates: centred on the analytic indices, with intervals as wide as the replicates spread', () => {
    // Bounds that do not come from the estimator's own bootstrap: K runs on independent seeds give
    // an empirical sd s of each estimate; their mean must lie within 4 s / sqrt(K) of the truth
    // (the estimators' O(1/n) bias, ~1e-4 here, is far below that), and the bootstrap sd read off
    // each run's 95% interval must match s: their ratio has a relative sampling error of about
    // 1 / sqrt(2 (K - 1)) = 0.13 from s plus a few percent from 100 resamples, so [0.6, 1.6]
    // leaves over 3.5 of those errors each way.
    const a = G_FUNCTION_A;
    const truth = gFunctionIndices(a);
    const K = 30;
    const runs = Array.from({ length: K }, (_, k) => {
      const { fA, fB, fAB } = saltelliValues(a.length, 4000, gFunction(a), `replicate-${k}`);
      return sobolIndicesFromValues(fA, fB, fAB, 100, 0.95, `replicate-${k}`).indices;
    });
    for (const kind of ['first', 'total'] as const) {
      a.forEach((_, i) => {
        const est = runs.map((r) => r[i]![kind]);
        const mean = est.reduce((s, e) => s + e, 0) / K;
        const sd = Math.sqrt(est.reduce((s, e) => s + (e - mean) ** 2, 0) / (K - 1));
        expect(Math.abs(mean - truth[kind][i]!), `${kind} ${i} bias`).toBeLessThan((4 * sd) / Math.sqrt(K) + 1e-12);
        if (truth[kind][i]! < 1e-3) return; // nearly constant factors: both spreads are rounding noise
        const bootstrapSd = runs.reduce((s, r) => s + bootSd(r[i]![kind === 'first' ? 'first_ci' : 'total_ci'], 0.95), 0) / K;
        expect(bootstrapSd / sd, `${kind} ${i} width`).toBeGreaterThan(0.6);
        expect(bootstrapSd / sd, `${kind} ${i} width`).toBeLessThan(1.6);
      });
    }
  });

  it('leaves out rows with an infeasible (NaN) evaluation and says how many it used', () => {
    const { fA, fB, fAB } = saltelliValues(2, 1000, (x) => x[0]! + x[1]!, 'nan');
    fA[3] = NaN;
    fAB[1]![10] = NaN;
    expect(sobolIndicesFromValues(fA, fB, fAB, 10, 0.95, 'x').used).toBe(998);
  });
});

describe('rank correlation', () => {
  it('ranks ties by their average rank', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([1, 2.5, 2.5, 0]);
  });
  it('is 1 for any increasing relation, -1 for a decreasing one, NaN for a constant', () => {
    const x = Array.from({ length: 50 }, (_, i) => i * 0.37);
    expect(spearman(x, x.map((v) => Math.exp(v)))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -v * v))).toBeCloseTo(-1, 12);
    expect(spearman(x, x.map(() => 3))).toBeNaN();
  });
  it('matches the textbook formula 1 - 6 sum d^2 / (n (n^2 - 1)) without ties', () => {
    const x = [1, 2, 3, 4, 5];
    const y = [2, 1, 4, 3, 5];
    // d = (-1, 1, -1, 1, 0): 1 - 6 * 4 / (5 * 24) = 0.8
    expect(spearman(x, y)).toBeCloseTo(0.8, 12);
  });
});

// Cost = K price / u in measured mode with cloud pricing: a product of two independent inputs,
// whose variance shares are known in closed form.
const TOKENS_PER_S = 1000;
const [P1, P2] = [1.5, 3.5];
const [U1, U2] = [0.4, 0.9];
function productPlan(samples: number) {
  return makePlan({
    config: MEASURED_CLOUD,
    inputs: {
      cloud_usd_per_gpu_hour: { kind: 'uniform', min: P1, max: P2 },
      utilization: { kind: 'uniform', min: U1, max: U2 },
      measured_output_tokens_per_s_per_gpu: TOKENS_PER_S,
      it_power_kw_per_gpu: 1,
      pue: 1,
      input_tokens: 1000,
      output_tokens: 250,
    },
    samples,
  });
}
// Y = X Z with X = price, Z = 1/u (test/analytic.ts productIndices).
const PRODUCT = productIndices(P1, P2, U1, U2);
const EX = (P1 + P2) / 2;
const TRUTH = {
  'costs.cloud_usd_per_gpu_hour': { first: PRODUCT.first[0]!, total: PRODUCT.total[0]! },
  'serving.utilization': { first: PRODUCT.first[1]!, total: PRODUCT.total[1]! },
};

const engines = testEngines('test/sensitivity.test.ts', ['cpu2', 'gpu']);

describe.each(engines)('sensitivity analyses on the %s engine', (_name, factory) => {
  let engine: Engine | null = null;
  beforeAll(async () => {
    engine = await factory();
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('Sobol indices of a product of two inputs match the closed form', async (ctx) => {
    if (!engine) return ctx.skip();
    const r = await sobolAnalysis(productPlan(1), engine, { samples: 2 ** 14 });
    expect(r.evaluations).toBe(2 ** 14 * 4);
    const m = r.metrics.cost_per_mtok_output!;
    for (const [path, t] of Object.entries(TRUTH)) {
      const ix = m[path]!;
      expect(Math.abs(ix.first - t.first)).toBeLessThan(5 * bootSd(ix.first_ci, 0.95));
      expect(Math.abs(ix.total - t.total)).toBeLessThan(5 * bootSd(ix.total_ci, 0.95));
    }
    // Price alone drives the cost per GPU-hour: both its indices are 1 (up to the estimator's noise).
    const alone = r.metrics.cost_usd_per_gpu_hour!['costs.cloud_usd_per_gpu_hour']!;
    expect(Math.abs(alone.first - 1)).toBeLessThan(5 * bootSd(alone.first_ci, 0.95));
    expect(Math.abs(alone.total - 1)).toBeLessThan(5 * bootSd(alone.total_ci, 0.95));
  });

  it('Sobol indices of the G-function scenario (scenarios/custom-sobol-g.yaml) match the analytic ones', async (ctx) => {
    if (!engine) return ctx.skip();
    const plan = { ...buildPlan(await loadScenario('scenarios/custom-sobol-g.yaml')), sampling: 'random' as const };
    const r = await sobolAnalysis(plan, engine, { samples: 2 ** 14 });
    const truth = gFunctionIndices(G_FUNCTION_A);
    // Within 5 bootstrap sd, with no additive floor: no true index here is 0 (the smallest,
    // ST of x5 and x6, is 7e-5, and 5 sd of its estimate about 7e-6), so the bound never shrinks to
    // nothing. On the GPU engine each value carries f32 rounding, but that is noise of the
    // values the bootstrap resamples, so the sd already holds it; round-to-nearest leaves no
    // bias of the order of the sd (measured: the GPU's indices and the f64 CPU engine's differ by
    // about 1e-8, against 5 sd of at least 6.5e-6).
    G_FUNCTION_A.forEach((_, i) => {
      const ix = r.metrics.g![`inputs.x${i + 1}`]!;
      const total = truth.total[i]!;
      expect(Math.abs(ix.first - truth.first[i]!)).toBeLessThan(5 * bootSd(ix.first_ci, 0.95));
      expect(Math.abs(ix.total - total)).toBeLessThan(5 * bootSd(ix.total_ci, 0.95));
    });
  });

  it('Sobol indices of a linear model of inputs and metrics alone: S_i = ST_i = a_i^2 var(x_i) / var(y)', async (ctx) => {
    if (!engine) return ctx.skip();
    const text = [
      'name: linear',
      'samples: 16384',
      'inputs:',
      '  x1: { uniform: [0, 1] }',
      '  x2: { normal: { mean: 5, sd: 2 } }',
      '  x3: { triangular: [0, 1, 4] }',
      'metrics:',
      '  y: "3 * x1 + 0.5 * x2 - 2 * x3"',
    ].join('\n');
    const plan = buildPlan(parseScenario(text, 'linear.yaml'));
    const r = await sobolAnalysis(plan, engine, { samples: 2 ** 14 });
    // Variances: uniform 1/12, normal sd^2, triangular (a^2 + b^2 + c^2 - ab - ac - bc) / 18.
    const parts = [9 / 12, 0.25 * 4, (4 * (0 + 1 + 16 - 0 - 0 - 4)) / 18];
    const vy = parts.reduce((x, y) => x + y, 0);
    parts.forEach((p, i) => {
      const ix = r.metrics.y![`inputs.x${i + 1}`]!;
      // Within 5 bootstrap sd and no floor, as for the G-function above (the smallest index is 0.16).
      expect(Math.abs(ix.first - p / vy)).toBeLessThan(5 * bootSd(ix.first_ci, 0.95));
      expect(Math.abs(ix.total - p / vy)).toBeLessThan(5 * bootSd(ix.total_ci, 0.95));
    });
  });

  it('tornado: utilization swings the cost more than price here, with the bars at the inputs P10/P90', async (ctx) => {
    if (!engine) return ctx.skip();
    const r = await tornado(productPlan(50_000), engine, { metric: 'cost_per_mtok_output', statistic: 'p50' });
    expect(r.inputs.map((b) => b.path)).toEqual(['serving.utilization', 'costs.cloud_usd_per_gpu_hour']);
    const util = r.inputs[0]!;
    expect(util.p10_value).toBeCloseTo(U1 + 0.1 * (U2 - U1), 12);
    expect(util.p90_value).toBeCloseTo(U1 + 0.9 * (U2 - U1), 12);
    // With u fixed, the median cost is K median(price) / u, median(price) = EX for a uniform
    // price. The sample median of n draws has standard error sqrt(1/4n) / f = (P2 - P1) / (2 sqrt n)
    // in price (the run keeps exact values at this size): within 5 of those, relative to EX.
    const K = 1e6 / (TOKENS_PER_S * 3600);
    const medianRelSe = (P2 - P1) / (2 * Math.sqrt(50_000)) / EX;
    expect(Math.abs(util.at_p10 / ((K * EX) / util.p10_value) - 1)).toBeLessThan(5 * medianRelSe);
    expect(util.at_p10).toBeGreaterThan(util.at_p90);
  });

  it('rank correlation: cost rises with price and falls with utilization; inputs are redrawn exactly', async (ctx) => {
    if (!engine) return ctx.skip();
    const plan = productPlan(1);
    const r = await rankCorrelation(plan, engine, 20_000);
    const m = r.metrics.cost_per_mtok_output!;
    // The true rank correlations, from an independent draw of 200,000 (price, u) pairs; both
    // estimates compared on Fisher's z scale, where Spearman's r has a standard error of about
    // sqrt(1.06 / (n - 3)) (Fieller, Hartley and Pearson 1957): within 5 of the combined error.
    const rng = seedrandom('rank-truth');
    const nRef = 200_000;
    const refPrice = Float64Array.from({ length: nRef }, () => P1 + (P2 - P1) * rng());
    const refUtil = Float64Array.from({ length: nRef }, () => U1 + (U2 - U1) * rng());
    const refCost = refPrice.map((p, j) => p / refUtil[j]!);
    const zSe = Math.sqrt(1.06 / (20_000 - 3) + 1.06 / (nRef - 3));
    for (const [path, xs] of [['costs.cloud_usd_per_gpu_hour', refPrice], ['serving.utilization', refUtil]] as const) {
      const truth = spearman(Array.from(xs), Array.from(refCost));
      expect(Math.abs(Math.atanh(m[path]!) - Math.atanh(truth)), path).toBeLessThan(5 * zSe);
    }
    expect(m['costs.cloud_usd_per_gpu_hour']!).toBeGreaterThan(0);
    expect(m['serving.utilization']!).toBeLessThan(0);
    expect(r.metrics.cost_usd_per_gpu_hour!['costs.cloud_usd_per_gpu_hour']!).toBeCloseTo(1, 10);
    // The host's redraw of an input equals what the CPU engine drew: cost_usd_per_gpu_hour is the price.
    const price = plan.inputs.find((i) => i.path === 'costs.cloud_usd_per_gpu_hour')!;
    const drawn = runRange({ ...plan, samples: 64 }, { start: 0, count: 64, mode: 'exact' }).values![plan.metrics.indexOf('cost_usd_per_gpu_hour')]!;
    expect(Array.from(drawn)).toEqual(Array.from(Float32Array.from(inputSamples(plan, price, 64))));
  });
});
