/**
 * Scrambled Sobol sampling (src/sampling/qmc.ts): the direction-number data, the published first
 * points, the net (stratification) properties that scrambling must keep, and the user-facing
 * sample-count checks.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { keyFromSeed, streamId } from '../src/sampling/index.js';
import { JOE_KUO_ROWS } from '../src/sampling/sobol-directions.js';
import {
  checkSampleCount,
  checkSobolDims,
  owenScramble,
  qmcSeed,
  reverseBits32,
  SOBOL_MAX_DIMS,
  sobolDirections,
  sobolPoint,
  sobolUniform,
} from '../src/sampling/qmc.js';

const DIRS = sobolDirections(SOBOL_MAX_DIMS);
const TWO_POW_32 = 4294967296;

/** A deterministic source of test words (not a generator under test). */
function testWords(seed: string): () => number {
  const rng = seedrandom(seed);
  return () => rng.int32() >>> 0;
}

/** Polynomials over GF(2) as bit masks: x^e mod p, by repeated multiplication by x. */
function orderOfX(poly: number, degree: number): number {
  let r = 1;
  for (let e = 1; e <= 2 ** degree; e++) {
    r <<= 1;
    if (r & (1 << degree)) r ^= poly;
    if (r === 1) return e;
  }
  return Infinity;
}

describe('Joe-Kuo direction numbers (new-joe-kuo-6.21201, dimensions 2..64)', () => {
  const rows = JOE_KUO_ROWS.map((row) => row.split(' ').map(Number));

  it('list exactly the primitive polynomials in order of degree, then of a, as Joe and Kuo arrange them', () => {
    // Joe & Kuo's page: "We arrange the primitive polynomials in increasing order of their degrees,
    // and for those with the same degree ... in increasing order of the numbers a". A polynomial
    // x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1 is 2a + 2^s + 1 as a bit mask; it is primitive when
    // x has order 2^s - 1 modulo it. Enumerating them independently must give the file's (s, a).
    const expected: Array<[number, number]> = [];
    for (let s = 1; expected.length < rows.length; s++) {
      for (let a = 0; a < 2 ** Math.max(0, s - 1); a++) {
        if (orderOfX(2 * a + 2 ** s + 1, s) === 2 ** s - 1) expected.push([s, a]);
      }
    }
    expect(rows.map((r) => [r[1], r[2]])).toEqual(expected.slice(0, rows.length));
    expect(rows.map((r) => r[0])).toEqual(rows.map((_, i) => i + 2));
  });

  it('have s initial integers m_k per row, each odd and below 2^k (the condition for valid direction numbers)', () => {
    for (const [d, s, , ...m] of rows) {
      expect(m.length, `d = ${d}`).toBe(s);
      m.forEach((mk, k) => {
        expect(mk % 2, `d = ${d}, m_${k + 1}`).toBe(1);
        expect(mk, `d = ${d}, m_${k + 1}`).toBeLessThan(2 ** (k + 1));
      });
    }
  });

  it('give every direction word v_j its lowest set bit at position 31 - j (v_j = m_(j+1) / 2^(j+1), m odd, by the recurrence)', () => {
    // This is what makes every 1-D projection of 2^m points a permutation of the 2^m intervals.
    for (let dim = 0; dim < SOBOL_MAX_DIMS; dim++) {
      for (let j = 0; j < 32; j++) {
        const v = DIRS[32 * dim + j]!;
        expect(Math.clz32(v & -v), `dim ${dim}, j ${j}`).toBe(j);
      }
    }
  });

  it('start dimension 0 as van der Corput: v_j = 2^(31-j)', () => {
    for (let j = 0; j < 32; j++) expect(DIRS[j]).toBe(2 ** (31 - j));
  });

  it('are served per dimension count, and refuse counts outside [1, 64]', () => {
    expect(sobolDirections(3)).toEqual(DIRS.slice(0, 96));
    expect(() => sobolDirections(0)).toThrow(RangeError);
    expect(() => sobolDirections(SOBOL_MAX_DIMS + 1)).toThrow(RangeError);
  });
});

