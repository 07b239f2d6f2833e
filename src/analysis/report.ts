/**
 * What `cptsim report` shows, gathered in one place: the run with its distributions, the explain
 * breakdown at the median inputs, and a rank-correlation sensitivity of one reference cell.
 */
import { distributionOfValues, distributions, type Distribution } from '../aggregate/index.js';
import type { Engine } from '../engine/index.js';
import { cellPoint, type Plan } from '../plan/index.js';
import { explainPlan, type ExplainCell } from './explain.js';
import { planOfCell, rankCorrelation, uncertainInputs, type RankResult } from './sensitivity.js';
import { simulate, type RunResult, type SimulateOptions } from './simulate.js';
import { pairedMetric, type PairedMetric } from './compare.js';
import { checkPairable, sampleValues } from './paired.js';
import { InputError } from '../errors.js';

/** Samples of the rank-correlation run (at most the scenario's own count). */
export const REPORT_RANK_SAMPLES = 2 ** 14;

export interface ReportData {
  plan: Plan;
  run: RunResult;
  /** Per (cell, metric), index `cell * metrics + m`. */
  distributions: Distribution[];
  /** The metric the charts show. */
  metric: string;
  /** The cell that explain and the sensitivity describe: the middle value of every sweep axis. */
  referenceCell: number;
  explain: ExplainCell;
  /** Null when the scenario has no uncertain input. */
  rank: RankResult | null;
  /** With `report --compare`: this scenario (A) against another (B) on common random numbers. */
  comparison?: ReportComparison;
}

/** A scenario against another on common random numbers, for the report's compare view. */
export interface ReportComparison {
  a: string;
  b: string;
  metric: string;
  paired: PairedMetric;
  /** The distributions of A, of B, and of B - A per sample where both are finite. */
  aDist: Distribution;
  bDist: Distribution;
  difference: Distribution;
}

/**
 * Runs `a` and `b` (plans of one seed, sample count and sampling scheme: their samples share
 * random numbers) and pairs their values of `metric` sample by sample. Sweeps are for
 * `cptsim compare`: a report compares scenarios without sweep axes.
 */
export async function gatherComparison(
  a: Plan,
  b: Plan,
  engine: Engine,
  metric: string,
  files: readonly [string, string],
  onProgress?: (done: number, total: number) => void,
): Promise<ReportComparison> {
  if (a.axes.length > 0 || b.axes.length > 0) {
    throw new InputError([{ path: '--compare', message: 'the report compares scenarios without sweep axes; compare sweeps cell by cell with `cptsim compare`' }], files[a.axes.length > 0 ? 0 : 1]);
  }
  checkPairable([a, b], files, 'report --compare');
  const ia = a.metrics.indexOf(metric as never);
  const ib = b.metrics.indexOf(metric as never);
  if (ia < 0 || ib < 0) throw new InputError([{ path: '--metric', message: `${metric} is not a metric of both scenarios` }], files[ia < 0 ? 0 : 1]);
  const total = a.samples + b.samples;
  const va = (await sampleValues(a, engine, [ia], (d) => onProgress?.(d, total)))[0]![0]!;
  const vb = (await sampleValues(b, engine, [ib], (d) => onProgress?.(a.samples + d, total)))[0]![0]!;
  // NaN (a sample infeasible or not finite in either) stays NaN, and is left out like one.
  const diff = vb.map((b, i) => b - va[i]!);
  return {
    a: a.name,
    b: b.name,
    metric,
    paired: pairedMetric(va, vb),
    aDist: distributionOfValues(va),
    bDist: distributionOfValues(vb),
    difference: distributionOfValues(diff),
  };
}

export interface ReportOptions extends SimulateOptions {
  metric: string;
  /** Progress of the rank-correlation run, in samples. */
  onRankProgress?: (done: number, total: number) => void;
}

/** The cell at the middle value of every sweep axis (row-major, the last axis fastest); 0 without axes. */
export function middleCell(plan: Plan): number {
  let cell = 0;
  for (const axis of plan.axes) cell = cell * axis.values.length + Math.floor((axis.values.length - 1) / 2);
  return cell;
}

export async function gatherReport(plan: Plan, engine: Engine, opts: ReportOptions): Promise<ReportData> {
  // The distributions read every value of an exact run.
  const { result, partial, hist } = await simulate(plan, engine, { ...opts, exactValues: 'keep' });
  const referenceCell = middleCell(plan);
  const explained = explainPlan(plan).cells[referenceCell]!;
  const cellPlan = planOfCell(plan, referenceCell);
  let rank: RankResult | null = null;
  if (uncertainInputs(cellPlan).length > 0) {
    const samples = Math.min(plan.samples, REPORT_RANK_SAMPLES);
    rank = await rankCorrelation(cellPlan, engine, samples, opts.onRankProgress);
    rank.point = cellPoint(plan, referenceCell);
  }
  return { plan, run: result, distributions: distributions(partial, hist), metric: opts.metric, referenceCell, explain: explained, rank };
}
