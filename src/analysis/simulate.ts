/**
 * A Monte Carlo run of a plan on an engine, from sample indices to summaries: the pilot that
 * shapes the histograms, the main pass (in chunks when asked), and the per-cell summaries.
 */
import {
  cdfExact,
  cdfHist,
  cdfProbabilities,
  HIST_BINS,
  HIST_STRIDE,
  histSpecsFromPilot,
  QUANTILES,
  quantileRanks,
  PartialMerger,
  probabilityBelowCounted,
  probabilityBelowExact,
  probabilityBelowHist,
  shiftsFromPilot,
  sortedFinite,
  sortedView,
  streamingBytesPerPair,
  StreamingOrderStatistics,
  summarize,
  type CdfPoints,
  type ExactDigest,
  type HistSpec,
  type PartialSums,
  type ProbabilityBelow,
  type Stats,
} from '../aggregate/index.js';
import { REDUCTION_BLOCK_SAMPLES, type BackendInfo, type Engine } from '../engine/index.js';
import { totalmem } from 'node:os';
import { InputError } from '../errors.js';
import { cellCount, cellPoint, type Plan } from '../plan/index.js';
import { packageVersion } from '../paths.js';

/** Sample-cells up to which quantiles come from sorting every value (both engines keep them). */
export const EXACT_MAX_SAMPLE_CELLS = 2 ** 21;
/** Samples per cell in the pilot that sets histogram ranges and sum shifts. */
export const PILOT_SAMPLES = 16384;

/**
 * Sample-cells per engine call of an exact run: the engines hold a call's values once more while
 * they hand them over, and the next call's while this one's are read (the CPU engine: two sets of
 * arrays that a streaming run reads in place), so calls of this size keep that to a few tens of MB
 * while the run's values collect in arrays sized once (PartialMerger), or stream through the
 * counting passes.
 */
export const EXACT_CHUNK_SAMPLE_CELLS = 2 ** 19;

/** Bytes one kept value takes in exact mode (an f32 per sample, cell and metric). */
export const EXACT_BYTES_PER_VALUE = 4;

/**
 * An exact run keeps every value (one engine pass) when its cells have at most this many samples
 * (a (cell, metric)'s values then take no more than the 2^16 counters of a streaming pass) or when
 * it has at most EXACT_MAX_SAMPLE_CELLS sample-cells (at most 8 MiB of values per metric, less
 * than a second engine pass costs). Larger runs stream (exactPlan): two engine passes of the same
 * samples, and memory that does not grow with the samples.
 */
export const EXACT_KEEP_AT_MOST = 2 ** 16;

/** Whether an exact run keeps its values or streams them: 'auto' picks by size (exactPlan). */
export type ExactValues = 'auto' | 'keep' | 'stream';

/** Order statistics a summary asks of each (cell, metric): two per quantile. */
const SUMMARY_RANKS = 2 * QUANTILES.length;

/**
 * The memory exact quantiles may take for the values they sort: half of the machine's memory
 * (the values are copied while they are merged and sorted, and the rest of the process needs
 * room too).
 */
