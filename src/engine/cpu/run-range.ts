/**
 * The CPU engine's inner loop: samples [start, start + count) of every cell of a plan, drawn,
 * evaluated with the CPU reference model (and the plan's metric expressions, compiled to one
 * JavaScript function per run) and accumulated into a PartialSums. Plain f64 arithmetic; no
 * allocation per sample. Runs on a worker thread or, for one thread, in the calling thread.
 */
import { emptyPartial, F32_MAX, HIST_BINS, HIST_STRIDE, histMapping, type PartialSums } from '../../aggregate/index.js';
import { compileJs } from '../../expr/index.js';
import { evaluate, FEASIBLE, INTERMEDIATE_COUNT, METRIC_COUNT, SLO_MISS, SLOT_COUNT } from '../../model/index.js';
import { builtInMetricIds, cellCount, cellDists, customLayout, planCopula, type Plan } from '../../plan/index.js';
import { CopulaSampler, prepareDist, qmcInput, samplePreparedQuad } from '../../sampling/index.js';
import { type RunRequest } from '../types.js';

export type RangeRequest = Omit<RunRequest, 'onProgress'>;

/**
 * Samples per summation block. Sums of (x - shift) and its square are taken per block of
 * BLOCK_SAMPLES absolute sample indices ([k B, (k + 1) B)), and the block sums are added in block
 * order: the same additions in the same order whatever the split of a range into threads, so
 * results do not depend on --threads to the last bit. A multiple of 4 (blocks end on quads).
 */
export const BLOCK_SAMPLES = 65536;

/** One block's sums per (cell, metric), as a worker hands them over to be added in order. */
export interface BlockSums {
  sum: Float64Array;
  sumSq: Float64Array;
}

/**
 * Where exact-mode values go: per (cell, metric) an array with room for the range's samples from
 * `offset` on. The values of one (cell, metric) are written one after the other from `offset`, in
 * sample order (as many for every metric of a cell); `runRange` returns how many.
 */
export interface ExactSink {
  values: Float32Array[];
  offset: number;
}

/**
 * Runs samples [req.start, req.start + req.count). With `blocks`, each summation block's sums are
 * appended to it and `sum` and `sumSq` of the result stay 0 (the caller adds the blocks in order);
 * without, they are added into the result here.
 */
/**
 * With `sink`, exact-mode values are written there (the result's `values` is null and `filled`
 * says how many per (cell, metric)); without, into arrays of the result.
 */
