/**
 * Uniforms to distribution values: `samplePreparedQuad` gives the values of samples 4q .. 4q+3 of
 * one input. Every transform here has a line-for-line f32 twin in shaders/distributions.wgsl, and
 * both start from the same parameter set (`prepareDist`), so the two engines agree to ~1e-4
 * relative per sample.
 *
 * Every kind but const is an inverse CDF of one uniform, the draw-0 uniform of its input: Philox
 * draw 0 (the 4th counter word) under the random scheme; under lhs and sobol the input's Latin
 * hypercube or scrambled Sobol coordinate of sample i = 4q + lane, for i below the run's sample
 * count (lhs takes its jitter from that lane's draw-0 Philox word; a sample at or beyond the count
 * -- a padding lane of the last quad -- keeps the Philox uniform). No kind uses another draw, so
 * the QMC schemes stratify every input, and inputs never share draws.
 *
 * Beta and PERT use a tabulated inverse CDF (see `betaKnots`): the host inverts the regularized
 * incomplete beta function in f64 on a grid in t = logit(u), and the sampler interpolates
 * linearly in (logit u, logit x). Both tails of a beta are power laws, x ~ (c u)^(1/alpha), so in
 * these coordinates the quantile function is asymptotically a straight line at both ends, and
 * linear interpolation is accurate from 2^-25 to 1 - 2^-25 with a modest number of knots.
 */
import type { Dist } from './dist.js';
import { philox4x32_10, u01FromWord } from './philox.js';
import { lhsUniform, sobolDirectionTable, sobolUniform, type QmcInput, type SamplingScheme } from './qmc.js';
import { betaParamsOf } from './stats.js';
import { betaCdf, betaLogitQuantile, invNormFast, normCdf } from './special.js';

/** Kind codes shared with shaders/distributions.wgsl (DIST_KIND_*). PERT is sampled as a beta. */
export const DIST_KIND = {
  const: 0,
  uniform: 1,
  normal: 2,
  lognormal: 3,
  triangular: 4,
  beta: 5,
  discrete: 6,
} as const;

/** Scheme codes shared with shaders/distributions.wgsl (DIST_SCHEME_*). */
export const SCHEME_CODE: Readonly<Record<SamplingScheme, number>> = { random: 0, lhs: 1, sobol: 2 };

/** Parameters per distribution, p0..p5 (their meaning per kind: see `prepareDist`). */
export const DIST_PARAMS = 6;

/**
 * The beta/PERT inverse-CDF table's knots lie at t = logit(u) = k h for integers k with
 * |k| <= BETA_TABLE_HALF, spacing h = 1 / BETA_KNOTS_PER_LOGIT. A power of two, so that both
 * engines find a sample's knot position t / h exactly (an f32 product by 128 does not round), and
 * t = 0 is a knot (so the middle of the table, where a symmetric range's values cross zero, has no
 * large position to lose digits in). Linear interpolation's error is h^2/8 * |y''|, falling 4x per
 * halving of h. Measured against the f64 quantile (test/sampling-beta.test.ts), relative to the
 * distance from the nearer end of the range, h = 2^-7 gives below 1e-6 on every PERT and 5e-6 on
 * Beta(0.3, 3); only shapes far below 1 do worse (1e-5 on Beta(5, 0.2), 1.7e-4 near the ends of
 * the U-shaped Beta(0.1, 0.1), where y bends sharply), for 4439 knots: 17 KiB of GPU
 * table and ~10 ms of host time per input. (h = 0.034, 1024 intervals, left 1.6e-5 on a PERT with its mode at 1%
 * of the range, and 1e-4 on Beta(0.3, 3).)
 */
export const BETA_KNOTS_PER_LOGIT = 128;
/**
 * Every uniform the samplers produce (Philox and Sobol: 2^-24 .. 1 - 2^-24; LHS's lowest point:
 * 2^-25) has |logit u| <= T = logit(1 - 2^-25) = ln(2^25 - 1) = 17.33, so no sample is clamped.
 */
