/**
 * Charts as Vega-Lite specifications, compiled by `vega-lite` and rendered to SVG by `vega`'s
 * headless View: no browser, no canvas, no hand-drawn paths. Each builder is a pure function of a
 * result; `renderSvg` is the only step that runs the library's renderer.
 */
import { logger, None, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { spansDecades, type Distribution, type Stats } from '../aggregate/index.js';
import type { RankResult, ReportComparison, RunResult, SobolResult, TornadoResult } from '../analysis/index.js';
import { fmt } from './format.js';
import { metricUnit, shortName, unitSymbol } from './units.js';

/** Width and height of one panel, in CSS pixels. */
const PANEL_WIDTH = 380;
const PANEL_HEIGHT = 240;

const CONFIG = {
  background: 'white',
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, labelLimit: 280, titleFontSize: 12, titleFontWeight: 'normal' as const, grid: true, gridColor: '#e6e6e6' },
  title: { fontSize: 14, anchor: 'start' as const, fontWeight: 'bold' as const },
  legend: { labelFontSize: 11, titleFontSize: 11 },
  view: { stroke: null },
};

/** The quantiles marked on distribution charts. */
const MARKED = [
  ['P10', 'p10'],
  ['P50', 'p50'],
  ['P90', 'p90'],
] as const;

function scaleOf(log: boolean): { type: 'log' } | { type: 'linear'; zero: false } {
  return log ? { type: 'log' } : { type: 'linear', zero: false };
}

function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  return [Math.min(...finite), Math.max(...finite)];
}

/** A log scale when every value is positive and they span enough of a decade. */
function logFor(values: number[]): boolean {
  const [lo, hi] = extent(values);
  return spansDecades(lo, hi);
}

/** Layers marking P10, P50 and P90 as dashed vertical rules with their labels at the top. */
function quantileRules(stats: Stats, format: string, log: boolean, field = 'x'): object[] {
  const values = MARKED.filter(([, k]) => Number.isFinite(stats[k]) && (!log || stats[k] > 0)).map(([label, k]) => ({ label, [field]: stats[k] }));
  return [
    {
      data: { values },
      mark: { type: 'rule', strokeDash: [4, 3], color: '#c0392b' },
      encoding: { x: { field, type: 'quantitative' }, tooltip: [{ field: 'label' }, { field, format }] },
    },
    {
      data: { values },
      mark: { type: 'text', align: 'left', dx: 3, dy: -2, baseline: 'bottom', color: '#c0392b', fontSize: 10 },
      encoding: {
        x: { field, type: 'quantitative' },
        y: { value: 0 },
        text: { field: 'label' },
      },
    },
  ];
}

/**
 * Histogram and CDF of one metric side by side, P10, P50 and P90 marked on both. The histogram
 * shows each bin's share of the samples (its height is not a density: bins are even in log x
 * when the axis is logarithmic).
 */
