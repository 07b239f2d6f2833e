// philox.wgsl -- Philox4x32-10 counter-based random numbers and u32 -> (0, 1) uniforms.
//
// Provides:
//   fn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32>
//   fn u01(w: vec4<u32>) -> vec4<f32>
// Bindings: none. Module-scope names start with PHILOX_ / philox_.
//
// Philox4x32 with 10 rounds (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
// 1, 2, 3", SC'11; Random123 include/Random123/philox.h). WGSL has no u64, so the 32x32 -> 64
// bit products come from 16-bit halves. Bit for bit the same as src/sampling/philox.ts, which
// is checked against Random123's known-answer vectors (test/sampling-wgsl.test.ts runs both).
//
// Counter layout used by cptsim (DESIGN.md "Determinism"): (q mod 2^32, floor(q / 2^32),
// stream id, draw number), key = the run's 64-bit key; word j of the result feeds sample 4q + j.

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// (high word, low word) of the 64-bit product a * b.
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xFFFFu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xFFFFu;
  let b_hi = b >> 16u;
  // Each partial product is below 2^32; the middle column collects the carries into bit 32.
  let lo_lo = a_lo * b_lo;
  let lo_hi = a_lo * b_hi;
  let hi_lo = a_hi * b_lo;
  let hi_hi = a_hi * b_hi;
  let middle = (lo_lo >> 16u) + (lo_hi & 0xFFFFu) + (hi_lo & 0xFFFFu);
  let high = hi_hi + (lo_hi >> 16u) + (hi_lo >> 16u) + (middle >> 16u);
  return vec2<u32>(high, a * b);
}

fn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    let p0 = philox_mulhilo(PHILOX_M0, c.x);
    let p1 = philox_mulhilo(PHILOX_M1, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

// u = ((w >> 9) + 0.5) * 2^-23: strictly inside (0, 1) (from 2^-24 to 1 - 2^-24), and every
// step is exact in f32 (at most 24 significant bits), so it equals the CPU's f64 value; 1 - u
// is exact too. Same as u01FromWord in src/sampling/philox.ts.
fn u01(w: vec4<u32>) -> vec4<f32> {
  return (vec4<f32>(w >> vec4<u32>(9u)) + 0.5) * (1.0 / 8388608.0);
}