export function exactMemoryBudgetBytes(): number {
  return Math.floor(totalmem() / 2);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toLocaleString('en-US', { maximumFractionDigits: bytes < 2 ** 30 ? 3 : 1 })} GiB`;
}

/**
 * How an exact run of `plan` goes: 'keep' every value, or 'stream' them through two counting
 * passes (StreamingOrderStatistics). 'auto' keeps them in runs of at most EXACT_KEEP_AT_MOST
 * samples per cell or EXACT_MAX_SAMPLE_CELLS sample-cells, and streams larger ones.
 */
export function exactPlan(plan: Plan, values: ExactValues = 'auto'): 'keep' | 'stream' {
  if (values !== 'auto') return values;
  return plan.samples <= EXACT_KEEP_AT_MOST || plan.samples * cellCount(plan) <= EXACT_MAX_SAMPLE_CELLS ? 'keep' : 'stream';
}

/**
 * The most memory an exact run of `plan` takes for its quantiles: every value (samples x cells x
 * metrics x 4 bytes) when it keeps them, else the streaming passes' counters and kept values
 * (streamingBytesPerPair per cell and metric, for the summary's order statistics and `extraRanks`
 * more: CDF points, convergence intervals).
 */
export function exactMemoryBytes(plan: Plan, values: ExactValues = 'auto', extraRanks = 0): number {
  const pairs = cellCount(plan) * plan.metrics.length;
  return exactPlan(plan, values) === 'keep'
    ? plan.samples * pairs * EXACT_BYTES_PER_VALUE
    : pairs * streamingBytesPerPair(SUMMARY_RANKS + extraRanks, plan.samples);
}

/**
 * Refuses `--quantiles exact` (InputError, exit 2) when the run would take more than
 * `budgetBytes` for its quantiles (exactMemoryBytes): a run that kept every value once grew to
 * 17 GB before it was killed. Quantiles from histograms take a fixed few MB per (cell, metric)
 * whatever the samples; so do exact ones that stream (256 KiB per (cell, metric) and up to
 * 256 KiB more per order statistic asked for), which many cells can add up to.
 */
export function checkExactMemory(
  plan: Plan,
  quantiles: SimulateOptions['quantiles'],
  budgetBytes = exactMemoryBudgetBytes(),
  values: ExactValues = 'auto',
  extraRanks = 0,
): void {
  if (quantiles !== 'exact') return;
  const cells = cellCount(plan);
  const metrics = plan.metrics.length;
  const need = exactMemoryBytes(plan, values, extraRanks);
  if (need <= budgetBytes) return;
  const what =
    exactPlan(plan, values) === 'keep'
      ? `exact quantiles keep every value here: ${plan.samples.toLocaleString('en-US')} samples x ${cells.toLocaleString('en-US')} ` +
        `cell${cells === 1 ? '' : 's'} x ${metrics} metric${metrics === 1 ? '' : 's'} x ${EXACT_BYTES_PER_VALUE} bytes = ${gib(need)}`
      : `exact quantiles count values per cell and metric: ${cells.toLocaleString('en-US')} cell${cells === 1 ? '' : 's'} x ${metrics} ` +
        `metric${metrics === 1 ? '' : 's'} x ${gib(need / (cells * metrics))} = ${gib(need)}`;
  throw new InputError([
    {
      path: '--quantiles',
      message:
        `${what}, more than the ${gib(budgetBytes)} allowed (half of this machine's memory); ` +
        `use --quantiles hist (histograms of ${HIST_BINS} bins: fixed memory, quantiles within the stated error bound) or fewer samples`,
    },
  ]);
}

export interface SimulateOptions {
  /** 'auto' (default): exact when samples x cells <= EXACT_MAX_SAMPLE_CELLS. */
  quantiles?: 'auto' | 'exact' | 'hist';
  /** Split the main pass into engine calls of at most this many samples (results do not change). */
  chunkSamples?: number;
  onProgress?: (doneSamples: number, totalSamples: number) => void;
  /** Clock for elapsed time; injectable for tests. */
  now?: () => number;
  /** Thresholds per metric: each cell reports P(metric <= x) with its standard error. */
  probabilityBelow?: Record<string, readonly number[]>;
  /** Points of every metric's CDF to report per cell (at least 2). */
  cdfPoints?: number;
  /** Memory exact quantiles may take (default exactMemoryBudgetBytes()); see checkExactMemory. */
  exactBudgetBytes?: number;
  /**
   * Exact mode: 'keep' every value in the result's partial (for distributions(), which reads
   * them), in one engine pass; 'stream' them through two passes without keeping them; 'auto'
   * (default): by the run's size (exactPlan).
   */
  exactValues?: ExactValues;
  /**
   * Exact mode, streaming: order statistics to find besides the summary's, per (cell, metric)
   * `pair` of `count` values (ranks 0 .. count - 1); Simulation.exact holds them.
   */
  exactRanks?: (pair: number, count: number) => readonly number[];
}

