/**
 * The decision commands end to end, as a user runs them (the built CLI in a child process):
 * compare, breakeven, exceedance probabilities and CDFs on run, scenario inheritance.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'cptsim-decisions-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cptsim(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FLAGSHIP = 'scenarios/h100-llama70b-fp8-owned.yaml';
const CLOUD = 'scenarios/h100-llama70b-cloud.yaml';

describe('cptsim compare', () => {
  it('prints P(B < A) and the per-sample difference; JSON has a, b, difference, ratio and p_b_less_than_a per metric', () => {
    const r = cptsim('compare', FLAGSHIP, CLOUD, '--samples', '2000', '--backend', 'cpu', '--format', 'json', '--metric', 'cost_per_mtok_output,tpot_ms');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { metrics: Record<string, Record<string, unknown>>; scenarios: string[]; samples: number };
    expect(Object.keys(j.metrics)).toEqual(['cost_per_mtok_output', 'tpot_ms']);
    const m = j.metrics['cost_per_mtok_output']!;
    for (const k of ['a', 'b', 'difference', 'ratio', 'p_b_less_than_a']) expect(m).toHaveProperty(k);
    // The two files share their serving inputs, so throughput and latency are equal sample by sample.
    expect((j.metrics['tpot_ms']!['difference'] as { max: number; min: number }).max).toBe(0);
    expect(j.samples).toBe(2000);
    const t = cptsim('compare', FLAGSHIP, CLOUD, '--samples', '2000', '--backend', 'cpu', '--metric', 'cost_per_mtok_output');
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('P(B < A)');
    expect(t.stdout).toMatch(/cost_per_mtok_output .*%/);
  });

  it('a scenario compared with itself: zero difference', () => {
    const r = cptsim('compare', FLAGSHIP, FLAGSHIP, '--samples', '1000', '--backend', 'cpu', '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { metrics: Record<string, { difference: { min: number; max: number }; p_b_less_than_a: number }> };
    for (const m of Object.values(j.metrics)) {
      expect(m.difference.min).toBe(0);
      expect(m.difference.max).toBe(0);
      expect(m.p_b_less_than_a).toBe(0);
    }
  });

  it('exits 2 with a clear message for one file, a missing file, or a metric one scenario lacks', () => {
    const one = cptsim('compare', FLAGSHIP);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('compare needs at least two scenario files');
    const missing = cptsim('compare', FLAGSHIP, 'nowhere.yaml', '--backend', 'cpu');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nowhere.yaml: cannot read the scenario: no such file');
    const metric = cptsim('compare', FLAGSHIP, CLOUD, '--backend', 'cpu', '--samples', '100', '--metric', 'margin');
    expect(metric.code).toBe(2);
    expect(metric.stderr).toMatch(/--metric: .* has no metric "margin"/);
    expect(metric.stdout).toBe('');
  });
});

describe('scenario inheritance through the CLI', () => {
  it('runs a file that extends another, and names the inherited file in an error', () => {
    const base = join(tmp, 'base.yaml');
    writeFileSync(base, `name: base\nsamples: 1000\naccelerator: { catalog: h100-sxm }\nworkload: { input_tokens: 1000, output_tokens: 1000 }\nserving: { utilization: 1 }\nthroughput: { mode: measured, output_tokens_per_s_per_gpu: 1000 }\ncosts: { pricing: cloud, cloud_usd_per_gpu_hour: 3.6 }\n`);
    writeFileSync(join(tmp, 'child.yaml'), 'extends: base.yaml\nname: child\ncosts: { cloud_usd_per_gpu_hour: 7.2 }\n');
    const r = cptsim('run', join(tmp, 'child.yaml'), '--backend', 'cpu', '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { scenario: string; cells: { metrics: Record<string, { mean: number }> }[] };
    expect(j.scenario).toBe('child');
    expect(j.cells[0]!.metrics['cost_per_mtok_output']!.mean).toBeCloseTo(2, 5);
    writeFileSync(join(tmp, 'bad-base.yaml'), 'name: b\nserving: { utilization: 1.5 }\n');
    writeFileSync(join(tmp, 'bad-child.yaml'), 'extends: bad-base.yaml\naccelerator: { catalog: h100-sxm }\nworkload: { input_tokens: 1, output_tokens: 1 }\nthroughput: { mode: measured, output_tokens_per_s_per_gpu: 1000 }\ncosts: { pricing: cloud, cloud_usd_per_gpu_hour: 3.6 }\n');
    const bad = cptsim('validate', join(tmp, 'bad-child.yaml'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${join(tmp, 'bad-base.yaml')}:2: serving.utilization: expected a number in (0, 1], got 1.5`);
    expect(bad.stderr).not.toContain('    at ');
  });
});
