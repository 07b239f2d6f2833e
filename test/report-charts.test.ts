/**
 * Chart specifications (src/report/charts.ts): what a reader sees on the axes (titles with units,
 * dollar formats, log scales where values span decades), and that vega renders them to SVG.
 */
import { describe, expect, it } from 'vitest';
import { LOG_SPAN_RATIO, type Distribution, type Stats } from '../src/aggregate/index.js';
import type { CellResult, RankResult, RunResult, SobolResult, TornadoResult } from '../src/analysis/index.js';
import {
  costBreakdownSpec,
  distributionSpec,
  DOLLAR_FORMAT,
  frontierSpec,
  heatmapSpec,
  metricUnit,
  rankSpec,
  renderSvg,
  runChartSpec,
  sobolSpec,
  sweepSpec,
  tornadoSpec,
} from '../src/report/index.js';

function stats(p50: number, spread = 0.2): Stats {
  const q = (z: number) => p50 * (1 + spread * z);
  return {
    mean: p50, sd: p50 * spread, stderr: 0, min: q(-3), max: q(3),
    p1: q(-2.3), p5: q(-1.6), p10: q(-1.3), p25: q(-0.7), p50, p75: q(0.7), p90: q(1.3), p95: q(1.6), p99: q(2.3), non_finite: 0,
  };
}

function cell(point: Record<string, number>, metrics: Record<string, Stats>): CellResult {
  return { point, samples: 1000, infeasible_fraction: 0, metrics };
}

function run(cells: CellResult[]): RunResult {
  return {
    cptsim: '0', scenario: 'test', seed: 's', samples: 1000,
    backend: { kind: 'cpu', adapter: '1 thread', software: false },
    elapsed_s: 1, samples_per_s: 1000, quantiles: { method: 'exact' }, cells,
  };
}

function dist(min: number, max: number, log: boolean): Distribution {
  const bins = Array.from({ length: 8 }, (_, k) => ({ lo: min + ((max - min) * k) / 8, hi: min + ((max - min) * (k + 1)) / 8, count: 10 }));
  const cdf = Array.from({ length: 11 }, (_, k) => ({ p: k / 10, x: min + ((max - min) * k) / 10 }));
  return { count: 80, min, max, log, source: 'exact', bins, cdf };
}

/** Every object in a spec tree that has `key`, with the path to it. */
function findAll(node: unknown, key: string, path = ''): { path: string; value: unknown; parent: Record<string, unknown> }[] {
  if (node === null || typeof node !== 'object') return [];
  const out: { path: string; value: unknown; parent: Record<string, unknown> }[] = [];
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (k === key) out.push({ path: `${path}.${k}`, value: v, parent: node as Record<string, unknown> });
    out.push(...findAll(v, key, `${path}.${k}`));
  }
  return out;
}

function titles(spec: unknown): string[] {
  return findAll(spec, 'title').map((t) => t.value).filter((t): t is string => typeof t === 'string');
}

function scaleTypes(spec: unknown): string[] {
  return findAll(spec, 'scale').map((s) => (s.value as { type?: string }).type ?? 'default');
}

describe('metric units', () => {
  it('gives built-in cost metrics a dollar title and a dollar format', () => {
    const u = metricUnit('cost_per_mtok_output');
    expect(u.title).toBe('cost per million output tokens ($)');
    expect(u.format).toBe(DOLLAR_FORMAT);
    expect(u.dollars).toBe(true);
  });
  it('gives rates and latencies their units and no dollar sign', () => {
    expect(metricUnit('tokens_per_s_per_user').title).toMatch(/\(tokens\/s\)$/);
    expect(metricUnit('ttft_s').title).toMatch(/\(s\)$/);
    expect(metricUnit('tpot_ms').title).toMatch(/\(ms\)$/);
    expect(metricUnit('joules_per_output_token').format).not.toContain('$');
  });
  it('treats a scenario\'s own metric named for money as dollars, and a fraction as not', () => {
    expect(metricUnit('margin_per_mtok').dollars).toBe(true);
    expect(metricUnit('margin_fraction').dollars).toBe(false);
    expect(metricUnit('g').title).toBe('g');
  });
});

