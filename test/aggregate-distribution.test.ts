/**
 * Distributions of a run (src/aggregate/distribution.ts): the coarse histogram and the CDF that
 * charts draw and `--format cdf|hist|dist-json` exports, from exact values and from the engines'
 * fine histograms.
 */
import { describe, expect, it } from 'vitest';
import {
  CDF_POINTS,
  COARSE_BINS,
  distributions,
  emptyPartial,
  HIST_STRIDE,
  histBin,
  LOG_SPAN_RATIO,
  spansDecades,
  type HistSpec,
  type PartialSums,
} from '../src/aggregate/index.js';
import { formatCdfCsv, formatDistributionJson, formatHistCsv } from '../src/report/index.js';
import type { RunResult } from '../src/analysis/index.js';

/** n values of a uniform on [a, b] at the midpoints of n equal strata (a known CDF: (x - a) / (b - a)). */
function strata(n: number, a: number, b: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => a + ((b - a) * (i + 0.5)) / n);
}

function exactPartial(values: Float32Array[]): PartialSums {
  const p = emptyPartial(1, values.length, 'exact');
  p.values = values;
  values.forEach((v, i) => {
    p.count[i] = v.length;
    p.min[i] = Math.min(...v);
    p.max[i] = Math.max(...v);
  });
  p.samples = values[0]!.length;
  return p;
}

function histPartial(values: Float32Array, spec: HistSpec): PartialSums {
  const p = emptyPartial(1, 1, 'hist');
  for (const x of values) p.hist![histBin(spec, x)]!++;
  p.count[0] = values.length;
  p.min[0] = Math.min(...values);
  p.max[0] = Math.max(...values);
  p.samples = values.length;
  return p;
}

describe('distribution from exact values', () => {
  const n = 6400;
  const [d] = distributions(exactPartial([strata(n, 2, 4)]), null);
  it('bins every value once, in COARSE_BINS bins from min to max', () => {
    expect(d!.bins).toHaveLength(COARSE_BINS);
    expect(d!.bins.reduce((a, b) => a + b.count, 0)).toBe(n);
    expect(d!.bins[0]!.lo).toBe(d!.min);
    expect(d!.bins.at(-1)!.hi).toBe(d!.max);
    // Equal strata in equal bins: 100 each (give or take the f32 rounding of a value on an edge).
    for (const b of d!.bins) expect(Math.abs(b.count - n / COARSE_BINS)).toBeLessThanOrEqual(1);
  });
  it('gives the CDF at CDF_POINTS probabilities, 0 and 1 at the extremes, and (x - a)/(b - a) between', () => {
    expect(d!.cdf).toHaveLength(CDF_POINTS);
    expect(d!.cdf[0]).toEqual({ p: 0, x: d!.min });
    expect(d!.cdf.at(-1)).toEqual({ p: 1, x: d!.max });
    // Type-7 quantiles of the strata midpoints: x(p) = a + (b - a) (0.5 + p (n - 1)) / n.
    for (const { p, x } of d!.cdf) expect(x).toBeCloseTo(2 + (2 * (0.5 + p * (n - 1))) / n, 5);
  });
  it('is linear for values within a ratio of LOG_SPAN_RATIO, log beyond', () => {
    expect(d!.log).toBe(false);
    const [wide] = distributions(exactPartial([strata(1000, 0.01, 10)]), null);
    expect(wide!.log).toBe(true);
    // Log bins: each edge a constant ratio above the last.
    const r0 = wide!.bins[1]!.lo / wide!.bins[0]!.lo;
    const r1 = wide!.bins[40]!.lo / wide!.bins[39]!.lo;
    expect(r1).toBeCloseTo(r0, 9);
    expect(spansDecades(1, LOG_SPAN_RATIO)).toBe(true);
    expect(spansDecades(1, LOG_SPAN_RATIO * 0.99)).toBe(false);
    expect(spansDecades(-1, 100)).toBe(false);
  });
  it('leaves out NaN (samples without a value) and keeps a constant metric as one bin', () => {
    const [withNaN, constant] = distributions(exactPartial([Float32Array.from([1, NaN, 3, 2]), Float32Array.from([5, 5, 5, 5])]), null);
    expect(withNaN!.count).toBe(3);
    expect(withNaN!.bins.reduce((a, b) => a + b.count, 0)).toBe(3);
    expect(constant!.bins).toEqual([{ lo: 5, hi: 5, count: 4 }]);
  });
});

