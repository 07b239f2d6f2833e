/** The partial sums and histograms an engine produces and the aggregate merges and summarizes. */

/**
 * The shape of a histogram for one (cell, metric): HIST_BINS bins between lo and hi, spaced
 * evenly in log2(x) when `log`, else evenly in x; plus one underflow bin (index 0) and one
 * overflow bin (index HIST_BINS + 1). Both engines compute the bin the same way:
 *   t = log ? (log2(x) - log2(lo)) / (log2(hi) - log2(lo)) : (x - lo) / (hi - lo)
 *   bin = t < 0 ? 0 : t >= 1 ? HIST_BINS + 1 : 1 + floor(t * HIST_BINS)
 */
export interface HistSpec {
  lo: number;
  hi: number;
  log: boolean;
}

export const HIST_BINS = 4096;
/**
 * The largest finite f32. A metric value beyond +-F32_MAX is infinite on the GPU engine, so the
 * CPU engine counts it as not finite too, and the engines agree.
 */
export const F32_MAX = 3.4028234663852886e38;
/** Bins stored per (cell, metric), with the underflow and overflow bins. */
export const HIST_STRIDE = HIST_BINS + 2;

/**
 * A mergeable summary of a range of samples: the "PartialSums" of DESIGN.md's data flow, named so as
 * not to shadow TypeScript's Partial<T>. Arrays indexed
 * `cell * metrics + m` unless said otherwise; m is the position in plan.metrics.
 */
export interface PartialSums {
  cells: number;
  metrics: number;
  /** Samples run per cell (feasible or not). */
  samples: number;
  /** Per cell: samples left out because the model did not fit in memory. */
  infeasible: Float64Array;
  /** Per cell: feasible samples that missed a stated SLO. */
  sloMiss: Float64Array;
  /** Per (cell, metric): values counted, and sums of (x - shift) and (x - shift)^2, in f64. */
  count: Float64Array;
  /**
   * Per (cell, metric): feasible samples whose value was not finite in f32 (NaN, infinite, or
   * beyond +-3.4028235e38; F32_MAX), left out of count, sums, min, max and quantiles.
   */
  nonFinite: Float64Array;
  sum: Float64Array;
  sumSq: Float64Array;
  shift: Float64Array;
  min: Float64Array;
  max: Float64Array;
  /** 'hist' mode: counts, HIST_STRIDE per (cell, metric). */
  hist: Float64Array | null;
  /**
   * 'exact' mode: per (cell, metric), the feasible samples' values in sample-index order (the
   * same length for every metric of a cell); every sample, NaN when infeasible, with
   * `keepInfeasible`.
   */
  values: Float32Array[] | null;
}
