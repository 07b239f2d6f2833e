/**
 * Shards and their merge (`cptsim run --shard k/N`, `cptsim merge`), and checkpoint/resume: a
 * sharded or interrupted run gives the result of the whole, uninterrupted run.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyPartial, fromJsonValue, summarize, toJsonValue } from '../src/aggregate/index.js';
import {
  checkpointChunk,
  formatPart,
  mergeParts,
  parsePart,
  resultOfPart,
  runShard,
  shardRange,
  simulate,
  SHARD_ALIGN_SAMPLES,
  type PartDocument,
  type RunResult,
} from '../src/analysis/index.js';
import { type PartialSums } from '../src/aggregate/index.js';
import { REDUCTION_BLOCK_SAMPLES, type Engine } from '../src/engine/index.js';
import { buildPlan } from '../src/plan/index.js';
import { loadScenario } from '../src/scenario/index.js';
import { testEngines } from './gpu-device.js';
import { cli, cptsim, root, scratchDir } from './helpers/cli.js';

const tmp = scratchDir('cptsim-shard-');

const FLAGSHIP = 'scenarios/h100-llama70b-fp8-owned.yaml';
const SWEEP = 'scenarios/h100-llama70b-sweep.yaml';


/** How far apart a merged and a whole run's histogram-mode statistic may be: relative, or per value. */
type SumsTolerance = number | ((cell: number, metric: number, stat: 'mean' | 'sd' | 'stderr') => number);

/**
 * Merged equals whole: every count and quantile (and min, max) exactly; histogram-mode means and
 * sds to `sumsTol` (exact-mode ones exactly, as they come from the same values).
 */
function expectSameResult(merged: RunResult, whole: RunResult, sumsTol: SumsTolerance = 1e-12): void {
  expect(merged.samples).toBe(whole.samples);
  expect(merged.quantiles.method).toBe(whole.quantiles.method);
  expect(merged.cells.length).toBe(whole.cells.length);
  merged.cells.forEach((cell, c) => {
    const w = whole.cells[c]!;
    expect(cell.point).toEqual(w.point);
    expect(cell.infeasible_fraction).toBe(w.infeasible_fraction);
    expect(cell.slo_miss_fraction).toBe(w.slo_miss_fraction);
    Object.entries(cell.metrics).forEach(([name, s], m) => {
      const ws = w.metrics[name]!;
      for (const [k, v] of Object.entries(s)) {
        const x = ws[k as keyof typeof ws];
        if ((k === 'mean' || k === 'sd' || k === 'stderr') && merged.quantiles.method === 'histogram') {
          const tol = typeof sumsTol === 'number' ? sumsTol * Math.abs(x) : sumsTol(c, m, k);
          expect(Math.abs(v - x), `${name}.${k}`).toBeLessThanOrEqual(tol);
        } else {
          expect(v, `${name}.${k}`).toBe(x);
        }
      }
    });
  });
}

const U64 = 2 ** -53;

/**
 * The most a histogram-mode mean, sd and stderr can move when the f64 additions behind them are
 * regrouped, for the sums of `whole` (a part of the unsharded run) and `shards` shards. Both runs
 * add the same `terms` values per (cell, metric) (one f32 sum per reduction block on the GPU
 * engine), each in some binary tree of f64 additions: in one engine call they go in one after
 * another, then the reshift about the f64 shift adds one or two more, then the merge adds the
 * shards' totals, so no tree is taller than h = terms + shards + 3 additions. A sum computed
 * through a tree of height h differs from the exact sum by at most gamma_h * (sum of |terms|),
 * gamma_h = h u / (1 - h u), u = 2^-53 (Higham, Accuracy and Stability of Numerical Algorithms,
 * 2nd ed., eq. 4.3 and Lemma 3.1), so two groupings differ by at most twice that. With n samples,
 * deviations d_i from the shift s (summed on the GPU about s32 = fround(s), e = s32 - s):
 *   sum of |terms| of S1 <= sum |d_i| + n |e| <= sqrt(n S2) + n |e|   (Cauchy-Schwarz)
 *   sum of |terms| of S2 <= S2 + 2 |e| sqrt(n S2) + n e^2
 * and mean = s + S1 / n, var = (S2 - n (S1/n)^2) / (n - 1), sd = sqrt(var), stderr = sd / sqrt(n)
 * carry the difference through; each also rounds a few times itself (8 u of its value covers it).
 */
