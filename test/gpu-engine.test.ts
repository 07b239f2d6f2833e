/**
 * The GPU engine (src/engine/gpu) end to end on a WebGPU adapter: the same partial sums as the CPU
 * engine's inner loop (runRange) sample for sample, independence from chunking and passes,
 * infeasible and SLO counting, progress, and failures that reject instead of returning data.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRange } from '../src/engine/cpu/index.js';
import { createGpuEngine, type GpuEngineOptions } from '../src/engine/gpu/index.js';
import { HIST_STRIDE, type HistSpec, type PartialSums } from '../src/aggregate/index.js';
import { REDUCTION_BLOCK_SAMPLES, type Engine, type RunRequest } from '../src/engine/index.js';
import { RuntimeError } from '../src/errors.js';
import type { Plan } from '../src/plan/index.js';
import { packageRoot } from '../src/paths.js';
import { testAdapter } from './gpu-device.js';
import { makePlan } from './gpu-plans.js';

let adapter: GPUAdapter | null = null;
const engines: Engine[] = [];

/** A new engine (each on a fresh adapter: an adapter opens one device only). */
async function engine(options: Omit<GpuEngineOptions, 'adapter'> = {}): Promise<Engine> {
  const e = await createGpuEngine(options);
  engines.push(e);
  return e;
}

beforeAll(async () => {
  adapter = await testAdapter('gpu-engine.test.ts');
});
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
});

/** Every distribution kind on an input it suits; a sweep whose cells all stay below the batch cap. */
function mixedPlan(): Plan {
  return makePlan({
    dists: {
      utilization: { kind: 'uniform', min: 0.4, max: 0.9 },
      step_overhead_ms: { kind: 'normal', mean: 2, sd: 0.5, min: 0.5, max: 4 },
      power_price_usd_per_kwh: { kind: 'lognormal', mu: Math.log(0.08), sigma: 0.3 },
      capex_usd_per_gpu: { kind: 'triangular', min: 28000, mode: 32000, max: 40000 },
      mbu_decode: { kind: 'pert', min: 0.55, mode: 0.7, max: 0.85 },
      prefix_cache_hit_rate: { kind: 'beta', alpha: 2, beta: 5, min: 0, max: 0.5 },
      gpus_per_replica: { kind: 'discrete', values: [4, 8], weights: [1, 3] },
      acceptance_rate: { kind: 'uniform', min: 0.6, max: 0.85 },
    },
    // batch_max is 530 at 4 GPUs (docs/model.md "Memory (per GPU)": (288e9 - 70.6e9) / (2500 * 163,840)), so no cell is capped.
    sweeps: [{ slot: 'batch_size', values: [16, 64, 256] }],
    config: { speculative: 1 },
  });
}

/**
 * Per sample, GPU (f32) and CPU (f64) values differ by the f32 rounding of the sampling
 * transforms and the model: about 1e-6 relative, within the 1e-4 of DESIGN.md. Both engines
 * draw the same u32 streams and every distribution is an inverse CDF of one uniform (the sampling
 * tests demand zero outright misses), and no sample of this plan sits on a discontinuity (the
 * batch is never capped, the discrete input is exact), so every sample must agree: measured on
 * 1.26 million samples (three ranges), none was off by more than 6e-7.
 */
const RELATIVE = 1e-4;

/** The per-sample relative f32 error of a metric that the bounds below build on (measured: 6e-7, see RELATIVE). */
const PER_SAMPLE = 1e-6;
/** The unit roundoff of f32. */
const F32_U = 2 ** -24;

function exactMisses(gpu: PartialSums, cpu: PartialSums): { misses: number; total: number } {
  let misses = 0;
  let total = 0;
  for (let c = 0; c < gpu.cells; c++) {
    const n = gpu.values![c * gpu.metrics]!.length;
    total += n;
    for (let s = 0; s < n; s++) {
      let bad = false;
      for (let m = 0; m < gpu.metrics; m++) {
        const g = gpu.values![c * gpu.metrics + m]![s]!;
        const w = cpu.values![c * gpu.metrics + m]![s]!;
        if (!(Math.abs(g - w) <= RELATIVE * Math.abs(w))) bad = true;
      }
      if (bad) misses++;
    }
  }
  return { misses, total };
}

