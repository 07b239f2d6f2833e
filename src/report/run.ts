/** The `run` result as a table, CSV or JSON (DESIGN.md's JSON result is the stable contract). */
import type { RunResult } from '../analysis/index.js';
import { QUANTILE_KEYS } from '../aggregate/index.js';
import { csvField, fmt, pct, table } from './format.js';

export interface TableOptions {
  /** For sweeps: the metric shown per cell (default cost_per_mtok_output). */
  metric?: string;
}

function describeBackend(r: RunResult): string {
  return r.backend.kind === 'gpu'
    ? `gpu (${r.backend.adapter}${r.backend.software ? ', software' : ''})`
    : `cpu (${r.backend.adapter})`;
}

export function runHeader(r: RunResult): string {
  const q =
    r.quantiles.method === 'exact'
      ? 'quantiles exact'
      : `quantiles from ${r.quantiles.bins}-bin histograms (relative error <= ${r.quantiles.relative_error_bound.toExponential(1)})`;
  return [
    `${r.scenario}`,
    `${r.samples.toLocaleString('en-US')} samples${r.cells.length > 1 ? ` x ${r.cells.length} cells` : ''}, seed "${r.seed}", ` +
      `${describeBackend(r)}, ${r.elapsed_s.toFixed(2)} s (${fmt(r.samples_per_s)} samples/s), ${q}`,
  ].join('\n');
}

export function formatRunTable(r: RunResult, opts: TableOptions = {}): string {
  const out = [runHeader(r), ''];
  if (r.cells.length === 1) {
    const cell = r.cells[0]!;
    const rows = Object.entries(cell.metrics).map(([name, s]) => [
      name,
      fmt(s.mean),
      fmt(s.p10),
      fmt(s.p50),
      fmt(s.p90),
      fmt(s.sd),
    ]);
    out.push(table(rows, ['metric', 'mean', 'P10', 'P50', 'P90', 'sd']));
    const feasibility = feasibilityLine(cell.infeasible_fraction, cell.slo_miss_fraction);
    if (feasibility) out.push('', feasibility);
    const bad = Object.entries(cell.metrics).filter(([, s]) => s.non_finite > 0);
    if (bad.length) {
      out.push('', `not finite, left out: ${bad.map(([name, s]) => `${name} ${count(s.non_finite)} of ${count(cell.samples)} samples (${pct(s.non_finite / cell.samples)})`).join(', ')}`);
    }
  } else {
    const metric = opts.metric ?? 'cost_per_mtok_output';
    const axes = Object.keys(r.cells[0]!.point);
    // The share of samples whose value was not finite, a column only when some cell has any.
    const anyBad = r.cells.some((cell) => (cell.metrics[metric]?.non_finite ?? 0) > 0);
    const rows = r.cells.map((cell) => {
      const s = cell.metrics[metric];
      return [
        ...axes.map((a) => fmt(cell.point[a]!)),
        ...(s ? [fmt(s.mean), fmt(s.p10), fmt(s.p50), fmt(s.p90)] : ['-', '-', '-', '-']),
        pct(cell.infeasible_fraction),
        ...(cell.slo_miss_fraction !== undefined ? [pct(cell.slo_miss_fraction)] : []),
        ...(anyBad ? [pct((s?.non_finite ?? 0) / cell.samples)] : []),
      ];
    });
    const sloHeader = r.cells[0]!.slo_miss_fraction !== undefined ? ['SLO miss'] : [];
    out.push(`${metric} by cell:`, '');
    out.push(table(rows, [...axes, 'mean', 'P10', 'P50', 'P90', 'infeasible', ...sloHeader, ...(anyBad ? ['not finite'] : [])]));
  }
  const below = exceedanceLines(r);
  if (below.length) out.push('', ...below);
  return out.join('\n') + '\n';
}

/** `P(metric <= x) = p ± stderr` per cell, with the binning error when quantiles come from histograms. */
function exceedanceLines(r: RunResult): string[] {
  const lines: string[] = [];
  for (const cell of r.cells) {
    const point = Object.entries(cell.point).map(([k, v]) => `${k} = ${fmt(v)}`).join(', ');
    for (const [name, list] of Object.entries(cell.probability_below ?? {})) {
      for (const e of list) {
        const binning = e.binning_error !== undefined && e.binning_error > 0 ? ` (histogram binning up to ${pct(e.binning_error)})` : '';
        lines.push(`${point ? `${point}: ` : ''}P(${name} <= ${fmt(e.x)}) = ${pct(e.p)} ± ${pct(e.stderr)}${binning}`);
      }
    }
  }
  return lines;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * One warning per metric with values that were not finite (left out of its statistics), summed
 * over the cells; empty when there is none. For stderr: the result on stdout says it too.
 */
export function nonFiniteWarnings(r: RunResult): string[] {
  const bad = new Map<string, number>();
  for (const cell of r.cells) {
    for (const [name, s] of Object.entries(cell.metrics)) if (s.non_finite > 0) bad.set(name, (bad.get(name) ?? 0) + s.non_finite);
  }
  const total = r.samples * r.cells.length;
  return [...bad].map(
    ([name, n]) =>
      `warning: ${name}: ${count(n)} of ${count(total)} samples${r.cells.length > 1 ? ' (all cells)' : ''} were not finite ` +
      `(a division by zero, a logarithm of a value <= 0, or beyond the f32 range) and are left out of its statistics`,
  );
}

/** What a reader should know about left-out samples and SLOs; empty when there is nothing. */
function feasibilityLine(infeasible: number, sloMiss: number | undefined): string {
  const parts: string[] = [];
  if (infeasible > 0) parts.push(`infeasible samples (model does not fit in memory), left out: ${pct(infeasible)}`);
  if (sloMiss !== undefined) parts.push(`SLO missed by ${pct(sloMiss)} of feasible samples`);
  return parts.join('; ');
}

export function formatRunJson(r: RunResult): string {
  return JSON.stringify(r, null, 2) + '\n';
}

const STAT_KEYS = ['mean', 'sd', 'stderr', 'min', ...QUANTILE_KEYS, 'max'] as const;

export function formatRunCsv(r: RunResult): string {
  const axes = Object.keys(r.cells[0]?.point ?? {});
  const header = ['cell', ...axes, 'metric', ...STAT_KEYS, 'samples', 'infeasible_fraction', 'non_finite'];
  const lines = [header.map(csvField).join(',')];
  r.cells.forEach((cell, c) => {
    for (const [name, s] of Object.entries(cell.metrics)) {
      lines.push(
        [c, ...axes.map((a) => cell.point[a]!), name, ...STAT_KEYS.map((k) => s[k]), cell.samples, cell.infeasible_fraction, s.non_finite]
          .map(csvField)
          .join(','),
      );
    }
  });
  return lines.join('\n') + '\n';
}
