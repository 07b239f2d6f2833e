/**
 * What the host writes into and reads out of shaders/mc.wgsl's buffers, as pure functions: the
 * uniform block, the tables, the split of a sample range into dispatches, and the f64 sums of the
 * per-workgroup partials. The layouts are documented in the header of shaders/mc.wgsl.
 */
import { histMapping, type HistSpec, type PartialSums } from '../../aggregate/index.js';
import { CONFIG_FIELDS, METRIC, METRIC_COUNT, SLOT_COUNT, type MetricName, type ModelConfig } from '../../model/index.js';
import { cellCount, cellDists, planCopula, type Plan } from '../../plan/index.js';
import { encodeParams } from '../../sampling/index.js';

/** Bytes of the McParams uniform block (mc.wgsl). */
export const MC_PARAMS_BYTES = 208;
/** Bytes of the ModelConfig uniform (10 u32, padded to 16). */
export const MODEL_CONFIG_BYTES = 64;
/** Metric ids the uniform block has room for (array<vec4<u32>, 4>). */
export const MAX_PLAN_METRICS = 32;
export const MODE_HIST = 1;
export const MODE_EXACT = 2;
/** Histogram bins written per sample for the host to count (kernels generated per plan only; shaders/mc.wgsl). */
export const MODE_BINS = 4;
/**
 * Words per (cell, metric) in a workgroup's partial: the sums, min and max, and (PAIR_WORDS_CUSTOM,
 * every kernel mc.wgsl builds today) a fifth, the values left out as not finite; and per cell for
 * the counts.
 */
export const PAIR_WORDS = 4;
export const PAIR_WORDS_CUSTOM = 5;
export const COUNT_WORDS = 3;
/** Words per (cell, metric) of the pair table: shift, hist origin, hist scale, log flag. */
export const PAIR_TABLE_WORDS = 4;

export interface McParams {
  /** Absolute index of the dispatch's first quad (below 2^53). */
  quadBase: number;
  nQuads: number;
  firstLane: number;
  lastLaneEnd: number;
  tiles: number;
  cellFirst: number;
  cells: number;
  metrics: number;
  random: number;
  mode: number;
  exactStride: number;
  key: readonly [number, number];
  pairTable: number;
  randomTable: number;
  sweptTable: number;
  swept: number;
  /** Copies of the pass's histograms, a power of two (mc.wgsl's mc_hist_copy). */
  histCopies: number;
  metricIds: readonly number[];
}

const TWO_POW_32 = 4294967296;

/** The McParams uniform block, as mc.wgsl lays it out. */
export function encodeMcParams(p: McParams): Uint32Array {
  if (p.metricIds.length > MAX_PLAN_METRICS) {
    throw new RangeError(`the GPU kernel takes at most ${MAX_PLAN_METRICS} metrics, got ${p.metricIds.length}`);
  }
  const u = new Uint32Array(MC_PARAMS_BYTES / 4);
  u[0] = p.quadBase % TWO_POW_32;
  u[1] = Math.floor(p.quadBase / TWO_POW_32);
  u[2] = p.nQuads;
  u[3] = p.firstLane;
  u[4] = p.lastLaneEnd;
  u[5] = p.tiles;
  u[6] = p.cellFirst;
  u[7] = p.cells;
  u[8] = p.metrics;
  u[9] = p.random;
  u[10] = p.mode;
  u[11] = p.exactStride;
  u[12] = p.key[0] >>> 0;
  u[13] = p.key[1] >>> 0;
  u[14] = p.pairTable;
  u[15] = p.randomTable;
  u[16] = p.sweptTable;
  u[17] = p.swept;
  u[18] = p.histCopies;
  // metric_ids is an array of vec4<u32>: 16-byte aligned, at word 20.
  p.metricIds.forEach((id, i) => {
    u[20 + i] = id;
  });
  return u;
}

/** ModelConfig as u32 in CONFIG_FIELDS order (model.wgsl's struct). */
export function encodeModelConfig(config: ModelConfig): Uint32Array {
  const u = new Uint32Array(MODEL_CONFIG_BYTES / 4);
  CONFIG_FIELDS.forEach((f, i) => {
    u[i] = config[f];
  });
  return u;
}

