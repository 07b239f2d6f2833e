/**
 * Sampling schemes other than plain Monte Carlo: scrambled Sobol quasi-Monte Carlo and Latin
 * hypercube sampling. Each gives the draw-0 uniform of one uncertain input for one sample index,
 * statelessly, so any sample can be computed on its own (GPU threads, chunks, shards) and the
 * CPU and GPU get the same number bit for bit (shaders/qmc.wgsl is the WGSL twin).
 *
 * Sobol: points x_i = XOR of the direction words v_j over the set bits j of i (natural order;
 * the first 2^m points are the same set as in Gray-code order). Direction numbers from Joe and
 * Kuo (see sobol-directions.ts). Randomized by nested uniform (Owen) scrambling, done by hashing
 * as in B. Burley, "Practical Hash-based Owen Scrambling", JCGT 9(4), 1-20 (2020): reverse the
 * bits, apply the Laine-Karras permutation (each output bit flips depending only on the input
 * bits below it), reverse back. A scrambled net stays a (t, m, s)-net with the same t, and each
 * point is uniform on [0, 1)^s, so averages are unbiased and their spread over seeds measures
 * the error.
 *
 * LHS: sample i of n gets (pi(i) + v) / n, where pi is a keyed pseudo-random permutation of
 * [0, n) (a bijective hash on the next power of two, walked until it lands below n, as in
 * A. Kensler, "Correlated Multi-Jittered Sampling", Pixar Technical Memo 13-01, 2013) and v is
 * a jitter from a Philox word the caller supplies.
 *
 * Both schemes produce values of at most 24 significant bits, so they are exact in f32.
 */
import { inputError } from '../errors.js';
import { philox4x32_10, u01FromWord } from './philox.js';
import { JOE_KUO_ROWS, SOBOL_BITS, SOBOL_MAX_DIMS } from './sobol-directions.js';

export { SOBOL_MAX_DIMS, SOBOL_BITS } from './sobol-directions.js';

/** The sampling schemes a scenario may choose (`sampling:` in the file, `--sampling` on the CLI). */
export type SamplingScheme = 'random' | 'lhs' | 'sobol';
export const SAMPLING_SCHEMES: readonly SamplingScheme[] = ['random', 'lhs', 'sobol'];

/** A run's sampling scheme and its sample count n (samples 0 .. n-1 form the design). */
export interface SamplingSpec {
  scheme: SamplingScheme;
  samples: number;
}

/** The per-input part of a sampling scheme: the SamplingSpec plus where the input sits in it. */
export interface QmcInput {
  scheme: SamplingScheme;
  /** The input's QMC dimension: its index among the plan's random inputs, in slot order. */
  dim: number;
  /** Scramble (sobol) or permutation (lhs) seed: qmcSeed(key, streamId). */
  seed: number;
  /** The run's sample count n: samples 0 .. n-1 use the scheme, any beyond it the Philox uniform. */
  samples: number;
}

/**
 * The QmcInput of the random input with stream `streamId` that is dimension `dim` (its index
 * among the plan's random inputs) of a run with run key `key`: what prepareDist takes.
 */
export function qmcInput(sampling: SamplingSpec, key: readonly [number, number], dim: number, streamId: number): QmcInput {
  return { scheme: sampling.scheme, dim, seed: qmcSeed(key, streamId), samples: sampling.samples };
}

/** Sobol indices are u32. */
export const SOBOL_MAX_SAMPLES = 2 ** 32;
/** LHS strata are built on a 2^-24 grid (see lhsUniform), so n is at most 2^24. */
export const LHS_MAX_SAMPLES = 2 ** 24;

// ---------------------------------------------------------------------------------------------
// Sobol direction numbers

/** All SOBOL_MAX_DIMS * 32 direction words, built once from the Joe-Kuo rows. */
let allDirections: Uint32Array | undefined;

/**
 * Direction words of one dimension from its primitive polynomial of degree s with inner
 * coefficients a, and initial integers m_1..m_s (Joe and Kuo, "Notes on generating Sobol
 * sequences", 2008, in 32-bit form): V_k = m_k * 2^(32-k) for k <= s, then
 * V_k = V_(k-s) XOR (V_(k-s) >> s) XOR (XOR over j = 1..s-1 of a_j * V_(k-j)),
 * where a_j is bit (s - 1 - j) of a. Word j of the result is V_(j+1).
 */
