/**
 * The key order of `cptsim run --format json`, a stable interface: the README's "Output" section
 * documents it, and a program reading the JSON as a stream, or a diff of two results, relies on
 * it. A key added to the interface goes into the README's example and into its place below.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'src', 'cli.js');

/** The top level, in order. */
const TOP_KEYS = ['cptsim', 'scenario', 'seed', 'samples', 'backend', 'elapsed_s', 'samples_per_s', 'quantiles', 'cells'];
const BACKEND_KEYS = ['kind', 'adapter', 'software'];
/** A cell, in order; `slo_miss_fraction` follows when the scenario has an SLO. */
const CELL_KEYS = ['point', 'samples', 'infeasible_fraction', 'metrics'];
/** A metric's summary, in order: one key per line, so a new one is a one-line change. */
const SUMMARY_KEYS = [
  'mean',
  'sd',
  'stderr',
  'min',
  'max',
  'p1',
  'p5',
  'p10',
  'p25',
  'p50',
  'p75',
  'p90',
  'p95',
  'p99',
  'non_finite',
];

/** The example result in the README's "Output" section, parsed (it is valid JSON). */
function readmeExample(): Record<string, unknown> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const output = readme.slice(readme.indexOf('\n## Output'));
  const block = /```json\n([\s\S]*?)```/.exec(output);
  if (!block) throw new Error('README.md: no ```json block under ## Output');
  return JSON.parse(block[1]!) as Record<string, unknown>;
}

interface Result {
  backend: Record<string, unknown>;
  quantiles: Record<string, unknown>;
  cells: { metrics: Record<string, Record<string, unknown>> }[];
}

function runJson(...args: string[]): Record<string, unknown> & Result {
  const r = spawnSync(process.execPath, [cli, 'run', ...args, '--backend', 'cpu', '--format', 'json'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

function expectOrder(result: Record<string, unknown> & Result, cellExtras: string[]): void {
  expect(Object.keys(result)).toEqual(TOP_KEYS);
  // The CPU engine adds its thread count.
  expect(Object.keys(result.backend)).toEqual([...BACKEND_KEYS, 'threads']);
  for (const cell of result.cells) {
    expect(Object.keys(cell)).toEqual([...CELL_KEYS, ...cellExtras]);
    for (const summary of Object.values(cell.metrics)) expect(Object.keys(summary)).toEqual(SUMMARY_KEYS);
  }
}

describe('run --format json: keys in the documented order', () => {
  it('is the order of the README example', () => {
    const doc = readmeExample() as Record<string, unknown> & Result;
    expect(Object.keys(doc)).toEqual(TOP_KEYS);
    expect(Object.keys(doc.backend)).toEqual(BACKEND_KEYS);
    expect(Object.keys(doc.quantiles)).toEqual(['method']);
    expect(Object.keys(doc.cells[0]!)).toEqual(CELL_KEYS);
    expect(Object.keys(Object.values(doc.cells[0]!.metrics)[0]!)).toEqual(SUMMARY_KEYS);
  });

  it('in a sweep with exact quantiles', () => {
    const result = runJson('scenarios/h100-llama70b-sweep.yaml', '--samples', '2000');
    expect(result.cells.length).toBeGreaterThan(1);
    expect(Object.keys(result.quantiles)).toEqual(['method']);
    expectOrder(result, []);
  });

  it('with an SLO and quantiles from histograms', () => {
    const result = runJson('scenarios/h200-qwen3-235b-disagg-slo.yaml', '--samples', '4000', '--quantiles', 'hist');
    expect(Object.keys(result.quantiles)).toEqual(['method', 'bins', 'relative_error_bound']);
    expectOrder(result, ['slo_miss_fraction']);
  });

  it('with metrics of the scenario\'s own after the built-in ones, in file order', () => {
    const result = runJson('scenarios/custom-margin.yaml', '--samples', '2000');
    expectOrder(result, []);
    const names = Object.keys(result.cells[0]!.metrics);
    expect(names.indexOf('cost_per_mtok_output')).toBe(0);
    expect(names.slice(-2)).toEqual(['margin_per_mtok', 'margin_fraction']);
  });
});