describe('sobolPoint: x_i = XOR of v_j over the set bits j of i', () => {
  it('reproduces the first ten published points of the 3-D Joe-Kuo sequence (Gray-code order)', () => {
    // Joe & Kuo's reference generator (sobol.cc on their page) emits points in Gray-code order:
    // its k-th point is the natural-order point g(k) = k XOR (k >> 1). Its first ten points in three
    // dimensions, checkable by hand: dim 2 (row d = 3: s = 2, a = 1, m = 1, 3) has v = 1/2, 3/4, 3/8,
    // so its point k = 4 (natural index 6) is v_2 XOR v_3 = 0.11b XOR 0.011b = 0.101b = 0.625.
    const published = [
      [0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75], [0.375, 0.375, 0.625],
      [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375], [0.1875, 0.3125, 0.9375],
      [0.6875, 0.8125, 0.4375],
    ];
    published.forEach((point, k) => {
      const natural = k ^ (k >>> 1);
      // Exact: every coordinate is a dyadic fraction with few bits.
      expect([0, 1, 2].map((d) => sobolPoint(natural, d, DIRS) / TWO_POW_32), `point ${k}`).toEqual(point);
    });
  });

  it('equals the Gray-code recurrence X_k = X_(k-1) XOR v_(c(k-1)) (Bratley-Fox) in all 64 dimensions', () => {
    // c(k) = index of the lowest zero bit of k: an independent way to walk the same sequence.
    for (let dim = 0; dim < SOBOL_MAX_DIMS; dim++) {
      let x = 0;
      for (let k = 1; k < 4096; k++) {
        const c = 31 - Math.clz32(~(k - 1) & k);
        x = (x ^ DIRS[32 * dim + c]!) >>> 0;
        if (x !== sobolPoint(k ^ (k >>> 1), dim, DIRS)) throw new Error(`dim ${dim}, k ${k}: ${x} vs ${sobolPoint(k ^ (k >>> 1), dim, DIRS)}`);
      }
    }
  });

  it('handles the largest index 2^32 - 1 (all 32 direction words)', () => {
    let all = 0;
    for (let j = 0; j < 32; j++) all ^= DIRS[32 * 5 + j]!;
    expect(sobolPoint(TWO_POW_32 - 1, 5, DIRS)).toBe(all >>> 0);
  });
});

/** Counts of points per elementary box of a 2^a x 2^b grid, for the pair of coordinate arrays. */
function boxCounts(xs: Float64Array, ys: Float64Array, a: number, b: number): Uint32Array {
  const counts = new Uint32Array(2 ** (a + b));
  for (let i = 0; i < xs.length; i++) {
    counts[Math.floor(xs[i]! * 2 ** a) * 2 ** b + Math.floor(ys[i]! * 2 ** b)]!++;
  }
  return counts;
}

/** The smallest t for which the 2^m points form a (t, m, 2)-net: every box of volume 2^(t-m) holds 2^t points. */
function netQuality(xs: Float64Array, ys: Float64Array, m: number): number {
  for (let t = 0; t <= m; t++) {
    let ok = true;
    for (let a = 0; a <= m - t && ok; a++) {
      ok = boxCounts(xs, ys, a, m - t - a).every((c) => c === 2 ** t);
    }
    if (ok) return t;
  }
  return m;
}

function coords(n: number, dim: number, seed: number | null): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = seed === null ? (sobolPoint(i, dim, DIRS) + 0.5 * 2 ** 9) / TWO_POW_32 : sobolUniform(i, dim, seed, DIRS);
  }
  return out;
}

describe('owenScramble: nested uniform scrambling (Burley 2020)', () => {
  const key = keyFromSeed('qmc-sobol-test');

  it('keeps one point in each of the N intervals [k/N, (k+1)/N) per dimension, N = 2^m, m = 0..14, all 64 dims', () => {
    const next = testWords('qmc-1d');
    for (let dim = 0; dim < SOBOL_MAX_DIMS; dim++) {
      const seed = next();
      const n = 2 ** 14;
      const u = coords(n, dim, seed);
      for (let m = 0; m <= 14; m++) {
        const seen = new Uint8Array(2 ** m);
        for (let i = 0; i < 2 ** m; i++) seen[Math.floor(u[i]! * 2 ** m)]!++;
        expect(seen.every((c) => c === 1), `dim ${dim}, m ${m}`).toBe(true);
      }
    }
  });

  it('keeps the t-value of every 2-D projection of dims 0..7 (2^10 points), with t = 0 for dims (0, 1)', () => {
    const m = 10;
    const n = 2 ** m;
    const next = testWords('qmc-2d');
    const plain = Array.from({ length: 8 }, (_, d) => coords(n, d, null));
    for (let trial = 0; trial < 3; trial++) {
      const scrambled = Array.from({ length: 8 }, (_, d) => coords(n, d, next()));
      for (let i = 0; i < 8; i++) {
        for (let j = i + 1; j < 8; j++) {
          const t = netQuality(plain[i]!, plain[j]!, m);
          if (i === 0 && j === 1) expect(t).toBe(0); // the first two Sobol dimensions form a (0, 2)-sequence
          expect(netQuality(scrambled[i]!, scrambled[j]!, m), `dims (${i}, ${j})`).toBe(t);
        }
      }
    }
  });

  it('is a bijection of u32 that keeps shared leading bits shared (nested)', () => {
    const next = testWords('qmc-nested');
    for (let trial = 0; trial < 2000; trial++) {
      const seed = next();
      const x = next();
      const y = next();
      const common = Math.clz32(x ^ y); // leading bits x and y share
      const sx = owenScramble(x, seed);
      const sy = owenScramble(y, seed);
      expect(sx === sy).toBe(x === y);
      expect(Math.clz32(sx ^ sy), `x ${x}, y ${y}, seed ${seed}`).toBe(common);
    }
  });

  it('flips lower bits depending on the leading bits (nested, not a digital shift)', () => {
    // A digital shift (XOR with one mask) would give owen(x) ^ owen(y) === x ^ y for every seed.
    // x and y differ in the top bit only; under an Owen scramble their lower 31 bits are scrambled
    // independently, so they coincide with probability 2^-31 per seed.
    const next = testWords('qmc-shift');
    let sameAsShift = 0;
    for (let trial = 0; trial < 200; trial++) {
      const seed = next();
      const x = next() & 0x7fffffff;
      if (((owenScramble(x, seed) ^ owenScramble((x | 0x80000000) >>> 0, seed)) >>> 0) === 0x80000000) sameAsShift++;
    }
    expect(sameAsShift).toBe(0);
  });

  it('makes each point uniform over seeds: the mean of point 0 over 4096 seeds is 1/2 within 4 sigma', () => {
    // Owen scrambling makes every scrambled point U(0,1); sigma of the mean = sqrt(1/12 / 4096).
    const seeds = 4096;
    const sigma = Math.sqrt(1 / 12 / seeds);
    for (const [index, dim] of [[0, 0], [1, 3], [12345, 63]] as const) {
      let sum = 0;
      for (let s = 0; s < seeds; s++) sum += sobolUniform(index, dim, qmcSeed(key, s), DIRS);
      expect(Math.abs(sum / seeds - 0.5), `index ${index}, dim ${dim}`).toBeLessThan(4 * sigma);
    }
  });
});

