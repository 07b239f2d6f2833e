/** Shared test data of the sampling tests. */

/**
 * Known-answer vectors for philox4x32 with 10 rounds, from Random123's tests/kat_vectors
 * (https://github.com/DEShawResearch/random123, tests/kat_vectors): counter[4], key[2] -> out[4].
 */
export const PHILOX_KAT: ReadonlyArray<{ ctr: number[]; key: number[]; out: number[] }> = [
  { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

import type { Dist } from '../src/sampling/index.js';

/** One or more distributions per kind, with shapes that exercise each transform's branches. */
export const TEST_DISTS: ReadonlyArray<{ name: string; dist: Dist }> = [
  { name: 'const', dist: { kind: 'const', value: 42.5 } },
  { name: 'uniform [2, 5]', dist: { kind: 'uniform', min: 2, max: 5 } },
  { name: 'normal(100, 15)', dist: { kind: 'normal', mean: 100, sd: 15, min: -Infinity, max: Infinity } },
  { name: 'normal(1, 2) on [2, 4]', dist: { kind: 'normal', mean: 1, sd: 2, min: 2, max: 4 } },
  { name: 'normal(0, 1) on [3, inf)', dist: { kind: 'normal', mean: 0, sd: 1, min: 3, max: Infinity } },
  { name: 'normal(10, 1) on (-inf, 9]', dist: { kind: 'normal', mean: 10, sd: 1, min: -Infinity, max: 9 } },
  { name: 'lognormal(0.5, 0.7)', dist: { kind: 'lognormal', mu: 0.5, sigma: 0.7 } },
  { name: 'lognormal "0.05 to 0.15"', dist: { kind: 'lognormal', mu: Math.log(Math.sqrt(0.05 * 0.15)), sigma: Math.log(3) / (2 * 1.6448536269514722) } },
  { name: 'triangular [1, 2, 6]', dist: { kind: 'triangular', min: 1, mode: 2, max: 6 } },
  { name: 'triangular [28000, 32000, 40000]', dist: { kind: 'triangular', min: 28000, mode: 32000, max: 40000 } },
  { name: 'pert [0.35, 0.6, 0.85]', dist: { kind: 'pert', min: 0.35, mode: 0.6, max: 0.85 } },
  { name: 'pert [10, 11, 30]', dist: { kind: 'pert', min: 10, mode: 11, max: 30 } },
  { name: 'beta(2, 5) on [0, 1]', dist: { kind: 'beta', alpha: 2, beta: 5, min: 0, max: 1 } },
  { name: 'beta(0.5, 0.5) on [-1, 1]', dist: { kind: 'beta', alpha: 0.5, beta: 0.5, min: -1, max: 1 } },
  { name: 'beta(0.3, 3) on [0, 2]', dist: { kind: 'beta', alpha: 0.3, beta: 3, min: 0, max: 2 } },
  { name: 'discrete {1, 5, 3} weights {1, 2, 3}', dist: { kind: 'discrete', values: [1, 5, 3], weights: [1, 2, 3] } },
  { name: 'discrete {8, 16} weights {0.25, 0.75}', dist: { kind: 'discrete', values: [8, 16], weights: [0.25, 0.75] } },
];