describe('distribution chart', () => {
  const s = stats(1);
  it('titles the value axis with the metric and its unit, and formats it in dollars', () => {
    const spec = distributionSpec('cost_per_mtok_output', dist(0.5, 2, false), s);
    expect(titles(spec)).toContain('cost per million output tokens ($)');
    expect(titles(spec)).toContain('share of samples');
    expect(titles(spec)).toContain('cumulative probability');
    const formats = findAll(spec, 'format').map((f) => f.value);
    expect(formats).toContain(DOLLAR_FORMAT);
  });
  it('marks P10, P50 and P90 at their values on both panels', () => {
    const spec = distributionSpec('cost_per_mtok_output', dist(0.5, 2, false), s);
    const marked = findAll(spec, 'values')
      .flatMap((v) => v.value as { label?: string; x?: number }[])
      .filter((v) => v.label !== undefined);
    // A rule and its label on each of the two panels.
    expect(marked.filter((m) => m.label === 'P50').map((m) => m.x)).toEqual([s.p50, s.p50, s.p50, s.p50]);
    expect(marked.filter((m) => m.label === 'P10').map((m) => m.x)).toEqual([s.p10, s.p10, s.p10, s.p10]);
    expect(marked.filter((m) => m.label === 'P90').map((m) => m.x)).toEqual([s.p90, s.p90, s.p90, s.p90]);
  });
  it('leaves out a marked quantile a log axis cannot show (not above zero)', () => {
    const spec = distributionSpec('ttft_s', dist(0.01, 10, true), { ...stats(0.1, 0.5), p10: 0 });
    const labels = findAll(spec, 'values').flatMap((v) => v.value as { label?: string }[]).map((v) => v.label).filter(Boolean);
    expect(labels).not.toContain('P10');
    expect(labels).toContain('P50');
  });
  it('uses a log scale exactly when the distribution is binned in log x', () => {
    expect(scaleTypes(distributionSpec('ttft_s', dist(0.01, 10, true), s))).toContain('log');
    expect(scaleTypes(distributionSpec('ttft_s', dist(0.5, 2, false), s))).not.toContain('log');
  });
});

