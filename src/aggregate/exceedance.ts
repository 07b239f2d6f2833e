/**
 * P(metric <= x) and points of the CDF, from a metric's exact values or from its histogram.
 *
 * Exact: the share of the feasible samples at or below x; its Monte Carlo (binomial) standard
 * error is sqrt(p (1 - p) / n). From a histogram the share of the bins below x is exact, and the
 * bin that holds x is split in proportion to where x falls in it (in log2(x) for log bins, as
 * histQuantile does): `binning_error` is that bin's share of the samples, the most the split can
 * be off by.
 */
import { HIST_BINS, HIST_STRIDE, type HistSpec } from './types.js';
import { binEdge } from './partial.js';
import { histQuantile, sortedQuantile } from './summary.js';

export interface ProbabilityBelow {
  x: number;
  p: number;
  /** Binomial standard error of p: sqrt(p (1 - p) / n). */
  stderr: number;
  /** From histograms only: the largest error the split of the bin holding x can add. */
  binning_error?: number;
}

/** Ascending values without NaN (samples without a value), in f64. */
export function sortedFinite(values: Float32Array): Float64Array {
  let n = 0;
  for (let j = 0; j < values.length; j++) if (values[j] === values[j]) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let j = 0; j < values.length; j++) if (values[j] === values[j]) out[k++] = values[j]!;
  return out.sort();
}

/** Number of sorted values <= x. */
function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function probabilityBelowExact(sorted: Float64Array, x: number): ProbabilityBelow {
  return probabilityBelowCounted(countAtMost(sorted, x), sorted.length, x);
}

/** P(value <= x) from the number of values at or below x, `atMost`, of `n` values. */
export function probabilityBelowCounted(atMost: number, n: number, x: number): ProbabilityBelow {
  const p = n ? atMost / n : NaN;
  return { x, p, stderr: n ? Math.sqrt((p * (1 - p)) / n) : NaN };
}

export function probabilityBelowHist(hist: Float64Array, offset: number, spec: HistSpec, min: number, max: number, total: number, x: number): ProbabilityBelow {
  if (total === 0) return { x, p: NaN, stderr: NaN, binning_error: NaN };
  if (x < min) return { x, p: 0, stderr: 0, binning_error: 0 };
  if (x >= max) return { x, p: 1, stderr: 0, binning_error: 0 };
  let below = 0;
  for (let k = 0; k < HIST_STRIDE; k++) {
    const c = hist[offset + k]!;
    const lo = k === 0 ? min : Math.max(min, binEdge(spec, k));
    const hi = k === HIST_BINS + 1 ? max : Math.min(max, binEdge(spec, k + 1));
    if (hi <= x) {
      below += c;
      continue;
    }
    if (lo <= x && c > 0) {
      const f = spec.log && lo > 0 && hi > 0 ? Math.log2(x / lo) / Math.log2(hi / lo) : (x - lo) / (hi - lo);
      const p = (below + c * Math.min(1, Math.max(0, f))) / total;
      return { x, p, stderr: Math.sqrt((p * (1 - p)) / total), binning_error: c / total };
    }
    break;
  }
  const p = below / total;
  return { x, p, stderr: Math.sqrt((p * (1 - p)) / total), binning_error: 0 };
}

/** N points of the CDF at evenly spaced probabilities 0, 1/(N-1), ..., 1: `p[k]` and the quantile `x[k]`. */
export interface CdfPoints {
  p: number[];
  x: number[];
}

/** The probabilities of N points of the CDF: k / (N - 1) for k = 0 .. N - 1. */
export function cdfProbabilities(points: number): number[] {
  return Array.from({ length: points }, (_, k) => k / (points - 1));
}

/** The CDF points of ascending values (a sorted list, or the sparse one of sortedView). */
export function cdfExact(sorted: ArrayLike<number>, points: number): CdfPoints {
  const p = cdfProbabilities(points);
  return { p, x: p.map((q) => sortedQuantile(sorted, q)) };
}

export function cdfHist(hist: Float64Array, offset: number, spec: HistSpec, min: number, max: number, total: number, points: number): CdfPoints {
  const p = cdfProbabilities(points);
  // The ends are the extremes themselves, as with exact values.
  return { p, x: p.map((q) => (total === 0 ? NaN : q === 0 ? min : q === 1 ? max : histQuantile(hist, offset, spec, min, max, total, q).value)) };
}