describe('distribution from the engines\' fine histograms', () => {
  const values = strata(65536, 2, 4);
  const exact = distributions(exactPartial([values]), null)[0]!;
  it('merges fine bins into coarse ones that hold every count', () => {
    const d = distributions(histPartial(values, { lo: 1, hi: 5, log: false }), [{ lo: 1, hi: 5, log: false }])[0]!;
    expect(d.source).toBe('histogram');
    expect(d.bins.reduce((a, b) => a + b.count, 0)).toBe(values.length);
    // Bins wholly outside [min, max] are left out: the first bin starts at the smallest value.
    expect(d.bins[0]!.lo).toBe(d.min);
    expect(d.bins.at(-1)!.hi).toBe(d.max);
  });
  it('gives a CDF within a fine bin of the exact one', () => {
    const spec = { lo: 1, hi: 5, log: false };
    const d = distributions(histPartial(values, spec), [spec])[0]!;
    const binWidth = (spec.hi - spec.lo) / (HIST_STRIDE - 2);
    d.cdf.forEach((c, k) => expect(Math.abs(c.x - exact.cdf[k]!.x)).toBeLessThanOrEqual(binWidth));
  });
  it('keeps values beyond the pilot\'s range in underflow and overflow bins reaching min and max', () => {
    const spec = { lo: 2.5, hi: 3.5, log: false };
    const d = distributions(histPartial(values, spec), [spec])[0]!;
    expect(d.bins[0]).toMatchObject({ lo: d.min, hi: 2.5 });
    expect(d.bins[0]!.count).toBe(values.filter((x) => x < 2.5).length);
    expect(d.bins.at(-1)).toMatchObject({ lo: 3.5, hi: d.max });
    expect(d.bins.reduce((a, b) => a + b.count, 0)).toBe(values.length);
  });
});

describe('distribution export', () => {
  const result: RunResult = {
    cptsim: '0', scenario: 's', seed: 'x', samples: 4, backend: { kind: 'cpu', adapter: '1 thread', software: false },
    elapsed_s: 1, samples_per_s: 4, quantiles: { method: 'exact' },
    cells: [8, 16].map((b) => ({ point: { 'serving.batch_size': b }, samples: 4, infeasible_fraction: 0, metrics: { a: {} as never, b: {} as never } })),
  };
  const p = emptyPartial(2, 2, 'exact');
  p.values = [Float32Array.from([1, 2]), Float32Array.from([3, 4]), Float32Array.from([5, 6]), Float32Array.from([7, 8])];
  const dists = distributions(p, null);
  it('cdf CSV: one row per cell, metric and probability, with the sweep point', () => {
    const lines = formatCdfCsv(result, dists).trimEnd().split('\n');
    expect(lines[0]).toBe('cell,serving.batch_size,metric,p,value');
    expect(lines).toHaveLength(1 + 4 * CDF_POINTS);
    expect(lines[1]).toBe('0,8,a,0,1');
    expect(lines.at(-1)).toBe('1,16,b,1,8');
  });
  it('hist CSV: bins with count and fraction; every cell and metric sums to its count', () => {
    const lines = formatHistCsv(result, dists).trimEnd().split('\n');
    expect(lines[0]).toBe('cell,serving.batch_size,metric,lo,hi,count,fraction');
    const rows = lines.slice(1).map((l) => l.split(','));
    const total = rows.filter((r) => r[0] === '1' && r[2] === 'a').reduce((a, r) => a + Number(r[5]), 0);
    expect(total).toBe(2);
    expect(rows.filter((r) => r[0] === '1' && r[2] === 'a').reduce((a, r) => a + Number(r[6]), 0)).toBeCloseTo(1, 12);
  });
  it('dist-json: the run header, then per cell and metric the bins and the CDF', () => {
    const j = JSON.parse(formatDistributionJson(result, dists));
    expect(Object.keys(j)).toEqual(['cptsim', 'scenario', 'seed', 'samples', 'backend', 'quantiles', 'cells']);
    expect(j.cells[1].point).toEqual({ 'serving.batch_size': 16 });
    expect(Object.keys(j.cells[1].metrics.b)).toEqual(['count', 'min', 'max', 'log', 'source', 'bins', 'cdf']);
    expect(j.cells[1].metrics.b.min).toBe(7);
  });
  it('refuses distributions that do not match the result\'s cells and metrics', () => {
    expect(() => formatCdfCsv(result, dists.slice(1))).toThrow(/no distribution for cell 1, metric b/);
    expect(() => formatCdfCsv(result, [...dists, dists[0]!])).toThrow(/5 distributions for 4/);
  });
});
