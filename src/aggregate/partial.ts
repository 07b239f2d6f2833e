import { HIST_BINS, HIST_STRIDE, type HistSpec, type PartialSums } from './types.js';

/** An empty PartialSums for `cells` x `metrics`, ready to accumulate into. */
export function emptyPartial(
  cells: number,
  metrics: number,
  mode: 'exact' | 'hist',
  shift?: Float64Array,
): PartialSums {
  const n = cells * metrics;
  return {
    cells,
    metrics,
    samples: 0,
    infeasible: new Float64Array(cells),
    sloMiss: new Float64Array(cells),
    count: new Float64Array(n),
    nonFinite: new Float64Array(n),
    sum: new Float64Array(n),
    sumSq: new Float64Array(n),
    shift: shift ? Float64Array.from(shift) : new Float64Array(n),
    min: new Float64Array(n).fill(Infinity),
    max: new Float64Array(n).fill(-Infinity),
    hist: mode === 'hist' ? new Float64Array(n * HIST_STRIDE) : null,
    values: mode === 'exact' ? Array.from({ length: n }, () => new Float32Array(0)) : null,
  };
}

/**
 * Merges two partials of the same plan and request shape. Counts and sums add (order-free);
 * exact values are concatenated, so `a` must cover the lower sample indices.
 */
export function mergePartials(a: PartialSums, b: PartialSums): PartialSums {
  if (a.cells !== b.cells || a.metrics !== b.metrics) {
    throw new Error(`cannot merge partials of different shapes (${a.cells}x${a.metrics} and ${b.cells}x${b.metrics})`);
  }
  if ((a.hist === null) !== (b.hist === null) || (a.values === null) !== (b.values === null)) {
    throw new Error('cannot merge an exact partial with a histogram partial');
  }
  for (let i = 0; i < a.shift.length; i++) {
    if (a.shift[i] !== b.shift[i]) throw new Error('cannot merge partials summed about different shifts');
  }
  const add = (x: Float64Array, y: Float64Array) => x.map((v, i) => v + y[i]!);
  return {
    cells: a.cells,
    metrics: a.metrics,
    samples: a.samples + b.samples,
    infeasible: add(a.infeasible, b.infeasible),
    sloMiss: add(a.sloMiss, b.sloMiss),
    count: add(a.count, b.count),
    nonFinite: add(a.nonFinite, b.nonFinite),
    sum: add(a.sum, b.sum),
    sumSq: add(a.sumSq, b.sumSq),
    shift: a.shift,
    min: a.min.map((v, i) => Math.min(v, b.min[i]!)),
    max: a.max.map((v, i) => Math.max(v, b.max[i]!)),
    hist: a.hist && b.hist ? add(a.hist, b.hist) : null,
    values:
      a.values && b.values
        ? a.values.map((va, i) => {
            const vb = b.values![i]!;
            const out = new Float32Array(va.length + vb.length);
            out.set(va, 0);
            out.set(vb, va.length);
            return out;
          })
        : null,
  };
}

/**
 * Merges the partials of consecutive sample ranges of one run, in sample order, as mergePartials
 * does, with exact values copied into arrays sized once for `samples` values per (cell, metric)
 * (the most a run of that many samples keeps): no array is copied twice and no two copies of the
 * run's values exist at once, so merging exact chunks takes the memory of the values themselves.
 */
export class PartialMerger {
  private merged: PartialSums | null = null;
  private values: Float32Array[] | null = null;
  private filled: Int32Array | null = null;

  constructor(private readonly samples: number) {}

  add(part: PartialSums): void {
    const values = part.values;
    const rest: PartialSums = { ...part, values: values ? [] : null };
    this.merged = this.merged ? mergePartials(this.merged, rest) : rest;
    if (!values) return;
    if (!this.values) {
      this.values = values.map(() => new Float32Array(this.samples));
      this.filled = new Int32Array(values.length);
    }
    values.forEach((v, i) => {
      const at = this.filled![i]!;
      if (at + v.length > this.samples) throw new Error(`more than ${this.samples} values for (cell, metric) ${i}`);
      this.values![i]!.set(v, at);
      this.filled![i] = at + v.length;
    });
  }

  /** The merged partial (its values are views of the arrays filled); null when nothing was added. */
  result(): PartialSums | null {
    if (!this.merged) return null;
    if (this.values) this.merged.values = this.values.map((v, i) => v.subarray(0, this.filled![i]!));
    return this.merged;
  }
}

/** A histogram's bins as an affine map of x (or of log2 x): bin position = (x - origin) * scale. */
export interface HistMapping {
  origin: number;
  scale: number;
  log: boolean;
}

/** The affine map both engines bin with; `pair` names the histogram in the error. */
export function histMapping(spec: HistSpec, pair = 0): HistMapping {
  const lo = spec.log ? Math.log2(spec.lo) : spec.lo;
  const hi = spec.log ? Math.log2(spec.hi) : spec.hi;
  const scale = HIST_BINS / (hi - lo);
  const f32Scale = Math.fround(scale);
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(f32Scale) || f32Scale <= 0) {
    throw new RangeError(
      `histogram ${pair}: expected finite lo < hi${spec.log ? ' with lo > 0' : ''}, got lo ${spec.lo}, hi ${spec.hi}`,
    );
  }
  return { origin: lo, scale, log: spec.log };
}

/**
 * The bin of x (0 underflow, 1..HIST_BINS, HIST_BINS+1 overflow), as both engines compute it
 * (src/aggregate/types.ts). NaN and, for log bins, x <= 0 underflow.
 */
export function binOf(m: HistMapping, x: number): number {
  const t = ((m.log ? Math.log2(x) : x) - m.origin) * m.scale;
  if (!(t >= 0)) return 0;
  if (t >= HIST_BINS) return HIST_BINS + 1;
  return 1 + Math.floor(t);
}

/** The bin of x for a histogram spec. */
export function histBin(spec: HistSpec, x: number): number {
  return binOf(histMapping(spec), x);
}

/** Lower edge of bin k in 1..HIST_BINS+1 (k = HIST_BINS + 1 gives hi). */
export function binEdge(spec: HistSpec, k: number): number {
  const t = (k - 1) / HIST_BINS;
  return spec.log ? spec.lo * Math.pow(spec.hi / spec.lo, t) : spec.lo + (spec.hi - spec.lo) * t;
}
