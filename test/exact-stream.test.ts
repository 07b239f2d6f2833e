/**
 * Exact quantiles without keeping the values (StreamingOrderStatistics, src/aggregate/select.ts,
 * and simulate's two passes): the order statistics, means, variances, exceedance counts and CDF
 * points are identical (Object.is) to those of every value kept and sorted, on lists and on both
 * engines, with ties, negatives, zeros of both signs and constants.
 */
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COLLECT_AT_MOST,
  QUANTILES,
  QUANTILE_KEYS,
  StreamingOrderStatistics,
  emptyPartial,
  quantileRanks,
  sortedQuantile,
  summarize,
} from '../src/aggregate/index.js';
import { EXACT_KEEP_AT_MOST, converge, exactMemoryBytes, simulate, type UntilCondition } from '../src/analysis/index.js';
import type { Engine, RunRequest } from '../src/engine/index.js';
import { buildPlan, type Plan } from '../src/plan/index.js';
import { loadCatalog, parseScenario } from '../src/scenario/index.js';
import { testEngines } from './gpu-device.js';

type Gen = (rng: () => number, i: number) => number;

/** Lists that stress each way a chosen bucket goes: kept and sorted, or counted by its low bits. */
const GENERATORS: Record<string, Gen> = {
  // Spread out: every bucket small, kept.
  lognormal: (rng) => Math.exp(Math.sqrt(-2 * Math.log(rng() || 1e-12)) * Math.cos(2 * Math.PI * rng())),
  // Heavy ties: buckets of tens of thousands of equal values, more than COLLECT_AT_MOST at the
  // larger sizes (counted).
  'few distinct values, negatives': (rng) => Math.floor(rng() * 5) - 2,
  constant: () => 3.25,
  'signed zeros and tiny values': (rng) => [0, -0, 1e-30, -1e-30, -0][Math.floor(rng() * 5)]!,
  // Most values in one narrow bucket (counted), the rest spread (kept).
  'narrow spike over a wide spread': (rng) => (rng() < 0.7 ? 1 + rng() * 1e-3 : (rng() - 0.5) * 10 ** Math.floor(rng() * 20 - 10)),
};

function list(name: string, n: number, seed: string): Float32Array {
  const rng = seedrandom(seed);
  const a = Float32Array.from({ length: n }, (_, i) => GENERATORS[name]!(rng, i));
  // Some samples without a value (NaN of either sign), left out as summarize leaves them out.
  for (let j = 3; j < n; j += 11) a[j] = rng() < 0.5 ? NaN : -NaN;
  return a;
}

/** `values` cut into pieces of random lengths (as engine calls hand them over). */
function pieces(values: Float32Array, seed: string): Float32Array[] {
  const rng = seedrandom(seed);
  const out: Float32Array[] = [];
  for (let at = 0; at < values.length; ) {
    const len = Math.min(values.length - at, 1 + Math.floor(rng() * 50_000));
    out.push(values.subarray(at, at + len));
    at += len;
  }
  return out.length ? out : [values];
}

