/**
 * Latin hypercube sampling (src/sampling/qmc.ts): the keyed permutation, one sample per stratum in
 * every dimension, exact f32 values, and independence between dimensions.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { LHS_MAX_SAMPLES, lhsKey, lhsPermute, lhsUniform } from '../src/sampling/qmc.js';

function testWords(seed: string): () => number {
  const rng = seedrandom(seed);
  return () => rng.int32() >>> 0;
}

describe('lhsPermute: a keyed permutation of [0, n) by cycle walking', () => {
  it('is a bijection for powers of two and for other n (1, 2, 3, 5, 7, 100, 1000, 1025, 4097, 65537)', () => {
    const next = testWords('lhs-perm');
    for (const n of [1, 2, 3, 4, 5, 7, 8, 100, 1000, 1024, 1025, 4097, 65536, 65537]) {
      for (let trial = 0; trial < 3; trial++) {
        const key = next();
        const seen = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const p = lhsPermute(i, n, key);
          if (!(Number.isInteger(p) && p >= 0 && p < n)) throw new Error(`n ${n}: pi(${i}) = ${p} is outside [0, n)`);
          seen[p]!++;
        }
        expect(seen.every((c) => c === 1), `n ${n}, key ${key}`).toBe(true);
      }
    }
  });

  it('depends on the key: two keys agree on about 1/n of the positions (within 5 sigma)', () => {
    // For independent random permutations the number of agreements is ~ Poisson(1) per pair;
    // summed over 40 key pairs the count has mean 40 and sd sqrt(40).
    const next = testWords('lhs-keys');
    const n = 4096;
    let agreements = 0;
    for (let pair = 0; pair < 40; pair++) {
      const a = next();
      const b = next();
      for (let i = 0; i < n; i++) if (lhsPermute(i, n, a) === lhsPermute(i, n, b)) agreements++;
    }
    expect(Math.abs(agreements - 40)).toBeLessThan(5 * Math.sqrt(40));
  });

  it('moves the identity: pi(i) = i on about one position per permutation (within 5 sigma over 40 keys)', () => {
    const next = testWords('lhs-fixed');
    const n = 3000;
    let fixed = 0;
    for (let trial = 0; trial < 40; trial++) {
      const key = next();
      for (let i = 0; i < n; i++) if (lhsPermute(i, n, key) === i) fixed++;
    }
    expect(Math.abs(fixed - 40)).toBeLessThan(5 * Math.sqrt(40));
  });
});

describe('lhsUniform: (pi(i) + v) / n', () => {
  it('puts exactly one sample in each stratum [k/n, (k+1)/n), per dimension, strictly inside (0, 1), exact in f32', () => {
    const next = testWords('lhs-strata');
    for (const n of [1, 2, 3, 10, 97, 1000, 1024, 4099]) {
      for (let dim = 0; dim < 4; dim++) {
        const seed = next();
        const seen = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const u = lhsUniform(i, dim, n, seed, next());
          expect(u > 0 && u < 1, `n ${n}: u = ${u}`).toBe(true);
          expect(Math.fround(u)).toBe(u);
          // k/n <= u < (k+1)/n, tested in exact rationals: u * 2^25 is an integer.
          const k = Math.floor(u * n);
          const scaled = u * 2 ** 25;
          expect(k * 2 ** 25 <= scaled * n && scaled * n < (k + 1) * 2 ** 25).toBe(true);
          seen[k]!++;
        }
        expect(seen.every((c) => c === 1), `n ${n}, dim ${dim}`).toBe(true);
      }
    }
  });

  it('stays inside its stratum at the jitter extremes and at n = 2^24 (one grid point per stratum)', () => {
    const next = testWords('lhs-edges');
    for (const n of [3, 12345, 2 ** 24 - 1, LHS_MAX_SAMPLES]) {
      for (let trial = 0; trial < 2000; trial++) {
        const index = next() % n;
        const seed = next();
        const k = lhsPermute(index, n, lhsKey(seed, 1));
        for (const jitter of [0, 0xffffffff, next()]) {
          const u = lhsUniform(index, 1, n, seed, jitter);
          const scaled = u * 2 ** 25; // an integer
          expect(k * 2 ** 25 <= scaled * n && scaled * n < (k + 1) * 2 ** 25, `n ${n}, k ${k}, jitter ${jitter}: u ${u}`).toBe(true);
          expect(u > 0 && u < 1 && Math.fround(u) === u).toBe(true);
        }
      }
    }
  });

  it('jitters uniformly within the stratum: mean offset (u*n - k) over 20000 draws is 1/2 within 4 sigma', () => {
    // The offset is v quantized to the 2^-24 grid, U(0,1) to within n * 2^-24 = 6e-5 here (n = 1000);
    // sigma of the mean = sqrt(1/12 / 20000) = 0.002.
    const next = testWords('lhs-jitter');
    const n = 1000;
    const draws = 20000;
    let sum = 0;
    for (let t = 0; t < draws; t++) {
      const u = lhsUniform(next() % n, 0, n, next(), next());
      sum += u * n - Math.floor(u * n);
    }
    expect(Math.abs(sum / draws - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / draws) + n * 2 ** -24);
  });

  it('pairs dimensions independently: the rank correlation of two dims is 0 within 4/sqrt(n)', () => {
    // For independent random permutations the correlation of pi_1(i) and pi_2(i) has sd 1/sqrt(n - 1).
    const n = 4096;
    const next = testWords('lhs-corr');
    for (let trial = 0; trial < 5; trial++) {
      const seed = next();
      let sxy = 0;
      const mean = (n - 1) / 2;
      for (let i = 0; i < n; i++) {
        const a = lhsPermute(i, n, lhsKey(seed, 0)) - mean;
        const b = lhsPermute(i, n, lhsKey(seed, 1)) - mean;
        sxy += a * b;
      }
      const varPerm = (n * n - 1) / 12;
      expect(Math.abs(sxy / n / varPerm)).toBeLessThan(4 / Math.sqrt(n - 1));
    }
  });

  it('refuses n above 2^24 and indices outside [0, n)', () => {
    expect(() => lhsUniform(0, 0, LHS_MAX_SAMPLES + 1, 1, 1)).toThrow(RangeError);
    expect(() => lhsUniform(10, 0, 10, 1, 1)).toThrow(RangeError);
    expect(() => lhsUniform(-1, 0, 10, 1, 1)).toThrow(RangeError);
  });
});
