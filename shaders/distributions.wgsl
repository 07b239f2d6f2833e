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
// Needs: philox.wgsl and qmc.wgsl before it, and the caller's bindings file declaring
//   var<storage, read> params: array<u32>;   (any group/binding; the name must be `params`)
// holding the table that encodeParams() in src/sampling/encode.ts builds:
//   header of DIST_HEADER_WORDS = 5 u32: [0] scheme (DIST_SCHEME_*), [1] n - 1 for the run's
//   sample count n, [2] word offset of the Sobol direction words, [3] number of entries,
//   [4] word offset of the copula block (0: no input is correlated);
//   entries of DIST_ENTRY_WORDS = 12 u32 at params[5 + 12 * entry ..]:
//     [0] kind (DIST_KIND_*), [1] stream id, [2] aux offset (absolute word index), [3] aux count,
//     [4] QMC seed, [5] QMC dimension, [6..11] p0..p5 as f32 bits, per kind:
//       const       value
//       uniform     min, max
//       normal      mean, sd_signed, p_lo, q_hi, mass   (truncated normal by inverse CDF between
//                   Phi(a) and Phi(b); see prepareDist in src/sampling/sample.ts)
//       lognormal   exp(mu), sigma
//       triangular  min, max, F(mode), (max-min)(mode-min), (max-min)(max-mode)
//       beta/PERT   min, max, knots per unit of logit u (128), half = index of the knot at t = 0
//   then aux data: discrete = aux count values (f32), then aux count cumulative weights (f32);
//   beta = aux count = 2 half + 1 knots y_k (f32), the logit of the quantile at
//   logit u = (k - half) / p2;
//   the copula block at c = [4]: [c] m correlated entries, [c + 1 + e] k + 1 for the entry of
//   correlated input k (0 for the others), [c + 1 + entries + k] the entry of correlated input k,
//   then the lower Cholesky factor row by row, L[k][j] (f32) at c + 1 + entries + m + k(k+1)/2 + j.
// Correlated inputs (the caller's loop, shaders/mc.wgsl; src/sampling/copula.ts on the CPU): the
// normal scores z = Phi^-1(u) of their draw-0 uniforms (dist_copula_score), mixed z' = L z, go back
// through Phi and each input's inverse CDF (dist_copula_value).
// Every kind but const is an inverse CDF of one uniform: Philox draw 0 (4th counter word 0) under
// the random scheme; under lhs / sobol, for sample i = 4q + lane below n, the input's Latin
// hypercube uniform (jitter: that lane's draw-0 Philox word) or scrambled Sobol uniform of
// dimension [5] with seed [4] -- bit for bit the uniforms of src/sampling/sample.ts.
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
const DIST_SCHEME_RANDOM: u32 = 0u;
const DIST_SCHEME_LHS: u32 = 1u;
const DIST_HEADER_WORDS: u32 = 5u;
const DIST_COPULA_WORD: u32 = 4u;
// The smallest uniform any sampler gives (LHS: 2^-25): the copula's uniforms stay at or above it
// on both sides (COPULA_U_MIN in src/sampling/copula.ts).
const DIST_COPULA_U_MIN: f32 = 0x1p-25f;
// Normal scores beyond +-6 give a tail below DIST_COPULA_U_MIN anyway; clamping keeps exp finite.
const DIST_COPULA_Z_MAX: f32 = 6.0;
const DIST_ENTRY_WORDS: u32 = 12u;
const DIST_PARAM_WORD: u32 = 6u;

var<private> dist_key: vec2<u32>;

fn dist_base(entry: u32) -> u32 {
  return DIST_HEADER_WORDS + entry * DIST_ENTRY_WORDS;
}

fn dist_param(entry: u32, k: u32) -> f32 {
  return bitcast<f32>(params[dist_base(entry) + DIST_PARAM_WORD + k]);
}