export function distributionSpec(metric: string, dist: Distribution, stats: Stats, subtitle?: string): TopLevelSpec {
  const unit = metricUnit(metric);
  const scale = scaleOf(dist.log);
  const bins = dist.bins.map((b) => ({ lo: b.lo, hi: b.hi, share: dist.count ? b.count / dist.count : 0 }));
  const x = { type: 'quantitative' as const, scale, title: unit.title, axis: { format: unit.format, labelOverlap: true } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Distribution of ${metric}`, ...(subtitle ? { subtitle } : {}) },
    config: CONFIG,
    hconcat: [
      {
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          {
            data: { values: bins },
            mark: { type: 'rect', color: '#4c78a8', stroke: 'white', strokeWidth: 0.5 },
            encoding: {
              x: { field: 'lo', ...x },
              x2: { field: 'hi' },
              y: { field: 'share', type: 'quantitative', title: 'share of samples', axis: { format: '.1~%' } },
              tooltip: [
                { field: 'lo', format: unit.format, title: 'from' },
                { field: 'hi', format: unit.format, title: 'to' },
                { field: 'share', format: '.2%' },
              ],
            },
          },
          ...quantileRules(stats, unit.format, dist.log),
        ],
      },
      {
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          {
            data: { values: dist.cdf.filter((c) => Number.isFinite(c.x)) },
            mark: { type: 'line', color: '#4c78a8', interpolate: 'linear' },
            encoding: {
              x: { field: 'x', ...x },
              y: { field: 'p', type: 'quantitative', title: 'cumulative probability', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
            },
          },
          ...quantileRules(stats, unit.format, dist.log),
        ],
      },
    ],
  } as TopLevelSpec;
}

/**
 * A scenario against another on common random numbers: both CDFs of the metric on one axis, and
 * the histogram of the per-sample difference B - A with a rule at zero (left of it, B is cheaper).
 */
export function compareSpec(c: ReportComparison): TopLevelSpec {
  const unit = metricUnit(c.metric);
  const log = logFor([c.aDist.min, c.aDist.max, c.bDist.min, c.bDist.max]);
  const cdf = [
    ...c.aDist.cdf.map((d) => ({ ...d, scenario: `A: ${c.a}` })),
    ...c.bDist.cdf.map((d) => ({ ...d, scenario: `B: ${c.b}` })),
  ];
  const d = c.difference;
  const x = { type: 'quantitative' as const, scale: scaleOf(log), title: unit.title, axis: { format: unit.format, labelOverlap: true } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${c.metric}: B against A on common random numbers`, subtitle: `P(B < A) = ${fmt(100 * c.paired.p_b_less_than_a)}%` },
    config: CONFIG,
    hconcat: [
      {
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        data: { values: cdf },
        mark: { type: 'line', interpolate: 'linear' },
        encoding: {
          x: { field: 'x', ...x },
          y: { field: 'p', type: 'quantitative', title: 'cumulative probability', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
          color: { field: 'scenario', type: 'nominal', title: null, scale: { range: ['#4c78a8', '#f58518'] }, legend: { orient: 'bottom', labelLimit: 360 } },
        },
      },
      {
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        layer: [
          {
            data: { values: d.bins.map((b) => ({ lo: b.lo, hi: b.hi, share: d.count ? b.count / d.count : 0 })) },
            mark: { type: 'rect', color: '#54a24b', stroke: 'white', strokeWidth: 0.5 },
            encoding: {
              x: { field: 'lo', type: 'quantitative', title: `B - A per sample (${unitSymbol(c.metric)})`, axis: { format: unit.format, labelOverlap: true }, scale: { zero: false } },
              x2: { field: 'hi' },
              y: { field: 'share', type: 'quantitative', title: 'share of paired samples', axis: { format: '.1~%' } },
            },
          },
          {
            data: { values: [{ x: 0 }] },
            mark: { type: 'rule', color: '#333', strokeWidth: 1.5 },
            encoding: { x: { field: 'x', type: 'quantitative' } },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}

const COST_PARTS = [
  ['cost_per_mtok_capital', 'capital'],
  ['cost_per_mtok_energy', 'energy'],
  ['cost_per_mtok_facility', 'facility'],
  ['cost_per_mtok_opex', 'opex'],
] as const;

/** A cell's label: its sweep point, short axis names; "all samples" for a scenario without axes. */
export function cellLabel(point: Record<string, number>): string {
  const e = Object.entries(point);
  return e.length ? e.map(([k, v]) => `${shortName(k)} ${fmt(v)}`).join(', ') : 'all samples';
}

/** True when the run has the four cost parts of the cost model. */
export function hasCostBreakdown(r: RunResult): boolean {
  const m = r.cells[0]?.metrics ?? {};
  return COST_PARTS.every(([k]) => k in m);
}

/**
 * Cost per million output tokens by part (capital, energy, facility, opex), stacked, per cell.
 * The parts' means add up to the mean cost; their medians would not, so the bars are means.
 */
export function costBreakdownSpec(r: RunResult): TopLevelSpec {
  const rows = r.cells.flatMap((cell, c) =>
    COST_PARTS.map(([k, part], order) => ({ cell: cellLabel(cell.point), index: c, part, order, usd: cell.metrics[k]?.mean ?? NaN })),
  );
  const unit = metricUnit('cost_per_mtok_output');
  const many = r.cells.length > 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Cost breakdown', subtitle: 'mean cost per million output tokens by part' },
    config: CONFIG,
    width: many ? Math.max(PANEL_WIDTH, 36 * r.cells.length) : PANEL_WIDTH,
    height: many ? PANEL_HEIGHT : 60,
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      [many ? 'x' : 'y']: {
        field: 'cell',
        type: 'ordinal',
        sort: { field: 'index' },
        title: many ? Object.keys(r.cells[0]!.point).map(shortName).join(', ') : null,
        axis: many ? { labelAngle: -40, labelLimit: 160 } : { labels: false, ticks: false },
      },
      [many ? 'y' : 'x']: { field: 'usd', type: 'quantitative', stack: 'zero', title: unit.title, axis: { format: unit.format } },
      color: {
        field: 'part',
        type: 'nominal',
        title: 'part',
        sort: COST_PARTS.map(([, p]) => p),
        scale: { domain: COST_PARTS.map(([, p]) => p), range: ['#4c78a8', '#f58518', '#54a24b', '#b279a2'] },
      },
      order: { field: 'order' },
      tooltip: [{ field: 'cell' }, { field: 'part' }, { field: 'usd', format: unit.format, title: 'mean' }],
    },
  } as TopLevelSpec;
}

/** Tornado: per input, the statistic with the input at its P10 and at its P90, from the base. */
export function tornadoSpec(r: TornadoResult): TopLevelSpec {
  const unit = metricUnit(r.metric);
  const rows = r.inputs.flatMap((b, order) => [
    { input: b.path, order, end: 'input at its P10', value: b.at_p10, base: r.base },
    { input: b.path, order, end: 'input at its P90', value: b.at_p90, base: r.base },
  ]);
  const log = logFor([r.base, ...rows.map((x) => x.value)]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Tornado: ${r.statistic} of ${r.metric}`, subtitle: `base ${fmt(r.base)} with every input sampled; ${r.samples.toLocaleString('en-US')} samples per run` },
    config: CONFIG,
    width: PANEL_WIDTH,
    height: { step: 18 },
    layer: [
      {
        data: { values: rows },
        mark: { type: 'bar', opacity: 0.85 },
        encoding: {
          y: { field: 'input', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelLimit: 400 } },
          x: { field: 'base', type: 'quantitative', scale: scaleOf(log), title: `${r.statistic} of ${unit.title}`, axis: { format: unit.format } },
          x2: { field: 'value' },
          color: { field: 'end', type: 'nominal', title: null, scale: { range: ['#4c78a8', '#e45756'] }, legend: { orient: 'bottom' } },
          tooltip: [{ field: 'input' }, { field: 'end' }, { field: 'value', format: unit.format }],
        },
      },
      {
        data: { values: [{ base: r.base }] },
        mark: { type: 'rule', color: 'black' },
        encoding: { x: { field: 'base', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

/** First-order and total Sobol indices of one metric with their bootstrap intervals. */
export function sobolSpec(r: SobolResult, metric: string): TopLevelSpec {
  const m = r.metrics[metric] ?? {};
  const order = Object.entries(m).sort((a, b) => b[1].total - a[1].total).map(([p]) => p);
  const rows = order.flatMap((input, k) => {
    const ix = m[input]!;
    return [
      { input, order: k, index: 'first-order', value: ix.first, lo: ix.first_ci[0], hi: ix.first_ci[1] },
      { input, order: k, index: 'total', value: ix.total, lo: ix.total_ci[0], hi: ix.total_ci[1] },
    ];
  });
  const y = { field: 'input', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelLimit: 400 } };
  const yOffset = { field: 'index', type: 'nominal', sort: ['first-order', 'total'] };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Sobol indices of ${metric}`,
      subtitle: `${r.samples.toLocaleString('en-US')} base samples; ${Math.round(r.confidence * 100)}% bootstrap intervals`,
    },
    config: CONFIG,
    width: PANEL_WIDTH,
    height: { step: 12 },
    data: { values: rows },
    encoding: { y, yOffset },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'value', type: 'quantitative', title: 'Sobol index (share of variance)', axis: { format: '.0%' } },
          color: { field: 'index', type: 'nominal', title: null, scale: { range: ['#4c78a8', '#f58518'] }, legend: { orient: 'bottom' } },
          tooltip: [{ field: 'input' }, { field: 'index' }, { field: 'value', format: '.3f' }, { field: 'lo', format: '.3f' }, { field: 'hi', format: '.3f' }],
        },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
    ],
  } as TopLevelSpec;
}