export const BETA_LOGIT_U_MAX = Math.log(2 ** 25 - 1);
/** Knots each side of t = 0: ceil(T / h) = 2219. */
export const BETA_TABLE_HALF = Math.ceil(BETA_LOGIT_U_MAX * BETA_KNOTS_PER_LOGIT);
/**
 * Bound on |logit x| in the table: keeps exp() finite in f32 (e^80 = 5.5e34 < 3.4e38), while
 * 1/(1 + e^80) = 1.8e-35 of the range is below anything a scenario could resolve.
 */
export const BETA_LOGIT_X_MAX = 80;

/** A distribution with its sampling constants precomputed in f64 (the GPU gets them as f32). */
export interface PreparedDist {
  kind: number;
  p: Float64Array;
  /** discrete: the values, in the order given. */
  values: Float64Array;
  /** discrete: cumulative normalized weights rounded to f32 (so both engines pick the same value); last is 1. */
  cumWeights: Float64Array;
  /** beta and PERT: logit of the quantile at 2 BETA_TABLE_HALF + 1 knots (see `betaKnots`); shared per shape, read-only. */
  knots: Float64Array;
  /** SCHEME_CODE of the sampling scheme; the rest of the fields matter only when it is not random. */
  scheme: number;
  dim: number;
  seed: number;
  samples: number;
  /** sobol: direction words of every dimension (32 per dimension). */
  dirs: Uint32Array;
}

const EMPTY = new Float64Array(0);
const EMPTY_U32 = new Uint32Array(0);

/**
 * Beta knots per shape (alpha, beta): a table costs ~4e3 incomplete-beta inversions (~10 ms), and
 * depends on nothing else. Bounded; a run has at most a few dozen shapes.
 */
const knotCache = new Map<string, Float64Array>();
const KNOT_CACHE_MAX = 256;

/**
 * The beta/PERT inverse-CDF table: for k = 0 .. 2 BETA_TABLE_HALF, with
 * t_k = (k - BETA_TABLE_HALF) / BETA_KNOTS_PER_LOGIT and u_k = sigmoid(t_k), knot k is y_k = logit
 * of the Beta(alpha, beta) quantile at u_k, in f64, clamped to [-BETA_LOGIT_X_MAX,
 * BETA_LOGIT_X_MAX]. The lower and upper tail probabilities of u_k are both formed from e^-|t|
 * without cancellation, so the deep tails keep their relative accuracy.
 */
export function betaKnots(alpha: number, beta: number): Float64Array {
  const knots = new Float64Array(2 * BETA_TABLE_HALF + 1);
  const pHalf = betaCdf(0.5, alpha, beta);
  let prev = NaN;
  let prev2 = NaN;
  for (let k = 0; k < knots.length; k++) {
    const t = (k - BETA_TABLE_HALF) / BETA_KNOTS_PER_LOGIT;
    const e = Math.exp(-Math.abs(t));
    const small = e / (1 + e);
    const large = 1 / (1 + e);
    // Start from the line through the two previous knots (exact in the power-law tails).
    const guess = Number.isFinite(prev2) ? 2 * prev - prev2 : prev;
    const y = t < 0 ? betaLogitQuantile(small, large, alpha, beta, pHalf, guess) : betaLogitQuantile(large, small, alpha, beta, pHalf, guess);
    prev2 = prev;
    prev = y;
    knots[k] = Math.min(Math.max(y, -BETA_LOGIT_X_MAX), BETA_LOGIT_X_MAX);
  }
  return knots;
}

function knotsOf(dist: Extract<Dist, { kind: 'beta' | 'pert' }>): Float64Array {
  const { alpha, beta } = betaParamsOf(dist);
  const shape = `${alpha} ${beta}`;
  let knots = knotCache.get(shape);
  if (knots === undefined) {
    knots = betaKnots(alpha, beta);
    if (knotCache.size >= KNOT_CACHE_MAX) knotCache.clear();
    knotCache.set(shape, knots);
  }
  return knots;
}