function regroupingTolerance(whole: PartialSums, terms: number, shards: number) {
  const h = terms + shards + 3;
  const gamma = (h * U64) / (1 - h * U64);
  return (cell: number, metric: number, stat: 'mean' | 'sd' | 'stderr'): number => {
    const i = cell * whole.metrics + metric;
    const n = whole.count[i]!;
    const s2 = whole.sumSq[i]!;
    const e = Math.abs(Math.fround(whole.shift[i]!) - whole.shift[i]!);
    const dS1 = 2 * gamma * (Math.sqrt(n * s2) + n * e);
    const dS2 = 2 * gamma * (s2 + 2 * e * Math.sqrt(n * s2) + n * e * e);
    const dMean = whole.sum[i]! / n;
    const mean = whole.shift[i]! + dMean;
    const variance = Math.max(0, (s2 - n * dMean * dMean) / (n - 1));
    const dVariance = (dS2 + 2 * Math.abs(dMean) * dS1 + (dS1 * dS1) / n) / (n - 1);
    // |sd1 - sd2| = |var1 - var2| / (sd1 + sd2), and sd1 + sd2 >= sqrt(max(var1, var2)).
    const dSd = variance > 0 ? Math.min(dVariance / Math.sqrt(variance), Math.sqrt(dVariance)) : Math.sqrt(dVariance);
    const sd = Math.sqrt(variance);
    if (stat === 'mean') return dS1 / n + 8 * U64 * Math.abs(mean);
    if (stat === 'sd') return dSd + 8 * U64 * sd;
    return dSd / Math.sqrt(n) + 8 * U64 * (sd / Math.sqrt(n));
  };
}

describe('shardRange', () => {
  it.each([
    [1, 1],
    [10, 3],
    [1000, 7],
    [1001, 7],
    [5, 7],
    [100_003, 7],
    [3 * 4096, 7],
    [1e9, 1000],
  ])('%i samples in %i shards: contiguous, block-aligned, covering every index once', (samples, n) => {
    let next = 0;
    const blocks = Math.ceil(samples / SHARD_ALIGN_SAMPLES);
    let nonEmpty = 0;
    for (let k = 0; k < n; k++) {
      const r = shardRange(samples, { index: k, count: n });
      expect(r.start).toBe(next);
      expect(r.start % SHARD_ALIGN_SAMPLES).toBe(0);
      expect(r.end).toBeGreaterThanOrEqual(r.start);
      // Balanced to a block: floor(blocks / n) or one more (the last block may be short).
      const size = Math.ceil((r.end - r.start) / SHARD_ALIGN_SAMPLES);
      expect(size).toBeGreaterThanOrEqual(Math.floor(blocks / n));
      expect(size).toBeLessThanOrEqual(Math.ceil(blocks / n));
      if (r.end > r.start) nonEmpty++;
      next = r.end;
    }
    expect(next).toBe(samples);
    expect(nonEmpty).toBe(Math.min(n, blocks));
  });

  it("aligns shards to the GPU engine's reduction blocks, and checkpoint chunks too", async () => {
    expect(SHARD_ALIGN_SAMPLES).toBe(REDUCTION_BLOCK_SAMPLES);
    expect(SHARD_ALIGN_SAMPLES % 4).toBe(0);
    const sweep = buildPlan(await loadScenario(join(root, SWEEP)));
    const flagship = buildPlan(await loadScenario(join(root, FLAGSHIP)));
    for (const plan of [sweep, flagship]) expect(checkpointChunk(plan) % SHARD_ALIGN_SAMPLES).toBe(0);
  });
});

