import { HIST_BINS, HIST_STRIDE, type HistSpec, type PartialSums } from './types.js';
import { binEdge } from './partial.js';
import { orderStatistics, quantileRanks, sortedView, type ExactDigest } from './select.js';

/** The quantiles every summary reports (DESIGN.md's JSON result), as fractions. */
export const QUANTILES = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] as const;
export const QUANTILE_KEYS = ['p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p99'] as const;
export type QuantileKey = (typeof QUANTILE_KEYS)[number];

/**
 * A metric's summary. A statistic of no values is NaN (null in JSON, `-` in tables), never 0:
 * every statistic when no finite value is left, `sd` and `stderr` with fewer than two.
 * `non_finite` counts the feasible samples whose value was not finite, left out of the rest.
 */
export type Stats = {
  mean: number;
  sd: number;
  stderr: number;
  min: number;
  max: number;
} & Record<QuantileKey, number> & { non_finite: number };

export interface MetricSummary {
  stats: Stats;
  /** Largest relative error of the reported quantiles from histogram binning; 0 when exact. */
  quantileErrorBound: number;
}

/** Type-7 quantile (linear between order statistics) of ascending sorted values. */
export function sortedQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  return a + (h - lo) * (sorted[hi]! - a);
}

/**
 * Quantile p from histogram counts of one (cell, metric) (HIST_STRIDE entries at `offset`),
 * interpolating inside the bin that holds rank (n - 1) p: in log2(x) for log bins, in x
 * otherwise. Underflow and overflow bins span [min, lo] and [hi, max]. Returns the value and the
 * relative width of the bin it fell in (the bound on its binning error).
 */
export function histQuantile(
  hist: Float64Array,
  offset: number,
  spec: HistSpec,
  min: number,
  max: number,
  total: number,
  p: number,
): { value: number; relError: number } {
  if (total === 0) return { value: NaN, relError: 0 };
  if (min === max) return { value: min, relError: 0 };
  const rank = (total - 1) * p;
  let cum = 0;
  for (let k = 0; k < HIST_STRIDE; k++) {
    const c = hist[offset + k]!;
    if (c === 0 || cum + c <= rank) {
      cum += c;
      continue;
    }
    const lo = k === 0 ? min : Math.max(min, binEdge(spec, k));
    const hi = k === HIST_BINS + 1 ? max : Math.min(max, binEdge(spec, k + 1));
    // Samples sit at evenly spaced positions inside the bin: the j-th of c at (j + 0.5) / c.
    const f = Math.min(1, Math.max(0, (rank - cum + 0.5) / c));
    const value =
      spec.log && lo > 0 && hi > 0 ? lo * Math.pow(hi / lo, f) : lo + (hi - lo) * f;
    const scale = Math.max(Math.abs(value), Number.MIN_VALUE);
    return { value, relError: Math.abs(hi - lo) / scale };
  }
  return { value: max, relError: 0 };
}

/**
 * Summaries for every (cell, metric) of a finished partial. An exact run that did not keep its
 * values gives `exact` instead (StreamingOrderStatistics: the same mean, variance and order
 * statistics as from the values).
 */