// The draw-0 uniforms of samples 4q .. 4q+3 under the table's sampling scheme.
fn dist_uniforms(entry: u32, stream: u32, q: u32, q_hi: u32, key: vec2<u32>) -> vec4<f32> {
  let words = philox4x32_10(vec4<u32>(q, q_hi, stream, 0u), key);
  var u = u01(words);
  let scheme = params[0];
  let last = params[1];
  // Lanes at or beyond n keep the Philox uniform; q <= last / 4 also keeps 4q + 3 below 2^32.
  if (scheme == DIST_SCHEME_RANDOM || q_hi != 0u || q > (last >> 2u)) {
    return u;
  }
  let base = dist_base(entry);
  let seed = params[base + 4u];
  let dim = params[base + 5u];
  for (var lane = 0u; lane < 4u; lane++) {
    let i = 4u * q + lane;
    if (i <= last) {
      if (scheme == DIST_SCHEME_LHS) {
        u[lane] = lhs_u01(i, dim, last + 1u, seed, words[lane]);
      } else {
        u[lane] = sobol_u01(i, dim, seed, params[2]);
      }
    }
  }
  return u;
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

// Tabulated inverse CDF (transformUniform in src/sampling/sample.ts): t = logit(u) = log(u) - log(v)
// with v = 1 - u, its knot position, y linear between knots k and k + 1, then min + range * sigmoid(y)
// from the nearer end of the range.
fn dist_beta(entry: u32, u: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  let base = dist_base(entry);
  let aux = params[base + 2u];
  let half = dist_param(entry, 3u);
  let t = log(u) - log(v);
  // Knot position relative to the knot at t = 0 (a product by a power of two: exact).
  let r = clamp(t * dist_param(entry, 2u), vec4<f32>(-half), vec4<f32>(half));
  let below = min(floor(r), vec4<f32>(half - 1.0));
  let k = vec4<u32>(below + half);
  let y0 = vec4<f32>(
    bitcast<f32>(params[aux + k.x]),
    bitcast<f32>(params[aux + k.y]),
    bitcast<f32>(params[aux + k.z]),
    bitcast<f32>(params[aux + k.w]),
  );
  let y1 = vec4<f32>(
    bitcast<f32>(params[aux + k.x + 1u]),
    bitcast<f32>(params[aux + k.y + 1u]),
    bitcast<f32>(params[aux + k.z + 1u]),
    bitcast<f32>(params[aux + k.w + 1u]),
  );
  let y = y0 + (r - below) * (y1 - y0);
  let lo = dist_param(entry, 0u);
  let hi = dist_param(entry, 1u);
  let range = hi - lo;
  return select(lo + range / (1.0 + exp(-y)), hi - range / (1.0 + exp(y)), y > vec4<f32>(0.0));
}

fn dist_discrete(entry: u32, u: vec4<f32>) -> vec4<f32> {
  let base = dist_base(entry);
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

// The inverse CDF of a (non-constant) entry at the uniforms u, with v = 1 - u given without
// cancellation: 1.0 - u of a sampler's uniform (exact), or the copula's Phi(-z).
fn dist_transform(entry: u32, u: vec4<f32>, v: vec4<f32>) -> vec4<f32> {
  let kind = params[dist_base(entry)];
  let p0 = dist_param(entry, 0u);
  let p1 = dist_param(entry, 1u);
  switch kind {
    case DIST_KIND_UNIFORM: {
      return dist_uniform4(u, p0, p1);
    }
    case DIST_KIND_NORMAL: {
      return dist_normal4(u, v, p0, p1, dist_param(entry, 2u), dist_param(entry, 3u), dist_param(entry, 4u));
    }
    case DIST_KIND_LOGNORMAL: {
      return dist_lognormal4(u, v, p0, p1);
    }
    case DIST_KIND_TRIANGULAR: {
      return dist_triangular4(u, v, p0, p1, dist_param(entry, 2u), dist_param(entry, 3u), dist_param(entry, 4u));
    }
    case DIST_KIND_BETA: {
      return dist_beta(entry, u, v);
    }
    case DIST_KIND_DISCRETE: {
      return dist_discrete(entry, u);
    }
    default: {
      return vec4<f32>(0.0);
    }
  }
}

// The inverse CDFs of the kinds whose parameters fit the entry's p0..p5, at the uniforms u (and
// v = 1 - u, as for dist_transform), with the parameters as encodeParams() writes them (see
// above). dist_transform calls them with the parameters read from the table; a kernel
// specialised for a plan (src/engine/gpu/specialise.ts) calls them with the same parameters
// written into its source.
fn dist_uniform4(u: vec4<f32>, lo: f32, hi: f32) -> vec4<f32> {
  return lo + (hi - lo) * u;
}

fn dist_normal4(u: vec4<f32>, v: vec4<f32>, mean: f32, sd: f32, p_lo: f32, q_hi: f32, mass: f32) -> vec4<f32> {
  let z = dist_inv_norm(p_lo + u * mass, q_hi + v * mass);
  return mean + sd * z;
}

fn dist_lognormal4(u: vec4<f32>, v: vec4<f32>, exp_mu: f32, sigma: f32) -> vec4<f32> {
  return exp_mu * exp(sigma * dist_inv_norm(u, v));
}

fn dist_triangular4(u: vec4<f32>, v: vec4<f32>, lo: f32, hi: f32, f_mode: f32, below_k: f32, above_k: f32) -> vec4<f32> {
  let below = lo + sqrt(u * below_k);
  let above = hi - sqrt(v * above_k);
  return select(above, below, u < vec4<f32>(f_mode));
}

fn sample_param_k(entry: u32, q: u32, q_hi: u32, key: vec2<u32>) -> vec4<f32> {
  let base = dist_base(entry);
  if (params[base] == DIST_KIND_CONST) {
    return vec4<f32>(dist_param(entry, 0u));
  }
  let u = dist_uniforms(entry, params[base + 1u], q, q_hi, key);
  return dist_transform(entry, u, 1.0 - u);
}

// Correlated inputs in the table (0 when none: the caller then skips the copula entirely).
fn dist_copula_count() -> u32 {
  let c = params[DIST_COPULA_WORD];
  return select(0u, params[c], c != 0u);
}

// k + 1 when entry is correlated input k, else 0. Only with dist_copula_count() > 0.
fn dist_copula_pos(entry: u32) -> u32 {
  return params[params[DIST_COPULA_WORD] + 1u + entry];
}

// The entry of correlated input k.
fn dist_copula_entry(k: u32) -> u32 {
  return params[params[DIST_COPULA_WORD] + 1u + params[3] + k];
}

// L[k][j], j <= k: the lower Cholesky factor of the normal correlation matrix.
fn dist_copula_lower(k: u32, j: u32) -> f32 {
  let c = params[DIST_COPULA_WORD];
  return bitcast<f32>(params[c + 1u + params[3] + params[c] + k * (k + 1u) / 2u + j]);
}

// The normal scores Phi^-1(u) of an entry's draw-0 uniforms for samples 4q .. 4q+3.
fn dist_copula_score(entry: u32, q: u32, q_hi: u32, key: vec2<u32>) -> vec4<f32> {
  let u = dist_uniforms(entry, params[dist_base(entry) + 1u], q, q_hi, key);
  return dist_inv_norm(u, 1.0 - u);
}

// Phi(-x) for x >= 0, with relative accuracy: 0.5 erfc(x / sqrt 2), erfc by the Chebyshev fit of
// Numerical Recipes (Press et al., 2nd ed., section 6.2, erfcc; fractional error below 1.2e-7).
fn dist_norm_upper(x: vec4<f32>) -> vec4<f32> {
  let y = x * 0.70710678;
  let t = 1.0 / (1.0 + 0.5 * y);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return 0.5 * t * exp(-y * y + poly);
}

// The values of an entry at its mixed normal scores z' = (L z): its inverse CDF at u = Phi(z'),
// v = Phi(-z'), each from the small tail and held at or above DIST_COPULA_U_MIN.
fn dist_copula_value(entry: u32, z: vec4<f32>) -> vec4<f32> {
  let zc = clamp(z, vec4<f32>(-DIST_COPULA_Z_MAX), vec4<f32>(DIST_COPULA_Z_MAX));
  let tail = dist_norm_upper(abs(zc));
  let lower = zc < vec4<f32>(0.0);
  let u = max(select(1.0 - tail, tail, lower), vec4<f32>(DIST_COPULA_U_MIN));
  let v = max(select(tail, 1.0 - tail, lower), vec4<f32>(DIST_COPULA_U_MIN));
  return dist_transform(entry, u, v);
}

fn sample_param(entry: u32, q: u32, q_hi: u32) -> vec4<f32> {
  return sample_param_k(entry, q, q_hi, dist_key);
}
