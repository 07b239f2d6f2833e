// qmc.wgsl -- scrambled Sobol and Latin hypercube uniforms, one sample index at a time.
//
// Provides:
//   fn sobol_point(index: u32, dim: u32, dirs: u32) -> u32
//       unscrambled Sobol coordinate of point `index` in dimension `dim` (a 32-bit fraction):
//       XOR of params[dirs + 32 * dim + j] over the set bits j of index (natural order).
//   fn owen_scramble(x: u32, seed: u32) -> u32
//       nested uniform (Owen) scramble by hashing: reverse bits, Laine-Karras permutation with
//       Burley's constants, reverse back (B. Burley, "Practical Hash-based Owen Scrambling",
//       JCGT 9(4), 2020).
//   fn sobol_u01(index: u32, dim: u32, seed: u32, dirs: u32) -> f32
//       ((owen_scramble(sobol_point(index, dim, dirs), seed) >> 9) + 0.5) * 2^-23: in (0, 1), exact.
//   fn lhs_u01(index: u32, dim: u32, n: u32, seed: u32, jitter: u32) -> f32
//       Latin hypercube: (pi(index) + v) / n built on a 2^-24 grid (2^-25 for the lowest
//       point), pi a permutation of [0, n) keyed by lhs_key(seed, dim), v = the top 24 bits
//       of the Philox word `jitter`. In (0, 1), exact in f32.
// Needs: the caller's bindings file declaring
//   var<storage, read> params: array<u32>;   (any group/binding; the name must be `params`)
// holding, from word `dirs` on, sobolDirections(dims) from src/sampling/qmc.ts (32 words per
// dimension). The parameter table of encodeParams (src/sampling/encode.ts) carries them in its
// tail, with `dirs` in its header; distributions.wgsl passes it.
// Bindings: none here. Module-scope names start with QMC_ / qmc_ / sobol_ / lhs_ / owen_.
//
// Bit for bit the same as src/sampling/qmc.ts (sobolPoint, owenScramble, sobolUniform,
// lhsUniform): integer math in u32 (wrapping multiplies), then an exact conversion; no float
// division. Seeds (qmcSeed in qmc.ts) come from the host per input.
// Limits: index < 2^32 (Sobol; its uniforms keep 23 bits, so beyond 2^23 points they stratify
// only to 2^-23); dirs + 32 * (dim + 1) <= arrayLength(&params) (at most 64 dims); LHS needs
// 1 <= n <= 2^24 and index < n (not checked here: the host checks the sample count). The LHS
// permutation walks its cycle until it lands below n: fewer than 2 rounds on average, always
// finite, but not bounded by a constant.

const QMC_SOBOL_BITS: u32 = 32u;
// 2^-24 and 2^-25 as exact f32 constants.
const QMC_TWO_POW_M24: f32 = 1.0 / 16777216.0;
const QMC_TWO_POW_M25: f32 = 1.0 / 33554432.0;

fn sobol_point(index: u32, dim: u32, dirs: u32) -> u32 {
  var i = index;
  var j = dirs + dim * QMC_SOBOL_BITS;
  var x = 0u;
  while (i != 0u) {
    if ((i & 1u) != 0u) {
      x = x ^ params[j];
    }
    i = i >> 1u;
    j = j + 1u;
  }
  return x;
}

// Seed addition and x ^= x * c with even c keep bit k a function of bits 0..k that only flips
// bit k: the nested scramble, read from the low bit up (hence the reversals around it).
fn owen_laine_karras(x_in: u32, seed: u32) -> u32 {
  var x = x_in + seed;
  x = x ^ (x * 0x6c50b47cu);
  x = x ^ (x * 0xb82f1e52u);
  x = x ^ (x * 0xc7afe638u);
  x = x ^ (x * 0x8d22f6e6u);
  return x;
}

fn owen_scramble(x: u32, seed: u32) -> u32 {
  return reverseBits(owen_laine_karras(reverseBits(x), seed));
}

fn sobol_u01(index: u32, dim: u32, seed: u32, dirs: u32) -> f32 {
  let w = owen_scramble(sobol_point(index, dim, dirs), seed);
  return (f32(w >> 9u) + 0.5) * (1.0 / 8388608.0);
}

// lowbias32 (C. Wellons, hash-prospector): key derivation only. Same as mix32 in qmc.ts.
fn qmc_mix32(x_in: u32) -> u32 {
  var x = x_in;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  return x ^ (x >> 16u);
}

fn lhs_key(seed: u32, dim: u32) -> u32 {
  return qmc_mix32(seed + dim * 0x9e3779b9u);
}

// A keyed bijection of [0, 2^bits): every step is invertible mod 2^bits (odd multipliers,
// right XOR-shifts, key XOR/add). Same as lhsRound in qmc.ts.
fn lhs_round(x_in: u32, mask: u32, shift: u32, key1: u32, key2: u32) -> u32 {
  var x = (x_in ^ key1) & mask;
  x = (x * 0x7feb352du) & mask;
  x = x ^ (x >> shift);
  x = (x + key2) & mask;
  x = (x * 0x846ca68bu) & mask;
  x = x ^ (x >> shift);
  x = (x ^ (key1 >> 8u)) & mask;
  x = (x * 0x9e3779b1u) & mask;
  x = x ^ (x >> shift);
  return x;
}

// pi(index) for index < n <= 2^24, by cycle walking on the next power of two.
fn lhs_permute(index: u32, n: u32, key: u32) -> u32 {
  if (n <= 1u) {
    return 0u;
  }
  let bits = 32u - countLeadingZeros(n - 1u);
  let mask = (1u << bits) - 1u;
  let shift = (bits + 1u) >> 1u;
  let key2 = qmc_mix32(key ^ 0x5bd1e995u);
  var x = index;
  loop {
    x = lhs_round(x, mask, shift, key, key2);
    if (x < n) {
      break;
    }
  }
  return x;
}

fn lhs_u01(index: u32, dim: u32, n: u32, seed: u32, jitter: u32) -> f32 {
  let k = lhs_permute(index, n, lhs_key(seed, dim));
  // q, r = quotient and remainder of k * 2^24 / n, 8 bits at a time (r * 256 < 2^32).
  var q = 0u;
  var r = k;
  for (var step = 0u; step < 3u; step++) {
    let x = r * 256u;
    q = q * 256u + x / n;
    r = x % n;
  }
  let lowest = select(q, q + 1u, r > 0u);
  let u24 = max(q + (r + (jitter >> 8u)) / n, lowest);
  return select(f32(u24) * QMC_TWO_POW_M24, QMC_TWO_POW_M25, u24 == 0u);
}