/** Spearman rank correlation of each uncertain input with one metric. */
export function rankSpec(r: RankResult, metric: string): TopLevelSpec {
  const rows = Object.entries(r.metrics[metric] ?? {})
    .filter(([, rho]) => Number.isFinite(rho))
    .map(([input, rho], order) => ({ input, rho, order, sign: rho < 0 ? 'lowers the metric' : 'raises the metric' }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `What drives ${metric}`, subtitle: `Spearman rank correlation over ${r.samples.toLocaleString('en-US')} samples` },
    config: CONFIG,
    width: PANEL_WIDTH,
    height: { step: 18 },
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'input', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelLimit: 400 } },
      x: { field: 'rho', type: 'quantitative', scale: { domain: [-1, 1] }, title: 'rank correlation (Spearman rho)', axis: { format: '.1f' } },
      color: {
        field: 'sign',
        type: 'nominal',
        title: null,
        scale: { domain: ['raises the metric', 'lowers the metric'], range: ['#e45756', '#4c78a8'] },
        legend: { orient: 'bottom' },
      },
      tooltip: [{ field: 'input' }, { field: 'rho', format: '.3f' }],
    },
  } as TopLevelSpec;
}

/** A two-axis sweep as a heatmap of one statistic of a metric: rows the first axis, columns the second. */
export function heatmapSpec(r: RunResult, metric: string, statistic: keyof Stats): TopLevelSpec {
  const axes = Object.keys(r.cells[0]?.point ?? {});
  if (axes.length !== 2) throw new Error('a heatmap needs exactly two sweep axes');
  const [rowAxis, colAxis] = axes as [string, string];
  const unit = metricUnit(metric);
  const rows = r.cells.map((cell) => ({ row: cell.point[rowAxis]!, col: cell.point[colAxis]!, value: cell.metrics[metric]?.[statistic] ?? NaN }));
  const log = logFor(rows.map((x) => x.value));
  const cols = new Set(rows.map((x) => x.col)).size;
  // Labels are dark on the light half of the colour scale, light on the dark half.
  const [lo, hi] = extent(rows.map((x) => x.value));
  const mid = log ? Math.sqrt(lo * hi) : (lo + hi) / 2;
  const light = unit.dollars ? `datum.value < ${mid}` : `datum.value > ${mid}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${statistic} of ${metric}`, subtitle: `${unit.title} over the sweep` },
    config: { ...CONFIG, axis: { ...CONFIG.axis, grid: false } },
    width: Math.max(PANEL_WIDTH, 46 * cols),
    height: { step: 22 },
    data: { values: rows.filter((x) => Number.isFinite(x.value)) },
    encoding: {
      x: { field: 'col', type: 'ordinal', title: colAxis, sort: 'ascending', axis: { labelAngle: 0, format: ',.4~g' } },
      y: { field: 'row', type: 'ordinal', title: rowAxis, sort: 'ascending', axis: { format: ',.4~g' } },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          color: {
            field: 'value',
            type: 'quantitative',
            title: `${statistic} (${unit.dollars ? '$' : 'value'})`,
            scale: { type: log ? 'log' : 'linear', scheme: 'viridis', reverse: unit.dollars },
            legend: { format: unit.format },
          },
          tooltip: [{ field: 'row', title: rowAxis }, { field: 'col', title: colAxis }, { field: 'value', format: unit.format, title: statistic }],
        },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          text: { field: 'value', type: 'quantitative', format: unit.format },
          color: { condition: { test: light, value: 'black' }, value: 'white' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** The sweep axis that is the batch size, when a run sweeps it. */
export function batchAxis(r: RunResult): string | null {
  return Object.keys(r.cells[0]?.point ?? {}).find((a) => a === 'serving.batch_size') ?? null;
}

/** True when a run can draw the throughput-interactivity frontier. */
export function hasFrontier(r: RunResult): boolean {
  const m = r.cells[0]?.metrics ?? {};
  return batchAxis(r) !== null && 'cost_per_mtok_output' in m && 'tokens_per_s_per_user' in m;
}

/**
 * The throughput-interactivity frontier of a batch-size sweep: median cost per million output
 * tokens against median tokens per second per user, one point per batch size (P10-P90 of the
 * cost as a bar), one line per combination of the other axes.
 */
export function frontierSpec(r: RunResult): TopLevelSpec {
  const batch = batchAxis(r);
  if (!batch) throw new Error('the frontier needs a serving.batch_size sweep');
  const others = Object.keys(r.cells[0]!.point).filter((a) => a !== batch);
  const rows = r.cells
    .map((cell) => ({
      batch: cell.point[batch]!,
      series: others.length ? others.map((a) => `${shortName(a)} ${fmt(cell.point[a]!)}`).join(', ') : 'all',
      speed: cell.metrics['tokens_per_s_per_user']?.p50 ?? NaN,
      cost: cell.metrics['cost_per_mtok_output']?.p50 ?? NaN,
      lo: cell.metrics['cost_per_mtok_output']?.p10 ?? NaN,
      hi: cell.metrics['cost_per_mtok_output']?.p90 ?? NaN,
    }))
    .filter((x) => Number.isFinite(x.speed) && Number.isFinite(x.cost));
  const cost = metricUnit('cost_per_mtok_output');
  const speed = metricUnit('tokens_per_s_per_user');
  const logX = logFor(rows.map((x) => x.speed));
  const logY = logFor(rows.flatMap((x) => [x.lo, x.hi, x.cost]));
  const color = others.length ? { color: { field: 'series', type: 'nominal', title: others.map(shortName).join(', ') } } : {};
  const x = { field: 'speed', type: 'quantitative', scale: scaleOf(logX), title: `median ${speed.title}`, axis: { format: speed.format } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Throughput-interactivity frontier', subtitle: 'one point per batch size; bars: P10 to P90 of the cost' },
    config: CONFIG,
    width: PANEL_WIDTH + 60,
    height: PANEL_HEIGHT + 40,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'rule', opacity: 0.5 },
        encoding: { x, y: { field: 'lo', type: 'quantitative', scale: scaleOf(logY) }, y2: { field: 'hi' }, ...color },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'cost', type: 'quantitative', scale: scaleOf(logY), title: `median ${cost.title}`, axis: { format: cost.format } },
          order: { field: 'batch' },
          ...color,
          tooltip: [
            { field: 'batch', title: 'batch size' },
            { field: 'speed', format: speed.format, title: 'tokens/s per user' },
            { field: 'cost', format: cost.format, title: 'median cost' },
          ],
        },
      },
      ...(others.length
        ? []
        : [
            {
              mark: { type: 'text', align: 'left', dx: 5, dy: -6, fontSize: 10 },
              encoding: { x, y: { field: 'cost', type: 'quantitative' }, text: { field: 'batch' } },
            },
          ]),
    ],
  } as TopLevelSpec;
}

