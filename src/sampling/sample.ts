/**
 * Uniforms to distribution values: `sampleQuad` gives the values of samples 4q .. 4q+3 of one
 * input. Every transform here has a line-for-line f32 twin in shaders/distributions.wgsl, and
 * both start from the same parameter set (`prepareDist`), so the two engines agree to ~1e-4
 * relative per sample.
 *
 * Draw numbers (the 4th Philox counter word) per kind:
 *   const: none. uniform, triangular, discrete, normal, lognormal: draw 0.
 *   beta and PERT: X ~ Gamma(alpha) takes draws 0 .. 2*GAMMA_TRIES-1 (attempt k: draw 2k for its
 *   normal, 2k+1 for its acceptance uniform), Y ~ Gamma(beta) the next 2*GAMMA_TRIES draws, and
 *   the shape-boost uniforms for alpha < 1 and beta < 1 the draws 4*GAMMA_TRIES and
 *   4*GAMMA_TRIES + 1. All four samples of a quad use the same draw numbers.
 */
import type { Dist } from './dist.js';
import { philox4x32_10, u01FromWord } from './philox.js';
import { betaParamsOf } from './stats.js';
import { invNormFast, normCdf } from './special.js';

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

/** Marsaglia-Tsang attempts per gamma variate (see `gammaQuad`). */
export const GAMMA_TRIES = 8;
export const DRAW_BETA_BOOST_ALPHA = 4 * GAMMA_TRIES;
export const DRAW_BETA_BOOST_BETA = 4 * GAMMA_TRIES + 1;
/** Parameters per distribution, p0..p7 (their meaning per kind: see `prepareDist`). */
export const DIST_PARAMS = 8;
/**
 * Bound on |ln Y - ln X| in the beta transform: keeps exp() finite in f32 (e^80 = 5.5e34 <
 * 3.4e38) while 1/(1 + e^80) is already below any beta quantile a user could resolve.
 */
export const BETA_LOG_RATIO_MAX = 80;

/** A distribution with its sampling constants precomputed in f64 (the GPU gets them as f32). */
export interface PreparedDist {
  kind: number;
  p: Float64Array;
  /** discrete: the values, in the order given. */
  values: Float64Array;
  /** discrete: cumulative normalized weights rounded to f32 (so both engines pick the same value); last is 1. */
  cumWeights: Float64Array;
}

const EMPTY = new Float64Array(0);

/**
 * Sampling constants of a distribution. p0..p7 per kind:
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
 * - beta (and PERT): min, max, then per shape s in (alpha, beta): d = s' - 1/3 and
 *   c = 1/sqrt(9d) for s' = max(s, s + 1 when s < 1) (Marsaglia-Tsang), then 1/alpha and 1/beta
 *   when that shape is below 1 (the boost), else 0.
 * - discrete: nothing; `values` and `cumWeights` hold the table.
 */
export function prepareDist(dist: Dist): PreparedDist {
  const p = new Float64Array(DIST_PARAMS);
  switch (dist.kind) {
    case 'const':
      p[0] = dist.value;
      return { kind: DIST_KIND.const, p, values: EMPTY, cumWeights: EMPTY };
    case 'uniform':
      p[0] = dist.min;
      p[1] = dist.max;
      return { kind: DIST_KIND.uniform, p, values: EMPTY, cumWeights: EMPTY };
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
      return { kind: DIST_KIND.normal, p, values: EMPTY, cumWeights: EMPTY };
    }
    case 'lognormal':
      p[0] = Math.exp(dist.mu);
      p[1] = dist.sigma;
      return { kind: DIST_KIND.lognormal, p, values: EMPTY, cumWeights: EMPTY };
    case 'triangular': {
      const range = dist.max - dist.min;
      p[0] = dist.min;
      p[1] = dist.max;
      p[2] = range > 0 ? (dist.mode - dist.min) / range : 0;
      p[3] = range * (dist.mode - dist.min);
      p[4] = range * (dist.max - dist.mode);
      return { kind: DIST_KIND.triangular, p, values: EMPTY, cumWeights: EMPTY };
    }
    case 'pert':
    case 'beta': {
      const { alpha, beta, min, max } = betaParamsOf(dist);
      p[0] = min;
      p[1] = max;
      const shapes = [alpha, beta] as const;
      for (let s = 0; s < 2; s++) {
        const shape = shapes[s]!;
        const boosted = shape < 1 ? shape + 1 : shape;
        const d = boosted - 1 / 3;
        p[2 + 2 * s] = d;
        p[3 + 2 * s] = 1 / Math.sqrt(9 * d);
        p[6 + s] = shape < 1 ? 1 / shape : 0;
      }
      return { kind: DIST_KIND.beta, p, values: EMPTY, cumWeights: EMPTY };
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
      return { kind: DIST_KIND.discrete, p, values, cumWeights };
    }
  }
}

