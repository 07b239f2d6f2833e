/**
 * The `cptsim` command end to end, as a user runs it: the built CLI in a child process.
 * (`npm test` builds dist/ first.)
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { METRICS } from '../src/model/slots.js';
import { cptsim, cptsimWith, root, scratchDir } from './helpers/cli.js';

const tmp = scratchDir('cptsim-cli-');

/** Hides every Vulkan driver from Dawn: the machine then has no WebGPU adapter. */
const NO_VULKAN = { VK_DRIVER_FILES: '/nonexistent/icd.json', VK_ICD_FILENAMES: '/nonexistent/icd.json' };

const FLAGSHIP = 'scenarios/h100-llama70b-fp8-owned.yaml';

/**
 * The adapters `cptsim devices` lists. With none the test is skipped, visibly, with `what` it
 * leaves unchecked; under CPTSIM_REQUIRE_GPU=1 it fails instead (see test/gpu-device.ts).
 */
function adaptersOrSkip(ctx: TestContext, what: string): { name: string; software: boolean }[] {
  const adapters = JSON.parse(cptsim('devices', '--format', 'json').stdout) as { name: string; software: boolean }[];
  if (adapters.length === 0) {
    if (process.env.CPTSIM_REQUIRE_GPU === '1') throw new Error('CPTSIM_REQUIRE_GPU=1 but cptsim devices found no adapter');
    console.warn(`SKIPPED: no WebGPU adapter; ${what} is not checked`);
    ctx.skip(`no WebGPU adapter: ${what} is not checked`);
  }
  return adapters;
}
const examples = readdirSync(join(root, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join('scenarios', f));

/** Custom metric names of an example (its `metrics:` section), and whether it is a model of its own. */
function customOf(file: string): { metrics: string[]; ownModel: boolean } {
  const doc = parseYaml(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;
  return { metrics: Object.keys((doc['metrics'] as Record<string, unknown> | undefined) ?? {}), ownModel: !('costs' in doc) };
}

describe('cptsim run', () => {
  it.each(examples)('runs %s and prints DESIGN.md\'s JSON shape', (file) => {
    const custom = customOf(file);
    // 2^14 samples: a sobol example needs a power of two.
    const r = cptsim('run', file, '--samples', '16384', '--backend', 'cpu', '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining(['cptsim', 'scenario', 'seed', 'samples', 'backend', 'elapsed_s', 'samples_per_s', 'cells']),
    );
    expect(j.samples).toBe(16384);
    expect(j.backend).toMatchObject({ kind: 'cpu', software: false });
    expect(j.cells.length).toBeGreaterThanOrEqual(1);
    for (const cell of j.cells) {
      expect(cell.samples).toBe(16384);
      expect(cell.infeasible_fraction).toBeGreaterThanOrEqual(0);
      expect(cell.infeasible_fraction).toBeLessThan(1);
      const m = cell.metrics[custom.ownModel ? custom.metrics[0]! : 'cost_per_mtok_output'];
      expect(Object.keys(m)).toEqual(['mean', 'sd', 'stderr', 'min', 'max', 'p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p99', 'non_finite'].sort((a, b) => Object.keys(m).indexOf(a) - Object.keys(m).indexOf(b)));
      // Every example's values are finite (and nothing was left out silently).
      for (const s of Object.values(cell.metrics) as { non_finite: number }[]) expect(s.non_finite).toBe(0);
      expect(m.min).toBeLessThanOrEqual(m.p1);
      expect(m.p1).toBeLessThanOrEqual(m.p50);
      expect(m.p50).toBeLessThanOrEqual(m.p99);
      expect(m.p99).toBeLessThanOrEqual(m.max);
      for (const name of Object.keys(cell.metrics)) expect([...METRICS, ...custom.metrics]).toContain(name);
    }
    if (j.cells.length === 1) expect(j.cells[0].point).toEqual({});
  });

  it('runs the flagship example when no file is given, and says which file and how to copy it', () => {
    const r = cptsim('run', '--samples', '4000', '--backend', 'cpu');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/flagship example .*h100-llama70b-fp8-owned\.yaml/);
    expect(r.stderr).toMatch(/cp .*h100-llama70b-fp8-owned\.yaml my-scenario\.yaml/);
    expect(r.stdout).toMatch(/cost_per_mtok_output/);
  });

  it('prints one row per cell for a sweep, in row-major order', () => {
    const file = examples.find((f) => f.includes('b200-deepseek'))!;
    const r = cptsim('run', file, '--samples', '4000', '--backend', 'cpu', '--format', 'csv');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^cell,serving\.batch_size,metric,mean,sd,stderr,min,p1,/);
    const batch = lines.slice(1).filter((l) => l.includes(',cost_per_mtok_output,')).map((l) => Number(l.split(',')[1]));
    expect(batch.length).toBeGreaterThan(1);
    expect(batch).toEqual([...batch].sort((a, b) => a - b));
  });

  it('writes --out files whole, and none when the input is bad', () => {
    const good = join(tmp, 'good.json');
    expect(cptsim('run', examples[0]!, '--samples', '4000', '--backend', 'cpu', '--format', 'json', '--out', good).code).toBe(0);
    expect(JSON.parse(readFileSync(good, 'utf8')).samples).toBe(4000);
    const bad = join(tmp, 'bad.json');
    const r = cptsim('run', 'test/fixtures/bad/negative-price.yaml', '--format', 'json', '--out', bad);
    expect(r.code).toBe(2);
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('gives the same numbers for the same seed and sample count, whatever the thread count', () => {
    const a = JSON.parse(cptsim('run', examples[0]!, '--samples', '30000', '--backend', 'cpu', '--threads', '1', '--format', 'json').stdout);
    const b = JSON.parse(cptsim('run', examples[0]!, '--samples', '30000', '--backend', 'cpu', '--threads', '2', '--format', 'json').stdout);
    expect(b.cells).toEqual(a.cells);
  });
});

describe('cptsim explain', () => {
  const intermediates = [
    'kv_bytes_per_token', 'kv_replication', 'shared_params', 'expert_params', 'experts_touched', 'weight_bytes',
    'batch_max', 'batch_effective', 't_step_s', 't_cycle_s', 'spec_tokens_per_step', 't_prefill_s', 't_request_s',
    'bound', 'capital_recovery_factor', 'capital_usd_per_gpu_hour', 'maintenance_usd_per_gpu_hour',
    'opex_usd_per_gpu_hour', 'energy_usd_per_gpu_hour', 'facility_usd_per_gpu_hour', 'cost_usd_per_gpu_hour',
  ];
  it.each(examples)('explains %s with every intermediate quantity', (file) => {
    const r = cptsim('explain', file, '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const custom = customOf(file);
    for (const cell of j.cells) {
      for (const m of custom.metrics) expect(typeof cell.values[m]).toBe('number');
      if (custom.ownModel) continue;
      expect(cell.values.cost_per_mtok_output).toBeGreaterThan(0);
      if (file.includes('measured')) continue;
      for (const k of intermediates) expect(cell.values).toHaveProperty(k);
      expect(['memory', 'compute']).toContain(cell.values.bound);
    }
    const table = cptsim('explain', file);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(custom.ownModel ? new RegExp(custom.metrics[0]!) : /cost_per_mtok_output/);
  });

  it('shows why a cell is infeasible', () => {
    const file = join(tmp, 'too-small.yaml');
    writeFileSync(
      file,
      readFileSync(join(root, 'scenarios', 'h100-llama70b-fp8-owned.yaml'), 'utf8').replace('gpus_per_replica: 8', 'gpus_per_replica: 1')
        .replace('weight_bits: 8', 'weight_bits: 16'),
    );
    const j = JSON.parse(cptsim('explain', file, '--format', 'json').stdout);
    expect(j.cells[0].values).toMatchObject({ infeasible: true });
    // 70.6e9 parameters at 2 bytes against 80 GB x 0.9 usable.
    expect(j.cells[0].values.weight_bytes).toBeGreaterThan(80e9 * 0.9);
    expect(j.cells[0].values.batch_max).toBeLessThan(1);
  });
});

describe('cptsim validate', () => {
  it('accepts every example', () => {
    const r = cptsim('validate', ...examples);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^ok /gm)).toHaveLength(examples.length);
  });
});

describe('bad input: exit code 2 and a message naming the file and the field, no stack trace', () => {
  const cases: [string, RegExp][] = [
    ['syntax-error.yaml', /syntax-error\.yaml:\d+: YAML syntax error/],
    ['syntax-error.json', /syntax-error\.json:\d+: JSON syntax error/],
    ['negative-price.yaml', /negative-price\.yaml:\d+: costs\.power_price_usd_per_kwh: expected a number >= 0/],
    ['unknown-key.yaml', /unknown-key\.yaml:\d+: serving\.batch_sise: unknown key; did you mean `batch_size`/],
    ['reversed-bounds.yaml', /reversed-bounds\.yaml:\d+: serving\.mbu_decode\.uniform: .*increasing/],
    ['unknown-catalog.yaml', /unknown-catalog\.yaml:\d+: accelerator\.catalog: unknown accelerator/],
    ['text-for-number.yaml', /text-for-number\.yaml:\d+: serving\.batch_size: expected a number/],
    ['unknown-distribution.yaml', /unknown-distribution\.yaml:\d+: .*unknown distribution `unifrom`; did you mean `uniform`/],
    ['empty.yaml', /empty\.yaml: the file is empty/],
    ['utilization-above-1.yaml', /serving\.utilization/],
    ['fp4-on-h100.yaml', /model\.compute: h100-sxm has no fp4/],
    ['missing-costs.yaml', /costs: is required/],
  ];
  it.each(cases)('%s', (name, message) => {
    for (const command of ['run', 'validate', 'explain']) {
      const r = cptsim(command, join('test', 'fixtures', 'bad', name), ...(command === 'run' ? ['--backend', 'cpu'] : []));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  it('a missing file', () => {
    const r = cptsim('run', 'no/such/file.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no\/such\/file\.yaml/);
  });

  it.each([['0'], ['-5'], ['abc'], ['1.5'], ['1e13']])('--samples %s', (n) => {
    const r = cptsim('run', examples[0]!, '--samples', n);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--samples/);
    expect(r.stderr).toMatch(/whole number of samples/);
  });

  it('an unknown --backend and an unknown command', () => {
    expect(cptsim('run', examples[0]!, '--backend', 'tpu').code).toBe(2);
    expect(cptsim('frobnicate').code).toBe(2);
  });

  it('an unknown --metric for a sweep table', () => {
    const r = cptsim('run', examples[0]!, '--samples', '100', '--backend', 'cpu', '--metric', 'cost_per_banana');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--metric: expected one of/);
  });
});

describe('cptsim run --matrix', () => {
  it('prints a two-axis sweep as a matrix, rows by the first axis, columns by the second', () => {
    const r = cptsim('run', 'scenarios/h100-llama70b-sweep.yaml', '--samples', '2000', '--backend', 'cpu', '--matrix', 'p90');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/p90 of cost_per_mtok_output; rows workload\.prefix_cache_hit_rate, columns serving\.batch_size/);
    const rows = lines.slice(4).map((l) => l.trim().split(/\s+/).map(Number));
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(row).toHaveLength(11);
      // More sequences per replica share the same weights: cost falls along every row.
      for (let j = 2; j < row.length; j++) expect(row[j]).toBeLessThanOrEqual(row[j - 1]!);
    }
    // A higher prefix-cache hit rate means less prefill: cost falls down every column.
    for (let i = 1; i < rows.length; i++) expect(rows[i]![1]).toBeLessThan(rows[i - 1]![1]!);
  });

  it('refuses a matrix of a scenario without two sweep axes', () => {
    const r = cptsim('run', examples[0]!, '--samples', '100', '--backend', 'cpu', '--matrix', 'p90');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--matrix: needs a scenario with exactly two sweep axes/);
    expect(cptsim('run', examples[0]!, '--matrix', 'p42').code).toBe(2);
  });
});

