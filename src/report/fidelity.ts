/** `cptsim fidelity` as a table (one row per measurement, then the summaries) or JSON. */
import type { CaseResult, FidelityComparison as Comparison, FidelityResult, FidelitySummary } from '../analysis/index.js';
import { fmt, pct, table } from './format.js';

/** JSON: the whole result (cases, summaries, targets); infinite ratios are written as null. */
export function formatFidelityJson(r: FidelityResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

/** A ratio as the factor it is off by, e.g. 1.13 or 0.87. */
function ratio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '-';
}

function row(c: CaseResult, cmp: Comparison<string> | undefined, quantity: string): string[] {
  if (!cmp) return [c.id, c.publisher, quantity, '', '-', '-', '-', '-', c.problem ?? ''];
  return [c.id, c.publisher, quantity, fmt(cmp.measured), fmt(cmp.p10), fmt(cmp.p50), fmt(cmp.p90), ratio(cmp.ratio), cmp.in_band ? 'yes' : 'no'];
}

function summaryLine(name: string, s: FidelitySummary | null, r: FidelityResult): string {
  if (!s) return `${name}: no measurements`;
  const t = r.targets;
  return (
    `${name}: ${s.cases} measurements; median |ln r| ${s.median_abs_log_ratio.toFixed(3)} (x${Math.exp(s.median_abs_log_ratio).toFixed(2)}, target <= x1.2), ` +
    `worst ${Number.isFinite(s.worst_abs_log_ratio) ? s.worst_abs_log_ratio.toFixed(3) : 'inf'} ` +
    `(x${Number.isFinite(s.worst_abs_log_ratio) ? Math.exp(s.worst_abs_log_ratio).toFixed(2) : 'inf'}, ${s.worst_case}, target <= x${Math.exp(t.worst_abs_log_ratio).toFixed(1)}), ` +
    `${pct(s.in_band_share)} in the P10-P90 band (target >= ${pct(t.in_band_share)}): ${s.meets_targets ? 'targets met' : 'targets NOT met'}`
  );
}

export function formatFidelityTable(r: FidelityResult): string {
  const rows: string[][] = [];
  for (const c of r.cases) {
    if (c.throughput || (!c.latency && c.problem)) rows.push(row(c, c.throughput, c.throughput?.quantity ?? 'throughput'));
    if (c.latency) rows.push(row(c, c.latency, c.latency.quantity));
  }
  return [
    `fidelity of ${r.file}: ${r.cases.length} cases, ${r.samples.toLocaleString('en-US')} samples each, seed "${r.seed}", CPU engine`,
    'ratio = predicted P50 / measured; in band = the measurement lies within the predicted P10-P90',
    '',
    table(rows, ['case', 'publisher', 'quantity', 'measured', 'P10', 'P50', 'P90', 'ratio', 'in band'], 'lllrrrrrl'),
    '',
    summaryLine('throughput', r.summary.throughput, r),
    summaryLine('latency', r.summary.latency, r),
  ].join('\n') + '\n';
}