export function runRange(
  plan: Plan,
  req: RangeRequest,
  onQuads?: (samplesDone: number) => void,
  blocks?: BlockSums[],
  sink?: ExactSink,
): PartialSums & { filled?: Int32Array } {
  const cells = cellCount(plan);
  // With metric expressions each lane's inputs, model outputs, intermediates and expression
  // results share one vector (src/plan/custom.ts) and metrics are read from it; without, the
  // model's outputs are read from `out`.
  const layout = customLayout(plan);
  const metricIds = layout ? layout.metricSymbols : builtInMetricIds(plan);
  const nm = metricIds.length;
  const part = emptyPartial(cells, nm, req.mode, req.shift);
  part.samples = req.count;
  if (req.count === 0) return part;
  const hist = part.hist;
  const specs = req.hist;
  if (req.mode === 'hist' && (!specs || specs.length !== cells * nm)) {
    throw new Error(`hist mode needs ${cells * nm} histogram specs`);
  }
  // Histogram bins as affine maps, one per (cell, metric): the same numbers the GPU bins with,
  // unpacked into typed arrays for the inner loop (binOf written out there: ~10% faster).
  const histOrigin = new Float64Array(cells * nm);
  const histScale = new Float64Array(cells * nm);
  const histLog = new Uint8Array(cells * nm);
  specs?.forEach((h, i) => {
    const m = histMapping(h, i);
    histOrigin[i] = m.origin;
    histScale[i] = m.scale;
    histLog[i] = m.log ? 1 : 0;
  });

  // Exact mode: each (cell, metric)'s values go to `lists[i]` from `at` + `filled[i]` on, with no
  // allocation or copy per sample; the caller's sink is shared with the other threads.
  const exact = req.mode === 'exact';
  const lists = exact ? (sink?.values ?? Array.from({ length: cells * nm }, () => new Float32Array(req.count))) : null;
  const at = sink?.offset ?? 0;
  const filled = new Int32Array(cells * nm);

  // Per cell, the constants of that cell (fixed inputs and swept values); random inputs are drawn
  // once per quad and shared by every cell (common random numbers).
  const scheme = plan.sampling ?? 'random';
  const randomInputs = plan.inputs.filter((inp) => inp.sweepAxis === null && inp.dist.kind !== 'const');
  const drawnInputs = randomInputs
    // Under lhs or sobol, random input r is dimension r of the design (the GPU's entry order too).
    .map((inp, r) => ({
      slot: inp.slot,
      streamId: inp.streamId,
      prep: prepareDist(inp.dist, scheme === 'random' ? undefined : qmcInput({ scheme, samples: plan.samples }, plan.key, r, inp.streamId)),
    }));
  // Correlated inputs are drawn together through the copula; the others one by one, as without it.
  const copula = planCopula(plan, randomInputs);
  const correlated = copula ? copula.entries.map((r) => drawnInputs[r]!) : [];
  const random = copula ? drawnInputs.filter((_, r) => !copula.entries.includes(r)) : drawnInputs;
  const copulaSampler = copula
    ? new CopulaSampler(correlated.map((c) => c.prep), correlated.map((c) => c.streamId), copula.lower)
    : null;
  const copulaOut = new Float64Array(4 * correlated.length);
  const x = Array.from({ length: 4 }, () => new Float64Array(layout ? layout.symbols.length : SLOT_COUNT));
  for (const inp of plan.inputs) {
    if (inp.dist.kind === 'const') for (const xj of x) xj[inp.slot] = inp.dist.value;
  }
  // Swept slots, and their value in each cell.
  const swept = Int32Array.from(plan.inputs.filter((inp) => inp.sweepAxis !== null), (inp) => inp.slot);
  const sweptValues = Array.from({ length: cells }, (_, c) => {
    const cd = cellDists(plan, c);
    return Float64Array.from(swept, (s) => {
      const d = cd[s]!;
      return d.kind === 'const' ? d.value : NaN;
    });
  });
  const drawn = new Float64Array(4);
  const out = new Float64Array(METRIC_COUNT);
  const key = plan.key;
  const costModel = layout ? layout.costModel : true;
  const expressions = layout ? compileJs(layout.exprs, layout.symbols) : null;
  // Per lane: where the model writes its metrics (and intermediates), and where metrics are read.
  const outs = x.map((xj) => (layout ? xj.subarray(layout.metricBase, layout.metricBase + METRIC_COUNT) : out));
  const inters = x.map((xj) =>
    layout?.needsInter ? xj.subarray(layout.interBase, layout.interBase + INTERMEDIATE_COUNT) : undefined,
  );
  const sources = x.map((xj) => (layout ? xj : out));

  const end = req.start + req.count;
  const q0 = Math.floor(req.start / 4);
  const q1 = Math.ceil(end / 4);
  // The open block's sums; flushed when a block ends and at the end of the range.
  let blockSum = new Float64Array(cells * nm);
  let blockSq = new Float64Array(cells * nm);
  const quadsPerBlock = BLOCK_SAMPLES / 4;
  const flush = () => {
    if (blocks) {
      blocks.push({ sum: blockSum, sumSq: blockSq });
      blockSum = new Float64Array(cells * nm);
      blockSq = new Float64Array(cells * nm);
      return;
    }
    for (let i = 0; i < blockSum.length; i++) {
      part.sum[i]! += blockSum[i]!;
      part.sumSq[i]! += blockSq[i]!;
    }
    blockSum.fill(0);
    blockSq.fill(0);
  };
  const progressEvery = Math.max(1, Math.floor(65536 / Math.max(1, cells)));
  for (let q = q0; q < q1; q++) {
    for (let r = 0; r < random.length; r++) {
      const inp = random[r]!;
      samplePreparedQuad(inp.prep, key, inp.streamId, q, drawn);
      x[0]![inp.slot] = drawn[0]!;
      x[1]![inp.slot] = drawn[1]!;
      x[2]![inp.slot] = drawn[2]!;
      x[3]![inp.slot] = drawn[3]!;
    }
    if (copulaSampler) {
      copulaSampler.quad(key, q, copulaOut);
      for (let k = 0; k < correlated.length; k++) {
        const slot = correlated[k]!.slot;
        for (let j = 0; j < 4; j++) x[j]![slot] = copulaOut[4 * k + j]!;
      }
    }
    const jLo = Math.max(0, req.start - 4 * q);
    const jHi = Math.min(4, end - 4 * q);
    for (let c = 0; c < cells; c++) {
      const sv = sweptValues[c]!;
      for (let j = jLo; j < jHi; j++) {
        const xj = x[j]!;
        for (let s = 0; s < swept.length; s++) xj[swept[s]!] = sv[s]!;
        const flags = costModel ? evaluate(xj, plan.config, outs[j]!, inters[j]) : FEASIBLE;
        if ((flags & FEASIBLE) === 0) {
          part.infeasible[c]!++;
          if (lists && req.keepInfeasible) for (let k = c * nm; k < (c + 1) * nm; k++) lists[k]![at + filled[k]!++] = NaN;
          continue;
        }
        if (flags & SLO_MISS) part.sloMiss[c]!++;
        if (expressions) expressions(xj);
        const src = sources[j]!;
        const base = c * nm;
        for (let k = 0; k < nm; k++) {
          const v = src[metricIds[k]!]!;
          const i = base + k;
          // A value that is not finite (log of a negative number, x / 0), or that is beyond the
          // f32 range where the GPU engine's value is infinite, is counted and left out of that
          // metric; in exact mode it stays as NaN so that samples line up.
          if (!(Math.abs(v) <= F32_MAX)) {
            part.nonFinite[i]!++;
            if (lists) lists[i]![at + filled[i]!++] = NaN;
            continue;
          }
          const d = v - part.shift[i]!;
          part.count[i]!++;
          blockSum[i]! += d;
          blockSq[i]! += d * d;
          if (v < part.min[i]!) part.min[i] = v;
          if (v > part.max[i]!) part.max[i] = v;
          if (hist) {
            const t = ((histLog[i] ? Math.log2(v) : v) - histOrigin[i]!) * histScale[i]!;
            // As binOf: !(t >= 0) also sends NaN (log of a non-positive value) to the underflow bin.
            hist[i * HIST_STRIDE + (!(t >= 0) ? 0 : t >= HIST_BINS ? HIST_BINS + 1 : 1 + Math.floor(t))]!++;
          }
          else lists![i]![at + filled[i]!++] = v;
        }
      }
    }
    if ((q + 1) % quadsPerBlock === 0 || q + 1 === q1) flush();
    if (onQuads && (q - q0 + 1) % progressEvery === 0) onQuads(Math.min(req.count, 4 * (q + 1) - req.start));
  }
  if (!lists) return part;
  if (sink) {
    part.values = null;
    return Object.assign(part, { filled });
  }
  // Views of the arrays written (no copy): they hold at most req.count values each.
  part.values = lists.map((l, i) => l.subarray(0, filled[i]!));
  return part;
}