function directionsOfRow(s: number, a: number, m: readonly number[], out: Uint32Array, offset: number): void {
  for (let k = 1; k <= SOBOL_BITS; k++) {
    let v: number;
    if (k <= s) {
      v = (m[k - 1]! << (SOBOL_BITS - k)) >>> 0;
    } else {
      const back = out[offset + k - s - 1]!;
      v = (back ^ (back >>> s)) >>> 0;
      for (let j = 1; j < s; j++) {
        if (((a >>> (s - 1 - j)) & 1) === 1) v = (v ^ out[offset + k - j - 1]!) >>> 0;
      }
    }
    out[offset + k - 1] = v;
  }
}

function buildAllDirections(): Uint32Array {
  const out = new Uint32Array(SOBOL_MAX_DIMS * SOBOL_BITS);
  // Dimension 0: the van der Corput sequence, all m_k = 1.
  for (let j = 0; j < SOBOL_BITS; j++) out[j] = (1 << (31 - j)) >>> 0;
  JOE_KUO_ROWS.forEach((row, r) => {
    const [d, s, a, ...m] = row.split(' ').map(Number) as [number, number, number, ...number[]];
    if (d !== r + 2 || m.length !== s) throw new Error(`sobol-directions: malformed row ${r}: '${row}'`);
    directionsOfRow(s, a, m, out, (r + 1) * SOBOL_BITS);
  });
  return out;
}

/**
 * Direction words for dimensions 0 .. dims-1: 32 u32 words per dimension, word j of dimension d
 * at index 32*d + j (the layout shaders/qmc.wgsl reads from `params` at the table's Sobol
 * offset). Dimension 0 is the van der Corput sequence (v_j = 2^(31-j)); dimension d >= 1 is row
 * d+1 of new-joe-kuo-6.21201. A fresh copy.
 */
export function sobolDirections(dims: number): Uint32Array {
  return sobolDirectionTable(dims).slice(0, dims * SOBOL_BITS);
}

/**
 * The shared table of all SOBOL_MAX_DIMS dimensions (same layout as sobolDirections), after
 * checking that `dims` dimensions exist. Not copied: callers must not write to it.
 */
export function sobolDirectionTable(dims: number): Uint32Array {
  if (!Number.isInteger(dims) || dims < 1 || dims > SOBOL_MAX_DIMS) {
    throw new RangeError(`sobolDirections: dims must be an integer in [1, ${SOBOL_MAX_DIMS}], got ${dims}`);
  }
  allDirections ??= buildAllDirections();
  return allDirections;
}

// ---------------------------------------------------------------------------------------------
// Sobol points and Owen scrambling

/**
 * The unscrambled Sobol coordinate of point `index` (u32) in dimension `dim`, as a 32-bit
 * fraction (u32; the point is x / 2^32): XOR of the direction words over the set bits of index.
 */
export function sobolPoint(index: number, dim: number, dirs: Uint32Array): number {
  let i = index >>> 0;
  let x = 0;
  let j = dim * SOBOL_BITS;
  while (i !== 0) {
    if ((i & 1) !== 0) x ^= dirs[j]!;
    i >>>= 1;
    j++;
  }
  return x >>> 0;
}

/** The bits of a u32 in reverse order (bit 0 <-> bit 31); WGSL's reverseBits. */
export function reverseBits32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return ((x >>> 16) | (x << 16)) >>> 0;
}

/**
 * Laine-Karras permutation with Burley's constants (JCGT 9(4), 2020): seed addition
 * and `x ^= x * c` with even c each leave bit k a function of bits 0..k with bit k itself only
 * flipped, which is exactly the shape of a nested uniform scramble read from the low bit up.
 */
function laineKarras(x: number, seed: number): number {
  x = (x + seed) >>> 0;
  x = (x ^ Math.imul(x, 0x6c50b47c)) >>> 0;
  x = (x ^ Math.imul(x, 0xb82f1e52)) >>> 0;
  x = (x ^ Math.imul(x, 0xc7afe638)) >>> 0;
  x = (x ^ Math.imul(x, 0x8d22f6e6)) >>> 0;
  return x;
}