describe('exact mode agrees with the CPU engine sample by sample', () => {
  it('on every distribution kind across sweep cells: same counts, values to 1e-4, sums to their derived bound', async (ctx) => {
    if (!adapter) return ctx.skip();
    const plan = mixedPlan();
    const req: RunRequest = { start: 6, count: 20001, mode: 'exact' };
    const gpu = await (await engine()).run(plan, req);
    const cpu = runRange(plan, req);
    expect(gpu.samples).toBe(req.count);
    expect(Array.from(gpu.infeasible)).toEqual(Array.from(cpu.infeasible));
    expect(Array.from(gpu.count)).toEqual(Array.from(cpu.count));
    for (let i = 0; i < gpu.values!.length; i++) expect(gpu.values![i]!.length).toBe(cpu.values![i]!.length);
    const { misses, total } = exactMisses(gpu, cpu);
    expect(total).toBe(3 * req.count);
    expect(misses).toBe(0);
    for (let i = 0; i < gpu.count.length; i++) {
      const n = cpu.count[i]!;
      const meanCpu = cpu.sum[i]! / n;
      // Mean: 1e-5 relative covers the per-sample f32 error (~1e-6) and the f32 workgroup sums
      // (a tree of 256 values per tile: ~8 roundings of 2^-24).
      const bound = 1e-5 * Math.abs(meanCpu);
      expect(Math.abs(gpu.sum[i]! / n - meanCpu)).toBeLessThanOrEqual(bound);
      expect(Math.abs(gpu.min[i]! - cpu.min[i]!)).toBeLessThanOrEqual(RELATIVE * Math.abs(cpu.min[i]!));
      expect(Math.abs(gpu.max[i]! - cpu.max[i]!)).toBeLessThanOrEqual(RELATIVE * Math.abs(cpu.max[i]!));
    }
  });
});

describe('hist mode agrees with the CPU engine', () => {
  it('puts the same samples in the same bins but for values on a bin edge, and sums about the given shift', async (ctx) => {
    if (!adapter) return ctx.skip();
    const plan = mixedPlan();
    const pilot = runRange(plan, { start: 0, count: 4000, mode: 'exact' });
    const pairs = pilot.count.length;
    // Log bins over twice the pilot's range, and shifts at the pilot's means.
    const hist: HistSpec[] = Array.from({ length: pairs }, (_, i) => ({ lo: pilot.min[i]! / 2, hi: pilot.max[i]! * 2, log: true }));
    const shift = Float64Array.from({ length: pairs }, (_, i) => pilot.sum[i]! / pilot.count[i]!);
    const req: RunRequest = { start: 0, count: 40000, mode: 'hist', hist, shift };
    const workgroupSize = 64;
    const gpu = await (await engine({ workgroupSize })).run(plan, req);
    const cpu = runRange(plan, req);
    expect(Array.from(gpu.shift)).toEqual(Array.from(shift));
    expect(Array.from(gpu.count)).toEqual(Array.from(cpu.count));
    for (let i = 0; i < pairs; i++) {
      const n = cpu.count[i]!;
      let l1 = 0;
      let total = 0;
      for (let b = 0; b < HIST_STRIDE; b++) {
        l1 += Math.abs(gpu.hist![i * HIST_STRIDE + b]! - cpu.hist![i * HIST_STRIDE + b]!);
        total += gpu.hist![i * HIST_STRIDE + b]!;
      }
      expect(total).toBe(n);
      // A value moves to a neighbouring bin when it lies within its f32 error (2e-6 relative,
      // 2e-6 * log2(e) octaves) of an edge: probability 2 * that / bin width per sample, and
      // each move counts twice in L1. No sample is off by more (see RELATIVE).
      const binOctaves = Math.log2(hist[i]!.hi / hist[i]!.lo) / 4096;
      const moveProbability = (2 * 2e-6 * Math.LOG2E) / binOctaves;
      expect(l1).toBeLessThanOrEqual(2 * 3 * moveProbability * n + 4);
      // Sums about the shift s. The kernel sums d = v - fround(s) in f32 and the host moves the
      // sums onto s exactly (layout.ts reshift), so against the CPU's f64 d = w - s each of the
      // n values carries the value's own error (|w| PER_SAMPLE, |w| <= |s| + |d|) and one
      // rounding of the subtraction (u |d|), then the f32 sum of its workgroup's block: a
      // 4-lane dot product (3 additions), REDUCTION_BLOCK_SAMPLES / 4 / workgroupSize tiles added
      // in turn, a tree over the workgroup's log2(workgroupSize) levels: at most `depth`
      // roundings of u, each at most u times the sum of |d| (the host's f64 sums add ~1e-16).
      // With sum |d| <= n rms (Cauchy-Schwarz; rms the root mean square of d, from the CPU):
      //   |mean error| <= PER_SAMPLE (|s| + rms) + (depth + 1) u rms.
      // The squares: d^2 moves by 2 |d| (|w| PER_SAMPLE + u |d|) and one rounding of the
      // product (u d^2), then the same sum, so with sum |d||w| <= |s| n rms + sum d^2:
      //   |sumSq error| <= (2 PER_SAMPLE + (depth + 3) u) sumSq + 2 PER_SAMPLE |s| n rms.
      const depth = 3 + REDUCTION_BLOCK_SAMPLES / 4 / workgroupSize + Math.log2(workgroupSize);
      const s = Math.abs(shift[i]!);
      const rms = Math.sqrt(cpu.sumSq[i]! / n);
      expect(Math.abs(gpu.sum[i]! / n - cpu.sum[i]! / n)).toBeLessThanOrEqual(PER_SAMPLE * (s + rms) + (depth + 1) * F32_U * rms);
      expect(Math.abs(gpu.sumSq[i]! - cpu.sumSq[i]!)).toBeLessThanOrEqual(
        (2 * PER_SAMPLE + (depth + 3) * F32_U) * cpu.sumSq[i]! + 2 * PER_SAMPLE * s * n * rms,
      );
    }
  });
});

