/**
 * The shape of one (cell, metric) distribution, for charts and for export: a coarse histogram and
 * the quantile function (the CDF read the other way round). Both come from what a run already
 * holds: every value when quantiles are exact, the engines' fine histograms otherwise.
 */
import { HIST_BINS, HIST_STRIDE, type HistSpec, type PartialSums } from './types.js';
import { binEdge } from './partial.js';
import { sortedFinite } from './exceedance.js';
import { histQuantile, sortedQuantile } from './summary.js';

/** Bins of an exported or charted histogram. HIST_BINS is a multiple of it. */
export const COARSE_BINS = 64;
/** The CDF is given at these many evenly spaced probabilities, 0 and 1 included. */
export const CDF_POINTS = 201;
/** Values whose max/min reaches this ratio (and min > 0) are binned and charted on a log scale. */
export const LOG_SPAN_RATIO = 30;

export interface HistogramBin {
  lo: number;
  hi: number;
  count: number;
}

export interface Distribution {
  /** Values counted (feasible samples with a finite value). */
  count: number;
  min: number;
  max: number;
  /** Whether the bins are spaced evenly in log(x). */
  log: boolean;
  /** Where the bins come from: every value sorted, or the engines' 4096-bin histograms merged. */
  source: 'exact' | 'histogram';
  bins: HistogramBin[];
  /** The CDF as points (x, p): p is the fraction of values at or below x (type-7 quantiles). */
  cdf: { p: number; x: number }[];
}

/** True when positive values spread over enough of a decade that a log scale reads better. */
export function spansDecades(min: number, max: number): boolean {
  return min > 0 && Number.isFinite(max) && max / min >= LOG_SPAN_RATIO;
}

function probabilities(): number[] {
  return Array.from({ length: CDF_POINTS }, (_, k) => k / (CDF_POINTS - 1));
}

/** The distribution of values (NaN, an infeasible sample or a value that is not finite, left out). */
export function distributionOfValues(raw: Float32Array): Distribution {
  const sorted = sortedFinite(raw);
  const n = sorted.length;
  if (n === 0) return { count: 0, min: NaN, max: NaN, log: false, source: 'exact', bins: [], cdf: [] };
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  const log = spansDecades(min, max);
  const cdf = probabilities().map((p) => ({ p, x: sortedQuantile(sorted, p) }));
  if (min === max) return { count: n, min, max, log, source: 'exact', bins: [{ lo: min, hi: max, count: n }], cdf };
  const edge = (k: number) => (log ? min * Math.pow(max / min, k / COARSE_BINS) : min + ((max - min) * k) / COARSE_BINS);
  const a = log ? Math.log(min) : min;
  const scale = COARSE_BINS / ((log ? Math.log(max) : max) - a);
  const counts = new Array<number>(COARSE_BINS).fill(0);
  for (let j = 0; j < n; j++) {
    const t = ((log ? Math.log(sorted[j]!) : sorted[j]!) - a) * scale;
    counts[Math.min(COARSE_BINS - 1, Math.max(0, Math.floor(t)))]!++;
  }
  const bins = counts.map((count, k) => ({ lo: edge(k), hi: k === COARSE_BINS - 1 ? max : edge(k + 1), count }));
  return { count: n, min, max, log, source: 'exact', bins, cdf };
}

function fromHistogram(hist: Float64Array, offset: number, spec: HistSpec, min: number, max: number, n: number): Distribution {
  if (n === 0) return { count: 0, min: NaN, max: NaN, log: spec.log, source: 'histogram', bins: [], cdf: [] };
  const cdf = probabilities().map((p) => ({ p, x: histQuantile(hist, offset, spec, min, max, n, p).value }));
  const bins: HistogramBin[] = [];
  // Values beyond the pilot's range sit in the underflow and overflow bins: [min, lo) and [hi, max].
  const under = hist[offset]!;
  if (under > 0) bins.push({ lo: min, hi: spec.lo, count: under });
  const group = HIST_BINS / COARSE_BINS;
  for (let g = 0; g < COARSE_BINS; g++) {
    let count = 0;
    for (let k = 1 + g * group; k <= (g + 1) * group; k++) count += hist[offset + k]!;
    const lo = binEdge(spec, 1 + g * group);
    const hi = binEdge(spec, 1 + (g + 1) * group);
    // Bins wholly outside [min, max] are empty: leave them out so the chart spans the data.
    if (hi <= min || lo > max) continue;
    bins.push({ lo: Math.max(lo, min), hi: Math.min(hi, max), count });
  }
  const over = hist[offset + HIST_STRIDE - 1]!;
  if (over > 0) bins.push({ lo: spec.hi, hi: max, count: over });
  return { count: n, min, max, log: spec.log && spansDecades(min, max), source: 'histogram', bins, cdf };
}

/**
 * Distributions of every (cell, metric) of a finished partial, index `cell * metrics + m` like
 * the partial's own arrays. `hist` is the run's histogram shapes (null for an exact run).
 */
export function distributions(partial: PartialSums, hist: HistSpec[] | null): Distribution[] {
  const out: Distribution[] = [];
  for (let i = 0; i < partial.cells * partial.metrics; i++) {
    if (partial.values) out.push(distributionOfValues(partial.values[i]!));
    else if (partial.hist && hist) out.push(fromHistogram(partial.hist, i * HIST_STRIDE, hist[i]!, partial.min[i]!, partial.max[i]!, partial.count[i]!));
    else throw new Error('a partial without values or histograms has no distribution');
  }
  return out;
}