/**
 * Sampling constants of a distribution, and of its sampling scheme (plain Monte Carlo when `qmc`
 * is left out). p0..p5 per kind:
 * - const: value.
 * - uniform: min, max.
 * - normal (truncated to [min, max]): mean, sdSigned, pLo, qHi, mass. In the standardized frame
 *   a = (min - mean)/sd, b = (max - mean)/sd, flipped (a, b) -> (-b, -a) with sdSigned = -sd when
 *   a + b > 0 so that the interval leans to the lower side; then pLo = Phi(a), qHi = Phi(-b) and
 *   mass = Phi(b) - Phi(a), all in f64 with relative accuracy. A sample is
 *   mean + sdSigned * Phi^{-1}(p) with p = pLo + u*mass and 1 - p = qHi + (1 - u)*mass, each
 *   formed without cancellation, so the inverse CDF stays accurate in f32 in both tails.
 * - lognormal: exp(mu), sigma. A sample is exp(mu) * exp(sigma * z).
 * - triangular: min, max, F(mode) = (mode-min)/(max-min), (max-min)(mode-min), (max-min)(max-mode).
 * - beta (and PERT): min, max, 1/h (knots per unit of t), the index of the knot at t = 0;
 *   `knots` holds the table. A sample is min + (max - min) sigmoid(y), y interpolated at
 *   t = logit(u).
 * - discrete: nothing; `values` and `cumWeights` hold the table.
 */
export function prepareDist(dist: Dist, qmc?: QmcInput): PreparedDist {
  const prep = prepareKind(dist);
  if (qmc !== undefined && qmc.scheme !== 'random') {
    prep.scheme = SCHEME_CODE[qmc.scheme];
    prep.dim = qmc.dim;
    prep.seed = qmc.seed >>> 0;
    prep.samples = qmc.samples;
    if (qmc.scheme === 'sobol') prep.dirs = sobolDirectionTable(qmc.dim + 1);
  }
  return prep;
}

function prepared1(kind: number, p: Float64Array): PreparedDist {
  return { kind, p, values: EMPTY, cumWeights: EMPTY, knots: EMPTY, scheme: 0, dim: 0, seed: 0, samples: 0, dirs: EMPTY_U32 };
}

function prepareKind(dist: Dist): PreparedDist {
  const p = new Float64Array(DIST_PARAMS);
  switch (dist.kind) {
    case 'const':
      p[0] = dist.value;
      return prepared1(DIST_KIND.const, p);
    case 'uniform':
      p[0] = dist.min;
      p[1] = dist.max;
      return prepared1(DIST_KIND.uniform, p);
    case 'normal': {
      let a = (dist.min - dist.mean) / dist.sd;
      let b = (dist.max - dist.mean) / dist.sd;
      let sdSigned = dist.sd;
      if (a + b > 0) {
        [a, b] = [-b, -a];
        sdSigned = -dist.sd;
      }
      const pLo = normCdf(a);
      const qHi = normCdf(-b);
      // Phi(b) - Phi(a) from lower-tail values when b < 0, keeping relative accuracy there.
      const mass = b < 0 ? normCdf(b) - pLo : 1 - pLo - qHi;
      p[0] = dist.mean;
      p[1] = sdSigned;
      p[2] = pLo;
      p[3] = qHi;
      p[4] = mass;
      return prepared1(DIST_KIND.normal, p);
    }
    case 'lognormal':
      p[0] = Math.exp(dist.mu);
      p[1] = dist.sigma;
      return prepared1(DIST_KIND.lognormal, p);
    case 'triangular': {
      const range = dist.max - dist.min;
      p[0] = dist.min;
      p[1] = dist.max;
      p[2] = range > 0 ? (dist.mode - dist.min) / range : 0;
      p[3] = range * (dist.mode - dist.min);
      p[4] = range * (dist.max - dist.mode);
      return prepared1(DIST_KIND.triangular, p);
    }
    case 'pert':
    case 'beta': {
      p[0] = dist.min;
      p[1] = dist.max;
      p[2] = BETA_KNOTS_PER_LOGIT;
      p[3] = BETA_TABLE_HALF;
      const prep = prepared1(DIST_KIND.beta, p);
      prep.knots = knotsOf(dist);
      return prep;
    }
    case 'discrete': {
      const n = dist.values.length;
      const values = Float64Array.from(dist.values);
      const cumWeights = new Float64Array(n);
      let total = 0;
      for (const w of dist.weights) total += w;
      let running = 0;
      for (let j = 0; j < n; j++) {
        running += dist.weights[j]!;
        cumWeights[j] = Math.fround(running / total);
      }
      if (n > 0) cumWeights[n - 1] = 1;
      const prep = prepared1(DIST_KIND.discrete, p);
      prep.values = values;
      prep.cumWeights = cumWeights;
      return prep;
    }
  }
}

