/**
 * Closed-form summaries of a Dist in f64: quantiles (explain uses medians, the tornado P10/P90),
 * means and variances (tests compare sample moments against them).
 */
import type { Dist } from './dist.js';
import { betaQuantile, invNorm, normCdf, normPdf } from './special.js';

/** Shape weight of the classic Beta-PERT (Malcolm et al. 1959; dist.ts): alpha = 1 + 4 (mode-min)/(max-min). */
const PERT_SHAPE_WEIGHT = 4;

/** The Beta(alpha, beta) on [min, max] that a beta or PERT Dist is. */
export function betaParamsOf(dist: Extract<Dist, { kind: 'beta' | 'pert' }>): {
  alpha: number;
  beta: number;
  min: number;
  max: number;
} {
  if (dist.kind === 'beta') return { alpha: dist.alpha, beta: dist.beta, min: dist.min, max: dist.max };
  const range = dist.max - dist.min;
  // A zero-width PERT is the constant min; any shape gives that, so take the symmetric one.
  const alpha = range > 0 ? 1 + (PERT_SHAPE_WEIGHT * (dist.mode - dist.min)) / range : 1 + PERT_SHAPE_WEIGHT / 2;
  const beta = range > 0 ? 1 + (PERT_SHAPE_WEIGHT * (dist.max - dist.mode)) / range : 1 + PERT_SHAPE_WEIGHT / 2;
  return { alpha, beta, min: dist.min, max: dist.max };
}

/** Standardized truncation bounds and their normal masses. */
function truncatedNormal(dist: Extract<Dist, { kind: 'normal' }>) {
  const a = (dist.min - dist.mean) / dist.sd;
  const b = (dist.max - dist.mean) / dist.sd;
  const pA = normCdf(a);
  const qB = normCdf(-b);
  // Phi(b) - Phi(a), from whichever tail keeps relative accuracy.
  const mass = b < 0 ? normCdf(b) - pA : a > 0 ? normCdf(-a) - qB : 1 - pA - qB;
  return { a, b, pA, qB, mass };
}

function checkProbability(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: probability must be in [0, 1], got ${p}`);
}

/**
 * The p-quantile of `dist`, p in [0, 1]: the exact inverse CDF where it has a closed form,
 * numerical inversion of the regularized incomplete beta for beta and PERT, and for discrete
 * the smallest value whose cumulative weight reaches p. p = 0 and 1 give the support's ends
 * (infinite for an untruncated normal or a lognormal's upper end).
 */
export function quantile(dist: Dist, p: number): number {
  checkProbability(p);
  switch (dist.kind) {
    case 'const':
      return dist.value;
    case 'uniform':
      return dist.min + (dist.max - dist.min) * p;
    case 'normal': {
      const { pA, qB, mass } = truncatedNormal(dist);
      // Lower and upper tail probabilities of the target point, each without cancellation.
      const lower = pA + p * mass;
      const upper = qB + (1 - p) * mass;
      return dist.mean + dist.sd * invNorm(lower, upper);
    }
    case 'lognormal':
      return Math.exp(dist.mu + dist.sigma * invNorm(p, 1 - p));
    case 'triangular': {
      const range = dist.max - dist.min;
      if (range === 0) return dist.min;
      const fMode = (dist.mode - dist.min) / range;
      return p < fMode
        ? dist.min + Math.sqrt(p * range * (dist.mode - dist.min))
        : dist.max - Math.sqrt((1 - p) * range * (dist.max - dist.mode));
    }
    case 'pert':
    case 'beta': {
      const { alpha, beta, min, max } = betaParamsOf(dist);
      // Invert whichever tail is nearer, so that upper quantiles keep their relative accuracy.
      return p <= 0.5
        ? min + (max - min) * betaQuantile(p, alpha, beta)
        : max - (max - min) * betaQuantile(1 - p, beta, alpha);
    }
    case 'discrete': {
      const order = dist.values.map((_, j) => j).sort((i, j) => dist.values[i]! - dist.values[j]!);
      let total = 0;
      for (const wj of dist.weights) total += wj;
      // Rounding in the running sum must not skip a value whose weight reaches p exactly
      // (e.g. weights 0.1, 0.2 at p = 0.3): compare with a few ulps of slack.
      const target = p * total * (1 - 4 * Number.EPSILON);
      let running = 0;
      for (const j of order) {
        if (dist.weights[j]! <= 0) continue;
        running += dist.weights[j]!;
        if (running >= target) return dist.values[j]!;
      }
      return dist.values[order[order.length - 1]!]!;
    }
  }
}

/** The median (quantile 0.5); for discrete, the smallest value whose cumulative weight reaches 1/2. */
export function median(dist: Dist): number {
  return quantile(dist, 0.5);
}

/** The mean of `dist`, closed form. */
export function mean(dist: Dist): number {
  switch (dist.kind) {
    case 'const':
      return dist.value;
    case 'uniform':
      return 0.5 * (dist.min + dist.max);
    case 'normal': {
      const { a, b, mass } = truncatedNormal(dist);
      return dist.mean + (dist.sd * (densityAt(a) - densityAt(b))) / mass;
    }
    case 'lognormal':
      return Math.exp(dist.mu + 0.5 * dist.sigma * dist.sigma);
    case 'triangular':
      return (dist.min + dist.mode + dist.max) / 3;
    case 'pert':
    case 'beta': {
      const { alpha, beta, min, max } = betaParamsOf(dist);
      return min + ((max - min) * alpha) / (alpha + beta);
    }
    case 'discrete': {
      let total = 0;
      let sum = 0;
      dist.values.forEach((x, j) => {
        total += dist.weights[j]!;
        sum += dist.weights[j]! * x;
      });
      return sum / total;
    }
  }
}

/** The variance of `dist`, closed form. */
export function variance(dist: Dist): number {
  switch (dist.kind) {
    case 'const':
      return 0;
    case 'uniform':
      return ((dist.max - dist.min) * (dist.max - dist.min)) / 12;
    case 'normal': {
      // Truncated normal (Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions
      // vol. 1, 2nd ed., eq. 13.135): sd^2 [1 + (a phi(a) - b phi(b))/Z - ((phi(a) - phi(b))/Z)^2].
      const { a, b, mass } = truncatedNormal(dist);
      const shift = (densityAt(a) - densityAt(b)) / mass;
      const tilt = (tailMoment(a) - tailMoment(b)) / mass;
      return dist.sd * dist.sd * (1 + tilt - shift * shift);
    }
    case 'lognormal': {
      const s2 = dist.sigma * dist.sigma;
      return Math.expm1(s2) * Math.exp(2 * dist.mu + s2);
    }
    case 'triangular': {
      const { min: a, mode: c, max: b } = dist;
      return (a * a + b * b + c * c - a * b - a * c - b * c) / 18;
    }
    case 'pert':
    case 'beta': {
      const { alpha, beta, min, max } = betaParamsOf(dist);
      const s = alpha + beta;
      return ((max - min) * (max - min) * alpha * beta) / (s * s * (s + 1));
    }
    case 'discrete': {
      const m = mean(dist);
      let total = 0;
      let sum = 0;
      dist.values.forEach((x, j) => {
        total += dist.weights[j]!;
        sum += dist.weights[j]! * (x - m) * (x - m);
      });
      return sum / total;
    }
  }
}

/** phi(z), with phi(+-Infinity) = 0. */
function densityAt(z: number): number {
  return Number.isFinite(z) ? normPdf(z) : 0;
}

/** z phi(z), with the limit 0 at +-Infinity. */
function tailMoment(z: number): number {
  return Number.isFinite(z) ? z * normPdf(z) : 0;
}
