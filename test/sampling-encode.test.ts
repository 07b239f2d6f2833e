import { describe, expect, it } from 'vitest';
import {
  BETA_TABLE_HALF,
  DIST_KIND,
  DIST_PARAMS,
  PARAM_ENTRY_WORDS,
  PARAM_HEADER_WORDS,
  SCHEME_CODE,
  encodeParams,
  keyFromSeed,
  prepareDist,
  qmcSeed,
  sobolDirections,
  type Dist,
} from '../src/sampling/index.js';
import { InputError } from '../src/errors.js';

const H = PARAM_HEADER_WORDS;
const E = PARAM_ENTRY_WORDS;
const KNOTS = 2 * BETA_TABLE_HALF + 1;

describe('encodeParams: the GPU parameter table layout', () => {
  const dists: Dist[] = [
    { kind: 'uniform', min: 2, max: 5 },
    { kind: 'discrete', values: [8, 16, 32], weights: [1, 1, 2] },
    { kind: 'pert', min: 0.35, mode: 0.6, max: 0.85 },
    { kind: 'discrete', values: [1.5, 2.5], weights: [3, 1] },
  ];
  const ids = [11, 0xffffffff, 33, 44];
  const table = encodeParams(dists, ids);
  const f32 = new Float32Array(table.buffer);

  it('has a 5-word header, one 12-word entry per distribution, 2 words per discrete value and the beta knots', () => {
    expect(H).toBe(5);
    expect(E).toBe(12);
    expect(table.length).toBe(H + 4 * E + 2 * 3 + KNOTS + 2 * 2);
    // Random scheme: scheme 0, no sample count, no Sobol directions; the entry count; no copula.
    expect(Array.from(table.subarray(0, 5))).toEqual([SCHEME_CODE.random, 0, 0, 4, 0]);
  });

  it('entries hold kind, stream id, zero QMC seed and dimension, and the prepared constants as f32', () => {
    dists.forEach((dist, e) => {
      const prep = prepareDist(dist);
      const base = H + E * e;
      expect(table[base]).toBe(prep.kind);
      expect(table[base + 1]).toBe(ids[e]);
      expect(table[base + 4]).toBe(0);
      expect(table[base + 5]).toBe(0);
      for (let k = 0; k < DIST_PARAMS; k++) expect(f32[base + 6 + k]).toBe(Math.fround(prep.p[k]!));
    });
    expect(table[H + 2 * E]).toBe(DIST_KIND.beta); // PERT is sampled as a beta
  });

  it('discrete entries point at their values and cumulative weights (last exactly 1), beta entries at their knots', () => {
    const aux1 = table[H + E + 2]!;
    expect(aux1).toBe(H + 4 * E);
    expect(table[H + E + 3]).toBe(3);
    expect(Array.from(f32.subarray(aux1, aux1 + 6))).toEqual([8, 16, 32, 0.25, 0.5, 1]);
    const auxBeta = table[H + 2 * E + 2]!;
    expect(auxBeta).toBe(aux1 + 6);
    expect(table[H + 2 * E + 3]).toBe(KNOTS);
    const knots = prepareDist(dists[2]!).knots;
    expect(Array.from(f32.subarray(auxBeta, auxBeta + KNOTS))).toEqual(Array.from(knots, Math.fround));
    const aux2 = table[H + 3 * E + 2]!;
    expect(aux2).toBe(auxBeta + KNOTS);
    expect(Array.from(f32.subarray(aux2, aux2 + 4))).toEqual([1.5, 2.5, 0.75, 1]);
    expect(table[H + 2]).toBe(0); // uniform: no aux data
  });

  it('rejects mismatched lengths and constants beyond f32 range', () => {
    expect(() => encodeParams(dists, [1])).toThrow(RangeError);
    expect(() => encodeParams([{ kind: 'lognormal', mu: 100, sigma: 1 }], [1])).toThrow(/f32 range/);
  });
});

describe('encodeParams with a sampling scheme', () => {
  const dists: Dist[] = [
    { kind: 'uniform', min: 0, max: 1 },
    { kind: 'normal', mean: 0, sd: 1, min: -Infinity, max: Infinity },
    { kind: 'triangular', min: 0, mode: 1, max: 3 },
  ];
  const ids = [7, 8, 9];
  const key = keyFromSeed('encode-qmc');

  it('sobol: header (scheme, n - 1, direction offset, entries), per-entry seed and dimension, directions in the tail', () => {
    const n = 2 ** 12;
    const table = encodeParams(dists, ids, { scheme: 'sobol', samples: n, key });
    const dirsOffset = H + 3 * E;
    expect(Array.from(table.subarray(0, 4))).toEqual([SCHEME_CODE.sobol, n - 1, dirsOffset, 3]);
    ids.forEach((id, e) => {
      expect(table[H + E * e + 4]).toBe(qmcSeed(key, id));
      expect(table[H + E * e + 5]).toBe(e);
    });
    expect(table.length).toBe(dirsOffset + 3 * 32);
    expect(Array.from(table.subarray(dirsOffset))).toEqual(Array.from(sobolDirections(3)));
  });

  it('lhs: header with n - 1 and no directions; n = 2^32 fits as n - 1 for sobol', () => {
    const table = encodeParams(dists, ids, { scheme: 'lhs', samples: 1000, key });
    expect(Array.from(table.subarray(0, 4))).toEqual([SCHEME_CODE.lhs, 999, 0, 3]);
    expect(table.length).toBe(H + 3 * E);
    expect(encodeParams(dists, ids, { scheme: 'sobol', samples: 2 ** 32, key })[1]).toBe(0xffffffff);
  });

  it('random with a sampling spec encodes exactly as without one', () => {
    expect(encodeParams(dists, ids, { scheme: 'random', samples: 1000, key })).toEqual(encodeParams(dists, ids));
  });

  it('refuses a sobol sample count that is not a power of two, and lhs beyond 2^24, as input errors', () => {
    expect(() => encodeParams(dists, ids, { scheme: 'sobol', samples: 1000, key })).toThrow(InputError);
    expect(() => encodeParams(dists, ids, { scheme: 'sobol', samples: 1000, key })).toThrow(/power-of-two/);
    expect(() => encodeParams(dists, ids, { scheme: 'lhs', samples: 2 ** 24 + 1, key })).toThrow(InputError);
  });
});
