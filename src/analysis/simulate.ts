/**
 * A Monte Carlo run of a plan on an engine, from sample indices to summaries: the pilot that
 * shapes the histograms, the main pass (in chunks when asked), and the per-cell summaries.
 */
import {
  cdfExact,
  cdfHist,
  HIST_BINS,
  HIST_STRIDE,
  histSpecsFromPilot,
  PartialMerger,
  probabilityBelowExact,
  probabilityBelowHist,
  shiftsFromPilot,
  sortedFinite,
  summarize,
  type CdfPoints,
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
 * they hand them over, so calls of this size keep that to a few tens of MB while the run's values
 * collect in arrays sized once (PartialMerger).
 */
export const EXACT_CHUNK_SAMPLE_CELLS = 2 ** 19;

/** Bytes one kept value takes in exact mode (an f32 per sample, cell and metric). */
export const EXACT_BYTES_PER_VALUE = 4;

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
 * Refuses `--quantiles exact` (InputError, exit 2) when keeping every value, samples x cells x
 * metrics x 4 bytes, would pass `budgetBytes`: such a run once grew to 17 GB before it was
 * killed. Quantiles from histograms take a fixed few MB per (cell, metric) whatever the samples.
 */
export function checkExactMemory(plan: Plan, quantiles: SimulateOptions['quantiles'], budgetBytes = exactMemoryBudgetBytes()): void {
  if (quantiles !== 'exact') return;
  const cells = cellCount(plan);
  const metrics = plan.metrics.length;
  const need = plan.samples * cells * metrics * EXACT_BYTES_PER_VALUE;
  if (need <= budgetBytes) return;
  throw new InputError([
    {
      path: '--quantiles',
      message:
        `exact quantiles keep every value: ${plan.samples.toLocaleString('en-US')} samples x ${cells.toLocaleString('en-US')} ` +
        `cell${cells === 1 ? '' : 's'} x ${metrics} metric${metrics === 1 ? '' : 's'} x ${EXACT_BYTES_PER_VALUE} bytes = ${gib(need)}, ` +
        `more than the ${gib(budgetBytes)} allowed (half of this machine's memory); ` +
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
  partial: PartialSums;
  hist: HistSpec[] | null;
}

export async function simulate(
  plan: Plan,
  engine: Engine,
  options: SimulateOptions = {},
): Promise<Simulation> {
  checkExactMemory(plan, options.quantiles, options.exactBudgetBytes);
  const now = options.now ?? (() => performance.now() / 1000);
  const t0 = now();
  const n = plan.samples;
  const { mode, hist, shift } = await prepareRun(plan, engine, options.quantiles);

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
  const merger = new PartialMerger(n);
  for (let start = 0, first = true; start < n || first; start += chunk, first = false) {
    const count = Math.min(chunk, n - start);
    const part: PartialSums = await engine.run(plan, {
      start,
      count,
      mode,
      ...(hist ? { hist } : {}),
      ...(shift ? { shift } : {}),
      onProgress: (done) => options.onProgress?.(start + done, n),
    });
    merger.add(part);
    options.onProgress?.(start + count, n);
  }
  const partial = merger.result()!;

  // The clock stops after the summaries (quantiles, exceedance, CDF points): a run's time is all
  // of it, not only the engine's share.
  const result = resultFromPartial(plan, partial, hist, engine.info, packageVersion(), 1, options);
  const elapsed = Math.max(now() - t0, 1e-9);
  result.elapsed_s = elapsed;
  result.samples_per_s = (n * cellCount(plan)) / elapsed;
  return { result, partial, hist };
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
): RunResult {
  const cells = cellCount(plan);
  const n = plan.samples;
  const mode = partial.values ? 'exact' : 'hist';
  const summaries = summarize(partial, hist);
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
    addDistribution(cell, partial, hist, plan.metrics, c, options);
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


/** A cell's exceedance probabilities and CDF points, from its exact values or its histograms. */
function addDistribution(cell: CellResult, partial: PartialSums, hist: HistSpec[] | null, metrics: readonly string[], c: number, options: SimulateOptions): void {
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
      cell.probability_below[name] = xs.map((x) =>
        partial.values ? probabilityBelowExact(of(i), x) : fromHist(i, (h, o, s, lo, hi, n) => probabilityBelowHist(h, o, s, lo, hi, n, x)),
      );
    }
  }
  if (points >= 2) {
    cell.cdf = {};
    metrics.forEach((name, k) => {
      const i = c * nm + k;
      cell.cdf![name] = partial.values ? cdfExact(of(i), points) : fromHist(i, (h, o, s, lo, hi, n) => cdfHist(h, o, s, lo, hi, n, points));
    });
  }
}