describe('cptsim sensitivity', () => {
  it('tornado: bars sorted by swing, JSON and table', () => {
    const r = cptsim('sensitivity', FLAGSHIP, '--samples', '4000', '--backend', 'cpu', '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.method).toBe('tornado');
    expect(j.inputs.length).toBeGreaterThan(3);
    for (let i = 1; i < j.inputs.length; i++) expect(j.inputs[i].swing).toBeLessThanOrEqual(j.inputs[i - 1].swing);
    const t = cptsim('sensitivity', FLAGSHIP, '--samples', '4000', '--backend', 'cpu');
    expect(t.stdout).toMatch(/tornado of cost_per_mtok_output \(p50\)/);
  });

  it('sobol: the JSON of the issue, indices in [-0.1, 1.1] and intervals around them', () => {
    const r = cptsim('sensitivity', FLAGSHIP, '--method', 'sobol', '--samples', '2048', '--bootstrap', '20', '--backend', 'cpu', '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ method: 'sobol', samples: 2048 });
    const m = j.metrics.cost_per_mtok_output;
    expect(Object.keys(m)).toContain('serving.utilization');
    for (const ix of Object.values(m) as { first: number; total: number; first_ci: number[]; total_ci: number[] }[]) {
      expect(ix.total).toBeGreaterThan(-0.1);
      expect(ix.total).toBeLessThan(1.1);
      expect(ix.total_ci[0]).toBeLessThanOrEqual(ix.total_ci[1]!);
    }
  });

  it('rank: a correlation per uncertain input, and a sweep cell chosen with --cell', () => {
    const r = cptsim('sensitivity', 'scenarios/b200-deepseek-r1-fp4-mtp.yaml', '--method', 'rank', '--samples', '4000', '--cell', '1', '--backend', 'cpu', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/analysing sweep cell 1 \(serving\.batch_size = 32\)/);
    const j = JSON.parse(r.stdout);
    expect(j.point).toEqual({ 'serving.batch_size': 32 });
    for (const rho of Object.values(j.metrics.cost_per_mtok_output) as number[]) expect(Math.abs(rho)).toBeLessThanOrEqual(1);
  });

  it('bad options: exit 2 with the option named', () => {
    expect(cptsim('sensitivity', FLAGSHIP, '--method', 'morris').code).toBe(2);
    const cell = cptsim('sensitivity', FLAGSHIP, '--cell', '5', '--backend', 'cpu');
    expect(cell.code).toBe(2);
    expect(cell.stderr).toMatch(/--cell: expected a cell from 0 to 0/);
    const m = cptsim('sensitivity', FLAGSHIP, '--metric', 'nope', '--backend', 'cpu');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--metric: expected one of/);
  });
});

describe('backends and devices', () => {
  it('--backend gpu without an adapter: exit 1 and how to install a driver', () => {
    const r = cptsimWith(NO_VULKAN, 'run', FLAGSHIP, '--backend', 'gpu', '--samples', '100');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no WebGPU adapter found.*mesa-vulkan-drivers/);
    expect(r.stdout).toBe('');
  });

  it('--backend auto without an adapter falls back to the CPU engine and says so', () => {
    const r = cptsimWith(NO_VULKAN, 'run', FLAGSHIP, '--samples', '100', '--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no GPU adapter found: using the CPU engine/);
    expect(JSON.parse(r.stdout).backend.kind).toBe('cpu');
  });

  it('devices says when there is no adapter', () => {
    const none = cptsimWith(NO_VULKAN, 'devices');
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no WebGPU adapter found/);
  });

  it('devices lists the adapters, and auto uses the first', (ctx) => {
    const j = adaptersOrSkip(ctx, 'the adapter listing');
    expect(j[0]!.name.length).toBeGreaterThan(0);
    const auto = cptsim('run', FLAGSHIP, '--samples', '100', '--format', 'json');
    expect(auto.stderr).toMatch(/using GPU adapter/);
    if (j[0]!.software) expect(auto.stderr).toMatch(/software adapter/);
    expect(JSON.parse(auto.stdout).backend).toMatchObject({ kind: 'gpu', software: j[0]!.software });
  });

  it('a plan past the limits of the GPU engine runs on the CPU under auto, and fails under --backend gpu', (ctx) => {
    adaptersOrSkip(ctx, 'the GPU limit fallback');
    // 14 built-in and 19 custom metrics: one more than the GPU kernel holds.
    const file = join(tmp, 'many-metrics.yaml');
    const metrics = Array.from({ length: 19 }, (_, i) => `  m${i}: "cost_per_mtok_output * ${i + 1}"`);
    writeFileSync(file, readFileSync(join(root, FLAGSHIP), 'utf8') + ['', 'metrics:', ...metrics, ''].join('\n'));
    const auto = cptsim('run', file, '--samples', '1000', '--format', 'json');
    expect(auto.code).toBe(0);
    expect(auto.stderr).toMatch(/at most 32 metrics per run, this plan has 33: using the CPU engine/);
    expect(JSON.parse(auto.stdout).backend.kind).toBe('cpu');
    const gpu = cptsim('run', file, '--samples', '1000', '--backend', 'gpu');
    expect(gpu.code).toBe(1);
    expect(gpu.stderr).toMatch(/use --backend cpu/);
  });

  it.for(['device-lost', 'shader'])('a forced GPU failure (%s) exits 1 with a message and writes no file', (fault, ctx) => {
    adaptersOrSkip(ctx, 'GPU failure handling');
    const out = join(tmp, `fault-${fault}.json`);
    const r = cptsimWith({ CPTSIM_GPU_FAULT: fault }, 'run', FLAGSHIP, '--backend', 'gpu', '--samples', '300000', '--format', 'json', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(fault === 'shader' ? /failed to compile/ : /device was lost/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });
});