export interface CellResult {
  point: Record<string, number>;
  samples: number;
  infeasible_fraction: number;
  /** Present when the scenario states an SLO: fraction of feasible samples that miss it. */
  slo_miss_fraction?: number;
  metrics: Record<string, Stats>;
  /** P(metric <= x) for the thresholds asked for (`probability_below:` or --probability-below). */
  probability_below?: Record<string, ProbabilityBelow[]>;
  /** With --cdf N: N points of each metric's CDF. */
  cdf?: Record<string, CdfPoints>;
}

export interface RunResult {
  cptsim: string;
  scenario: string;
  seed: string;
  samples: number;
  backend: { kind: BackendInfo['kind']; adapter: string; software: boolean; threads?: number };
  elapsed_s: number;
  /** Model evaluations per second: samples x cells / elapsed_s. */
  samples_per_s: number;
  quantiles:
    | { method: 'exact' }
    | { method: 'histogram'; bins: number; relative_error_bound: number };
  cells: CellResult[];
}

export interface Simulation {
  result: RunResult;
  /** Without values when an exact run streamed them (then `exact` has what was found). */
  partial: PartialSums;
  hist: HistSpec[] | null;
  /** An exact run that streamed: per (cell, metric) its count, mean, variance and order statistics. */
  exact?: ExactDigest[] | null;
}

export async function simulate(
  plan: Plan,
  engine: Engine,
  options: SimulateOptions = {},
): Promise<Simulation> {
  checkExactMemory(plan, options.quantiles, options.exactBudgetBytes, options.exactValues, 2 * (options.cdfPoints ?? 0));
  const now = options.now ?? (() => performance.now() / 1000);
  const t0 = now();
  const n = plan.samples;
  const { mode, hist, shift } = await prepareRun(plan, engine, options.quantiles);
  const stream = mode === 'exact' && exactPlan(plan, options.exactValues) === 'stream';

  // One engine call by default in histogram mode; exact mode goes in chunks that bound the
  // engine's value buffers. Chunks of whole reduction blocks (of quads when under a block) make
  // the GPU engine sum the same f32 blocks as one call would (src/aggregate/types.ts).
  const asked = options.chunkSamples ?? (mode === 'exact' ? Math.floor(EXACT_CHUNK_SAMPLE_CELLS / cellCount(plan)) : undefined);
  const chunk =
    asked === undefined
      ? Math.max(4, n)
      : asked >= REDUCTION_BLOCK_SAMPLES
        ? Math.floor(asked / REDUCTION_BLOCK_SAMPLES) * REDUCTION_BLOCK_SAMPLES
        : Math.max(4, Math.floor(asked / 4) * 4);
  // A streaming run goes over the samples twice: progress counts both passes.
  const passes = stream ? 2 : 1;
  const starts: number[] = [];
  for (let start = 0, first = true; start < n || first; start += chunk, first = false) starts.push(start);
  const calls = Array.from({ length: passes }, (_, k) => starts.map((start) => ({ k, start, count: Math.min(chunk, n - start) }))).flat();
  const call = ({ k, start, count }: (typeof calls)[number]): Promise<PartialSums> =>
    engine.run(plan, {
      start,
      count,
      mode,
      // A streaming run is done with a call's values before it starts the call after the next
      // one: they may be views of the engine's buffers (RunRequest.valueViews).
      ...(stream ? { valueViews: true } : {}),
      ...(hist ? { hist } : {}),
      ...(shift ? { shift } : {}),
      onProgress: (done) => options.onProgress?.(k * n + start + done, passes * n),
    });
  // Every call in order, each handed to `take`; the next call starts before `take` reads this
  // one, so that the engine (the CPU engine's worker threads) runs it while this thread counts.
  const runAll = async (take: (k: number, part: PartialSums, lastOfPass: boolean) => void): Promise<void> => {
    let next = call(calls[0]!);
    for (let i = 0; i < calls.length; i++) {
      const part = await next;
      if (i + 1 < calls.length) next = call(calls[i + 1]!);
      const { k, start, count } = calls[i]!;
      try {
        take(k, part, calls[i + 1]?.k !== k);
      } catch (e) {
        // Let the call in flight finish before the error goes up (no unhandled rejection, no
        // engine still busy when the caller disposes of it).
        await next.catch(() => undefined);
        throw e;
      }
      options.onProgress?.(k * n + start + count, passes * n);
    }
  };
  const merger = new PartialMerger(n);
  let exact: ExactDigest[] | null = null;
  if (stream) {
    // Pass 1 counts, pass 2 runs the same samples again (the same values: engine runs are
    // deterministic) and keeps or counts only those near the ranks wanted (src/aggregate/select.ts).
    // The ranks are chosen once pass 1's last call is counted, while pass 2's first one runs.
    const nm = plan.metrics.length;
    const below = thresholdsOf(plan, options.probabilityBelow);
    const select = new StreamingOrderStatistics(cellCount(plan) * nm, below);
    const points = options.cdfPoints ?? 0;
    const cdf = points >= 2 ? cdfProbabilities(points) : [];
    await runAll((k, part, lastOfPass) => {
      if (k === 1) return select.second(part.values!);
      select.first(part.values!);
      merger.add({ ...part, values: null });
      if (!lastOfPass) return;
      select.choose((i, count) => [
        ...quantileRanks(count, QUANTILES),
        ...quantileRanks(count, cdf),
        ...(options.exactRanks?.(i, count) ?? []),
      ]);
    });
    exact = select.result();
  } else {
    await runAll((_k, part) => merger.add(part));
  }
  const partial = merger.result()!;

  // The clock stops after the summaries (quantiles, exceedance, CDF points): a run's time is all
  // of it, not only the engine's share.
  const result = resultFromPartial(plan, partial, hist, engine.info, packageVersion(), 1, options, exact);
  const elapsed = Math.max(now() - t0, 1e-9);
  result.elapsed_s = elapsed;
  result.samples_per_s = (n * cellCount(plan)) / elapsed;
  return { result, partial, hist, exact };
}