describe('results do not depend on chunking or passes', () => {
  const plan = () => mixedPlan();
  const variants: [string, Omit<GpuEngineOptions, 'adapter'>][] = [
    ['3 quads per chunk', { chunkQuads: 3 }],
    ['1000 quads per chunk, one cell per pass', { chunkQuads: 1000, maxCellsPerPass: 1 }],
    ['128-invocation workgroups, histograms read back every 5000 samples', { workgroupSize: 128, histFlushSamples: 5000 }],
    ['one copy of each histogram', { histCopies: 1 }],
    ['two copies of each histogram, chunks of two blocks', { histCopies: 2, chunkQuads: 2048 }],
  ];

  it('gives the same exact values bit for bit, whatever the chunk size, passes and workgroup size', async (ctx) => {
    if (!adapter) return ctx.skip();
    const req: RunRequest = { start: 13, count: 9001, mode: 'exact' };
    const ref = await (await engine()).run(plan(), req);
    for (const [name, opts] of variants) {
      const p = await (await engine(opts)).run(plan(), req);
      expect(Array.from(p.infeasible), name).toEqual(Array.from(ref.infeasible));
      p.values!.forEach((v, i) => expect(Buffer.from(v.buffer).equals(Buffer.from(ref.values![i]!.buffer)), `${name} pair ${i}`).toBe(true));
    }
  });

  it('gives the same histograms, counts, min and max exactly, and sums within f32 summation error', async (ctx) => {
    if (!adapter) return ctx.skip();
    const p0 = plan();
    const pilot = runRange(p0, { start: 0, count: 2000, mode: 'exact' });
    const hist = Array.from({ length: pilot.count.length }, (_, i) => ({ lo: pilot.min[i]! * 0.9, hi: pilot.max[i]! * 1.1, log: false }));
    const req: RunRequest = { start: 2, count: 30003, mode: 'hist', hist };
    const ref = await (await engine()).run(p0, req);
    for (const [name, opts] of variants) {
      const p = await (await engine(opts)).run(p0, req);
      expect(Array.from(p.hist!), name).toEqual(Array.from(ref.hist!));
      expect(Array.from(p.count), name).toEqual(Array.from(ref.count));
      expect(Array.from(p.min), name).toEqual(Array.from(ref.min));
      expect(Array.from(p.max), name).toEqual(Array.from(ref.max));
      for (let i = 0; i < p.sum.length; i++) {
        // Different f32 summation orders: each partial sum of <= 4 * 128 values carries ~9
        // roundings of 2^-24 of its magnitude; 1e-6 of the total is a safe envelope.
        expect(Math.abs(p.sum[i]! - ref.sum[i]!), `${name} sum ${i}`).toBeLessThanOrEqual(1e-6 * Math.abs(ref.sum[i]!));
        expect(Math.abs(p.sumSq[i]! - ref.sumSq[i]!), `${name} sumSq ${i}`).toBeLessThanOrEqual(1e-6 * ref.sumSq[i]!);
      }
    }
  });

  it('runs a sample range that starts and ends inside a quad as the matching slice of a longer run', async (ctx) => {
    if (!adapter) return ctx.skip();
    const e = await engine({ chunkQuads: 5 });
    const whole = await e.run(plan(), { start: 0, count: 400, mode: 'exact' });
    const part = await e.run(plan(), { start: 7, count: 301, mode: 'exact' });
    expect(Array.from(whole.infeasible)).toEqual([0, 0, 0]);
    part.values!.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(whole.values![i]!.subarray(7, 308))));
  });
});

