// distributions.wgsl -- the values of one uncertain input for four consecutive samples.
//
// Provides:
//   fn sample_param(entry: u32, q: u32, q_hi: u32) -> vec4<f32>
//       samples 4q .. 4q+3 (q = q_hi * 2^32 + q) of parameter-table entry `entry`, with the
//       run key in `dist_key`;
//   fn sample_param_k(entry: u32, q: u32, q_hi: u32, key: vec2<u32>) -> vec4<f32>
//       the same with the key passed explicitly;
//   var<private> dist_key: vec2<u32>
//       the run's Philox key: the entry point sets it once (e.g. from its uniform block)
//       before calling sample_param.
// Needs: philox.wgsl before it, and the caller's bindings file declaring
//   var<storage, read> params: array<u32>;   (any group/binding; the name must be `params`)
// holding the table that encodeParams() in src/sampling/encode.ts builds:
//   entries of DIST_ENTRY_WORDS = 12 u32 at params[12 * entry ..]:
//     [0] kind (DIST_KIND_*), [1] stream id, [2] aux offset (absolute word index), [3] aux count,
//     [4..11] p0..p7 as f32 bits, per kind:
//       const       value
//       uniform     min, max
//       normal      mean, sd_signed, p_lo, q_hi, mass   (truncated normal by inverse CDF between
//                   Phi(a) and Phi(b); see prepareDist in src/sampling/sample.ts)
//       lognormal   exp(mu), sigma
//       triangular  min, max, F(mode), (max-min)(mode-min), (max-min)(max-mode)
//       beta/PERT   min, max, d_alpha, c_alpha, d_beta, c_beta, 1/alpha or 0, 1/beta or 0
//   then aux data: discrete = aux count values (f32), then aux count cumulative weights (f32).
// Draw numbers (4th Philox counter word): 0 for every one-uniform kind; beta: attempts k of the
// alpha gamma use draws 2k, 2k+1, the beta gamma 2*DIST_GAMMA_TRIES + 2k, +1, the shape boosts
// 4*DIST_GAMMA_TRIES and 4*DIST_GAMMA_TRIES + 1.
// Mirrors src/sampling/sample.ts formula for formula (f32 here, f64 there); no log of 0, no
// 0/0, no pow, and no branch on a computed NaN. Limits: discrete tables are scanned linearly
// (fine for tens of values); truncated-normal tail masses must be above f32's normal range
// (~1e-38), i.e. truncation no further than ~13 sd from the mean.
// Module-scope names start with DIST_ / dist_.

const DIST_KIND_CONST: u32 = 0u;
const DIST_KIND_UNIFORM: u32 = 1u;
const DIST_KIND_NORMAL: u32 = 2u;
const DIST_KIND_LOGNORMAL: u32 = 3u;
const DIST_KIND_TRIANGULAR: u32 = 4u;
const DIST_KIND_BETA: u32 = 5u;
const DIST_KIND_DISCRETE: u32 = 6u;
const DIST_ENTRY_WORDS: u32 = 12u;
const DIST_GAMMA_TRIES: u32 = 8u;
const DIST_BETA_LOG_RATIO_MAX: f32 = 80.0;

var<private> dist_key: vec2<u32>;

fn dist_param(entry: u32, k: u32) -> f32 {
  return bitcast<f32>(params[entry * DIST_ENTRY_WORDS + 4u + k]);
}

fn dist_uniforms(stream: u32, q: u32, q_hi: u32, draw: u32, key: vec2<u32>) -> vec4<f32> {
  return u01(philox4x32_10(vec4<u32>(q, q_hi, stream, draw), key));
}

// Phi^{-1} from (p, q = 1 - p), each given without cancellation; both must be > 0. Wichura's
// PPND7 (AS 241, 1988; coefficients and source in src/sampling/special.ts): all three
// rational forms have positive coefficients on their ranges, so f32 keeps ~1e-7 accuracy.
// All branches are evaluated per lane and chosen with select; max() keeps the unused ones finite.
fn dist_inv_norm(p: vec4<f32>, q: vec4<f32>) -> vec4<f32> {
  let s = p - 0.5;
  let rc = 0.180625 - s * s;
  let central = s * (((59.10937472 * rc + 159.29113202) * rc + 50.434271938) * rc + 3.3871327179)
    / (((67.1875636 * rc + 78.757757664) * rc + 17.895169469) * rc + 1.0);
  let lower = p < q;
  let r = sqrt(max(-log(select(q, p, lower)), vec4<f32>(0.0)));
  let rn = r - 1.6;
  let near = (((0.17023821103 * rn + 1.3067284816) * rn + 2.75681539) * rn + 1.4234372777)
    / ((0.12021132975 * rn + 0.7370016425) * rn + 1.0);
  let rf = r - 5.0;
  let far = (((0.017337203997 * rf + 0.42868294337) * rf + 3.081226386) * rf + 6.657905115)
    / ((0.012258202635 * rf + 0.24197894225) * rf + 1.0);
  let tail_abs = select(far, near, r <= vec4<f32>(5.0));
  let tail = select(tail_abs, -tail_abs, lower);
  return select(tail, central, abs(s) <= vec4<f32>(0.425));
}

