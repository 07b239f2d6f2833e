/**
 * `cptsim report`: one self-contained HTML page (inline SVG and CSS; no script, no font, no image
 * or style fetched from anywhere) with the scenario's inputs, the summary, the charts that apply,
 * the explain breakdown at the median inputs and how the numbers were made. Print CSS lays it out
 * for A4/Letter PDF.
 */
import type { ReportData } from '../analysis/index.js';
import type { Dist } from '../sampling/index.js';
import { quantile } from '../sampling/index.js';
import {
  cellLabel,
  compareSpec,
  costBreakdownSpec,
  distributionSpec,
  hasCostBreakdown,
  rankSpec,
  renderSvg,
  runChartSpec,
} from './charts.js';
import { fmt, pct } from './format.js';
import { metricUnit, unitSymbol } from './units.js';

export interface ReportSource {
  /** The scenario file as the user named it. */
  file: string;
  /** Its text, shown at the end of the report. */
  text: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A distribution as a person writes it. */
export function describeDist(d: Dist): string {
  switch (d.kind) {
    case 'const':
      return fmt(d.value);
    case 'uniform':
      return `uniform ${fmt(d.min)} to ${fmt(d.max)}`;
    case 'normal': {
      const bounds = Number.isFinite(d.min) || Number.isFinite(d.max) ? `, truncated to [${fmt(d.min)}, ${fmt(d.max)}]` : '';
      return `normal mean ${fmt(d.mean)}, sd ${fmt(d.sd)}${bounds}`;
    }
    case 'lognormal':
      return `lognormal median ${fmt(Math.exp(d.mu))}, gsd ${fmt(Math.exp(d.sigma))}`;
    case 'triangular':
    case 'pert':
      return `${d.kind === 'pert' ? 'PERT' : 'triangular'} ${fmt(d.min)} / ${fmt(d.mode)} / ${fmt(d.max)}`;
    case 'beta':
      return `beta(${fmt(d.alpha)}, ${fmt(d.beta)}) on [${fmt(d.min)}, ${fmt(d.max)}]`;
    case 'discrete':
      return `one of ${d.values.map(fmt).join(', ')}`;
  }
}

function tableHtml(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const cls = (i: number) => (numeric[i] ?? i > 0 ? ' class="num"' : '');
  return [
    '<table>',
    `<thead><tr>${header.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join('')}</tr>`),
    '</tbody>',
    '</table>',
  ].join('\n');
}

/** A number as its unit reads: dollars with a $ sign. */
function money(metric: string, x: number): string {
  if (!Number.isFinite(x)) return fmt(x);
  return metricUnit(metric).dollars ? `${x < 0 ? '-' : ''}$${fmt(Math.abs(x))}` : fmt(x);
}

function inputsSection(d: ReportData): string {
  const swept = new Map(d.plan.axes.map((a) => [a.path, a.values]));
  const shown = d.plan.inputs.filter((i) => !(i.source === 'default' && i.dist.kind === 'const' && i.dist.value === 0));
  const uncertain = shown.filter((i) => i.sweepAxis === null && i.dist.kind !== 'const');
  const fixed = shown.filter((i) => i.sweepAxis === null && i.dist.kind === 'const');
  const rows = [
    ...d.plan.axes.map((a) => [a.path, `sweep: ${swept.get(a.path)!.map(fmt).join(', ')}`, '', '', '', 'scenario']),
    ...uncertain.map((i) => [i.path, describeDist(i.dist), fmt(quantile(i.dist, 0.1)), fmt(quantile(i.dist, 0.5)), fmt(quantile(i.dist, 0.9)), i.source]),
  ];
  return [
    '<section id="inputs">',
    '<h2>Inputs</h2>',
    `<p>${d.plan.axes.length} sweep ax${d.plan.axes.length === 1 ? 'is' : 'es'}, ${uncertain.length} uncertain input${uncertain.length === 1 ? '' : 's'}, ${fixed.length} fixed.</p>`,
    tableHtml(['input', 'distribution', 'P10', 'median', 'P90', 'from'], rows, [false, false, true, true, true, false]),
    d.plan.correlations?.length
      ? `<p>Drawn together (docs/model.md "Correlated inputs"): Spearman rank correlations between inputs.</p>\n${tableHtml(
          ['input', 'input', 'rank correlation'],
          d.plan.correlations.map((c) => [c.between[0], c.between[1], fmt(c.rank)]),
          [false, false, true],
        )}`
      : '',
    fixed.length
      ? `<details open><summary>${fixed.length} fixed input${fixed.length === 1 ? '' : 's'}</summary>\n${tableHtml(
          ['input', 'value', 'from'],
          fixed.map((i) => [i.path, fmt((i.dist as { value: number }).value), i.source]),
          [false, true, false],
        )}\n</details>`
      : '',
    '</section>',
  ].join('\n');
}