describe('sweep charts', () => {
  const grid = [0, 0.5].flatMap((h) =>
    [8, 64, 512].map((b) => cell({ 'workload.prefix_cache_hit_rate': h, 'serving.batch_size': b }, { cost_per_mtok_output: stats(8 / b + h) })),
  );
  it('heatmap: rows the first axis, columns the second, titled by axis, colour in dollars on a log scale when the values span decades', () => {
    const spec = heatmapSpec(run(grid), 'cost_per_mtok_output', 'p90');
    expect(titles(spec)).toEqual(expect.arrayContaining(['workload.prefix_cache_hit_rate', 'serving.batch_size', 'p90 ($)']));
    const color = findAll(spec, 'color').find((c) => (c.value as { field?: string }).field === 'value')!.value as { scale: { type: string }; legend: { format: string } };
    // 8/8 = 1 against 8/512 = 0.016: more than a decade and a half.
    expect(color.scale.type).toBe('log');
    expect(color.legend.format).toBe(DOLLAR_FORMAT);
    const rows = findAll(spec, 'values')[0]!.value as { row: number; col: number; value: number }[];
    expect(rows).toContainEqual({ row: 0.5, col: 64, value: stats(8 / 64 + 0.5).p90 });
  });
  it('heatmap: a linear colour scale when the values do not span decades', () => {
    const flat = grid.map((c) => ({ ...c, metrics: { cost_per_mtok_output: stats(2 + c.point['workload.prefix_cache_hit_rate']!) } }));
    const color = findAll(heatmapSpec(run(flat), 'cost_per_mtok_output', 'p50'), 'color').find((c) => (c.value as { field?: string }).field === 'value')!;
    expect((color.value as { scale: { type: string } }).scale.type).toBe('linear');
  });
  it('frontier: median cost against median tokens per second per user, one point per batch size, with units', () => {
    const cells = [8, 64, 512].map((b) =>
      cell({ 'serving.batch_size': b }, { cost_per_mtok_output: stats(100 / b), tokens_per_s_per_user: stats(200 / Math.sqrt(b)) }),
    );
    const spec = frontierSpec(run(cells));
    expect(titles(spec)).toEqual(
      expect.arrayContaining(['median cost per million output tokens ($)', 'median tokens per second per user (tokens/s)']),
    );
    // Cost 12.5 to 0.2: log; speed 70.7 to 8.8: less than LOG_SPAN_RATIO, linear.
    expect(200 / Math.sqrt(8) / (200 / Math.sqrt(512))).toBeLessThan(LOG_SPAN_RATIO);
    const y = findAll(spec, 'y').map((v) => v.value as { field?: string; scale?: { type: string } }).find((v) => v.field === 'cost')!;
    expect(y.scale!.type).toBe('log');
    const x = findAll(spec, 'x').map((v) => v.value as { field?: string; scale?: { type: string } }).find((v) => v.field === 'speed')!;
    expect(x.scale!.type).toBe('linear');
    expect((findAll(spec, 'values')[0]!.value as unknown[]).length).toBe(3);
  });
  it('run chooses the chart by the number of axes: distribution, band or frontier, heatmap, none', () => {
    const one = run([cell({}, { cost_per_mtok_output: stats(1) })]);
    expect(JSON.stringify(runChartSpec(one, [dist(0.5, 2, false)], 'cost_per_mtok_output', 'p50'))).toContain('Distribution of cost_per_mtok_output');
    const util = run([0.3, 0.6].map((u) => cell({ 'serving.utilization': u }, { cost_per_mtok_output: stats(1 / u) })));
    expect(JSON.stringify(runChartSpec(util, [], 'cost_per_mtok_output', 'p50'))).toBe(JSON.stringify(sweepSpec(util, 'cost_per_mtok_output')));
    const batch = run([8, 16].map((b) => cell({ 'serving.batch_size': b }, { cost_per_mtok_output: stats(1 / b), tokens_per_s_per_user: stats(b) })));
    expect(JSON.stringify(runChartSpec(batch, [], 'cost_per_mtok_output', 'p50'))).toBe(JSON.stringify(frontierSpec(batch)));
    expect(JSON.stringify(runChartSpec(run(grid), [], 'cost_per_mtok_output', 'p90'))).toBe(JSON.stringify(heatmapSpec(run(grid), 'cost_per_mtok_output', 'p90')));
    const three = run([cell({ a: 1, b: 2, c: 3 }, { cost_per_mtok_output: stats(1) })]);
    expect(runChartSpec(three, [], 'cost_per_mtok_output', 'p50')).toBeNull();
  });
});

describe('cost breakdown', () => {
  const parts = (k: number) => ({
    cost_per_mtok_capital: stats(0.5 * k), cost_per_mtok_energy: stats(0.1 * k),
    cost_per_mtok_facility: stats(0.2 * k), cost_per_mtok_opex: stats(0.3 * k),
  });
  it('stacks the means of capital, energy, facility and opex per cell, in dollars', () => {
    const spec = costBreakdownSpec(run([cell({ 'serving.batch_size': 8 }, parts(1)), cell({ 'serving.batch_size': 16 }, parts(2))]));
    const rows = findAll(spec, 'values')[0]!.value as { cell: string; part: string; usd: number }[];
    expect(rows).toHaveLength(8);
    expect(rows.filter((r) => r.cell === 'batch_size 16').reduce((a, r) => a + r.usd, 0)).toBeCloseTo(2.2, 12);
    expect(findAll(spec, 'stack').map((s) => s.value)).toEqual(['zero']);
    expect(findAll(spec, 'format').map((f) => f.value)).toContain(DOLLAR_FORMAT);
    expect(titles(spec)).toContain('cost per million output tokens ($)');
  });
});