/** The plan as the kernel sees it: which inputs are drawn, and the tables that do not change per chunk. */
export interface KernelPlan {
  cells: number;
  metrics: number;
  /** Per plan metric: a METRIC_* id, or METRIC_COUNT + j for custom metric j (Plan.custom.metrics order). */
  metricIds: number[];
  /** Slot values per cell in the tables: SLOT_COUNT plus the plan's own inputs. */
  inputStride: number;
  /** Slots of the random inputs, in params-table entry order. */
  randomSlots: number[];
  /** Slots of the swept inputs (constant within a cell, different between cells). */
  sweptSlots: number[];
  params: Uint32Array;
}

/**
 * Random inputs are the ones with a distribution that is not swept; everything else is a
 * constant of its cell (the same split the CPU engine makes).
 */
export function kernelPlan(plan: Plan): KernelPlan {
  const random = plan.inputs.filter((inp) => inp.sweepAxis === null && inp.dist.kind !== 'const');
  const customIds = new Map((plan.custom?.metrics ?? []).map((m, j) => [m.name, METRIC_COUNT + j]));
  return {
    cells: cellCount(plan),
    metrics: plan.metrics.length,
    metricIds: plan.metrics.map((m) => {
      const id = customIds.get(m) ?? METRIC[m as MetricName];
      if (id === undefined) throw new Error(`plan metric \`${m}\` is neither built in nor custom`);
      return id;
    }),
    inputStride: SLOT_COUNT + (plan.custom?.inputs.length ?? 0),
    randomSlots: random.map((inp) => inp.slot),
    sweptSlots: plan.inputs.filter((inp) => inp.sweepAxis !== null).map((inp) => inp.slot),
    params: encodeParams(
      random.map((inp) => inp.dist),
      random.map((inp) => inp.streamId),
      // Entry r is dimension r of an lhs or sobol design, as on the CPU.
      { scheme: plan.sampling ?? 'random', samples: plan.samples, key: plan.key },
      planCopula(plan, random),
    ),
  };
}

/** Words of the tables buffer (encodeTables) for a kernel plan, without building it. */
export function tableWords(kp: KernelPlan): number {
  return kp.cells * kp.inputStride + kp.randomSlots.length + kp.sweptSlots.length + kp.cells * kp.metrics * PAIR_TABLE_WORDS;
}

/**
 * The tables buffer: every cell's slot values (f32; random slots hold 0), the random inputs'
 * slots, and per (cell, metric) the shift and histogram mapping.
 */
export function encodeTables(
  plan: Plan,
  kp: KernelPlan,
  shift: Float64Array,
  hist: readonly HistSpec[] | undefined,
): { words: Uint32Array; pairTable: number; randomTable: number; sweptTable: number } {
  const pairs = kp.cells * kp.metrics;
  const stride = kp.inputStride;
  const randomTable = kp.cells * stride;
  const sweptTable = randomTable + kp.randomSlots.length;
  const pairTable = sweptTable + kp.sweptSlots.length;
  const words = new Uint32Array(tableWords(kp));
  const f = new Float32Array(words.buffer);
  for (let c = 0; c < kp.cells; c++) {
    const dists = cellDists(plan, c);
    dists.forEach((d, i) => {
      const slot = plan.inputs[i]!.slot;
      if (d.kind === 'const') f[c * stride + slot] = d.value;
    });
  }
  kp.randomSlots.forEach((slot, r) => {
    words[randomTable + r] = slot;
  });
  kp.sweptSlots.forEach((slot, k) => {
    words[sweptTable + k] = slot;
  });
  for (let i = 0; i < pairs; i++) {
    const o = pairTable + i * PAIR_TABLE_WORDS;
    f[o] = shift[i]!;
    if (hist) {
      const h = histMapping(hist[i]!, i);
      f[o + 1] = h.origin;
      f[o + 2] = h.scale;
      words[o + 3] = h.log ? 1 : 0;
    }
  }
  return { words, pairTable, randomTable, sweptTable };
}


/** One dispatch: quads [quadStart, quadStart + nQuads) with the valid lanes of its end quads. */
export interface Chunk {
  quadStart: number;
  nQuads: number;
  firstLane: number;
  lastLaneEnd: number;
  /** Valid samples in the chunk. */
  samples: number;
}