/** Per (cell, metric): the thresholds of P(metric <= x) asked for. */
function thresholdsOf(plan: Plan, probabilityBelow: SimulateOptions['probabilityBelow']): number[][] {
  const out: number[][] = [];
  for (let c = 0; c < cellCount(plan); c++) for (const m of plan.metrics) out.push([...(probabilityBelow?.[m] ?? [])]);
  return out;
}

/** How a run of `plan` aggregates: its quantile mode, and for histograms their bins and sum shifts. */
export interface RunShape {
  mode: 'exact' | 'hist';
  hist: HistSpec[] | null;
  shift: Float64Array | undefined;
}

/**
 * The quantile mode of a run of `plan` (by its total sample count, so every shard of a run picks
 * the same) and, in histogram mode, the pilot that fixes the bins and sum shifts. The pilot always
 * runs the same sample indices 0 .. min(samples, PILOT_SAMPLES) - 1, whatever part of the run the
 * caller goes on to compute: every shard of a run derives identical bins on the same backend.
 */
export async function prepareRun(plan: Plan, engine: Engine, quantiles: SimulateOptions['quantiles']): Promise<RunShape> {
  const n = plan.samples;
  const mode =
    quantiles === 'exact' || quantiles === 'hist' ? quantiles : n * cellCount(plan) <= EXACT_MAX_SAMPLE_CELLS ? 'exact' : 'hist';
  if (mode === 'exact') return { mode, hist: null, shift: undefined };
  const pilot = await engine.run(plan, { start: 0, count: Math.min(n, PILOT_SAMPLES), mode: 'exact' });
  return { mode, hist: histSpecsFromPilot(pilot), shift: shiftsFromPilot(pilot) };
}