const prepared = new WeakMap<Dist, PreparedDist>();

/** prepareDist, cached per Dist object (a plan's Dists are not mutated once built). */
export function preparedOf(dist: Dist): PreparedDist {
  let prep = prepared.get(dist);
  if (prep === undefined) {
    prep = prepareDist(dist);
    prepared.set(dist, prep);
  }
  return prep;
}

/**
 * Values of samples 4q .. 4q+3 of an input with distribution `dist`, stream `streamId`, into
 * out[0..3]. Allocation-free once the Dist's constants are cached (first call per Dist object).
 */
export function sampleQuad(
  dist: Dist,
  key: readonly [number, number],
  streamId: number,
  q: number,
  out: Float64Array,
): void {
  samplePreparedQuad(preparedOf(dist), key, streamId, q, out);
}

// Scratch words: w holds draw 0 / normal draws, v acceptance draws. Module-level so that the
// hot path allocates nothing (the sampler is single-threaded per worker).
const w = new Uint32Array(4);
const v = new Uint32Array(4);
const gammaLog = new Float64Array(8);
const pending = new Uint8Array(4);
const TWO_POW_32 = 4294967296;

/** As sampleQuad, from prepared constants. */
export function samplePreparedQuad(
  prep: PreparedDist,
  key: readonly [number, number],
  streamId: number,
  q: number,
  out: Float64Array,
): void {
  const p = prep.p;
  const kind = prep.kind;
  if (kind === DIST_KIND.const) {
    out[0] = out[1] = out[2] = out[3] = p[0]!;
    return;
  }
  const qLo = q >>> 0;
  const qHi = Math.floor(q / TWO_POW_32);
  const k0 = key[0];
  const k1 = key[1];
  if (kind === DIST_KIND.beta) {
    betaQuad(p, k0, k1, streamId, qLo, qHi, out);
    return;
  }
  philox4x32_10(qLo, qHi, streamId, 0, k0, k1, w);
  for (let j = 0; j < 4; j++) {
    const u = u01FromWord(w[j]!);
    out[j] = transform1(prep, u);
  }
}

/** The one-uniform transforms (every kind but const and beta). */
function transform1(prep: PreparedDist, u: number): number {
  const p = prep.p;
  switch (prep.kind) {
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
      // Inverse CDF; 1 - u is exact (u is a multiple of 2^-24).
      return u < p[2]! ? p[0]! + Math.sqrt(u * p[3]!) : p[1]! - Math.sqrt((1 - u) * p[4]!);
    case DIST_KIND.discrete: {
      const cum = prep.cumWeights;
      const last = cum.length - 1;
      for (let j = 0; j < last; j++) if (u < cum[j]!) return prep.values[j]!;
      return prep.values[last]!;
    }
    default:
      throw new Error(`sampling: no one-uniform transform for kind ${prep.kind}`);
  }
}

