/**
 * deploy/slurm end to end on a real Slurm cluster (in CI the single-node one .ci/slurm-up starts):
 * the job array of shards and the dependent merge job give the result of the unsharded run.
 * Skipped, loudly, without sbatch or a cluster that answers; under CI=true that fails instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import type { RunResult } from '../src/analysis/index.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'src', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'cptsim-slurm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function clusterOrSkip(ctx: TestContext): void {
  const sinfo = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 });
  const sbatch = spawnSync('sbatch', ['--version'], { encoding: 'utf8' });
  const why =
    sbatch.error
      ? 'sbatch is not on PATH'
      : sinfo.status !== 0 || !/idle|mixed|allocated/.test(sinfo.stdout)
        ? `no Slurm cluster answers (sinfo: ${(sinfo.stderr || sinfo.stdout).trim() || 'no idle node'})`
        : null;
  if (!why) return;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${why}: .ci/run starts one with .ci/slurm-up`);
  console.warn(`SKIPPED test/slurm.test.ts: ${why}; the Slurm recipe is not checked (start a cluster with .ci/slurm-up)`);
  ctx.skip(why);
}

describe('deploy/slurm/submit.sh', () => {
  it('runs a job array of 3 shards and a dependent merge that equals the unsharded run', async (ctx) => {
    clusterOrSkip(ctx);
    const file = join(root, 'scenarios/h100-llama70b-fp8-owned.yaml');
    const opts = ['--backend', 'cpu', '--threads', '1', '--samples', '20000', '--quantiles', 'hist'];
    const out = join(tmp, 'run');
    const submit = spawnSync(join(root, 'deploy/slurm/submit.sh'), [file, '3', out, ...opts], {
      encoding: 'utf8',
      env: { ...process.env, CPTSIM: `${process.execPath} ${cli}` },
    });
    expect(submit.stderr).toBe('');
    expect(submit.status).toBe(0);
    const merge = /merge (\d+)/.exec(submit.stdout)?.[1];
    expect(merge).toBeDefined();
    const deadline = Date.now() + 50_000;
    while (!existsSync(join(out, 'result.txt')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const log = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : '(none)');
    expect(existsSync(join(out, 'result.txt')), `merge job ${merge} finished; its log: ${log('merge.log')}`).toBe(true);

    const merged = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as RunResult;
    const whole = JSON.parse(
      spawnSync(process.execPath, [cli, 'run', file, ...opts, '--format', 'json'], { encoding: 'utf8' }).stdout,
    ) as RunResult;
    expect(merged.samples).toBe(20000);
    const [m, w] = [merged.cells[0]!, whole.cells[0]!];
    for (const [name, s] of Object.entries(w.metrics)) {
      for (const [k, v] of Object.entries(s)) {
        const got = m.metrics[name]![k as keyof typeof s];
        if (k === 'mean' || k === 'sd' || k === 'stderr') expect(Math.abs(got - v), `${name}.${k}`).toBeLessThanOrEqual(1e-12 * Math.abs(v));
        else expect(got, `${name}.${k}`).toBe(v);
      }
    }
    expect(readFileSync(join(out, 'result.txt'), 'utf8')).toContain('cost_per_mtok_output');
  });
});
