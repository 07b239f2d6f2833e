import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import {
  emptyPartial,
  HIST_BINS,
  HIST_STRIDE,
  histBin,
  histQuantile,
  histSpecsFromPilot,
  mergePartials,
  sortedQuantile,
  summarize,
  type HistSpec,
  type PartialSums,
} from '../src/aggregate/index.js';

/** Accumulates values into a one-cell, one-metric partial the way both engines do. */
function accumulate(values: number[], mode: 'exact' | 'hist', spec?: HistSpec, shift = 0): PartialSums {
  const p = emptyPartial(1, 1, mode, Float64Array.of(shift));
  p.samples = values.length;
  for (const v of values) {
    const d = v - shift;
    p.count[0]!++;
    p.sum[0]! += d;
    p.sumSq[0]! += d * d;
    p.min[0] = Math.min(p.min[0]!, v);
    p.max[0] = Math.max(p.max[0]!, v);
    if (p.hist) p.hist[histBin(spec!, v)]!++;
  }
  if (p.values) p.values[0] = Float32Array.from(values);
  return p;
}

function lognormalSample(n: number, seed: string): number[] {
  const rng = seedrandom(seed);
  return Array.from({ length: n }, () => {
    const u1 = rng() || 1e-12;
    const u2 = rng();
    return Math.exp(0.3 * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  });
}

describe('sortedQuantile (type 7)', () => {
  it('interpolates linearly between order statistics', () => {
    const s = [1, 2, 3, 4, 5];
    expect(sortedQuantile(s, 0)).toBe(1);
    expect(sortedQuantile(s, 1)).toBe(5);
    expect(sortedQuantile(s, 0.5)).toBe(3);
    // h = (5 - 1) * 0.1 = 0.4: 1 + 0.4 * (2 - 1)
    expect(sortedQuantile(s, 0.1)).toBeCloseTo(1.4, 12);
  });
});

describe('histogram bins', () => {
  const spec: HistSpec = { lo: 1, hi: 16, log: true };
  it('puts values below lo in the underflow bin and at or above hi in the overflow bin', () => {
    expect(histBin(spec, 0.5)).toBe(0);
    expect(histBin(spec, 0)).toBe(0);
    expect(histBin(spec, -3)).toBe(0);
    expect(histBin(spec, 16)).toBe(HIST_BINS + 1);
    expect(histBin(spec, 1)).toBe(1);
  });
  it('spaces log bins evenly in log2: 4 octaves over 4096 bins puts 2 at bin 1 + 1024', () => {
    expect(histBin(spec, 2)).toBe(1 + 1024);
    expect(histBin(spec, 4)).toBe(1 + 2048);
  });
});

describe('histogram quantiles', () => {
  const values = lognormalSample(200_000, 'hist');
  const exact = accumulate(values, 'exact');
  const spec = histSpecsFromPilot(accumulate(values.slice(0, 16384), 'exact'))[0]!;
  const hist = accumulate(values, 'hist', spec);
  const sorted = Float64Array.from(values).sort();

  it('pads the pilot range by at least a quarter octave and rounds it out to quarter octaves', () => {
    expect(Number.isInteger(4 * Math.log2(spec.lo))).toBe(true);
    expect(Number.isInteger(4 * Math.log2(spec.hi))).toBe(true);
    expect(spec.lo).toBeLessThanOrEqual(Math.min(...values.slice(0, 16384)) / 2 ** 0.25);
    expect(spec.hi).toBeGreaterThanOrEqual(Math.max(...values.slice(0, 16384)) * 2 ** 0.25);
  });

  it('agrees with exact quantiles within the stated binning bound', () => {
    for (const p of [0.01, 0.1, 0.5, 0.9, 0.99]) {
      const q = histQuantile(hist.hist!, 0, spec, hist.min[0]!, hist.max[0]!, hist.count[0]!, p);
      const truth = sortedQuantile(sorted, p);
      // The quantile lies in the same bin as the true one: its error is at most one bin width.
      expect(Math.abs(q.value - truth) / truth).toBeLessThanOrEqual(q.relError);
      // 4096 log bins over <= 2^8 of range: one bin is below 2^(8/4096) - 1 = 0.14%.
      expect(q.relError).toBeLessThan(2 ** (Math.log2(spec.hi / spec.lo) / HIST_BINS) - 1 + 1e-12);
    }
  });

  it('reports the same mean and sd from shifted sums as from the values', () => {
    const [se] = summarize(exact, null);
    const shifted = accumulate(values, 'hist', spec, 1.05);
    const [sh] = summarize(shifted, [spec]);
    expect(sh!.stats.mean).toBeCloseTo(se!.stats.mean, 10);
    expect(sh!.stats.sd / se!.stats.sd).toBeCloseTo(1, 6);
    expect(sh!.quantileErrorBound).toBeGreaterThan(0);
    expect(se!.quantileErrorBound).toBe(0);
  });
});

describe('merging partials', () => {
  const a = lognormalSample(5000, 'a');
  const b = lognormalSample(7000, 'b');
  const spec: HistSpec = { lo: 0.25, hi: 4, log: true };

  it('gives the same counts and histograms as one pass over all values, in either order', () => {
    const whole = accumulate([...a, ...b], 'hist', spec);
    const ab = mergePartials(accumulate(a, 'hist', spec), accumulate(b, 'hist', spec));
    const ba = mergePartials(accumulate(b, 'hist', spec), accumulate(a, 'hist', spec));
    expect(Array.from(ab.hist!)).toEqual(Array.from(whole.hist!));
    expect(Array.from(ba.hist!)).toEqual(Array.from(whole.hist!));
    expect(ab.count[0]).toBe(12000);
    expect(ab.min[0]).toBe(whole.min[0]);
    expect(ab.max[0]).toBe(whole.max[0]);
    expect(ab.sum[0]! / whole.sum[0]!).toBeCloseTo(1, 12);
    expect(ab.hist!.length).toBe(HIST_STRIDE);
  });

  it('concatenates exact values in sample order', () => {
    const m = mergePartials(accumulate(a, 'exact'), accumulate(b, 'exact'));
    expect(Array.from(m.values![0]!)).toEqual(Array.from(Float32Array.from([...a, ...b])));
  });

  it('refuses to merge partials of different kinds', () => {
    expect(() => mergePartials(accumulate(a, 'exact'), accumulate(b, 'hist', spec))).toThrow(/exact/);
  });
});