/**
 * Splits samples [start, start + count) into dispatches of at most `chunkQuads` quads. Sample i
 * is lane i mod 4 of quad floor(i / 4), so a range that does not start or end on a multiple of 4
 * has partial end quads.
 */
export function splitChunks(start: number, count: number, chunkQuads: number): Chunk[] {
  if (count <= 0) return [];
  const end = start + count;
  const qFirst = Math.floor(start / 4);
  const qEnd = Math.ceil(end / 4);
  const chunks: Chunk[] = [];
  for (let qa = qFirst; qa < qEnd; qa += chunkQuads) {
    const qb = Math.min(qEnd, qa + chunkQuads);
    const firstLane = qa === qFirst ? start - 4 * qFirst : 0;
    const lastLaneEnd = qb === qEnd ? end - 4 * (qEnd - 1) : 4;
    chunks.push({
      quadStart: qa,
      nQuads: qb - qa,
      firstLane,
      lastLaneEnd,
      samples: 4 * (qb - qa) - firstLane - (4 - lastLaneEnd),
    });
  }
  return chunks;
}

/** Words of one workgroup's partial for a pass of `cells` cells. */
export function partialWords(cells: number, metrics: number, pairWords = PAIR_WORDS): number {
  return cells * (metrics * pairWords + COUNT_WORDS);
}

/** The f64 accumulators one pass of cells adds its workgroups' partials into. */
export type Sums = Pick<PartialSums, 'infeasible' | 'sloMiss' | 'count' | 'nonFinite' | 'sum' | 'sumSq' | 'min' | 'max'>;

/**
 * Adds `workgroups` partials (read back from the kernel) into the plan-wide sums, for the pass
 * whose first cell is `cellFirst`. A workgroup without feasible samples of a cell (or, with
 * PAIR_WORDS_CUSTOM, without a finite value of a metric) carries the min/max identities, which
 * are skipped.
 */
export function addPartials(
  sums: Sums,
  words: Uint32Array,
  workgroups: number,
  cellFirst: number,
  cells: number,
  metrics: number,
  pairWords = PAIR_WORDS,
): void {
  const f = new Float32Array(words.buffer, words.byteOffset, words.length);
  const stride = partialWords(cells, metrics, pairWords);
  const countBase = cells * metrics * pairWords;
  const withBad = pairWords === PAIR_WORDS_CUSTOM;
  for (let w = 0; w < workgroups; w++) {
    const base = w * stride;
    for (let c = 0; c < cells; c++) {
      const cell = cellFirst + c;
      const o = base + countBase + c * COUNT_WORDS;
      const feasible = words[o]!;
      sums.infeasible[cell]! += words[o + 1]!;
      sums.sloMiss[cell]! += words[o + 2]!;
      if (feasible === 0) continue;
      for (let m = 0; m < metrics; m++) {
        const p = base + (c * metrics + m) * pairWords;
        const i = cell * metrics + m;
        const bad = withBad ? words[p + 4]! : 0;
        sums.nonFinite[i]! += bad;
        const counted = feasible - bad;
        if (counted === 0) continue;
        sums.count[i]! += counted;
        sums.sum[i]! += f[p]!;
        sums.sumSq[i]! += f[p + 1]!;
        const lo = f[p + 2]!;
        const hi = f[p + 3]!;
        if (lo < sums.min[i]!) sums.min[i] = lo;
        if (hi > sums.max[i]!) sums.max[i] = hi;
      }
    }
  }
}

/**
 * The kernel sums x - s32 with s32 = fround(shift); this rewrites the sums about the requested
 * f64 shift exactly (in f64): with e = s32 - shift,
 *   sum(x - shift) = S1 + n e,   sum((x - shift)^2) = S2 + 2 e S1 + n e^2.
 */
export function reshift(sums: Sums, shift: Float64Array): void {
  for (let i = 0; i < shift.length; i++) {
    const e = Math.fround(shift[i]!) - shift[i]!;
    if (e === 0) continue;
    const n = sums.count[i]!;
    const s1 = sums.sum[i]!;
    sums.sum[i] = s1 + n * e;
    sums.sumSq[i] = sums.sumSq[i]! + 2 * e * s1 + n * e * e;
  }
}
