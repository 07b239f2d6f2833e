import type { Plan } from '../plan/types.js';

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
 * Samples per reduction block: the GPU engine sums each block of this many samples, starting at
 * a multiple of it in absolute sample index, in f32 (one workgroup), and adds blocks in f64 on the
 * host. A run whose range starts at a multiple of REDUCTION_BLOCK_SAMPLES and goes in chunks that
 * are multiples of it therefore adds up the same f32 block sums, in the same order, wherever the
 * range is cut: shard boundaries and checkpoint chunks are aligned to it (src/analysis/shard.ts).
 */
export const REDUCTION_BLOCK_SAMPLES = 4096;

export interface RunRequest {
  /** First sample index (inclusive) and number of samples: every cell runs the same indices. */
  start: number;
  count: number;
  /**
   * 'exact': return every feasible sample's metric values (for sorting). 'hist': stream into
   * histograms shaped by `hist`, one spec per (cell, metric), index `cell * metrics + m`.
   */
  mode: 'exact' | 'hist';
  /**
   * 'exact' mode: keep every sample in `values`, with NaN for an infeasible one, so that runs of
   * the same indices line up sample by sample (Sobol indices pair them up).
   */
  keepInfeasible?: boolean;
  hist?: HistSpec[];
  /**
   * Per (cell, metric) reference values subtracted before summing, so that sum and sum of
   * squares keep their precision when the spread is small against the mean.
   */
  shift?: Float64Array;
  /** Called now and then with the number of samples (per cell) finished so far. */
  onProgress?: (done: number) => void;
}

/**
 * A mergeable summary of a range of samples (DESIGN.md "Partial"). Arrays indexed
 * `cell * metrics + m` unless said otherwise; m is the position in plan.metrics.
 */
export interface Partial {
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

export interface BackendInfo {
  kind: 'cpu' | 'gpu';
  /** GPU: adapter description; CPU: e.g. `2 worker threads`. */
  adapter: string;
  software: boolean;
  threads?: number;
}

/** Both engines implement this; the rest of cptsim cannot tell them apart. */
export interface Engine {
  readonly info: BackendInfo;
  /** Why this engine cannot run a plan (a limit of the device), or null when it can. */
  unsupported(plan: Plan): string | null;
  run(plan: Plan, request: RunRequest): Promise<Partial>;
  /** Releases threads or device objects; the process can exit afterwards. */
  dispose(): Promise<void>;
}