/**
 * Nested uniform (Owen) scrambling of a 32-bit fraction x (u32) with a u32 seed (Burley 2020):
 * whether bit 31-k of the result flips depends only on bits 31..31-k+1 of x, so points that
 * share their leading bits (lie in the same dyadic interval) keep sharing them.
 */
export function owenScramble(x: number, seed: number): number {
  return reverseBits32(laineKarras(reverseBits32(x >>> 0), seed >>> 0));
}

/**
 * The scrambled Sobol uniform of sample `index` in dimension `dim` with scramble seed `seed`:
 * u = ((w >>> 9) + 0.5) * 2^-23 for w = owenScramble(sobolPoint(index, dim)), the same rule as
 * every Philox uniform (u01FromWord), so strictly inside (0, 1) and exact in f32. For n = 2^m
 * points with m <= 23, floor(u * n) is the top m bits of w: one point per interval [k/n, (k+1)/n).
 */
export function sobolUniform(index: number, dim: number, seed: number, dirs: Uint32Array): number {
  return u01FromWord(owenScramble(sobolPoint(index, dim, dirs), seed));
}

/**
 * Counter word 1 of the Philox call that makes scramble seeds. Sample counters have word 1 =
 * floor(q / 2^32) with q = floor(i / 4) < 2^51, so this value is never a sample's counter and the
 * seed is independent of every input's draws.
 */
export const QMC_SEED_COUNTER_HI = 0xffffffff;
const seedScratch = new Uint32Array(4);

/**
 * The scramble (Sobol) or permutation (LHS) seed of one input: word 0 of Philox4x32-10 at
 * counter (0, QMC_SEED_COUNTER_HI, streamId, 0) under the run key. So it follows the run's seed
 * string and the input's path like every other draw, and is the same for every sweep cell
 * (common random numbers). Computed on the host; the GPU gets it as a u32.
 */
export function qmcSeed(key: readonly [number, number], streamId: number): number {
  philox4x32_10(0, QMC_SEED_COUNTER_HI, streamId, 0, key[0], key[1], seedScratch);
  return seedScratch[0]!;
}

// ---------------------------------------------------------------------------------------------
// Latin hypercube