describe('sensitivity charts', () => {
  const tornado: TornadoResult = {
    method: 'tornado', scenario: 't', metric: 'cost_per_mtok_output', statistic: 'p50', samples: 100, point: {}, base: 1,
    inputs: [
      { path: 'workload.input_tokens', p10_value: 1, p90_value: 2, at_p10: 0.6, at_p90: 1.5, swing: 0.9 },
      { path: 'costs.pue', p10_value: 1.1, p90_value: 1.4, at_p10: 0.98, at_p90: 1.02, swing: 0.04 },
    ],
  };
  it('tornado: bars from the base to the statistic at each end, biggest swing on top, dollar axis', () => {
    const spec = tornadoSpec(tornado);
    const rows = findAll(spec, 'values')[0]!.value as { input: string; order: number; value: number; base: number }[];
    expect(rows.map((r) => [r.input, r.order, r.value])).toEqual([
      ['workload.input_tokens', 0, 0.6], ['workload.input_tokens', 0, 1.5], ['costs.pue', 1, 0.98], ['costs.pue', 1, 1.02],
    ]);
    expect(titles(spec)).toContain('p50 of cost per million output tokens ($)');
    expect(findAll(spec, 'format').map((f) => f.value)).toContain(DOLLAR_FORMAT);
  });
  it('sobol: first-order and total index per input with their intervals, sorted by total', () => {
    const r: SobolResult = {
      method: 'sobol', scenario: 's', samples: 64, evaluations: 256, bootstrap: 10, confidence: 0.95, point: {},
      metrics: { m: { a: { first: 0.1, total: 0.2, first_ci: [0, 0.2], total_ci: [0.1, 0.3] }, b: { first: 0.7, total: 0.8, first_ci: [0.6, 0.8], total_ci: [0.7, 0.9] } } },
      samples_used: { m: 64 },
    };
    const rows = findAll(sobolSpec(r, 'm'), 'values')[0]!.value as { input: string; order: number; index: string; lo: number; hi: number }[];
    expect(rows.map((x) => `${x.input}:${x.order}:${x.index}`)).toEqual(['b:0:first-order', 'b:0:total', 'a:1:first-order', 'a:1:total']);
    expect(rows[1]).toMatchObject({ lo: 0.7, hi: 0.9 });
    expect(titles(sobolSpec(r, 'm'))).toContain('Sobol index (share of variance)');
  });
  it('rank: correlations on a fixed [-1, 1] axis, NaN (a constant input) left out', () => {
    const r: RankResult = { method: 'rank', scenario: 'r', samples: 100, point: {}, metrics: { m: { a: -0.8, b: 0.3, c: NaN } } };
    const spec = rankSpec(r, 'm');
    expect((findAll(spec, 'values')[0]!.value as { input: string }[]).map((x) => x.input)).toEqual(['a', 'b']);
    expect(findAll(spec, 'domain').map((d) => d.value)).toContainEqual([-1, 1]);
  });
});

describe('rendering', () => {
  it('renders a chart to a standalone SVG carrying its titles, axis titles and dollar labels', async () => {
    const svg = await renderSvg(distributionSpec('cost_per_mtok_output', dist(0.5, 2, false), stats(1)));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Distribution of cost_per_mtok_output');
    expect(svg).toContain('cost per million output tokens ($)');
    expect(svg).toMatch(/>\$1(\.0)?</);
    expect(svg).toContain('P90');
    // No references to anything outside the file (the namespaces are names, not requests).
    expect(svg.replace(/xmlns(:xlink)?="[^"]*"/g, '')).not.toMatch(/https?:/);
  });
  it('renders a log axis with labels that step by decades', async () => {
    const svg = await renderSvg(distributionSpec('ttft_s', dist(0.01, 10, true), stats(0.1, 0.5)));
    expect(svg).toContain('>0.01<');
    expect(svg).toContain('>0.1<');
    expect(svg).toContain('>1<');
  });
});
