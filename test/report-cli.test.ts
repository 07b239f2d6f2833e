/**
 * Results people look at, through the built CLI: `--chart`, the distribution export, `cptsim
 * report` and progress. (`npm test` builds dist/ first.)
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cptsim, root, scratchDir } from './helpers/cli.js';

const tmp = scratchDir('cptsim-report-cli-');


const FLAGSHIP = 'scenarios/h100-llama70b-fp8-owned.yaml';
const SWEEP2 = 'scenarios/h100-llama70b-sweep.yaml';
const BATCH = 'scenarios/b200-deepseek-r1-fp4-mtp.yaml';

/** Text of the SVG's <text> elements. */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
}

describe('--chart', () => {
  it('run without sweep axes draws the histogram and CDF of --metric, with its unit and P10/P50/P90, besides the table', () => {
    const out = join(tmp, 'flagship.svg');
    const r = cptsim('run', FLAGSHIP, '--samples', '4000', '--backend', 'cpu', '--chart', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cost_per_mtok_output');
    const texts = svgTexts(readFileSync(out, 'utf8'));
    expect(texts).toContain('Distribution of cost_per_mtok_output');
    expect(texts).toContain('cost per million output tokens ($)');
    expect(texts).toEqual(expect.arrayContaining(['P10', 'P50', 'P90', 'cumulative probability']));
    expect(texts.some((t) => /^\$\d/.test(t))).toBe(true);
  });
  it('run of a two-axis sweep draws the heatmap of the --matrix statistic', () => {
    const out = join(tmp, 'heat.svg');
    const r = cptsim('run', SWEEP2, '--samples', '400', '--backend', 'cpu', '--matrix', 'p90', '--chart', out);
    expect(r.code).toBe(0);
    const texts = svgTexts(readFileSync(out, 'utf8'));
    expect(texts).toEqual(expect.arrayContaining(['p90 of cost_per_mtok_output', 'serving.batch_size', 'workload.prefix_cache_hit_rate']));
  });
  it('run of a batch-size sweep draws the cost against tokens per second per user', () => {
    const out = join(tmp, 'frontier.svg');
    const r = cptsim('run', BATCH, '--samples', '400', '--backend', 'cpu', '--chart', out);
    expect(r.code).toBe(0);
    const texts = svgTexts(readFileSync(out, 'utf8'));
    expect(texts).toEqual(expect.arrayContaining(['Throughput-interactivity frontier', 'median tokens per second per user (tokens/s)']));
  });
  it('sensitivity draws the tornado', () => {
    const out = join(tmp, 'tornado.svg');
    const r = cptsim('sensitivity', FLAGSHIP, '--samples', '400', '--backend', 'cpu', '--chart', out);
    expect(r.code).toBe(0);
    const texts = svgTexts(readFileSync(out, 'utf8'));
    expect(texts).toContain('Tornado: p50 of cost_per_mtok_output');
    expect(texts).toContain('workload.input_tokens');
  });
  it('refuses a scenario of three sweep axes before running, with exit 2 and no file written', () => {
    const scenario = join(tmp, 'three.yaml');
    const text = readFileSync(join(root, FLAGSHIP), 'utf8')
      .replace(/batch_size: .*/, 'batch_size: { sweep: [8, 16] }')
      .replace(/life_years: .*/, 'life_years: { sweep: [4, 5] }')
      .replace(/gpus_per_replica: .*/, 'gpus_per_replica: { sweep: [4, 8] }');
    writeFileSync(scenario, text);
    const out = join(tmp, 'three.svg');
    const r = cptsim('run', scenario, '--samples', '100', '--backend', 'cpu', '--chart', out);
    expect(r.stderr).toContain('--chart: draws scenarios with at most two sweep axes, this one has 3');
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('three.svg'))).toEqual([]);
  });
});