function summarySection(d: ReportData): string {
  const r = d.run;
  if (r.cells.length === 1) {
    const cell = r.cells[0]!;
    const rows = Object.entries(cell.metrics).map(([name, s]) => [
      name,
      unitSymbol(name),
      money(name, s.mean),
      money(name, s.p10),
      money(name, s.p50),
      money(name, s.p90),
      fmt(s.sd),
    ]);
    const notes: string[] = [];
    if (cell.infeasible_fraction > 0) notes.push(`Infeasible samples (the model does not fit in memory), left out: ${pct(cell.infeasible_fraction)}.`);
    if (cell.slo_miss_fraction !== undefined) notes.push(`SLO missed by ${pct(cell.slo_miss_fraction)} of feasible samples.`);
    return [
      '<section id="summary">',
      '<h2>Summary</h2>',
      tableHtml(['metric', 'unit', 'mean', 'P10', 'P50', 'P90', 'sd'], rows, [false, false, true, true, true, true, true]),
      ...notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`),
      '</section>',
    ].join('\n');
  }
  const axes = Object.keys(r.cells[0]!.point);
  if (axes.length === 2 && r.cells.length > MAX_BAR_CELLS) return matrixSummary(d, axes as [string, string]);
  const slo = r.cells[0]!.slo_miss_fraction !== undefined;
  const rows = r.cells.map((cell) => {
    const s = cell.metrics[d.metric];
    return [
      ...axes.map((a) => fmt(cell.point[a]!)),
      ...(s ? [money(d.metric, s.mean), money(d.metric, s.p10), money(d.metric, s.p50), money(d.metric, s.p90)] : ['-', '-', '-', '-']),
      pct(cell.infeasible_fraction),
      ...(slo ? [pct(cell.slo_miss_fraction ?? 0)] : []),
    ];
  });
  return [
    '<section id="summary">',
    '<h2>Summary</h2>',
    `<p>${escapeHtml(d.metric)} (${escapeHtml(metricUnit(d.metric).title)}) by sweep cell.</p>`,
    tableHtml([...axes, 'mean', 'P10', 'P50', 'P90', 'infeasible', ...(slo ? ['SLO miss'] : [])], rows, axes.map(() => true)),
    '</section>',
  ].join('\n');
}

/** Most sweep cells drawn as bars or listed as rows; a larger two-axis sweep is summarized as a matrix. */
const MAX_BAR_CELLS = 24;

/** A two-axis sweep as a matrix of the median: rows the first axis, columns the second. */
function matrixSummary(d: ReportData, [rowAxis, colAxis]: [string, string]): string {
  const r = d.run;
  const cols = [...new Set(r.cells.map((c) => c.point[colAxis]!))];
  const rows = [...new Set(r.cells.map((c) => c.point[rowAxis]!))];
  const body = rows.map((rv, i) => [fmt(rv), ...cols.map((_, j) => {
    const s = r.cells[i * cols.length + j]!.metrics[d.metric];
    return s ? money(d.metric, s.p50) : '-';
  })]);
  const infeasible = Math.max(...r.cells.map((c) => c.infeasible_fraction));
  return [
    '<section id="summary">',
    '<h2>Summary</h2>',
    `<p>Median ${escapeHtml(d.metric)} (${escapeHtml(metricUnit(d.metric).title)}); rows ${escapeHtml(rowAxis)}, columns ${escapeHtml(colAxis)}. ` +
      `<code>cptsim run --format json</code> gives every statistic of every cell.</p>`,
    tableHtml([`${rowAxis} \\ ${colAxis}`, ...cols.map(fmt)], body, cols.map(() => true)),
    infeasible > 0 ? `<p class="note">Up to ${escapeHtml(pct(infeasible))} of a cell's samples are infeasible (the model does not fit in memory) and left out.</p>` : '',
    '</section>',
  ].join('\n');
}

function figure(name: string, svg: string, caption: string): string {
  // The SVG keeps its viewBox; CSS lets it shrink to the page.
  return `<figure class="chart" data-chart="${escapeHtml(name)}">\n${svg}\n<figcaption>${escapeHtml(caption)}</figcaption>\n</figure>`;
}

async function chartsSection(d: ReportData): Promise<string> {
  const r = d.run;
  const figures: string[] = [];
  const metrics = Object.keys(r.cells[0]!.metrics);
  const k = metrics.indexOf(d.metric);
  const ref = r.cells[d.referenceCell]!;
  const refDist = d.distributions[d.referenceCell * metrics.length + k];
  if (refDist && refDist.count > 0) {
    const where = r.cells.length > 1 ? `at ${cellLabel(ref.point)}` : `${r.samples.toLocaleString('en-US')} samples`;
    figures.push(
      figure(
        'distribution',
        await renderSvg(distributionSpec(d.metric, refDist, ref.metrics[d.metric]!, where)),
        `Histogram and cumulative distribution of ${d.metric}${r.cells.length > 1 ? ` in the cell ${cellLabel(ref.point)}` : ''}; dashed lines at P10, P50 and P90.`,
      ),
    );
  }
  if (r.cells.length > 1) {
    const spec = runChartSpec(r, d.distributions, d.metric, 'p50');
    if (spec) {
      const axes = Object.keys(r.cells[0]!.point).length;
      const name = axes === 2 ? 'heatmap' : JSON.stringify(spec).includes('Throughput-interactivity frontier') ? 'frontier' : 'sweep';
      const caption =
        name === 'heatmap'
          ? `Median ${d.metric} over the two sweep axes.`
          : name === 'frontier'
            ? 'Median cost per million output tokens against median tokens per second per user, one point per batch size.'
            : `Median ${d.metric} with its P10 to P90 band over the sweep.`;
      figures.push(figure(name, await renderSvg(spec), caption));
    }
  }
  if (hasCostBreakdown(r)) {
    // Past MAX_BAR_CELLS bars a page is too narrow: the reference cell stands for the sweep.
    const few = r.cells.length <= MAX_BAR_CELLS;
    figures.push(
      figure(
        'cost-breakdown',
        await renderSvg(costBreakdownSpec(few ? r : { ...r, cells: [ref] })),
        `Mean cost per million output tokens by part: capital, energy, facility and opex (the means add up to the mean cost)${few ? '' : `, in the cell ${cellLabel(ref.point)}`}.`,
      ),
    );
  }
  if (d.rank && Object.keys(d.rank.metrics[d.metric] ?? {}).length > 0) {
    figures.push(
      figure(
        'sensitivity',
        await renderSvg(rankSpec(d.rank, d.metric)),
        `Spearman rank correlation of each uncertain input with ${d.metric}${r.cells.length > 1 ? ` in the cell ${cellLabel(d.rank.point)}` : ''}, over ${d.rank.samples.toLocaleString('en-US')} samples. For variance shares run cptsim sensitivity --method sobol.`,
      ),
    );
  }
  return ['<section id="charts">', '<h2>Charts</h2>', ...figures, '</section>'].join('\n');
}

/** The compare view: B against A on common random numbers, as numbers and as a chart. */
async function comparisonSection(d: ReportData): Promise<string> {
  const c = d.comparison;
  if (!c) return '';
  const m = c.paired;
  const unit = metricUnit(c.metric);
  const v = (x: number): string => (Number.isFinite(x) ? `${unit.dollars ? '$' : ''}${fmt(x)}` : '-');
  const rows: [string, string][] = [
    [`A: ${c.a}, median`, v(m.a.p50)],
    [`B: ${c.b}, median`, v(m.b.p50)],
    ['B - A per sample: mean', v(m.difference.mean)],
    ['B - A per sample: P10 / P50 / P90', `${v(m.difference.p10)} / ${v(m.difference.p50)} / ${v(m.difference.p90)}`],
    ['B / A per sample: median', fmt(m.ratio.p50)],
    ['P(B < A)', `${pct(m.p_b_less_than_a)} ± ${pct(m.p_b_less_than_a_stderr)} (binomial standard error)`],
    ['paired samples', m.pairs.toLocaleString('en-US')],
  ];
  return [
    '<section id="comparison">',
    `<h2>Comparison: ${escapeHtml(c.metric)}</h2>`,
    `<p>Both scenarios run the same sample indices on one seed: each input path draws the same random numbers in both, so B - A is taken sample by sample.</p>`,
    '<table>',
    ...rows.map(([k, val]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(val)}</td></tr>`),
    '</table>',
    figure('compare', await renderSvg(compareSpec(c)), `Cumulative distributions of ${c.metric} for A and B, and the histogram of the per-sample difference B - A (the rule at 0: left of it B is lower).`),
    '</section>',
  ].join('\n');
}

function explainSection(d: ReportData): string {
  const e = d.explain;
  const point = Object.keys(e.point).length ? ` in the cell ${cellLabel(e.point)}` : '';
  const values = Object.entries(e.values).map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : String(v)]);
  return [
    '<section id="explain">',
    '<h2>Why the number is what it is</h2>',
    `<p>One evaluation of the model with every uncertain input at its median${escapeHtml(point)} (<code>cptsim explain</code>).</p>`,
    e.values['infeasible'] === true ? '<p class="note">INFEASIBLE at the medians: the weights and one sequence of KV cache do not fit in memory.</p>' : '',
    tableHtml(['quantity', 'value'], values),
    '</section>',
  ].join('\n');
}

function runFacts(d: ReportData, source: ReportSource): string {
  const r = d.run;
  const engine = r.backend.kind === 'gpu' ? `GPU (WebGPU${r.backend.software ? ', software adapter' : ''})` : 'CPU';
  const q =
    r.quantiles.method === 'exact'
      ? 'exact (every value sorted)'
      : `from ${r.quantiles.bins}-bin histograms; relative error at most ${r.quantiles.relative_error_bound.toExponential(1)}`;
  const rows: [string, string][] = [
    ['scenario file', source.file],
    ['engine', engine],
    ['adapter', r.backend.adapter],
    ['samples', `${r.samples.toLocaleString('en-US')} per cell${r.cells.length > 1 ? ` x ${r.cells.length} cells` : ''}`],
    ['sampling', d.plan.sampling ?? 'random'],
    ['seed', r.seed],
    ['quantiles', q],
    ['run time', `${r.elapsed_s.toFixed(2)} s (${fmt(r.samples_per_s)} samples/s)`],
    ['cptsim', r.cptsim],
  ];
  return `<dl class="facts">\n${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n')}\n</dl>`;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f; max-width: 1000px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
p.lead { color: #555; margin-top: 0; }
p.note { color: #8a4b00; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 1rem 0; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; word-break: break-word; }
table { border-collapse: collapse; margin: .5rem 0; font-size: 13px; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { border-bottom: 1px solid #bbb; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure.chart { margin: 1rem 0 1.5rem; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 12px; margin-top: .3rem; }
details { margin: .5rem 0; }
pre { background: #f6f6f6; padding: .8rem; overflow-x: auto; font-size: 12px; }
@page { margin: 15mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; }
  figure.chart, table, dl.facts { break-inside: avoid; }
  pre { white-space: pre-wrap; background: none; border: 1px solid #ddd; }
}
`;

/** The whole report as one HTML document. */
export async function formatReportHtml(d: ReportData, source: ReportSource): Promise<string> {
  const charts = await chartsSection(d);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // No request may leave the page: nothing but inline styles and images from data: (none today).
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(d.run.scenario)}: cptsim report</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1>${escapeHtml(d.run.scenario)}</h1>`,
    `<p class="lead">Cost per token as a distribution: a Monte Carlo report by cptsim.</p>`,
    runFacts(d, source),
    '</header>',
    charts,
    await comparisonSection(d),
    summarySection(d),
    inputsSection(d),
    explainSection(d),
    '<section id="scenario">',
    '<h2>Scenario file</h2>',
    `<details open><summary>${escapeHtml(source.file)}</summary>\n<pre>${escapeHtml(source.text)}</pre>\n</details>`,
    '</section>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