const prepared = new WeakMap<Dist, PreparedDist>();

function sameScheme(prep: PreparedDist, qmc: QmcInput | undefined): boolean {
  if (qmc === undefined || qmc.scheme === 'random') return prep.scheme === 0;
  return (
    prep.scheme === SCHEME_CODE[qmc.scheme] && prep.dim === qmc.dim && prep.seed === qmc.seed >>> 0 && prep.samples === qmc.samples
  );
}

/**
 * prepareDist, cached per Dist object (a plan's Dists are not mutated once built); the cache
 * keeps the last scheme asked for and prepares again when another one is.
 */
export function preparedOf(dist: Dist, qmc?: QmcInput): PreparedDist {
  let prep = prepared.get(dist);
  if (prep === undefined || !sameScheme(prep, qmc)) {
    prep = prepareDist(dist, qmc);
    prepared.set(dist, prep);
  }
  return prep;
}

/**
 * Values of samples 4q .. 4q+3 of an input with distribution `dist`, stream `streamId`, into
 * out[0..3], under the sampling scheme `qmc` (plain Monte Carlo when left out). Allocation-free
 * once the Dist's constants are cached (first call per Dist object and scheme).
 */
export function sampleQuad(
  dist: Dist,
  key: readonly [number, number],
  streamId: number,
  q: number,
  out: Float64Array,
  qmc?: QmcInput,
): void {
  samplePreparedQuad(preparedOf(dist, qmc), key, streamId, q, out);
}

// Scratch Philox words. Module-level so that the hot path allocates nothing (the sampler is
// single-threaded per worker).
const w = new Uint32Array(4);
const TWO_POW_32 = 4294967296;
const SCHEME_LHS = SCHEME_CODE.lhs;
const SCHEME_SOBOL = SCHEME_CODE.sobol;

/** As sampleQuad, from prepared constants (the scheme is part of them): the inverse CDF of uniformPreparedQuad's uniforms. */
export function samplePreparedQuad(prep: PreparedDist, key: readonly [number, number], streamId: number, q: number, out: Float64Array): void {
  if (prep.kind === DIST_KIND.const) {
    out[0] = out[1] = out[2] = out[3] = prep.p[0]!;
    return;
  }
  uniformPreparedQuad(prep, key, streamId, q, out);
  for (let j = 0; j < 4; j++) out[j] = transformUniform(prep, out[j]!);
}

/**
 * The draw-0 uniforms of samples 4q .. 4q+3 of an input under its scheme, into out[0..3]: the
 * uniforms samplePreparedQuad transforms. A constant draws none (out is left as it is).
 */
export function uniformPreparedQuad(prep: PreparedDist, key: readonly [number, number], streamId: number, q: number, out: Float64Array): void {
  if (prep.kind === DIST_KIND.const) return;
  const n = prep.samples;
  const i0 = 4 * q;
  if (prep.scheme === SCHEME_SOBOL && i0 + 3 < n) {
    // Every lane is a Sobol point: no Philox word needed.
    for (let j = 0; j < 4; j++) out[j] = sobolUniform(i0 + j, prep.dim, prep.seed, prep.dirs);
    return;
  }
  philox4x32_10(q >>> 0, Math.floor(q / TWO_POW_32), streamId, 0, key[0], key[1], w);
  if (prep.scheme === 0) {
    for (let j = 0; j < 4; j++) out[j] = u01FromWord(w[j]!);
    return;
  }
  for (let j = 0; j < 4; j++) {
    const i = i0 + j;
    if (i >= n) out[j] = u01FromWord(w[j]!);
    else if (prep.scheme === SCHEME_LHS) out[j] = lhsUniform(i, prep.dim, n, prep.seed, w[j]!);
    else out[j] = sobolUniform(i, prep.dim, prep.seed, prep.dirs);
  }
}

