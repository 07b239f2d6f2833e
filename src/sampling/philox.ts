/**
 * Counter-based random numbers: Philox4x32-10, the seed-to-key and path-to-stream hashes, and
 * the uniforms every distribution is built from (DESIGN.md "Determinism and randomness").
 *
 * Philox4x32-10 is from J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel random
 * numbers: as easy as 1, 2, 3", SC'11 (doi:10.1145/2063384.2063405), as implemented in
 * Random123 (https://github.com/DEShawResearch/random123, include/Random123/philox.h).
 * shaders/philox.wgsl is the same function in WGSL; the two agree bit for bit.
 */
import seedrandom from 'seedrandom';

/** Round multipliers and Weyl key increments of Philox4x32 (Salmon et al. 2011, Table 2; Random123 philox.h). */
const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
const PHILOX_ROUNDS = 10;

// The multipliers split into 16-bit halves: a 32x32-bit product's high word is assembled from the
// four 16x16-bit partial products, each exact in 32 bits.
const M0_HI16 = PHILOX_M0 >>> 16;
const M0_LO16 = PHILOX_M0 & 0xffff;
const M1_HI16 = PHILOX_M1 >>> 16;
const M1_LO16 = PHILOX_M1 & 0xffff;
const TWO_POW_32 = 4294967296;

/** The high 32 bits of the 64-bit product of u32 a and M = mHi 2^16 + mLo (see below), as int32. */
function mulHi(a: number, mHi: number, mLo: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const p00 = Math.imul(a0, mLo);
  const p10 = Math.imul(a1, mLo);
  const p01 = Math.imul(a0, mHi);
  const mid = (p00 >>> 16) + (p10 & 0xffff) + (p01 & 0xffff);
  return (Math.imul(a1, mHi) + (p10 >>> 16) + (p01 >>> 16) + (mid >>> 16)) | 0;
}

/**
 * Philox4x32 with 10 rounds: counter (c0..c3) and key (k0, k1), all u32, to four u32 words in
 * `out[0..3]`. Allocation-free.
 *
 * Every step stays in 32-bit integers, which JavaScript engines keep in machine registers: the
 * words are carried as int32 (the same 32 bits; `>>> 16` and `& 0xffff` read them unsigned, and
 * Uint32Array stores them back as u32). The low word of a*M is Math.imul's, the exact product
 * modulo 2^32. The high word, with a = a1 2^16 + a0 and M = m1 2^16 + m0, is
 *   a1 m1 + floor(a1 m0 / 2^16) + floor(a0 m1 / 2^16) + floor(mid / 2^16),
 *   mid = floor(a0 m0 / 2^16) + (a1 m0 mod 2^16) + (a0 m1 mod 2^16) < 3 * 2^16,
 * where each 16x16-bit product is below 2^32 (Math.imul gives its bits; `>>>` and `&` read them
 * unsigned) and the sum is below 2^32, so `| 0` keeps it exactly.
 */
export function philox4x32_10(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  c0 |= 0;
  c1 |= 0;
  c2 |= 0;
  c3 |= 0;
  k0 |= 0;
  k1 |= 0;
  for (let round = 0; round < PHILOX_ROUNDS; round++) {
    const hi0 = mulHi(c0, M0_HI16, M0_LO16);
    const lo0 = Math.imul(c0, PHILOX_M0);
    const hi1 = mulHi(c2, M1_HI16, M1_LO16);
    const lo1 = Math.imul(c2, PHILOX_M1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) | 0;
    k1 = (k1 + PHILOX_W1) | 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/**
 * The run's 64-bit Philox key from its seed string: the first two outputs of `seedrandom`'s
 * default generator (ARC4-based, seedrandom 3.x) seeded with the string, each taken as u32
 * (`int32() >>> 0`). Any string is a seed; the same string gives the same key on every
 * platform, which is what makes `--seed` reproducible.
 */
export function keyFromSeed(seed: string): [number, number] {
  const rng = seedrandom(seed);
  const k0 = rng.int32() >>> 0;
  const k1 = rng.int32() >>> 0;
  return [k0, k1];
}

/** FNV-1a, 32-bit: offset basis and prime from http://www.isthe.com/chongo/tech/comp/fnv/ (also IETF draft-eastlake-fnv). */
const FNV32_OFFSET_BASIS = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/**
 * The 32-bit random-stream id of an input: FNV-1a over the UTF-8 bytes of its path in the
 * scenario file (e.g. `costs.pue`). Renaming a path changes its draws; adding another input
 * does not. Collisions are possible (2^-32 per pair) and the plan builder rejects them.
 */
export function streamId(path: string): number {
  let h = FNV32_OFFSET_BASIS;
  for (const byte of utf8.encode(path)) {
    h = Math.imul(h ^ byte, FNV32_PRIME) >>> 0;
  }
  return h >>> 0;
}

/**
 * The most samples a run may ask for: 2^40 keeps sample indices exact in f64 and in the RNG
 * counter's two words (DESIGN.md "Determinism and randomness").
 */
export const MAX_SAMPLES = 2 ** 40;

/** Bits of a Philox word a uniform keeps (see u01FromWord). */
export const UNIFORM_BITS = 23;
const UNIFORM_SCALE = 2 ** -UNIFORM_BITS;

/**
 * A Philox word to a uniform strictly inside (0, 1): u = ((w >>> 9) + 0.5) * 2^-23, i.e.
 * (2m + 1) * 2^-24 for m < 2^23. Every such value has at most 24 significant bits, so it is
 * exactly an f32 and the GPU gets the same number; so is 1 - u. The extremes are 2^-24 and
 * 1 - 2^-24, so log(u) and log(1 - u) are always finite. (Keeping 24 bits instead would need
 * 25 significant bits above u = 0.5, which f32 rounds, possibly up to exactly 1.)
 */
export function u01FromWord(w: number): number {
  return ((w >>> (32 - UNIFORM_BITS)) + 0.5) * UNIFORM_SCALE;
}

const scratchWords = new Uint32Array(4);

/**
 * The uniforms of samples 4q .. 4q+3 (out[0..3]) for one input stream and one draw number:
 * one Philox call at counter (q mod 2^32, floor(q / 2^32), streamId, draw).
 * `q` is an integer below 2^53.
 */
export function uniformQuad(
  key: readonly [number, number],
  streamId: number,
  q: number,
  draw: number,
  out: Float64Array,
): void {
  philox4x32_10(q >>> 0, Math.floor(q / TWO_POW_32), streamId, draw, key[0], key[1], scratchWords);
  out[0] = u01FromWord(scratchWords[0]!);
  out[1] = u01FromWord(scratchWords[1]!);
  out[2] = u01FromWord(scratchWords[2]!);
  out[3] = u01FromWord(scratchWords[3]!);
}
