/**
 * The decision commands end to end, as a user runs them (the built CLI in a child process):
 * compare, breakeven, exceedance probabilities and CDFs on run, scenario inheritance.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cptsim, root, scratchDir } from './helpers/cli.js';

const tmp = scratchDir('cptsim-decisions-');


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

describe('cptsim breakeven', () => {
  const measured = (): string => {
    const f = join(tmp, 'measured.yaml');
    writeFileSync(f, `name: measured\nseed: be\nsamples: 4000\naccelerator: { catalog: h100-sxm }\nworkload: { input_tokens: 1000, output_tokens: 1000 }\nserving: { utilization: 0.5 }\nthroughput: { mode: measured, output_tokens_per_s_per_gpu: 1000 }\ncosts: { pricing: cloud, cloud_usd_per_gpu_hour: { uniform: [2, 4] } }\n`);
    return f;
  };

  it('prints the break-even value with its standard error; JSON has vary, value, probability and stderr', () => {
    const f = measured();
    const r = cptsim('breakeven', f, '--vary', 'serving.utilization', '--target', '1', '--backend', 'cpu', '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { vary: string; value: number; probability: number; stderr: number };
    expect(j.vary).toBe('serving.utilization');
    expect(j.probability).toBe(0.5);
    // (2 + 0.5 * 2) / 3.6, within 4 standard errors.
    expect(Math.abs(j.value - 3 / 3.6)).toBeLessThan(4 * j.stderr);
    const t = cptsim('breakeven', f, '--vary', 'serving.utilization', '--target', '1', '--backend', 'cpu');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/serving\.utilization = 0\.8\d* ± /);
  });

  it('exits 2 with a clear message when no value reaches the target, or the flags do not say what to reach', () => {
    const f = measured();
    const r = cptsim('breakeven', f, '--vary', 'serving.utilization', '--target', '1', '--probability', '0.9', '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--vary: no value of serving.utilization in its valid range (0, 1] gives P(cost_per_mtok_output <= 1) = 0.9');
    expect(r.stdout).toBe('');
    const none = cptsim('breakeven', f, '--vary', 'serving.utilization', '--backend', 'cpu');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--target: is required');
    const prob = cptsim('breakeven', f, '--vary', 'serving.utilization', '--target', '1', '--probability', '1.5');
    expect(prob.code).toBe(2);
    expect(prob.stderr).toContain('expected a probability strictly between 0 and 1');
  });
});

describe('cptsim run --probability-below and --cdf', () => {
  it('prints P(metric <= x) with its error, and puts it and the CDF in the JSON', () => {
    const t = cptsim('run', FLAGSHIP, '--samples', '4000', '--backend', 'cpu', '--probability-below', 'cost_per_mtok_output=1,1.5');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/P\(cost_per_mtok_output <= 1\) = [\d.]+% ± [\d.]+%/);
    expect(t.stdout).toMatch(/P\(cost_per_mtok_output <= 1\.5\) = [\d.]+% ± [\d.]+%/);
    const j = cptsim('run', FLAGSHIP, '--samples', '4000', '--backend', 'cpu', '--probability-below', 'tpot_ms=30', '--cdf', '11', '--format', 'json');
    expect(j.code).toBe(0);
    const cell = (JSON.parse(j.stdout) as { cells: { probability_below: Record<string, { x: number; p: number; stderr: number }[]>; cdf: Record<string, { p: number[]; x: number[] }> }[] }).cells[0]!;
    expect(cell.probability_below['tpot_ms']![0]!.x).toBe(30);
    expect(cell.cdf['cost_per_mtok_output']!.p).toHaveLength(11);
  });

  it('exits 2 for a malformed threshold or an unknown metric, writing nothing to stdout', () => {
    const bad = cptsim('run', FLAGSHIP, '--backend', 'cpu', '--probability-below', 'cost_per_mtok_output');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected <metric>=<x>[,<x>...]');
    const unknown = cptsim('run', FLAGSHIP, '--samples', '100', '--backend', 'cpu', '--probability-below', 'cost=1');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--probability-below: unknown metric "cost"');
    expect(unknown.stdout).toBe('');
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

describe("the README's Decisions commands", () => {
  // Each row of the question table: `npx cptsim <args>`, run as written plus a small sample count on the CPU engine.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Decisions'), readme.indexOf('### Compare'));
  const commands = [...section.matchAll(/\| `npx cptsim ([^`]+)` \|/g)].map((m) => m[1]!.split(' '));

  it('lists one command per question', () => {
    expect(commands.map((c) => c[0])).toEqual(['compare', 'breakeven', 'breakeven', 'breakeven', 'run', 'run', 'run']);
  });

  it.each(commands.map((c) => [c.join(' '), c] as const))('%s', (_, args) => {
    const r = cptsim(...args, '--samples', '4000', '--backend', 'cpu');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});