describe('StreamingOrderStatistics', () => {
  for (const name of Object.keys(GENERATORS)) {
    for (const n of [0, 1, 5, 1000, 300_000]) {
      it(`finds what a full sort and summarize find (${name}, n = ${n})`, () => {
        // Two pairs: the list and its negation (every key order reversed), passed together.
        const a = list(name, n, `${name}-${n}`);
        const b = a.map((x) => -x);
        const thresholds = [[-1, -0, 0, 1, 3.25], [0, 2]];
        const s = new StreamingOrderStatistics(2, thresholds);
        const rng = seedrandom(`ranks-${name}-${n}`);
        const asked: number[][] = [[], []];
        const parts = pieces(a, `cut-${name}-${n}`);
        for (const p of parts) s.first([p, b.subarray(p.byteOffset / 4, p.byteOffset / 4 + p.length)]);
        s.choose((i, m) => {
          if (m === 0) return [];
          const r = [...quantileRanks(m, QUANTILES), 0, m - 1, ...Array.from({ length: 30 }, () => Math.floor(rng() * m))];
          asked[i] = r;
          return r;
        });
        for (const p of parts) s.second([p, b.subarray(p.byteOffset / 4, p.byteOffset / 4 + p.length)]);
        const digests = s.result();

        [a, b].forEach((values, i) => {
          const d = digests[i]!;
          const sorted = values.filter((v) => v === v).sort();
          expect(d.order.count).toBe(sorted.length);
          for (const r of asked[i]!) expect(Object.is(d.order.at.get(r), sorted[r]), `pair ${i} rank ${r}`).toBe(true);
          thresholds[i]!.forEach((x, k) => expect(d.atMost[k]).toBe(sorted.filter((v) => v <= x).length));
          // The mean and variance summarize computes from the kept values, bit for bit.
          const partial = emptyPartial(1, 1, 'exact');
          partial.values = [values];
          partial.count[0] = sorted.length;
          const kept = summarize(partial, null)[0]!.stats;
          const streamed = summarize({ ...partial, values: null }, null, [d])[0]!.stats;
          expect(streamed).toEqual(kept);
          if (sorted.length) QUANTILES.forEach((p, k) => expect(Object.is(streamed[QUANTILE_KEYS[k]!], sortedQuantile(sorted, p))).toBe(true));
        });
      });
    }
  }

  it('counts (not keeps) a bucket fuller than COLLECT_AT_MOST, and keeps a small one', () => {
    const n = 4 * COLLECT_AT_MOST;
    // Half constant (one bucket of 2^17 values), half spread: the median's bucket is counted.
    const rng = seedrandom('mixed');
    const a = Float32Array.from({ length: n }, (_, j) => (j % 2 ? 7 : 1 + 100 * rng()));
    const s = new StreamingOrderStatistics(1);
    s.first([a]);
    s.choose((_, m) => [0, Math.floor(m / 2), m - 1]);
    s.second([a]);
    const sorted = Float32Array.from(a).sort();
    const d = s.result()[0]!;
    expect([d.order.at.get(0), d.order.at.get(n / 2), d.order.at.get(n - 1)]).toEqual([sorted[0], sorted[n / 2], sorted[n - 1]]);
  });

  it('says so when the second pass does not give the first pass values', () => {
    const a = Float32Array.from({ length: 1000 }, (_, j) => j);
    const s = new StreamingOrderStatistics(1);
    s.first([a]);
    s.choose(() => [500]);
    // Only counts are compared: a pass that puts more values in a kept bucket, or fewer.
    expect(() => s.second([a.map(() => 500)])).toThrow(/other values than the first/);
    const t = new StreamingOrderStatistics(1);
    t.first([a]);
    t.choose(() => [500]);
    t.second([a.subarray(0, 999)]);
    expect(() => t.result()).toThrow(/other values than the first/);
    const u = new StreamingOrderStatistics(1);
    u.first([a]);
    u.choose(() => [500]);
    u.second([a.subarray(0, 501)]);
    expect(() => u.result()).toThrow(/other values than the first/);
  });
});

const catalog = loadCatalog();
/**
 * Metrics with heavy ties and negatives (y), zeros of both signs (z: 0 times a value of either
 * sign), a spread with negatives (w), a constant (k) and one without values for half the samples (v).
 */
const SCENARIO = `name: ties
seed: ties
inputs:
  x1: { uniform: [0, 1] }
  x2: { normal: { mean: 0, sd: 3 } }
  x3: { sweep: [1, 2] }
metrics:
  y: "floor(4*x1) - 2"
  z: "0 * (x1 - 0.5)"
  w: "x2 * x1 * x3"
  k: "x1 * 0 + 3.25"
  v: "log(x1 - 0.5)"
`;