describe('part files', () => {
  it('carry non-finite numbers, -0 and typed arrays (dense and sparse) without a bit lost', () => {
    const sparse = new Float64Array(5000);
    sparse[17] = 3;
    sparse[4999] = 2 ** 40 + 1;
    const value = { a: [Infinity, -Infinity, NaN, -0, 0.1 + 0.2], f: Float32Array.of(1.5, -0), d: Float64Array.of(Math.PI, -0), sparse };
    const back = fromJsonValue(JSON.parse(JSON.stringify(toJsonValue(value)))) as typeof value;
    expect(back.a.map((x) => Object.is(x, -0) ? '-0' : String(x))).toEqual(['Infinity', '-Infinity', 'NaN', '-0', String(0.1 + 0.2)]);
    expect(Object.is(back.f[1], -0)).toBe(true);
    expect(back.d).toEqual(value.d);
    expect(back.sparse).toEqual(sparse);
  });
});

describe('summaries of histogram-mode sums', () => {
  it('give a constant metric sd 0 and its value as mean, whatever rounding noise the sums carry', () => {
    const p = emptyPartial(1, 1, 'hist', Float64Array.of(0.3));
    const x = 0.1 + 0.2; // 0.30000000000000004: x - shift is not 0
    p.count[0] = 1e6;
    p.sum[0] = 1e6 * (x - 0.3) * (1 - 1e-6);
    p.sumSq[0] = 1e6 * (x - 0.3) ** 2;
    p.min[0] = x;
    p.max[0] = x;
    const [s] = summarize(p, [{ lo: 0.25, hi: 0.5, log: true }]);
    expect(s!.stats.sd).toBe(0);
    expect(s!.stats.mean).toBe(x);
  });
});

const engines = testEngines('test/shard.test.ts', ['cpu1', 'gpu']);

/** A three-cell sweep of the flagship: several cells per GPU pass (a reduction per tile). */
const SWEEP3 = join(tmp, 'sweep3.yaml');
writeFileSync(SWEEP3, `extends: ${JSON.stringify(join(root, FLAGSHIP))}\nname: flagship, three batch sizes\nserving: { batch_size: { sweep: [16, 64, 256] } }\n`);

