/**
 * Exact quantiles by counting (src/aggregate/select.ts): the order statistics it finds, and the
 * quantiles summarize reads from them, are identical (Object.is) to those of a full sort.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { QUANTILES, QUANTILE_KEYS, emptyPartial, orderStatistics, quantileRanks, sortedQuantile, summarize } from '../src/aggregate/index.js';

type Gen = (rng: () => number, i: number, n: number) => number;

/** Inputs that trip up selection: heavy ties, presorted, zeros of both signs, a single value. */
const GENERATORS: Record<string, Gen> = {
  lognormal: (rng) => Math.exp(Math.sqrt(-2 * Math.log(rng() || 1e-12)) * Math.cos(2 * Math.PI * rng())),
  'few distinct values': (rng) => Math.floor(rng() * 5),
  constant: () => 3.25,
  ascending: (_, i) => i,
  descending: (_, i, n) => n - i,
  'organ pipe': (_, i, n) => Math.min(i, n - i),
  'signed zeros and small values': (rng) => [0, -0, 1e-30, -1e-30][Math.floor(rng() * 4)]!,
  'wide range with negatives': (rng) => (rng() - 0.5) * 10 ** Math.floor(rng() * 40 - 20),
};

function values(name: string, n: number, seed: string): Float32Array {
  const rng = seedrandom(seed);
  const gen = GENERATORS[name]!;
  return Float32Array.from({ length: n }, (_, i) => gen(rng, i, n));
}

describe('orderStatistics', () => {
  for (const name of Object.keys(GENERATORS)) {
    // Up to 65,536 values a sort is used; from 65,537 the counting passes.
    for (const n of [1, 2, 7, 25, 1000, 65536, 65537, 1 << 18]) {
      it(`finds the order statistics a full sort has (${name}, n = ${n})`, () => {
        const a = values(name, n, `${name}-${n}`);
        // Some samples without a value (NaN of either sign and payload), left out.
        const rng = seedrandom(`ranks-${name}-${n}`);
        if (n > 2) for (let j = 0; j < n; j += 7) a[j] = rng() < 0.5 ? NaN : -NaN;
        const before = Float32Array.from(a);
        const sorted = a.filter((v) => v === v).sort();
        const ranks = (m: number) => [...quantileRanks(m, QUANTILES), 0, m - 1, ...Array.from({ length: 20 }, () => Math.floor(rng() * m))];
        let asked: readonly number[] = [];
        const stats = orderStatistics(a, (m) => (asked = ranks(m)));
        expect(stats.count).toBe(sorted.length);
        for (const r of asked) expect(Object.is(stats.at.get(r), sorted[r]), `rank ${r}: ${stats.at.get(r)} against ${sorted[r]}`).toBe(true);
        // The values are only read.
        expect(a.every((v, j) => Object.is(v, before[j]))).toBe(true);
      });
    }
  }

  it('reads a view inside a larger buffer, and no ranks', () => {
    const all = values('lognormal', 5000, 'view');
    const a = all.subarray(1000, 4000);
    const sorted = Float32Array.from(a).sort();
    expect(orderStatistics(a, () => []).at.size).toBe(0);
    const s = orderStatistics(a, () => [1500, 17, 2999]);
    expect([s.at.get(17), s.at.get(1500), s.at.get(2999)]).toEqual([sorted[17], sorted[1500], sorted[2999]]);
  });

  it('refuses a rank outside the values', () => {
    expect(() => orderStatistics(new Float32Array(3), () => [3])).toThrow(RangeError);
    expect(() => orderStatistics(new Float32Array(3), () => [-1])).toThrow(RangeError);
  });
});

describe('exact quantiles of summarize', () => {
  it('are identical to those of a full sort, NaN (no value) left out, and leave the values as they were', () => {
    const n = 200_003;
    const a = values('lognormal', n, 'summarize');
    for (let j = 0; j < n; j += 97) a[j] = NaN;
    const p = emptyPartial(1, 1, 'exact');
    p.values![0] = a;
    const before = Float32Array.from(a);
    let finite = 0;
    for (const v of a) if (v === v) finite++;
    p.count[0] = finite;
    p.samples = n;
    const [s] = summarize(p, null);
    const sorted = Float64Array.from(a.filter((v) => v === v)).sort();
    QUANTILES.forEach((q, k) => expect(s!.stats[QUANTILE_KEYS[k]!]).toBe(sortedQuantile(sorted, q)));
    expect(p.values![0]!.every((v, j) => Object.is(v, before[j]))).toBe(true);
  });
});
