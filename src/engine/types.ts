import type { HistSpec, PartialSums } from '../aggregate/index.js';
import type { Plan } from '../plan/index.js';

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
  /**
   * 'exact' mode: the values may be views of the engine's own buffers instead of copies. They
   * stay valid while the caller starts and awaits one more run (so it can read them while that
   * run goes), and no longer: the run after that may overwrite them. Only for a caller that is
   * done with a call's values by then (a streaming exact run, src/analysis/simulate.ts); an
   * engine may ignore it and return copies.
   */
  valueViews?: boolean;
  hist?: HistSpec[];
  /**
   * Per (cell, metric) reference values subtracted before summing, so that sum and sum of
   * squares keep their precision when the spread is small against the mean.
   */
  shift?: Float64Array;
  /** Called now and then with the number of samples (per cell) finished so far. */
  onProgress?: (done: number) => void;
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
  run(plan: Plan, request: RunRequest): Promise<PartialSums>;
  /** Releases threads or device objects; the process can exit afterwards. */
  dispose(): Promise<void>;
}