/** A one-axis sweep: the metric's median and its P10-P90 band against the swept value. */
export function sweepSpec(r: RunResult, metric: string): TopLevelSpec {
  const axes = Object.keys(r.cells[0]?.point ?? {});
  if (axes.length !== 1) throw new Error('a sweep line needs exactly one sweep axis');
  const axis = axes[0]!;
  const unit = metricUnit(metric);
  const rows = r.cells
    .map((cell) => ({ at: cell.point[axis]!, p10: cell.metrics[metric]?.p10 ?? NaN, p50: cell.metrics[metric]?.p50 ?? NaN, p90: cell.metrics[metric]?.p90 ?? NaN }))
    .filter((x) => Number.isFinite(x.p50));
  const logX = logFor(rows.map((x) => x.at));
  const logY = logFor(rows.flatMap((x) => [x.p10, x.p90]));
  const x = { field: 'at', type: 'quantitative', scale: scaleOf(logX), title: axis, axis: { format: ',.4~g' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${metric} over ${axis}`, subtitle: 'median, with the P10 to P90 band' },
    config: CONFIG,
    width: PANEL_WIDTH + 60,
    height: PANEL_HEIGHT,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'area', opacity: 0.25, color: '#4c78a8' },
        encoding: { x, y: { field: 'p10', type: 'quantitative', scale: scaleOf(logY), title: unit.title, axis: { format: unit.format } }, y2: { field: 'p90' } },
      },
      {
        mark: { type: 'line', point: true, color: '#4c78a8' },
        encoding: {
          x,
          y: { field: 'p50', type: 'quantitative' },
          tooltip: [{ field: 'at', title: axis }, { field: 'p10', format: unit.format }, { field: 'p50', format: unit.format }, { field: 'p90', format: unit.format }],
        },
      },
    ],
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to an SVG document with vega's headless View. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // The specs are ours: a warning of the compiler is no news for the user, so it is not printed.
  const compiled = compile(spec, { logger: logger(None) }).spec;
  const view = new View(parse(compiled), { renderer: 'none', logLevel: None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The chart `run --chart` draws: the histogram and CDF of the metric for a scenario without
 * sweep axes, the heatmap of `statistic` for two axes, the frontier for a batch-size sweep, the
 * median and band for another one-axis sweep; null when none fits (three axes or more).
 */
export function runChartSpec(r: RunResult, dists: Distribution[], metric: string, statistic: keyof Stats): TopLevelSpec | null {
  const axes = Object.keys(r.cells[0]?.point ?? {});
  if (axes.length === 0) {
    const names = Object.keys(r.cells[0]!.metrics);
    const k = names.indexOf(metric);
    const dist = dists[k];
    if (k < 0 || !dist) return null;
    return distributionSpec(metric, dist, r.cells[0]!.metrics[metric]!, `${r.scenario}; ${r.samples.toLocaleString('en-US')} samples`);
  }
  if (axes.length === 2) return heatmapSpec(r, metric, statistic);
  if (axes.length === 1) return hasFrontier(r) ? frontierSpec(r) : sweepSpec(r, metric);
  return null;
}