/**
 * ln of Gamma(shape) variates for the four lanes into gammaLog[offset .. offset+3], by
 * Marsaglia & Tsang, "A simple method for generating gamma variables", ACM TOMS 26(3), 2000:
 * with d = shape - 1/3, c = 1/sqrt(9d), x ~ N(0,1), v = (1 + c x)^3, accept d*v when v > 0 and
 * U < 1 - 0.0331 x^4 or ln U < x^2/2 + d (1 - v + ln v). Acceptance is above 0.95 for every
 * shape >= 1, so GAMMA_TRIES = 8 attempts all fail with probability below 0.05^8 = 4e-11; such
 * a lane keeps the last candidate with v > 0, or d (the mode's neighbourhood) if none had one.
 * The normal is Phi^{-1}(u) (PPND7), one uniform per attempt.
 */
function gammaQuad(
  d: number,
  c: number,
  k0: number,
  k1: number,
  streamId: number,
  qLo: number,
  qHi: number,
  firstDraw: number,
  offset: number,
): void {
  let left = 4;
  for (let j = 0; j < 4; j++) {
    pending[j] = 1;
    gammaLog[offset + j] = Math.log(d);
  }
  for (let attempt = 0; attempt < GAMMA_TRIES && left > 0; attempt++) {
    philox4x32_10(qLo, qHi, streamId, firstDraw + 2 * attempt, k0, k1, w);
    philox4x32_10(qLo, qHi, streamId, firstDraw + 2 * attempt + 1, k0, k1, v);
    for (let j = 0; j < 4; j++) {
      if (pending[j] === 0) continue;
      const un = u01FromWord(w[j]!);
      const x = invNormFast(un, 1 - un);
      const cube = 1 + c * x;
      if (!(cube > 0)) continue;
      const vv = cube * cube * cube;
      const ua = u01FromWord(v[j]!);
      const x2 = x * x;
      gammaLog[offset + j] = Math.log(d * vv);
      if (ua < 1 - 0.0331 * x2 * x2 || Math.log(ua) < 0.5 * x2 + d * (1 - vv + Math.log(vv))) {
        pending[j] = 0;
        left--;
      }
    }
  }
}

/** Beta(alpha, beta) on [min, max] as X / (X + Y), X ~ Gamma(alpha), Y ~ Gamma(beta), in logs. */
function betaQuad(
  p: Float64Array,
  k0: number,
  k1: number,
  streamId: number,
  qLo: number,
  qHi: number,
  out: Float64Array,
): void {
  gammaQuad(p[2]!, p[3]!, k0, k1, streamId, qLo, qHi, 0, 0);
  gammaQuad(p[4]!, p[5]!, k0, k1, streamId, qLo, qHi, 2 * GAMMA_TRIES, 4);
  // Shape < 1: Gamma(s) = Gamma(s + 1) * U^(1/s) (Marsaglia & Tsang 2000, section 6), in logs so
  // that tiny variates do not underflow.
  const invAlpha = p[6]!;
  const invBeta = p[7]!;
  if (invAlpha > 0) {
    philox4x32_10(qLo, qHi, streamId, DRAW_BETA_BOOST_ALPHA, k0, k1, w);
    for (let j = 0; j < 4; j++) gammaLog[j] += Math.log(u01FromWord(w[j]!)) * invAlpha;
  }
  if (invBeta > 0) {
    philox4x32_10(qLo, qHi, streamId, DRAW_BETA_BOOST_BETA, k0, k1, w);
    for (let j = 0; j < 4; j++) gammaLog[4 + j] += Math.log(u01FromWord(w[j]!)) * invBeta;
  }
  const min = p[0]!;
  const max = p[1]!;
  const range = max - min;
  for (let j = 0; j < 4; j++) {
    // t = ln(Y/X); B = 1/(1 + e^t) and 1 - B = 1/(1 + e^-t): use the smaller so it keeps its digits.
    const t = Math.min(Math.max(gammaLog[4 + j]! - gammaLog[j]!, -BETA_LOG_RATIO_MAX), BETA_LOG_RATIO_MAX);
    out[j] = t > 0 ? min + range / (1 + Math.exp(t)) : max - range / (1 + Math.exp(-t));
  }
}