describe.each(engines)('shards merged on the %s engine', (name, make) => {
  /**
   * The CPU engine sums every sample in f64, so shards only regroup f64 additions (1e-12
   * relative, the bound). The GPU engine sums each reduction block in f32 and blocks in
   * f64; shard boundaries fall on blocks, so it too only regroups f64 additions of the same
   * values, by at most regroupingTolerance, which the test also checks is under 1e-12 relative.
   */
  const gpu = name === 'gpu';
  it.each([
    [FLAGSHIP, 'hist', 100_003],
    [FLAGSHIP, 'exact', 20_000],
    [SWEEP3, 'hist', 50_001],
    [SWEEP, 'hist', 2_000],
  ] as const)('%s (%s quantiles, %i samples): N = 1, 3, 7 and block-aligned chunks merge to the unsharded result', async (file, quantiles, samples) => {
    const engine: Engine | null = await make();
    if (!engine) return;
    try {
      const plan = buildPlan(await loadScenario(file.startsWith('/') ? file : join(root, file)), { samples });
      const whole = (await simulate(plan, engine, { quantiles })).result;
      const single = await runShard(plan, engine, { shard: { index: 0, count: 1 }, scenarioSha256: 'x', quantiles });
      // One shard is the unsharded run, to the bit.
      expectSameResult(resultOfPart(single), whole, 0);
      const run = async (n: number) => {
        const parts: { file: string; doc: PartDocument }[] = [];
        for (let k = n - 1; k >= 0; k--) {
          const doc = await runShard(plan, engine, { shard: { index: k, count: n }, scenarioSha256: 'x', quantiles });
          // Through the file format, as `cptsim merge` reads it.
          parts.push({ file: `part-${k}.json`, doc: parsePart(formatPart(doc), `part-${k}.json`) });
        }
        return mergeParts(parts);
      };
      // Shards, and (as a checkpointed run goes) chunks of whole blocks: 3 blocks and a bit,
      // which simulate rounds down to 3 blocks.
      const chunkSamples = 3 * REDUCTION_BLOCK_SAMPLES + 100;
      const chunked = async () => (await simulate(plan, engine, { quantiles, chunkSamples })).result;
      const cases: [number, () => Promise<RunResult>][] = [
        [1, () => run(1)],
        [3, () => run(3)],
        [7, () => run(7)],
      ];
      if (samples > chunkSamples) cases.push([Math.ceil(samples / (3 * REDUCTION_BLOCK_SAMPLES)), chunked]);
      for (const [n, merged] of cases) {
        if (!gpu) {
          expectSameResult(await merged(), whole, 1e-12);
          continue;
        }
        const terms = Math.ceil(samples / REDUCTION_BLOCK_SAMPLES);
        const tol = regroupingTolerance(single.partial!, terms, n);
        if (quantiles === 'hist') {
          // The derived bound is itself within the 1e-12 relative.
          whole.cells.forEach((cell, c) =>
            Object.entries(cell.metrics).forEach(([metric, s], m) => {
              for (const k of ['mean', 'sd', 'stderr'] as const) {
                expect(tol(c, m, k), `${metric}.${k}`).toBeLessThanOrEqual(1e-12 * Math.abs(s[k]));
              }
            }),
          );
        }
        expectSameResult(await merged(), whole, tol);
      }
    } finally {
      await engine.dispose();
    }
  }, 600_000);
});

describe('cptsim run --shard and cptsim merge', () => {
  const base = ['--backend', 'cpu', '--threads', '1', '--samples', '20000', '--quantiles', 'hist'];
  const part = (k: number, n: number, extra: string[] = []) => {
    const out = join(tmp, `p${k}of${n}${extra.join('')}.json`);
    const r = cptsim('run', FLAGSHIP, ...base, ...extra, '--shard', `${k}/${n}`, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return out;
  };
  const parts3 = () => [0, 1, 2].map((k) => part(k, 3));

  it('merges three parts to the result of the unsharded run', () => {
    const whole = cptsim('run', FLAGSHIP, ...base, '--format', 'json');
    expect(whole.code).toBe(0);
    const files = parts3();
    const merged = cptsim('merge', files[2]!, files[0]!, files[1]!, '--format', 'json');
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expectSameResult(JSON.parse(merged.stdout) as RunResult, JSON.parse(whole.stdout) as RunResult);
    const table = cptsim('merge', ...files);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('cost_per_mtok_output');
  });

  it('refuses a missing shard, naming it', () => {
    const files = parts3();
    const r = cptsim('merge', files[0]!, files[2]!);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing shard 1\/3/);
    expect(r.stdout).toBe('');
  });

  it('refuses a shard given twice, naming both files', () => {
    const files = parts3();
    const copy = join(tmp, 'copy-of-p0.json');
    writeFileSync(copy, readFileSync(files[0]!));
    const r = cptsim('merge', files[0]!, copy, files[1]!, files[2]!);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is shard 0/3 again');
    expect(r.stderr).toContain(copy);
    expect(r.stderr).toContain(files[0]!);
  });

  it('refuses parts of runs with another seed, another shard count or another quantile mode', () => {
    const files = parts3();
    const seeded = part(1, 3, ['--seed', 'other']);
    let r = cptsim('merge', files[0]!, seeded, files[2]!);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/seed: differs from/);
    const of2 = part(1, 2);
    r = cptsim('merge', files[0]!, of2, files[2]!);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shard\.count: differs from/);
    const exact = part(1, 3, ['--quantiles', 'exact']);
    r = cptsim('merge', files[0]!, exact, files[2]!);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/plan_sha256|quantiles/);
  });

  it('refuses files that are not parts, or were altered, naming the file and field', () => {
    const notJson = join(tmp, 'not.json');
    writeFileSync(notJson, 'hello');
    let r = cptsim('merge', notJson);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${notJson}: expected a cptsim part file`);
    const files = parts3();
    const doc = JSON.parse(readFileSync(files[1]!, 'utf8')) as { plan: { samples: number; name: string } };
    doc.plan.name = 'tampered';
    const tampered = join(tmp, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(doc));
    r = cptsim('merge', files[0]!, tampered, files[2]!);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${tampered}: plan: does not match plan_sha256`);
    r = cptsim('merge', join(tmp, 'nope.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nope.json: cannot read the file: ENOENT');
  });

  it('rejects a malformed --shard and a table format for a part', () => {
    for (const bad of ['3/3', '1', '-1/2', 'a/b', '0/0', '0/2000000']) {
      const r = cptsim('run', FLAGSHIP, ...base, '--shard', bad);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('expected k/N');
    }
    const r = cptsim('run', FLAGSHIP, ...base, '--shard', '0/2', '--format', 'table');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format');
  });
});