/**
 * The value of a prepared distribution at a uniform given as the pair (u, v = 1 - u), each
 * formed without cancellation (the Gaussian copula's Phi(z) and Phi(-z), src/sampling/copula.ts):
 * transformUniform's inverse CDFs with 1 - u read from v, so that a uniform near 1 keeps its
 * distance from 1. shaders/distributions.wgsl's dist_transform is its f32 twin.
 */
export function transformPair(prep: PreparedDist, u: number, v: number): number {
  const p = prep.p;
  switch (prep.kind) {
    case DIST_KIND.normal: {
      const mass = p[4]!;
      return p[0]! + p[1]! * invNormFast(p[2]! + u * mass, p[3]! + v * mass);
    }
    case DIST_KIND.lognormal:
      return p[0]! * Math.exp(p[1]! * invNormFast(u, v));
    case DIST_KIND.triangular:
      return u < p[2]! ? p[0]! + Math.sqrt(u * p[3]!) : p[1]! - Math.sqrt(v * p[4]!);
    case DIST_KIND.beta:
      return betaAtLogit(prep, Math.log(u) - Math.log(v));
    default:
      // const, uniform and discrete read u alone.
      return transformUniform(prep, u);
  }
}

/**
 * A prepared beta (or PERT) at the uniform whose logit is t = log(u) - log(1 - u): the tabulated
 * inverse CDF, linear between the knots, mapped back through the sigmoid.
 */
function betaAtLogit(prep: PreparedDist, t: number): number {
  const p = prep.p;
  const knots = prep.knots;
  const half = p[3]!;
  // Knot position of t, relative to the knot at t = 0: inside [-half, half] for every sampler's
  // u, clamped anyway.
  const r = Math.min(Math.max(t * p[2]!, -half), half);
  const below = Math.min(Math.floor(r), half - 1);
  const k = below + half;
  const y0 = knots[k]!;
  const y = y0 + (r - below) * (knots[k + 1]! - y0);
  // x = min + range sigmoid(y), from whichever end is nearer so that it keeps its digits.
  const range = p[1]! - p[0]!;
  return y > 0 ? p[1]! - range / (1 + Math.exp(y)) : p[0]! + range / (1 + Math.exp(-y));
}

/**
 * The value of a prepared distribution at the uniform u in (0, 1): its inverse CDF (the
 * tabulated one for beta and PERT), the transform every sampler applies to its draw-0 uniform.
 */
export function transformUniform(prep: PreparedDist, u: number): number {
  const p = prep.p;
  switch (prep.kind) {
    case DIST_KIND.const:
      return p[0]!;
    case DIST_KIND.uniform:
      return p[0]! + (p[1]! - p[0]!) * u;
    case DIST_KIND.normal: {
      const mass = p[4]!;
      const z = invNormFast(p[2]! + u * mass, p[3]! + (1 - u) * mass);
      return p[0]! + p[1]! * z;
    }
    case DIST_KIND.lognormal:
      return p[0]! * Math.exp(p[1]! * invNormFast(u, 1 - u));
    case DIST_KIND.triangular:
      // Inverse CDF; 1 - u is exact (u is a multiple of 2^-25).
      return u < p[2]! ? p[0]! + Math.sqrt(u * p[3]!) : p[1]! - Math.sqrt((1 - u) * p[4]!);
    case DIST_KIND.beta:
      return betaAtLogit(prep, Math.log(u) - Math.log1p(-u));
    case DIST_KIND.discrete: {
      const cum = prep.cumWeights;
      const last = cum.length - 1;
      for (let j = 0; j < last; j++) if (u < cum[j]!) return prep.values[j]!;
      return prep.values[last]!;
    }
    default:
      throw new Error(`sampling: unknown distribution kind ${prep.kind}`);
  }
}