// ln Gamma(d + 1/3) variates by Marsaglia & Tsang (ACM TOMS 26(3), 2000); see gammaQuad in
// src/sampling/sample.ts for the bound on attempts and what a lane keeps if all fail.
fn dist_gamma_log(d: f32, c: f32, stream: u32, q: u32, q_hi: u32, first_draw: u32, key: vec2<u32>) -> vec4<f32> {
  var result = vec4<f32>(log(d));
  var pending = vec4<bool>(true);
  for (var attempt = 0u; attempt < DIST_GAMMA_TRIES; attempt++) {
    if (!any(pending)) {
      break;
    }
    let un = dist_uniforms(stream, q, q_hi, first_draw + 2u * attempt, key);
    let ua = dist_uniforms(stream, q, q_hi, first_draw + 2u * attempt + 1u, key);
    let x = dist_inv_norm(un, 1.0 - un);
    let cube = 1.0 + c * x;
    let positive = cube > vec4<f32>(0.0);
    let base = select(vec4<f32>(1.0), cube, positive);
    let v = base * base * base;
    let x2 = x * x;
    let accept = positive & ((ua < 1.0 - 0.0331 * x2 * x2) | (log(ua) < 0.5 * x2 + d * (1.0 - v + log(v))));
    result = select(result, log(d * v), pending & positive);
    pending = pending & !accept;
  }
  return result;
}

fn dist_beta(entry: u32, stream: u32, q: u32, q_hi: u32, key: vec2<u32>) -> vec4<f32> {
  var lx = dist_gamma_log(dist_param(entry, 2u), dist_param(entry, 3u), stream, q, q_hi, 0u, key);
  var ly = dist_gamma_log(dist_param(entry, 4u), dist_param(entry, 5u), stream, q, q_hi, 2u * DIST_GAMMA_TRIES, key);
  // Shape below 1: Gamma(s) = Gamma(s + 1) * U^(1/s), in logs.
  let inv_alpha = dist_param(entry, 6u);
  let inv_beta = dist_param(entry, 7u);
  if (inv_alpha > 0.0) {
    lx += log(dist_uniforms(stream, q, q_hi, 4u * DIST_GAMMA_TRIES, key)) * inv_alpha;
  }
  if (inv_beta > 0.0) {
    ly += log(dist_uniforms(stream, q, q_hi, 4u * DIST_GAMMA_TRIES + 1u, key)) * inv_beta;
  }
  let lo = dist_param(entry, 0u);
  let hi = dist_param(entry, 1u);
  let range = hi - lo;
  let t = clamp(ly - lx, vec4<f32>(-DIST_BETA_LOG_RATIO_MAX), vec4<f32>(DIST_BETA_LOG_RATIO_MAX));
  return select(hi - range / (1.0 + exp(-t)), lo + range / (1.0 + exp(t)), t > vec4<f32>(0.0));
}

fn dist_discrete(entry: u32, u: vec4<f32>) -> vec4<f32> {
  let base = entry * DIST_ENTRY_WORDS;
  let aux = params[base + 2u];
  let n = params[base + 3u];
  // Walk from the last value down, so the first j with u < cum[j] wins.
  var result = vec4<f32>(bitcast<f32>(params[aux + n - 1u]));
  for (var j = n - 1u; j > 0u; j--) {
    let value = bitcast<f32>(params[aux + j - 1u]);
    let cum = bitcast<f32>(params[aux + n + j - 1u]);
    result = select(result, vec4<f32>(value), u < vec4<f32>(cum));
  }
  return result;
}

fn sample_param_k(entry: u32, q: u32, q_hi: u32, key: vec2<u32>) -> vec4<f32> {
  let base = entry * DIST_ENTRY_WORDS;
  let kind = params[base];
  let stream = params[base + 1u];
  let p0 = dist_param(entry, 0u);
  if (kind == DIST_KIND_CONST) {
    return vec4<f32>(p0);
  }
  if (kind == DIST_KIND_BETA) {
    return dist_beta(entry, stream, q, q_hi, key);
  }
  let u = dist_uniforms(stream, q, q_hi, 0u, key);
  let p1 = dist_param(entry, 1u);
  switch kind {
    case DIST_KIND_UNIFORM: {
      return p0 + (p1 - p0) * u;
    }
    case DIST_KIND_NORMAL: {
      let mass = dist_param(entry, 4u);
      let z = dist_inv_norm(dist_param(entry, 2u) + u * mass, dist_param(entry, 3u) + (1.0 - u) * mass);
      return p0 + p1 * z;
    }
    case DIST_KIND_LOGNORMAL: {
      return p0 * exp(p1 * dist_inv_norm(u, 1.0 - u));
    }
    case DIST_KIND_TRIANGULAR: {
      let below = p0 + sqrt(u * dist_param(entry, 3u));
      let above = p1 - sqrt((1.0 - u) * dist_param(entry, 4u));
      return select(above, below, u < vec4<f32>(dist_param(entry, 2u)));
    }
    case DIST_KIND_DISCRETE: {
      return dist_discrete(entry, u);
    }
    default: {
      return vec4<f32>(0.0);
    }
  }
}

fn sample_param(entry: u32, q: u32, q_hi: u32) -> vec4<f32> {
  return sample_param_k(entry, q, q_hi, dist_key);
}