describe('infeasible samples are counted and left out of every metric', () => {
  it('counts the fraction of samples whose KV cache does not fit, as the closed form predicts', async (ctx) => {
    if (!adapter) return ctx.skip();
    // Feasible iff hbm_usable_fraction >= t = (weight_bytes + (I + O) kv_bytes_per_token) / (g hbm_gb 1e9)
    // (docs/model.md "Memory (per GPU)"): weight 70.6e9 B, KV 2*80*8*128*1 B = 163,840 B/token, I + O = 2500, g 8.
    const t = (70.6e9 + 2500 * 163840) / (8 * 80e9);
    const [a, b] = [0.1, 0.12];
    const plan = makePlan({
      dists: { hbm_usable_fraction: { kind: 'uniform', min: a, max: b } },
      sweeps: [{ slot: 'hbm_gb', values: [8, 80, 141] }],
    });
    const n = 40000;
    const gpu = await (await engine()).run(plan, { start: 0, count: n, mode: 'hist', hist: Array.from({ length: 3 * plan.metrics.length }, () => ({ lo: 1e-6, hi: 1e9, log: true })) });
    const cpu = runRange(plan, { start: 0, count: n, mode: 'exact' });
    // 8 GB GPUs never hold the weights; 141 GB ones always do (t = 0.063 < a).
    expect(gpu.infeasible[0]).toBe(n);
    expect(gpu.infeasible[2]).toBe(0);
    const p = (t - a) / (b - a);
    // Binomial: 4 standard deviations of the observed fraction.
    expect(Math.abs(gpu.infeasible[1]! / n - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / n));
    // Against the CPU: only samples within f32 rounding (~1e-7 relative) of t may differ.
    expect(Math.abs(gpu.infeasible[1]! - cpu.infeasible[1]!)).toBeLessThanOrEqual(2);
    for (let c = 0; c < 3; c++) {
      for (let m = 0; m < plan.metrics.length; m++) {
        const i = c * plan.metrics.length + m;
        expect(gpu.count[i]).toBe(n - gpu.infeasible[c]!);
        if (c === 0) {
          expect(gpu.min[i]).toBe(Infinity);
          expect(gpu.sum[i]).toBe(0);
        }
      }
    }
  });

  it('counts SLO misses among feasible samples like the CPU engine', async (ctx) => {
    if (!adapter) return ctx.skip();
    const plan = makePlan({
      dists: { mfu_prefill: { kind: 'uniform', min: 0.05, max: 0.6 }, mbu_decode: { kind: 'uniform', min: 0.3, max: 0.9 } },
      values: { slo_max_ttft_s: 0.06, slo_min_tokens_per_s_per_user: 45 },
      config: { sloTtft: 1, sloTokensPerSPerUser: 1 },
    });
    const n = 20000;
    const gpu = await (await engine()).run(plan, { start: 0, count: n, mode: 'exact' });
    const cpu = runRange(plan, { start: 0, count: n, mode: 'exact' });
    expect(cpu.sloMiss[0]).toBeGreaterThan(0.05 * n);
    expect(cpu.sloMiss[0]).toBeLessThan(0.95 * n);
    // Only a sample within f32 rounding of a threshold can flip: expected count << 1.
    expect(Math.abs(gpu.sloMiss[0]! - cpu.sloMiss[0]!)).toBeLessThanOrEqual(2);
  });
});

