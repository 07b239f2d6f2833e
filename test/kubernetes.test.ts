/**
 * deploy/kubernetes: the Indexed Job's pods and the merge Job, run as local processes with their
 * exact command lines (deploy/kubernetes/run-local.mjs), give the result of the unsharded run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { RunResult } from '../src/analysis/index.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'cptsim-k8s-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const docs = ['shards.yaml', 'merge.yaml'].flatMap((f) =>
  parseAllDocuments(readFileSync(join(root, 'deploy/kubernetes', f), 'utf8')).map((d) => d.toJS() as Record<string, any>),
);

describe('deploy/kubernetes', () => {
  it('shards.yaml is a ConfigMap with a valid scenario and an Indexed Job; merge.yaml a Job; they agree on N', () => {
    expect(docs.map((d) => `${d['apiVersion']}/${d['kind']}`)).toEqual(['v1/ConfigMap', 'batch/v1/Job', 'batch/v1/Job']);
    const scenario = join(tmp, 'configmap.yaml');
    writeFileSync(scenario, docs[0]!['data']['scenario.yaml']);
    const v = spawnSync(process.execPath, [cli, 'validate', scenario], { encoding: 'utf8' });
    expect(v.stderr).toBe('');
    expect(v.status).toBe(0);
    const shards = docs[1]!['spec'];
    expect(shards.completionMode).toBe('Indexed');
    const envOf = (job: Record<string, any>) =>
      Object.fromEntries((job['spec'].template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
    expect(Number(envOf(docs[1]!)['CPTSIM_SHARDS'])).toBe(shards.completions);
    expect(Number(envOf(docs[2]!)['CPTSIM_SHARDS'])).toBe(shards.completions);
  });

  it('run as local processes, its pods and merge give the unsharded result', () => {
    const scenario = join(tmp, 'scenario.yaml');
    writeFileSync(scenario, docs[0]!['data']['scenario.yaml']);
    const opts = '--samples 20000 --backend cpu --threads 1 --quantiles hist';
    const data = join(tmp, 'data'); // the shared volume
    mkdirSync(data);
    const r = spawnSync(
      process.execPath,
      [join(root, 'deploy/kubernetes/run-local.mjs'), '--env', `CPTSIM_DATA=${data}`, '--env', `CPTSIM_SCENARIO=${scenario}`, '--env', `CPTSIM_RUN_OPTIONS=${opts}`],
      { encoding: 'utf8', timeout: 110_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const merged = JSON.parse(readFileSync(join(data, 'result.json'), 'utf8')) as RunResult;
    const whole = JSON.parse(spawnSync(process.execPath, [cli, 'run', scenario, ...opts.split(' '), '--format', 'json'], { encoding: 'utf8' }).stdout) as RunResult;
    const [m, w] = [merged.cells[0]!, whole.cells[0]!];
    expect(merged.samples).toBe(20000);
    for (const [name, s] of Object.entries(w.metrics)) {
      for (const [k, v] of Object.entries(s)) {
        const got = m.metrics[name]![k as keyof typeof s];
        if (k === 'mean' || k === 'sd' || k === 'stderr') expect(Math.abs(got - v), `${name}.${k}`).toBeLessThanOrEqual(1e-12 * Math.abs(v));
        else expect(got, `${name}.${k}`).toBe(v);
      }
    }
  });

  it('run-local refuses bad usage with exit 2', () => {
    const r = spawnSync(process.execPath, [join(root, 'deploy/kubernetes/run-local.mjs'), '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unexpected argument "--bogus"');
  });
});
