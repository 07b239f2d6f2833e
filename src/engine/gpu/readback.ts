/**
 * The host's work on a chunk's per-sample words read back from the device (the kernel's
 * exact_out): exact mode's values compacted to the kept samples of each (cell, metric), or
 * MODE_BINS' per-sample histogram bins counted into the run's histograms. Owns the scratch counts
 * of countBins and nothing else across calls.
 */
import { HIST_STRIDE } from '../../aggregate/index.js';
import type { Chunk } from './layout.js';

/**
 * Where a chunk's rows lie: a row per (cell, metric) of the pass, `stride` words apart, the
 * pass's cells from `cellFirst` of the run; exact mode adds a row of flags per cell after them.
 */
export interface ChunkRows {
  cellFirst: number;
  cells: number;
  metrics: number;
  stride: number;
  chunk: Chunk;
}

/** Exact mode's value lists of a run, per (cell, metric), and how many each cell holds so far. */
export interface ExactLists {
  values: Float32Array[];
  fill: Int32Array;
  /** Infeasible samples stay, as NaN in every metric (RunRequest.keepInfeasible). */
  keepInfeasible: boolean;
}

/**
 * Appends a chunk's feasible samples, in index order, to each (cell, metric) value list: each run
 * of consecutive samples that are all kept (feasible, or infeasible ones when they stay) is
 * copied per metric in one piece.
 */
export function compactExact(lists: ExactLists, rows: ChunkRows, words: Uint32Array): void {
  const { cellFirst, cells, metrics, stride, chunk } = rows;
  const { fill, keepInfeasible } = lists;
  const values = new Float32Array(words.buffer, words.byteOffset, words.length);
  const sEnd = 4 * chunk.nQuads - (4 - chunk.lastLaneEnd);
  const flagsBase = cells * metrics * stride;
  for (let c = 0; c < cells; c++) {
    const cell = cellFirst + c;
    let n = fill[cell]!;
    const out = lists.values.slice(cell * metrics, (cell + 1) * metrics);
    const flags = flagsBase + c * stride;
    let s = chunk.firstLane;
    while (s < sEnd) {
      const feasible = (words[flags + s]! & 1) !== 0;
      if (!feasible && !keepInfeasible) {
        s++;
        continue;
      }
      if (!feasible) {
        // An infeasible sample that stays is NaN in every metric.
        for (let m = 0; m < metrics; m++) out[m]![n] = NaN;
        n++;
        s++;
        continue;
      }
      let e = s + 1;
      while (e < sEnd && (words[flags + e]! & 1) !== 0) e++;
      for (let m = 0; m < metrics; m++) {
        const row = (c * metrics + m) * stride;
        out[m]!.set(values.subarray(row + s, row + e), n);
      }
      n += e - s;
      s = e;
    }
    fill[cell] = n;
  }
}

/** Per-row bin counts of countBins, indexed by the 16-bit bin itself (0xffff: not counted). */
const binScratch = new Uint32Array(0x10000);

/**
 * Counts a chunk's histogram bins (MODE_BINS: per (cell, metric) row, a 16-bit bin per sample,
 * 0xffff for a sample not counted) into `hist` (HIST_STRIDE counts per (cell, metric) of the
 * run). A row is counted two samples a u32 word into binScratch, without a branch per sample, and
 * then added to its histogram.
 */
export function countBins(hist: Float64Array, rows: ChunkRows, words: Uint32Array): void {
  const { cellFirst, cells, metrics, stride, chunk } = rows;
  const scratch = binScratch;
  const rowWords = 2 * chunk.nQuads;
  for (let r = 0; r < cells * metrics; r++) {
    const row = r * stride;
    for (let i = row; i < row + rowWords; i++) {
      const w = words[i]!;
      scratch[w & 0xffff]!++;
      scratch[w >>> 16]!++;
    }
    const base = (cellFirst * metrics + r) * HIST_STRIDE;
    for (let b = 0; b < HIST_STRIDE; b++) {
      const n = scratch[b]!;
      if (n !== 0) {
        hist[base + b]! += n;
        scratch[b] = 0;
      }
    }
    scratch[0xffff] = 0;
  }
}
