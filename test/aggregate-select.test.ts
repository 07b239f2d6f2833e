/**
 * Exact quantiles by selection (src/aggregate/select.ts): the order statistics it places, and the
 * quantiles summarize reads from them, are identical (Object.is) to those of a full sort.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { QUANTILES, QUANTILE_KEYS, emptyPartial, quantileRanks, selectRanks, sortedQuantile, summarize } from '../src/aggregate/index.js';

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

describe('selectRanks', () => {
  for (const name of Object.keys(GENERATORS)) {
    for (const n of [1, 2, 7, 25, 1000, 65537]) {
      it(`places the order statistics a full sort has (${name}, n = ${n})`, () => {
        const a = values(name, n, `${name}-${n}`);
        const sorted = Float32Array.from(a).sort();
        const rng = seedrandom(`ranks-${name}-${n}`);
        const ranks = [...quantileRanks(n, QUANTILES), 0, n - 1, ...Array.from({ length: 20 }, () => Math.floor(rng() * n))];
        const multiset = Float32Array.from(a).sort();
        selectRanks(a, ranks);
        for (const r of ranks) expect(Object.is(a[r], sorted[r]), `rank ${r}: ${a[r]} against ${sorted[r]}`).toBe(true);
        // A permutation: no value lost or duplicated.
        const after = Float32Array.from(a).sort();
        expect(after.every((v, j) => Object.is(v, multiset[j]))).toBe(true);
      });
    }
  }

  it('works on f64 values too, and on no ranks', () => {
    const a = Float64Array.from(values('lognormal', 5000, 'f64'));
    const sorted = Float64Array.from(a).sort();
    selectRanks(a, []);
    selectRanks(a, [2500, 17]);
    expect(a[2500]).toBe(sorted[2500]);
    expect(a[17]).toBe(sorted[17]);
  });

  it('refuses a rank outside the values', () => {
    expect(() => selectRanks(new Float32Array(3), [3])).toThrow(RangeError);
    expect(() => selectRanks(new Float32Array(3), [-1])).toThrow(RangeError);
  });
});

describe('exact quantiles of summarize', () => {
  it('are identical to those of a full sort, NaN (no value) left out, and leave the values in sample order', () => {
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
