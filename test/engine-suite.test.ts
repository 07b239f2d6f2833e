/**
 * One suite, run against every engine (CPU on one thread, CPU on worker threads, GPU when an
 * adapter exists): closed-form Monte Carlo checks, determinism, chunk and thread independence,
 * sweep cells equal to fixed runs, infeasible counting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate, type SimulateOptions } from '../src/analysis/index.js';
import type { Plan } from '../src/plan/index.js';
import type { Engine } from '../src/engine/index.js';
import { testEngines } from './gpu-device.js';
import { HALF_FEASIBLE_INPUTS, MEASURED_CLOUD, makePlan } from './helpers/plans.js';

const engines = testEngines('test/engine-suite.test.ts');

// cost_per_mtok_output = price / (tokens_per_s * u * 3600) * 1e6 = K / u (docs/model.md, measured mode)
const PRICE_USD_PER_GPU_HOUR = 2;
const TOKENS_PER_S = 1000;
const K = (PRICE_USD_PER_GPU_HOUR / (TOKENS_PER_S * 3600)) * 1e6;
const [A, B] = [0.4, 0.9];

function costOverUPlan(samples: number, seed = 'closed-form') {
  return makePlan({
    config: MEASURED_CLOUD,
    inputs: {
      cloud_usd_per_gpu_hour: PRICE_USD_PER_GPU_HOUR,
      measured_output_tokens_per_s_per_gpu: TOKENS_PER_S,
      utilization: { kind: 'uniform', min: A, max: B },
      it_power_kw_per_gpu: 1,
      pue: 1,
      input_tokens: 1000,
      output_tokens: 250,
    },
    samples,
    seed,
  });
}

describe.each(engines)('engine: %s', (_name, factory) => {
  let engine: Engine | null = null;
  beforeAll(async () => {
    engine = await factory();
  });
  afterAll(async () => {
    await engine?.dispose();
  });
  const run = async (plan: Plan, options?: SimulateOptions) => {
    return (await simulate(plan, engine!, options)).result;
  };

  it('reproduces the closed form of cost = C/u for uniform u: mean and quantiles', async (ctx) => {
    if (!engine) return ctx.skip();
    const n = 400_000;
    const r = await run(costOverUPlan(n));
    const s = r.cells[0]!.metrics.cost_per_mtok_output!;
    // E[1/u] = ln(b/a)/(b-a); Var[1/u] = 1/(ab) - E[1/u]^2.
    const mean = (K * Math.log(B / A)) / (B - A);
    const sd = K * Math.sqrt(1 / (A * B) - (Math.log(B / A) / (B - A)) ** 2);
    // 5 standard errors: a false alarm about once in 3.5 million runs.
    expect(Math.abs(s.mean - mean)).toBeLessThan((5 * sd) / Math.sqrt(n));
    // The sample sd's standard error, sqrt((mu4 - sigma^4) / (4 n sigma^2)), from the raw moments
    // of Z = 1/u: E[Z^k] = (A^(1-k) - B^(1-k)) / ((k - 1) (B - A)) for k >= 2.
    const m1 = Math.log(B / A) / (B - A);
    const raw = (k: number) => (A ** (1 - k) - B ** (1 - k)) / ((k - 1) * (B - A));
    const mu4 = K ** 4 * (raw(4) - 4 * m1 * raw(3) + 6 * m1 * m1 * raw(2) - 3 * m1 ** 4);
    const sdSe = Math.sqrt((mu4 - sd ** 4) / (4 * n * sd * sd));
    expect(Math.abs(s.sd - sd)).toBeLessThan(5 * sdSe);
    for (const [key, p] of [['p10', 0.1], ['p50', 0.5], ['p90', 0.9]] as const) {
      // cost's p-quantile is K / u's (1-p)-quantile; the empirical quantile's standard error is
      // sqrt(p(1-p)/n) / f(q), with the density of K/u: f(c) = K / ((b - a) c^2).
      const q = K / (A + (1 - p) * (B - A));
      const se = (Math.sqrt((p * (1 - p)) / n) * (B - A) * q * q) / K;
      expect(Math.abs(s[key] - q)).toBeLessThan(5 * se);
    }
    expect(r.quantiles.method).toBe('exact');
  });

  it('quasi-Monte Carlo: at 2^14 samples Sobol and LHS estimate the mean of C/u better than plain Monte Carlo', async (ctx) => {
    if (!engine) return ctx.skip();
    const n = 2 ** 14;
    const truth = (K * Math.log(B / A)) / (B - A);
    const rms = async (sampling: 'random' | 'lhs' | 'sobol') => {
      let ss = 0;
      const seeds = 12;
      for (let k = 0; k < seeds; k++) {
        const r = await run({ ...costOverUPlan(n, `qmc-${k}`), sampling });
        ss += (r.cells[0]!.metrics.cost_per_mtok_output!.mean - truth) ** 2;
      }
      return Math.sqrt(ss / seeds);
    };
    const mc = await rms('random');
    const sobol = await rms('sobol');
    const lhs = await rms('lhs');
    // Plain MC's RMS error is sd / sqrt(n) (about 0.004 here); a scrambled Sobol net of a smooth
    // one-dimensional integrand converges like n^-1.5, LHS like n^-1 for a monotone one.
    expect(sobol).toBeLessThan(mc / 10);
    expect(lhs).toBeLessThan(mc / 10);
  });

  it('gives the same numbers for the same seed, and different ones for another seed', async (ctx) => {
    if (!engine) return ctx.skip();
    const a = await run(costOverUPlan(50_000));
    const b = await run(costOverUPlan(50_000));
    const c = await run(costOverUPlan(50_000, 'another seed'));
    expect(b.cells).toEqual(a.cells);
    expect(c.cells[0]!.metrics.cost_per_mtok_output!.mean).not.toBe(a.cells[0]!.metrics.cost_per_mtok_output!.mean);
  });

  it('does not depend on how the samples are split into chunks (exact and histogram quantiles)', async (ctx) => {
    if (!engine) return ctx.skip();
    for (const quantiles of ['exact', 'hist'] as const) {
      const whole = await run(costOverUPlan(100_001), { quantiles });
      const chunked = await run(costOverUPlan(100_001), { quantiles, chunkSamples: 30_000 });
      const w = whole.cells[0]!.metrics.cost_per_mtok_output!;
      const c = chunked.cells[0]!.metrics.cost_per_mtok_output!;
      for (const key of ['p1', 'p10', 'p50', 'p90', 'p99', 'min', 'max'] as const) expect(c[key]).toBe(w[key]);
      // Sums are added in a different order: equal to f64 rounding of ~1e5 terms.
      expect(c.mean / w.mean).toBeCloseTo(1, 9);
    }
  });

  it('makes a sweep cell equal to the run with that value fixed (common random numbers)', async (ctx) => {
    if (!engine) return ctx.skip();
    const inputs = {
      cloud_usd_per_gpu_hour: { kind: 'triangular', min: 1.5, mode: 2, max: 3.5 } as const,
      measured_output_tokens_per_s_per_gpu: TOKENS_PER_S,
      it_power_kw_per_gpu: 1,
      pue: 1,
      input_tokens: 1000,
      output_tokens: 250,
    };
    const swept = await run(makePlan({ config: MEASURED_CLOUD, inputs, sweep: { utilization: [0.5, 0.7] }, samples: 20_000 }));
    const fixed = await run(makePlan({ config: MEASURED_CLOUD, inputs: { ...inputs, utilization: 0.7 }, samples: 20_000 }));
    expect(swept.cells).toHaveLength(2);
    expect(swept.cells[1]!.point).toEqual({ 'serving.utilization': 0.7 });
    expect(swept.cells[1]!.metrics).toEqual(fixed.cells[0]!.metrics);
    expect(swept.cells[0]!.metrics.cost_per_mtok_output!.mean).toBeGreaterThan(fixed.cells[0]!.metrics.cost_per_mtok_output!.mean);
  });

  it('counts samples whose model does not fit in memory as infeasible and leaves them out', async (ctx) => {
    if (!engine) return ctx.skip();
    // 50e9 parameters at 16 bits = 100 GB of weights on one GPU of U(50, 150) GB: infeasible
    // when hbm_gb < 100 + the KV of one sequence (a few MB), i.e. with probability ~ 0.5.
    const n = 100_000;
    const plan = makePlan({
      config: { ...MEASURED_CLOUD, throughput: 0 },
      inputs: { ...HALF_FEASIBLE_INPUTS, output_tokens: 100, batch_size: 8, mbu_decode: 0.6 },
      samples: n,
    });
    const r = await run(plan);
    const kvGb = (1100 * 2 * 10 * 8 * 64 * 2) / 1e9;
    const p = (150 - (100 + kvGb)) / 100;
    // Binomial: 5 standard errors.
    expect(Math.abs(r.cells[0]!.infeasible_fraction - (1 - p))).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    const be = r.cells[0]!.metrics.batch_effective!;
    expect(be.min).toBeGreaterThanOrEqual(1);
    expect(be.max).toBe(8);

    // keepInfeasible: every sample stays in place, NaN where infeasible, so runs line up.
    const kept = await engine.run({ ...plan, samples: 1001 }, { start: 3, count: 1001, mode: 'exact', keepInfeasible: true });
    const v = kept.values![0]!;
    expect(v.length).toBe(1001);
    expect(v.filter((x) => Number.isNaN(x)).length).toBe(kept.infeasible[0]);
    const dropped = await engine.run({ ...plan, samples: 1001 }, { start: 3, count: 1001, mode: 'exact' });
    expect(Array.from(dropped.values![0]!)).toEqual(Array.from(v).filter((x) => !Number.isNaN(x)));
  });
});