describe('run --format cdf | hist | dist-json', () => {
  it('cdf: the CDF of every metric as CSV, non-decreasing, ending at the JSON summary\'s max', () => {
    const csv = cptsim('run', FLAGSHIP, '--samples', '2000', '--backend', 'cpu', '--format', 'cdf');
    expect(csv.code).toBe(0);
    const summary = JSON.parse(cptsim('run', FLAGSHIP, '--samples', '2000', '--backend', 'cpu', '--format', 'json').stdout);
    const rows = csv.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(','));
    const cost = rows.filter((r) => r[1] === 'cost_per_mtok_output').map((r) => [Number(r[2]), Number(r[3])] as const);
    expect(cost).toHaveLength(201);
    for (let k = 1; k < cost.length; k++) expect(cost[k]![1]).toBeGreaterThanOrEqual(cost[k - 1]![1]);
    const s = summary.cells[0].metrics.cost_per_mtok_output;
    // Exact values are kept in f32, the running max in f64: they agree to f32 rounding (2^-24).
    expect(Math.abs(cost.at(-1)![1] - s.max) / s.max).toBeLessThanOrEqual(2 ** -24);
    expect(cost.find(([p]) => p === 0.5)![1]).toBeCloseTo(s.p50, 12);
    expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(Object.keys(summary.cells[0].metrics)));
  });
  it('hist from histogram quantiles (--quantiles hist): every sample of a cell counted once', () => {
    const r = cptsim('run', BATCH, '--samples', '4000', '--backend', 'cpu', '--quantiles', 'hist', '--format', 'hist');
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(','));
    const json = JSON.parse(cptsim('run', BATCH, '--samples', '4000', '--backend', 'cpu', '--quantiles', 'hist', '--format', 'json').stdout);
    const counted = rows.filter((x) => x[0] === '2' && x[2] === 'cost_per_mtok_output').reduce((a, x) => a + Number(x[5]), 0);
    expect(counted).toBe(Math.round(4000 * (1 - json.cells[2].infeasible_fraction)));
  });
  it('dist-json to --out: the file parses and names the source of its bins', () => {
    const out = join(tmp, 'dist.json');
    const r = cptsim('run', FLAGSHIP, '--samples', '2000', '--backend', 'cpu', '--format', 'dist-json', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.cells[0].metrics.cost_per_mtok_output.source).toBe('exact');
    expect(j.cells[0].metrics.cost_per_mtok_output.bins.length).toBe(64);
  });
});

describe('cptsim report', () => {
  it('writes one HTML file with --out and nothing on stdout', () => {
    const out = join(tmp, 'flagship.html');
    const r = cptsim('report', FLAGSHIP, '--samples', '2000', '--backend', 'cpu', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<dt>scenario file</dt><dd>scenarios/h100-llama70b-fp8-owned.yaml</dd>');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });
  it('refuses a bad scenario with exit 2, naming the file and field, and writes nothing', () => {
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, readFileSync(join(root, FLAGSHIP), 'utf8').replace(/pue: .*/, 'pue: 0.5'));
    const out = join(tmp, 'bad.html');
    const r = cptsim('report', bad, '--samples', '100', '--backend', 'cpu', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:\d+: costs\.pue: expected/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });
  it('an --out in a folder that does not exist is refused before the run (exit 2), and nothing is created', () => {
    const out = join(tmp, 'no-such-dir', 'r.html');
    const r = cptsim('report', FLAGSHIP, '--samples', '100', '--backend', 'cpu', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the folder ${join(tmp, 'no-such-dir')} does not exist`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(tmp, 'no-such-dir'))).toBe(false);
  });
  it('refuses an unknown --metric with exit 2', () => {
    const r = cptsim('report', FLAGSHIP, '--samples', '100', '--backend', 'cpu', '--metric', 'cost_per_mtok_outptu');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--metric: expected one of');
  });
});

describe('cptsim report --compare', () => {
  const RENT = 'scenarios/decisions/h100-llama70b-rent.yaml';
  it('adds a compare view whose P(B < A) and median difference are those of cptsim compare on the same samples', () => {
    const out = join(tmp, 'compare.html');
    const r = cptsim('report', FLAGSHIP, '--compare', RENT, '--samples', '4000', '--backend', 'cpu', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<section id="comparison">');
    expect(html).toContain('data-chart="compare"');
    const c = cptsim('compare', FLAGSHIP, RENT, '--samples', '4000', '--backend', 'cpu', '--format', 'json', '--metric', 'cost_per_mtok_output');
    expect(c.code, c.stderr).toBe(0);
    const m = (JSON.parse(c.stdout) as { metrics: Record<string, { p_b_less_than_a: number }> }).metrics.cost_per_mtok_output!;
    const shown = /P\(B &lt; A\)<\/th><td>([0-9.]+)%/.exec(html);
    expect(shown).not.toBeNull();
    // The page prints the same number to 3 significant digits.
    expect(Number(shown![1]).toPrecision(3)).toBe((100 * m.p_b_less_than_a).toPrecision(3));
  });

  it('refuses a sweep for the compare view (exit 2, before writing)', () => {
    const out = join(tmp, 'compare-sweep.html');
    const r = cptsim('report', SWEEP2, '--compare', FLAGSHIP, '--samples', '100', '--backend', 'cpu', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--compare');
    expect(existsSync(out)).toBe(false);
  });
});