describe('cptsim run --checkpoint and --resume', () => {
  const args = ['--backend', 'cpu', '--threads', '1', '--samples', '3000000', '--quantiles', 'hist', '--format', 'json'];

  it('after SIGKILL, --resume ends with the result of an uninterrupted run', async () => {
    const ckpt = join(tmp, 'run.ckpt');
    const child = spawn(process.execPath, [cli, 'run', FLAGSHIP, ...args, '--checkpoint', ckpt, '--checkpoint-every', '0'], {
      cwd: root,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const t0 = Date.now();
    while (!existsSync(ckpt) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(ckpt), 'the checkpoint appeared').toBe(true);
    child.kill('SIGKILL');
    await exited;
    const state = parsePart(readFileSync(ckpt, 'utf8'), ckpt);
    expect(state.complete).toBe(false);
    expect(state.next).toBeGreaterThan(0);
    expect(state.next).toBeLessThan(3_000_000);

    // Without --resume an existing checkpoint is refused rather than overwritten.
    const refused = cptsim('run', FLAGSHIP, ...args, '--checkpoint', ckpt);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--resume');
    // Nor does merge take an unfinished checkpoint.
    const unfinished = cptsim('merge', ckpt);
    expect(unfinished.code).toBe(2);
    expect(unfinished.stderr).toContain('unfinished checkpoint');
    // A checkpoint of another run is refused.
    const other = cptsim('run', FLAGSHIP, ...args, '--seed', 'other', '--checkpoint', ckpt, '--resume');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`${ckpt}: plan_sha256: this checkpoint is of a different run`);

    const resumed = cptsim('run', FLAGSHIP, ...args, '--checkpoint', ckpt, '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming from');
    expect(existsSync(ckpt)).toBe(false);

    const fresh = join(tmp, 'fresh.ckpt');
    const uninterrupted = cptsim('run', FLAGSHIP, ...args, '--checkpoint', fresh, '--resume');
    expect(uninterrupted.code).toBe(0);
    const strip = (text: string) => {
      const r = JSON.parse(text) as Record<string, unknown>;
      delete r['elapsed_s'];
      delete r['samples_per_s'];
      return r;
    };
    expect(strip(resumed.stdout)).toEqual(strip(uninterrupted.stdout));
    // And both agree with a run without checkpoints: counts and quantiles exactly.
    const plain = cptsim('run', FLAGSHIP, ...args);
    expectSameResult(JSON.parse(resumed.stdout) as RunResult, JSON.parse(plain.stdout) as RunResult);
  });
});