describe('progress', () => {
  it('reports increasing sample counts between chunks, ending at the request count', async (ctx) => {
    if (!adapter) return ctx.skip();
    const seen: number[] = [];
    const plan = makePlan({ dists: { pue: { kind: 'uniform', min: 1.1, max: 1.5 } }, sweeps: [{ slot: 'batch_size', values: [8, 32] }] });
    await (await engine({ chunkQuads: 256, maxCellsPerPass: 1 })).run(plan, {
      start: 0,
      count: 10000,
      mode: 'exact',
      onProgress: (d) => seen.push(d),
    });
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.every((d, i) => i === 0 || d >= seen[i - 1]!)).toBe(true);
    expect(seen[seen.length - 1]).toBe(10000);
  });
});

describe('failures reject with RuntimeError (CPTSIM_GPU_FAULT testing aid)', () => {
  const withFault = async <T>(fault: string, f: () => Promise<T>): Promise<T> => {
    process.env.CPTSIM_GPU_FAULT = fault;
    try {
      return await f();
    } finally {
      delete process.env.CPTSIM_GPU_FAULT;
    }
  };

  it('a device lost mid-run rejects that run and every later one, and returns no PartialSums', async (ctx) => {
    if (!adapter) return ctx.skip();
    const e = await withFault('device-lost', () => engine({ chunkQuads: 64 }));
    const plan = mixedPlan();
    await expect(e.run(plan, { start: 0, count: 100000, mode: 'hist', hist: Array.from({ length: 3 * plan.metrics.length }, () => ({ lo: 1e-6, hi: 1e9, log: true })) })).rejects.toThrow(RuntimeError);
    await expect(e.run(plan, { start: 0, count: 100, mode: 'exact' })).rejects.toThrow(/lost/);
  });

  it('a kernel that fails to compile makes createGpuEngine reject', async (ctx) => {
    if (!adapter) return ctx.skip();
    await expect(withFault('shader', () => createGpuEngine())).rejects.toThrow(RuntimeError);
  });

  it('a disposed engine refuses to run', async (ctx) => {
    if (!adapter) return ctx.skip();
    const e = await createGpuEngine();
    await e.dispose();
    await expect(e.run(mixedPlan(), { start: 0, count: 10, mode: 'exact' })).rejects.toThrow(/disposed/);
  });
});

describe('dispose releases the device', () => {
  it('lets a node process that ran and disposed an engine exit by itself', (ctx) => {
    if (!adapter) return ctx.skip();
    // Runs the built package (dist/), which Node 20 can load without a TypeScript loader.
    const root = packageRoot();
    // dist/ must be at least as new as every source file it is built from; a stale build is a
    // visible skip, and a failure where the GPU tests are required (`npm test` builds first).
    const built = join(root, 'dist', 'src', 'engine', 'gpu', 'engine.js');
    const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const newestSource = Math.max(...sources.map((f) => statSync(join(root, 'src', f)).mtimeMs));
    if (!existsSync(built) || statSync(built).mtimeMs < newestSource) {
      const why = 'dist/ is missing or older than src/ (run `npm run build`)';
      if (process.env.CPTSIM_REQUIRE_GPU === '1') throw new Error(`dispose/exit check: ${why}`);
      console.warn(`SKIPPED dispose/exit check: ${why}`);
      return ctx.skip();
    }
    const script = `
      import { createGpuEngine } from './dist/src/engine/gpu/index.js';
      const e = await createGpuEngine();
      const plan = ${JSON.stringify(mixedPlan())};
      const p = await e.run(plan, { start: 0, count: 1000, mode: 'exact' });
      await e.dispose();
      console.log('ran', p.samples);
    `;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, timeout: 60_000, encoding: 'utf8' });
    expect(r.stdout).toContain('ran 1000');
    expect(r.status).toBe(0);
    // It exits on its own, well before the spawn timeout would kill it.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