describe.each(testEngines('test/exact-stream.test.ts', ['cpu2', 'gpu']))('exact runs that stream, on the %s engine', (_name, factory) => {
  let engine: Engine | null = null;
  beforeAll(async () => {
    engine = await factory();
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('give the result of keeping every value, identical to a full sort of the values', async (ctx) => {
    if (!engine) return ctx.skip();
    const n = 2 * EXACT_KEEP_AT_MOST + 4096;
    const plan: Plan = buildPlan(parseScenario(SCENARIO, 'ties.yaml', { catalog }), { samples: n });
    let calls = 0;
    const counting: Engine = { ...engine, run: (p: Plan, r: RunRequest) => (calls++, engine!.run(p, r)) };
    const options = { quantiles: 'exact' as const, exactValues: 'stream' as const, probabilityBelow: { y: [-1, 0.5], z: [-0, 0], w: [-3, 0, 3] }, cdfPoints: 11, chunkSamples: 40_000 };
    const streamed = await simulate(plan, counting, options);
    // It streamed: no values kept, two passes of four engine calls each.
    expect(streamed.partial.values).toBeNull();
    expect(streamed.exact).not.toBeNull();
    expect(calls).toBe(2 * Math.ceil(n / 36_864));
    const kept = await simulate(plan, engine, { ...options, exactValues: 'keep' });
    expect(kept.partial.values).not.toBeNull();
    const strip = (r: typeof streamed.result) => ({ ...r, elapsed_s: 0, samples_per_s: 0 });
    expect(strip(streamed.result)).toEqual(strip(kept.result));

    // Against a plain sort of every value of one engine call over all the samples.
    const all = await engine.run(plan, { start: 0, count: n, mode: 'exact' });
    const nm = plan.metrics.length;
    let signedZeros = 0;
    streamed.result.cells.forEach((cell, c) => {
      plan.metrics.forEach((m, k) => {
        const sorted = all.values![c * nm + k]!.filter((x) => x === x).sort();
        const stats = cell.metrics[m]!;
        QUANTILES.forEach((p, q) => expect(Object.is(stats[QUANTILE_KEYS[q]!], sortedQuantile(sorted, p)), `${m} cell ${c} p${p}`).toBe(true));
        if (m === 'z') signedZeros += sorted.some((x) => Object.is(x, -0)) && sorted.some((x) => Object.is(x, 0)) ? 1 : 0;
      });
    });
    // The CPU engine gives both zeros for z (0 times a negative is -0 in f64 and in f32), so
    // the test does test them there; the GPU engine's kernel gives +0 for both.
    if (engine.info.kind === 'cpu') expect(signedZeros).toBe(2);
    expect(streamed.result.cells[0]!.metrics['k']!.p50).toBe(3.25);
  }, 120_000);

  it('let the engine call in flight finish before an error of the counting goes up', async (ctx) => {
    if (!engine) return ctx.skip();
    const n = 2 * EXACT_KEEP_AT_MOST + 4096;
    const plan: Plan = buildPlan(parseScenario(SCENARIO, 'ties.yaml', { catalog }), { samples: n });
    let started = 0;
    let finished = 0;
    const counting: Engine = {
      ...engine,
      run: (p: Plan, r: RunRequest) => (started++, engine!.run(p, r).finally(() => finished++)),
    };
    const options = {
      quantiles: 'exact' as const,
      exactValues: 'stream' as const,
      chunkSamples: 40_000,
      exactRanks: (): number[] => {
        throw new Error('no ranks here');
      },
    };
    await expect(simulate(plan, counting, options)).rejects.toThrow('no ranks here');
    // The ranks are chosen after pass 1's last call, while pass 2's first call runs.
    expect(started).toBe(Math.ceil(n / 36_864) + 1);
    expect(finished).toBe(started);
  }, 120_000);

  it('converge to the same rounds and intervals as runs that keep their values', async (ctx) => {
    if (!engine) return ctx.skip();
    const plan = buildPlan(parseScenario(SCENARIO, 'ties.yaml', { catalog }), { samples: EXACT_KEEP_AT_MOST + 4096 });
    // Tight enough for a second round; p10 of w and p90 of y read order statistics at both ends.
    const conditions: UntilCondition[] = [
      { metric: 'w', statistic: 'p10', relativeHalfWidth: 0.01 },
      { metric: 'y', statistic: 'p90', relativeHalfWidth: 0.5 },
    ];
    const options = { conditions, quantiles: 'exact' as const, exactValues: 'stream' as const, maxSamples: 4 * EXACT_KEEP_AT_MOST };
    const streamed = await converge(plan, engine, options);
    const kept = await converge(plan, engine, { ...options, exactValues: 'keep' });
    expect(streamed.partial.values).toBeNull();
    expect(kept.partial.values).not.toBeNull();
    const strip = (r: typeof streamed.result) => ({
      ...r,
      elapsed_s: 0,
      samples_per_s: 0,
      convergence: { ...r.convergence, rounds: r.convergence.rounds.map((x) => ({ ...x, elapsed_s: 0 })) },
    });
    expect(strip(streamed.result)).toEqual(strip(kept.result));
    expect(streamed.result.convergence.rounds.length).toBeGreaterThan(1);
    expect(streamed.result.convergence.conditions.every((c) => c.cells.every((cell) => Number.isFinite(cell.lower) && Number.isFinite(cell.upper)))).toBe(true);
  }, 120_000);

  it('take memory that does not grow with the samples', () => {
    const plan = (samples: number) => buildPlan(parseScenario(SCENARIO, 'ties.yaml', { catalog }), { samples });
    expect(exactMemoryBytes(plan(2 ** 30))).toBe(exactMemoryBytes(plan(2 ** 21)));
    expect(exactMemoryBytes(plan(2 ** 30), 'keep')).toBe(2 ** 30 * 2 * 5 * 4);
  });
});