describe('sobolUniform: the 23-bit + half-step rule', () => {
  it('lies strictly inside (0, 1), is exact in f32, and equals ((w >>> 9) + 0.5) * 2^-23 of the scrambled word', () => {
    const next = testWords('qmc-u01');
    for (let trial = 0; trial < 5000; trial++) {
      const index = next();
      const dim = next() % SOBOL_MAX_DIMS;
      const seed = next();
      const u = sobolUniform(index, dim, seed, DIRS);
      const w = owenScramble(sobolPoint(index, dim, DIRS), seed);
      expect(u).toBe(((w >>> 9) + 0.5) * 2 ** -23);
      expect(u > 0 && u < 1).toBe(true);
      expect(Math.fround(u)).toBe(u);
    }
  });

  it('uses per-input seeds from the run key: different inputs and seeds give different points', () => {
    const key = keyFromSeed('cptsim');
    const a = qmcSeed(key, streamId('costs.pue'));
    const b = qmcSeed(key, streamId('costs.capex_usd_per_gpu'));
    const c = qmcSeed(keyFromSeed('other'), streamId('costs.pue'));
    expect(new Set([a, b, c]).size).toBe(3);
    expect(qmcSeed(key, streamId('costs.pue'))).toBe(a);
    expect(sobolUniform(7, 2, a, DIRS)).not.toBe(sobolUniform(7, 2, b, DIRS));
  });
});

describe('reverseBits32', () => {
  it('reverses bit order and is an involution', () => {
    expect(reverseBits32(1)).toBe(0x80000000);
    expect(reverseBits32(0x80000000)).toBe(1);
    expect(reverseBits32(0x0000f00f)).toBe(0xf00f0000);
    const next = testWords('qmc-rev');
    for (let i = 0; i < 1000; i++) {
      const x = next();
      expect(reverseBits32(reverseBits32(x))).toBe(x);
    }
  });
});

describe('sample-count and dimension checks', () => {
  it('accepts power-of-two sample counts for sobol and names the nearest ones otherwise', () => {
    for (const n of [1, 2, 1024, 2 ** 14, 2 ** 20, 2 ** 32]) expect(() => checkSampleCount('sobol', n)).not.toThrow();
    expect(() => checkSampleCount('sobol', 10000)).toThrow(InputError);
    expect(() => checkSampleCount('sobol', 10000)).toThrow(/power-of-two sample count.*got 10000.*8192 or .*16384/);
    expect(() => checkSampleCount('sobol', 2 ** 33)).toThrow(/2\^32/);
    expect(() => checkSampleCount('sobol', 0)).toThrow(InputError);
    expect(() => checkSampleCount('random', 10000)).not.toThrow();
  });

  it('limits lhs to 2^24 samples and sobol to 64 inputs', () => {
    expect(() => checkSampleCount('lhs', 2 ** 24)).not.toThrow();
    expect(() => checkSampleCount('lhs', 1000)).not.toThrow();
    expect(() => checkSampleCount('lhs', 2 ** 24 + 1)).toThrow(/at most|1 to 2\^24/);
    expect(() => checkSobolDims(64)).not.toThrow();
    expect(() => checkSobolDims(65)).toThrow(/at most 64 uncertain inputs.*has 65/);
  });
});