export function summarize(partial: PartialSums, hist: HistSpec[] | null, exact: readonly ExactDigest[] | null = null): MetricSummary[] {
  const out: MetricSummary[] = [];
  for (let i = 0; i < partial.cells * partial.metrics; i++) {
    const n = partial.count[i]!;
    // Exact values hold NaN where a sample has no value (a metric expression that was not finite,
    // or an infeasible sample kept for alignment): those are not part of the distribution.
    const values = partial.values?.[i];
    const digest = values ? undefined : exact?.[i];
    let mean: number;
    let variance: number;
    if (digest) {
      ({ mean, variance } = digest);
    } else if (values) {
      // Exact mode: two passes in f64 over the samples themselves, in sample order.
      let s = 0;
      let m = 0;
      for (let j = 0; j < values.length; j++) {
        const v = values[j]!;
        if (v !== v) continue;
        s += v;
        m++;
      }
      mean = m ? s / m : NaN;
      let ss = 0;
      for (let j = 0; j < values.length; j++) {
        const v = values[j]!;
        if (v === v) ss += (v - mean) ** 2;
      }
      variance = m > 1 ? ss / (m - 1) : NaN;
    } else {
      const d = n ? partial.sum[i]! / n : NaN;
      mean = partial.shift[i]! + d;
      variance = n > 1 ? Math.max(0, (partial.sumSq[i]! - n * d * d) / (n - 1)) : NaN;
    }
    // A metric that is constant (min = max) has sd 0 and mean min, exactly: its shifted sums can
    // still carry rounding noise, which would differ between a run and its merged shards.
    const constant = n > 0 && !values && !digest && partial.min[i] === partial.max[i];
    if (constant) mean = partial.min[i]!;
    const sd = constant ? 0 : Math.sqrt(variance);
    const stats = {
      mean,
      sd,
      stderr: n > 1 ? sd / Math.sqrt(n) : NaN,
      min: n ? partial.min[i]! : NaN,
      max: n ? partial.max[i]! : NaN,
    } as Stats;
    let bound = 0;
    if (values || digest) {
      // The order statistics the quantiles read, found by counting instead of a full sort: the
      // same values (src/aggregate/select.ts).
      const sorted = sortedView(digest ? digest.order : orderStatistics(values!, (m) => quantileRanks(m, QUANTILES)));
      QUANTILES.forEach((p, k) => (stats[QUANTILE_KEYS[k]!] = sortedQuantile(sorted, p)));
    } else if (partial.hist && hist) {
      QUANTILES.forEach((p, k) => {
        const q = histQuantile(partial.hist!, i * HIST_STRIDE, hist[i]!, partial.min[i]!, partial.max[i]!, n, p);
        stats[QUANTILE_KEYS[k]!] = q.value;
        bound = Math.max(bound, q.relError);
      });
    } else {
      for (const key of QUANTILE_KEYS) stats[key] = NaN;
    }
    if (n === 0) for (const key of QUANTILE_KEYS) stats[key] = NaN;
    stats.non_finite = partial.nonFinite[i]!;
    out.push({ stats, quantileErrorBound: bound });
  }
  return out;
}

/**
 * Histogram shapes from a pilot run's exact values. Bounds get a margin and are rounded out to a
 * coarse grid (quarter octaves for log bins), so that an engine's last-bit differences in the
 * pilot almost never change the bins: GPU and CPU runs of one scenario then bin alike. Values
 * beyond the pilot's range still count, in the underflow and overflow bins.
 */
export function histSpecsFromPilot(pilot: PartialSums): HistSpec[] {
  if (!pilot.values) throw new Error('a pilot run must be exact');
  return pilot.values.map((v) => {
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < v.length; j++) {
      const x = v[j]!;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    if (!(min <= max)) return { lo: 1, hi: 2, log: true };
    if (min > 0) {
      // At least a quarter octave of margin on each side, rounded out to quarter octaves.
      return {
        lo: 2 ** ((Math.floor(4 * Math.log2(min)) - 1) / 4),
        hi: 2 ** ((Math.ceil(4 * Math.log2(max)) + 1) / 4),
        log: true,
      };
    }
    const span = max - min > 0 ? max - min : Math.max(Math.abs(max), 1);
    const grid = 2 ** Math.ceil(Math.log2(span));
    return { lo: Math.floor((min - span / 2) / grid) * grid, hi: Math.ceil((max + span / 2) / grid) * grid, log: false };
  });
}

/** Per (cell, metric) pilot means, used as the shift that keeps sums precise. */
export function shiftsFromPilot(pilot: PartialSums): Float64Array {
  if (!pilot.values) throw new Error('a pilot run must be exact');
  return Float64Array.from(pilot.values, (v) => {
    let s = 0;
    let n = 0;
    for (let j = 0; j < v.length; j++) {
      // NaN marks a sample without a value (see summarize).
      if (Number.isNaN(v[j]!)) continue;
      s += v[j]!;
      n++;
    }
    // Rounded to f32 so that both engines subtract exactly the same number.
    return n === 0 ? 0 : Math.fround(s / n);
  });
}

/**
 * The summary of a list of values held in memory (NaN marks a sample without a value and is left
 * out): f64 mean and variance in two passes, exact quantiles by sorting. What compare and
 * break-even report for per-sample differences and ratios.
 */
export function statsOfValues(values: ArrayLike<number>): Stats & { count: number } {
  const kept: number[] = [];
  for (let j = 0; j < values.length; j++) if (values[j] === values[j]) kept.push(values[j]!);
  const n = kept.length;
  let s = 0;
  for (const x of kept) s += x;
  const mean = n ? s / n : NaN;
  let ss = 0;
  for (const x of kept) ss += (x - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const sorted = Float64Array.from(kept).sort();
  const stats = {
    mean,
    sd,
    stderr: n ? sd / Math.sqrt(n) : NaN,
    min: n ? sorted[0]! : NaN,
    max: n ? sorted[n - 1]! : NaN,
  } as Stats & { count: number };
  QUANTILES.forEach((p, k) => (stats[QUANTILE_KEYS[k]!] = sortedQuantile(sorted, p)));
  stats.count = n;
  return stats;
}