/**
 * A 32-bit integer hash: lowbias32 (C. Wellons, hash-prospector,
 * https://github.com/skeeto/hash-prospector, "lowbias32"). Used only to derive keys.
 */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** 2^32 / golden ratio (Knuth's multiplicative hashing constant): spreads consecutive dims apart. */
const GOLDEN_U32 = 0x9e3779b9;

/** The permutation key of dimension `dim` under seed `seed`: mix32(seed + dim * 0x9e3779b9). */
export function lhsKey(seed: number, dim: number): number {
  return mix32((seed + Math.imul(dim, GOLDEN_U32)) >>> 0);
}

/** Second round key, from the first (both engines derive it the same way). */
const LHS_KEY2_SALT = 0x5bd1e995;

/**
 * One application of a keyed bijection of [0, 2^bits) (mask = 2^bits - 1, shift = ceil(bits/2)):
 * XOR or add a key, multiply by an odd constant, XOR-shift right, three times, all mod 2^bits.
 * Each step is invertible on bits-bit integers, so the whole is a permutation. The multipliers
 * are lowbias32's and the 32-bit golden ratio (odd, so bijective mod 2^bits).
 */
function lhsRound(x: number, mask: number, shift: number, key1: number, key2: number): number {
  x = (x ^ key1) & mask;
  x = Math.imul(x, 0x7feb352d) & mask;
  x ^= x >>> shift;
  x = (x + key2) & mask;
  x = Math.imul(x, 0x846ca68b) & mask;
  x ^= x >>> shift;
  x = (x ^ (key1 >>> 8)) & mask;
  x = Math.imul(x, 0x9e3779b1) & mask;
  x ^= x >>> shift;
  return x;
}

/**
 * pi(index): a permutation of [0, n) keyed by `key` (u32), for 1 <= n <= 2^24 and index < n.
 * The bijection of the next power of two is applied again until the value falls below n (cycle
 * walking): it stays on index's cycle, which contains index < n, so it ends, and since n is above
 * half the power of two it takes fewer than 2 steps on average.
 */
export function lhsPermute(index: number, n: number, key: number): number {
  if (n <= 1) return 0;
  const bits = 32 - Math.clz32(n - 1);
  const mask = (1 << bits) - 1;
  const shift = (bits + 1) >>> 1;
  const key1 = key >>> 0;
  const key2 = mix32((key ^ LHS_KEY2_SALT) >>> 0);
  let x = index;
  do {
    x = lhsRound(x, mask, shift, key1, key2);
  } while (x >= n);
  return x;
}

const TWO_POW_M24 = 2 ** -24;
const TWO_POW_M25 = 2 ** -25;

/**
 * The LHS uniform of sample `index` (< n) in dimension `dim`: (pi(index) + v) / n, with pi the
 * permutation keyed by lhsKey(seed, dim) and v from the top 24 bits of `jitterWord` (a Philox
 * word the caller draws, so the randomness stays on the Philox streams).
 *
 * Formed exactly in integers so f32 and f64 agree bit for bit: with k = pi(index) and J the 24
 * jitter bits, U = floor(2^24 (k + J/2^24) / n) = q + floor((r + J) / n), where q, r are the
 * quotient and remainder of k * 2^24 / n (three 8-bit long-division steps, each below 2^32).
 * U is raised to ceil(2^24 k / n) when it fell just below the stratum (a grid-sized nudge). Then
 * u = U * 2^-24, or 2^-25 for U = 0: at most 24 significant bits, strictly inside (0, 1), and
 * inside [k/n, (k+1)/n) because every stratum (width >= 2^-24 when n <= 2^24) holds at least one
 * grid point. So for each dimension the n samples occupy the n strata once each.
 */
export function lhsUniform(index: number, dim: number, n: number, seed: number, jitterWord: number): number {
  if (!(Number.isInteger(n) && n >= 1 && n <= LHS_MAX_SAMPLES && Number.isInteger(index) && index >= 0 && index < n)) {
    throw new RangeError(`lhsUniform: need 1 <= n <= 2^24 and 0 <= index < n, got n = ${n}, index = ${index}`);
  }
  const k = lhsPermute(index, n, lhsKey(seed, dim));
  let q = 0;
  let r = k;
  for (let step = 0; step < 3; step++) {
    const x = r * 256;
    const rest = x % n;
    q = q * 256 + (x - rest) / n;
    r = rest;
  }
  const t = r + (jitterWord >>> 8);
  let u24 = q + (t - (t % n)) / n;
  const lowest = r > 0 ? q + 1 : q;
  if (u24 < lowest) u24 = lowest;
  return u24 === 0 ? TWO_POW_M25 : u24 * TWO_POW_M24;
}

// ---------------------------------------------------------------------------------------------
// Input checks (user-facing: a scenario's sample count and number of inputs)

/** Throws an InputError unless `samples` suits `scheme`; `path` names the field at fault. */
export function checkSampleCount(scheme: SamplingScheme, samples: number, path = 'samples'): void {
  if (scheme === 'sobol') {
    const isPow2 = Number.isInteger(samples) && samples >= 1 && samples <= SOBOL_MAX_SAMPLES && 2 ** Math.round(Math.log2(samples)) === samples;
    if (!isPow2) {
      const m = Number.isFinite(samples) && samples >= 2 ? Math.min(31, Math.floor(Math.log2(samples))) : 10;
      const hint = samples > SOBOL_MAX_SAMPLES ? `2^32 = ${SOBOL_MAX_SAMPLES}` : `2^${m} = ${2 ** m} or 2^${m + 1} = ${2 ** (m + 1)}`;
      inputError(
        path,
        `sampling: sobol needs a power-of-two sample count (a Sobol net balances only 2^m points); got ${samples}, use e.g. ${hint}`,
      );
    }
  } else if (scheme === 'lhs') {
    if (!(Number.isInteger(samples) && samples >= 1 && samples <= LHS_MAX_SAMPLES)) {
      inputError(path, `sampling: lhs supports 1 to 2^24 = ${LHS_MAX_SAMPLES} samples (one stratum per sample), got ${samples}`);
    }
  }
}

/** Throws an InputError when a Sobol run has more uncertain inputs than direction numbers. */
export function checkSobolDims(inputs: number, path = 'sampling'): void {
  if (inputs > SOBOL_MAX_DIMS) {
    inputError(
      path,
      `sobol sampling supports at most ${SOBOL_MAX_DIMS} uncertain inputs, this scenario has ${inputs}; use sampling: lhs or random`,
    );
  }
}