/** The run result of a finished partial covering all of `plan`'s samples. */
export function resultFromPartial(
  plan: Plan,
  partial: PartialSums,
  hist: HistSpec[] | null,
  info: BackendInfo,
  version: string,
  elapsed: number,
  options: Pick<SimulateOptions, 'probabilityBelow' | 'cdfPoints'> = {},
  exact: readonly ExactDigest[] | null = null,
): RunResult {
  const cells = cellCount(plan);
  const n = plan.samples;
  const mode = partial.values || exact ? 'exact' : 'hist';
  const summaries = summarize(partial, hist, exact);
  const nm = plan.metrics.length;
  let bound = 0;
  const cellResults: CellResult[] = [];
  for (let c = 0; c < cells; c++) {
    const metrics: Record<string, Stats> = {};
    plan.metrics.forEach((m, k) => {
      const s = summaries[c * nm + k]!;
      metrics[m] = s.stats;
      bound = Math.max(bound, s.quantileErrorBound);
    });
    const infeasible = partial.infeasible[c]!;
    const feasible = n - infeasible;
    const cell: CellResult = {
      point: cellPoint(plan, c),
      samples: n,
      infeasible_fraction: n ? infeasible / n : 0,
      metrics,
    };
    if (plan.config.sloTokensPerSPerUser || plan.config.sloTtft) {
      cell.slo_miss_fraction = feasible ? partial.sloMiss[c]! / feasible : 0;
    }
    addDistribution(cell, partial, hist, exact, plan.metrics, c, options);
    cellResults.push(cell);
  }

  const result: RunResult = {
    cptsim: version,
    scenario: plan.name,
    seed: plan.seed,
    samples: n,
    backend: { ...info },
    elapsed_s: elapsed,
    samples_per_s: (n * cells) / elapsed,
    quantiles:
      mode === 'exact'
        ? { method: 'exact' }
        : { method: 'histogram', bins: HIST_BINS, relative_error_bound: bound },
    cells: cellResults,
  };
  return result;
}


/**
 * A cell's exceedance probabilities and CDF points, from its exact values, from what the streaming
 * passes counted and found (the same numbers), or from its histograms.
 */
function addDistribution(
  cell: CellResult,
  partial: PartialSums,
  hist: HistSpec[] | null,
  exact: readonly ExactDigest[] | null,
  metrics: readonly string[],
  c: number,
  options: SimulateOptions,
): void {
  const below = Object.entries(options.probabilityBelow ?? {}).filter(([, xs]) => xs.length > 0);
  const points = options.cdfPoints ?? 0;
  if (!below.length && points < 2) return;
  const nm = metrics.length;
  const sorted = new Map<number, Float64Array>();
  const of = (i: number): Float64Array => {
    let s = sorted.get(i);
    if (!s) sorted.set(i, (s = sortedFinite(partial.values![i]!)));
    return s;
  };
  const fromHist = <T>(i: number, f: (h: Float64Array, offset: number, spec: HistSpec, min: number, max: number, n: number) => T): T =>
    f(partial.hist!, i * HIST_STRIDE, hist![i]!, partial.min[i]!, partial.max[i]!, partial.count[i]!);
  if (below.length) {
    cell.probability_below = {};
    for (const [name, xs] of below) {
      const k = metrics.indexOf(name);
      if (k < 0) continue;
      const i = c * nm + k;
      cell.probability_below[name] = xs.map((x, t) =>
        partial.values
          ? probabilityBelowExact(of(i), x)
          : exact
            ? probabilityBelowCounted(exact[i]!.atMost[t]!, exact[i]!.order.count, x)
            : fromHist(i, (h, o, s, lo, hi, n) => probabilityBelowHist(h, o, s, lo, hi, n, x)),
      );
    }
  }
  if (points >= 2) {
    cell.cdf = {};
    metrics.forEach((name, k) => {
      const i = c * nm + k;
      cell.cdf![name] = partial.values
        ? cdfExact(of(i), points)
        : exact
          ? cdfExact(sortedView(exact[i]!.order), points)
          : fromHist(i, (h, o, s, lo, hi, n) => cdfHist(h, o, s, lo, hi, n, points));
    });
  }
}
