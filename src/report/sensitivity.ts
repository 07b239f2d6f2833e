/** Sensitivity results as tables (tornado bars, Sobol indices, rank correlations) or JSON. */
import type { RankResult, SobolResult, TornadoResult } from '../analysis/index.js';
import { fmt, table } from './format.js';

const BAR_WIDTH = 30;

function bar(fraction: number): string {
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * BAR_WIDTH);
  return '#'.repeat(n);
}

function pointLine(point: Record<string, number>): string[] {
  const e = Object.entries(point);
  return e.length ? [`cell ${e.map(([k, v]) => `${k} = ${fmt(v)}`).join(', ')}`] : [];
}

export function formatSensitivityJson(r: TornadoResult | SobolResult | RankResult): string {
  return JSON.stringify(r, null, 2) + '\n';
}

export function formatTornadoTable(r: TornadoResult): string {
  const max = Math.max(...r.inputs.map((b) => b.swing), 0);
  return [
    `${r.scenario}: tornado of ${r.metric} (${r.statistic}), ${r.samples.toLocaleString('en-US')} samples per run`,
    ...pointLine(r.point),
    `base (every input sampled): ${fmt(r.base)}`,
    '',
    table(
      r.inputs.map((b) => [b.path, fmt(b.p10_value), fmt(b.p90_value), fmt(b.at_p10), fmt(b.at_p90), fmt(b.swing), bar(max > 0 ? b.swing / max : 0)]),
      ['input', 'P10', 'P90', `${r.statistic} @P10`, `${r.statistic} @P90`, 'swing', ''],
      'lrrrrrl',
    ),
  ].join('\n') + '\n';
}

export function formatSobolTable(r: SobolResult, metric: string): string {
  const m = r.metrics[metric] ?? {};
  const ci = (c: [number, number]) => `[${fmt(c[0])}, ${fmt(c[1])}]`;
  const rows = Object.entries(m)
    .sort((a, b) => b[1].total - a[1].total)
    .map(([path, ix]) => [path, fmt(ix.first), ci(ix.first_ci), fmt(ix.total), ci(ix.total_ci), bar(ix.total)]);
  return [
    `${r.scenario}: Sobol indices of ${metric}, ${r.samples.toLocaleString('en-US')} base samples (${r.evaluations.toLocaleString('en-US')} evaluations), ` +
      `${Math.round(r.confidence * 100)}% bootstrap intervals from ${r.bootstrap} resamples`,
    ...pointLine(r.point),
    `samples used: ${(r.samples_used[metric] ?? 0).toLocaleString('en-US')} (rows with an infeasible evaluation are left out)`,
    '',
    table(rows, ['input', 'first', 'interval', 'total', 'interval', ''], 'lrrrrl'),
    '',
    'first: share of the variance due to the input alone; total: including its interactions.',
  ].join('\n') + '\n';
}

export function formatRankTable(r: RankResult, metric: string): string {
  const m = r.metrics[metric] ?? {};
  return [
    `${r.scenario}: Spearman rank correlation with ${metric}, ${r.samples.toLocaleString('en-US')} samples`,
    ...pointLine(r.point),
    '',
    table(
      Object.entries(m).map(([path, rho]) => [path, fmt(rho), `${rho < 0 ? '-' : '+'}${bar(Math.abs(rho))}`]),
      ['input', 'rho', ''],
      'lrl',
    ),
  ].join('\n') + '\n';
}
