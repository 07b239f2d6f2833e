import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import {
  keyFromSeed,
  philox4x32_10,
  sampleQuad,
  streamId,
  u01FromWord,
  uniformQuad,
  type Dist,
} from '../src/sampling/index.js';
import { PHILOX_KAT } from './sampling-fixtures.js';


/** Philox4x32-10 written independently with BigInt products, as an oracle for the f64 split multiply. */
function philoxBigInt(ctr: number[], key: number[]): number[] {
  const mask = 0xffffffffn;
  let [c0, c1, c2, c3] = ctr.map(BigInt) as [bigint, bigint, bigint, bigint];
  let [k0, k1] = key.map(BigInt) as [bigint, bigint];
  for (let r = 0; r < 10; r++) {
    const p0 = 0xd2511f53n * c0;
    const p1 = 0xcd9e8d57n * c2;
    [c0, c1, c2, c3] = [(p1 >> 32n) ^ c1 ^ k0, p1 & mask, (p0 >> 32n) ^ c3 ^ k1, p0 & mask];
    k0 = (k0 + 0x9e3779b9n) & mask;
    k1 = (k1 + 0xbb67ae85n) & mask;
  }
  return [c0, c1, c2, c3].map(Number);
}

/** A small deterministic source of test inputs (not the generator under test). */
function testWords(seed: string): () => number {
  const rng = seedrandom(seed);
  return () => rng.int32() >>> 0;
}

describe('philox4x32_10 (Salmon et al. 2011)', () => {
  it('reproduces the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    for (const { ctr, key, out: expected } of PHILOX_KAT) {
      philox4x32_10(ctr[0]!, ctr[1]!, ctr[2]!, ctr[3]!, key[0]!, key[1]!, out);
      expect(Array.from(out)).toEqual(expected);
    }
  });

  it('equals a BigInt implementation on 2000 random counters and keys', () => {
    const next = testWords('philox-oracle');
    const out = new Uint32Array(4);
    for (let i = 0; i < 2000; i++) {
      const ctr = [next(), next(), next(), next()];
      const key = [next(), next()];
      philox4x32_10(ctr[0]!, ctr[1]!, ctr[2]!, ctr[3]!, key[0]!, key[1]!, out);
      expect(Array.from(out)).toEqual(philoxBigInt(ctr, key));
    }
  });
});

describe('keyFromSeed', () => {
  it('is the first two u32 outputs of seedrandom seeded with the string', () => {
    for (const seed of ['cptsim', 'capex-review-2026', '', 'ünïcode']) {
      const rng = seedrandom(seed);
      expect(keyFromSeed(seed)).toEqual([rng.int32() >>> 0, rng.int32() >>> 0]);
    }
  });

  it('gives different keys for different seeds', () => {
    expect(keyFromSeed('a')).not.toEqual(keyFromSeed('b'));
  });
});

describe('streamId (FNV-1a 32-bit)', () => {
  it('matches the FNV reference values for "", "a" and "foobar"', () => {
    // Test vectors of the FNV reference code (http://www.isthe.com/chongo/tech/comp/fnv/, test_fnv.c).
    expect(streamId('')).toBe(0x811c9dc5);
    expect(streamId('a')).toBe(0xe40c292c);
    expect(streamId('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes of the path (BigInt oracle)', () => {
    for (const path of ['costs.pue', 'serving.speculative.acceptance_by_position[3]', 'modèle.coût']) {
      let h = 0x811c9dc5n;
      for (const byte of new TextEncoder().encode(path)) h = ((h ^ BigInt(byte)) * 0x01000193n) & 0xffffffffn;
      expect(streamId(path)).toBe(Number(h));
    }
  });
});

describe('uniforms: u = ((w >>> 9) + 0.5) * 2^-23', () => {
  it('lie strictly inside (0, 1) at the extreme words, and u and 1 - u are exact f32 values', () => {
    const words = [0, 1, 0x1ff, 0x200, 0x7fffffff, 0x80000000, 0xfffffdff, 0xfffffe00, 0xffffffff];
    const next = testWords('u01');
    for (let i = 0; i < 1000; i++) words.push(next());
    for (const word of words) {
      const u = u01FromWord(word);
      expect(u).toBeGreaterThan(0);
      expect(u).toBeLessThan(1);
      expect(Math.fround(u)).toBe(u);
      expect(Math.fround(1 - u)).toBe(1 - u);
    }
    expect(u01FromWord(0)).toBe(2 ** -24);
    expect(u01FromWord(0xffffffff)).toBe(1 - 2 ** -24);
  });

  it('uniformQuad takes counter (q mod 2^32, floor(q / 2^32), streamId, draw)', () => {
    const key: [number, number] = [0x12345678, 0x9abcdef0];
    const out = new Float64Array(4);
    const words = new Uint32Array(4);
    for (const q of [0, 5, 2 ** 32 - 1, 2 ** 32 + 5, 3 * 2 ** 40 + 17]) {
      uniformQuad(key, 77, q, 3, out);
      philox4x32_10(q % 2 ** 32, Math.floor(q / 2 ** 32), 77, 3, key[0], key[1], words);
      expect(Array.from(out)).toEqual(Array.from(words, u01FromWord));
    }
  });

  it('have mean 1/2 and variance 1/12 over 2^18 samples (within 5 standard errors)', () => {
    const key = keyFromSeed('uniform-moments');
    const out = new Float64Array(4);
    const n = 2 ** 18;
    let sum = 0;
    let sumSq = 0;
    for (let q = 0; q < n / 4; q++) {
      uniformQuad(key, 1, q, 0, out);
      for (const u of out) {
        sum += u;
        sumSq += (u - 0.5) ** 2;
      }
    }
    // sd(U) = 1/sqrt(12); sd((U - 1/2)^2) = sqrt(1/80 - 1/144) = 1/sqrt(180).
    expect(Math.abs(sum / n - 0.5)).toBeLessThan((5 * Math.sqrt(1 / 12)) / Math.sqrt(n));
    expect(Math.abs(sumSq / n - 1 / 12)).toBeLessThan((5 * Math.sqrt(1 / 180)) / Math.sqrt(n));
  });
});

describe('determinism and stream independence', () => {
  const dist: Dist = { kind: 'pert', min: 0.35, mode: 0.6, max: 0.85 };

  it('the same key, stream and quad give the same values', () => {
    const key = keyFromSeed('same');
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    for (let q = 0; q < 100; q++) {
      sampleQuad(dist, key, 9, q, a);
      sampleQuad({ ...dist }, [key[0], key[1]], 9, q, b);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('different streams are uncorrelated (|r| < 5/sqrt(N))', () => {
    const key = keyFromSeed('streams');
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    const n = 2 ** 16;
    const unif: Dist = { kind: 'uniform', min: 0, max: 1 };
    let sab = 0;
    for (let q = 0; q < n / 4; q++) {
      sampleQuad(unif, key, streamId('serving.utilization'), q, a);
      sampleQuad(unif, key, streamId('serving.mbu_decode'), q, b);
      for (let j = 0; j < 4; j++) sab += (a[j]! - 0.5) * (b[j]! - 0.5);
    }
    // Under independence, the sample correlation has standard error 1/sqrt(N).
    const r = sab / n / (1 / 12);
    expect(Math.abs(r)).toBeLessThan(5 / Math.sqrt(n));
  });

  it('different keys give different streams', () => {
    const a = new Float64Array(4);
    const b = new Float64Array(4);
    uniformQuad(keyFromSeed('one'), 1, 0, 0, a);
    uniformQuad(keyFromSeed('two'), 1, 0, 0, b);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });
});
