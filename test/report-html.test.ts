/**
 * The HTML report (src/report/html.ts, `cptsim report`): one self-contained page with every
 * section the issue lists, built from a real run on the CPU engine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherReport, middleCell, type ReportData } from '../src/analysis/index.js';
import { createCpuEngine, type Engine } from '../src/engine/index.js';
import { buildPlan } from '../src/plan/index.js';
import { describeDist, escapeHtml, formatReportHtml } from '../src/report/index.js';
import { loadScenario } from '../src/scenario/index.js';

const root = join(import.meta.dirname, '..');
const FLAGSHIP = join(root, 'scenarios', 'h100-llama70b-fp8-owned.yaml');
const SWEEP2 = join(root, 'scenarios', 'h100-llama70b-sweep.yaml');

let engine: Engine;
beforeAll(() => {
  engine = createCpuEngine({ threads: 1 });
});
afterAll(async () => {
  await engine.dispose();
});

async function report(file: string, samples: number, quantiles: 'auto' | 'hist' = 'auto'): Promise<{ data: ReportData; html: string }> {
  const plan = buildPlan(await loadScenario(file), { samples });
  const data = await gatherReport(plan, engine, { metric: 'cost_per_mtok_output', quantiles });
  return { data, html: await formatReportHtml(data, { file: 'scenarios/x.yaml', text: readFileSync(file, 'utf8') }) };
}

/** Every value of a src, href, xlink:href, action, poster or CSS url() in the page. */
function references(html: string): string[] {
  return [
    ...[...html.matchAll(/\b(?:src|href|xlink:href|action|poster|srcset)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]!),
    ...[...html.matchAll(/url\(\s*["']?([^"')]*)/gi)].map((m) => m[1]!),
  ];
}

describe('cptsim report page', () => {
  let flagship: { data: ReportData; html: string };
  beforeAll(async () => {
    flagship = await report(FLAGSHIP, 4000);
  }, 60_000);

  it('is self-contained: no script, no stylesheet link, no http(s) reference, a CSP that forbids fetching', () => {
    const { html } = flagship;
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<iframe|<object|<embed|@import/i);
    expect(references(html).filter((r) => /^(https?:)?\/\//i.test(r))).toEqual([]);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });
  it('states the engine, adapter, samples, seed, sampling and quantile method', () => {
    const { html, data } = flagship;
    expect(html).toContain('<dt>engine</dt><dd>CPU</dd>');
    expect(html).toContain(`<dt>adapter</dt><dd>${data.run.backend.adapter}</dd>`);
    expect(html).toContain('<dt>samples</dt><dd>4,000 per cell</dd>');
    expect(html).toContain('<dt>seed</dt><dd>flagship-h100-llama70b</dd>');
    expect(html).toContain('<dt>sampling</dt><dd>random</dd>');
    expect(html).toContain('<dt>quantiles</dt><dd>exact (every value sorted)</dd>');
  });
  it('summarizes every metric with its unit, dollars with a $ sign', () => {
    const { html, data } = flagship;
    const s = data.run.cells[0]!.metrics['cost_per_mtok_output']!;
    expect(html).toMatch(new RegExp(`<td>cost_per_mtok_output</td><td>\\$</td><td class="num">\\$[0-9.]+</td>`));
    expect(html).toContain(`$${Number(s.p50.toPrecision(4))}`);
    expect(html).toContain('<td>tokens_per_s_per_user</td><td>tokens/s</td>');
  });
  it('draws the distribution, the cost breakdown and the sensitivity as inline SVG', () => {
    const charts = [...flagship.html.matchAll(/<figure class="chart" data-chart="([^"]+)">\s*<svg[^>]*viewBox/g)].map((m) => m[1]);
    expect(charts).toEqual(['distribution', 'cost-breakdown', 'sensitivity']);
  });
  it('lists the uncertain inputs with their distributions and quantiles, and the explain breakdown', () => {
    const { html } = flagship;
    expect(html).toContain('<td>costs.capex_usd_per_gpu</td><td>triangular 34,000 / 40,000 / 50,000</td>');
    expect(html).toContain('<h2>Why the number is what it is</h2>');
    for (const v of Object.keys(flagship.data.explain.values)) expect(html).toContain(`<td>${v}</td>`);
  });
  it('lists rank correlations between inputs when the scenario has them, and none when it has not', async () => {
    expect(flagship.html).not.toContain('rank correlations between inputs');
    const dir = mkdtempSync(join(tmpdir(), 'cptsim-report-'));
    const file = join(dir, 'correlated.yaml');
    writeFileSync(file, `extends: ${FLAGSHIP}\ncorrelations:\n  - { between: [serving.utilization, serving.mbu_decode], rank: -0.4 }\n`);
    try {
      const { html } = await report(file, 2000);
      expect(html).toContain('Spearman rank correlations between inputs');
      expect(html).toContain('<td>serving.utilization</td><td>serving.mbu_decode</td><td class="num">-0.4</td>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('shows the scenario file, escaped', () => {
    expect(flagship.html).toContain(escapeHtml(readFileSync(FLAGSHIP, 'utf8')));
  });
  it('reads well printed: print CSS keeps charts and tables whole', () => {
    expect(flagship.html).toMatch(/@media print \{[^}]*\n[^@]*figure\.chart, table, dl\.facts \{ break-inside: avoid; \}/);
  });
});

describe('cptsim report of a sweep', () => {
  it('adds the heatmap and summarizes a large two-axis sweep as a matrix of medians; explain and sensitivity at the middle cell', async () => {
    const { data, html } = await report(SWEEP2, 256, 'hist');
    const charts = [...html.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(charts).toEqual(['distribution', 'heatmap', 'cost-breakdown', 'sensitivity']);
    expect(html).toContain('workload.prefix_cache_hit_rate \\ serving.batch_size');
    // 10 hit rates x 10 batch sizes: the middle values are the 5th of each (0.4 and 64).
    expect(data.referenceCell).toBe(4 * 10 + 4);
    expect(data.explain.point).toEqual({ 'workload.prefix_cache_hit_rate': 0.4, 'serving.batch_size': 64 });
    expect(data.rank!.point).toEqual(data.explain.point);
    expect(html).toMatch(/<dt>quantiles<\/dt><dd>from 4096-bin histograms; relative error at most [0-9.]+e-\d+<\/dd>/);
  }, 120_000);
  it('middle cell of one axis of 5 values is its third', async () => {
    const plan = buildPlan(await loadScenario(join(root, 'scenarios', 'b200-deepseek-r1-fp4-mtp.yaml')));
    expect(plan.axes.map((a) => a.values.length)).toEqual([5]);
    expect(middleCell(plan)).toBe(2);
  });
});

describe('report text', () => {
  it('escapes what a scenario names, so a name cannot inject markup', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });
  it('describes each distribution as a person writes it', () => {
    expect(describeDist({ kind: 'uniform', min: 0.6, max: 0.85 })).toBe('uniform 0.6 to 0.85');
    expect(describeDist({ kind: 'pert', min: 0.35, mode: 0.6, max: 0.85 })).toBe('PERT 0.35 / 0.6 / 0.85');
    expect(describeDist({ kind: 'lognormal', mu: Math.log(0.1), sigma: Math.log(1.5) })).toBe('lognormal median 0.1, gsd 1.5');
    expect(describeDist({ kind: 'normal', mean: 1, sd: 0.1, min: -Infinity, max: Infinity })).toBe('normal mean 1, sd 0.1');
    expect(describeDist({ kind: 'normal', mean: 1, sd: 0.1, min: 0, max: 2 })).toBe('normal mean 1, sd 0.1, truncated to [0, 2]');
    expect(describeDist({ kind: 'discrete', values: [1, 2], weights: [1, 1] })).toBe('one of 1, 2');
  });
});
