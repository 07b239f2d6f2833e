/**
 * What `cptsim report` shows, gathered in one place: the run with its distributions, the explain
 * breakdown at the median inputs, and a rank-correlation sensitivity of one reference cell.
 */
import { distributions, type Distribution } from '../aggregate/index.js';
import type { Engine } from '../engine/types.js';
import { cellPoint } from '../plan/cells.js';
import type { Plan } from '../plan/types.js';
import { explainPlan, type ExplainCell } from './explain.js';
import { planOfCell, rankCorrelation, uncertainInputs, type RankResult } from './sensitivity.js';
import { simulate, type RunResult, type SimulateOptions } from './simulate.js';

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

export async function gatherReport(plan: Plan, engine: Engine, version: string, opts: ReportOptions): Promise<ReportData> {
  const { result, partial, hist } = await simulate(plan, engine, version, opts);
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
