/**
 * shaders/model.wgsl against the CPU reference `evaluate` (src/model/evaluate.ts), sample by sample:
 * thousands of seeded random input vectors spread over every configuration branch, evaluated by a
 * one-invocation-per-case harness kernel in f32 and by the CPU model in f64 on the same
 * (f32-rounded) inputs.
 */
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dawnGlobals } from '../src/engine/gpu/device.js';
import { composeShaders } from '../src/engine/gpu/shaders.js';
import {
  CONFIG_FIELDS,
  FEASIBLE,
  METRIC,
  METRICS,
  METRIC_COUNT,
  SLOT,
  SLOT_COUNT,
  SLO_MISS,
  evaluate,
  type ModelConfig,
  type SlotName,
} from '../src/model/index.js';
import { testAdapter } from './gpu-device.js';
import { BASE } from './gpu-plans.js';

const HARNESS = /* wgsl */ `
// One model evaluation per invocation: case i reads its config and inputs, writes its metrics
// and flags (as f32 bits) to outs[i * (N_METRICS + 1) ..].
var<private> model_cfg: ModelConfig;
@group(0) @binding(0) var<storage, read> cfgs: array<ModelConfig>;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> outs: array<f32>;

@compute @workgroup_size(64)
fn harness_main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= arrayLength(&cfgs)) {
    return;
  }
  model_cfg = cfgs[i];
  var x: array<f32, N_SLOTS>;
  for (var s = 0u; s < N_SLOTS; s++) {
    x[s] = xs[i * N_SLOTS + s];
  }
  var out: array<f32, N_METRICS>;
  let flags = model_eval(&x, &out);
  for (var m = 0u; m < N_METRICS; m++) {
    outs[i * (N_METRICS + 1u) + m] = out[m];
  }
  outs[i * (N_METRICS + 1u) + N_METRICS] = bitcast<f32>(flags);
}
`;

interface Case {
  config: ModelConfig;
  x: Float64Array;
}

/** Random cases over every branch; inputs rounded to f32 so both engines see the same numbers. */
function randomCases(n: number, seed: string): Case[] {
  const rng = seedrandom(seed);
  const uni = (a: number, b: number) => a + (b - a) * rng();
  const logUni = (a: number, b: number) => Math.exp(uni(Math.log(a), Math.log(b)));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
  const int = (a: number, b: number) => a + Math.floor(rng() * (b - a + 1));
  const cases: Case[] = [];
  for (let i = 0; i < n; i++) {
    const config = Object.fromEntries(CONFIG_FIELDS.map((f) => [f, 0])) as unknown as ModelConfig;
    config.throughput = pick([0, 0, 0, 1] as const);
    config.pricing = pick([0, 0, 1] as const);
    config.attention = pick([0, 1] as const);
    config.facility = pick([0, 1, 2] as const);
    config.speculative = pick([0, 1, 2] as const);
    config.disaggregated = pick([0, 1] as const);
    config.sloTokensPerSPerUser = pick([0, 1] as const);
    config.sloTtft = pick([0, 1] as const);
    config.measuredUserRate = pick([0, 1] as const);
    config.measuredTtft = pick([0, 1] as const);
    config.attentionPeak = pick([0, 1] as const);
    config.kvOffload = pick([0, 1] as const);
    config.billing = pick([0, 1] as const);

    const v: Record<SlotName, number> = { ...BASE };
    v.peak_tflops = logUni(100, 5000);
    v.hbm_gb = pick([24, 48, 80, 96, 141, 192, 288]);
    v.hbm_tb_per_s = uni(0.5, 8);
    v.it_power_kw_per_gpu = uni(0.3, 2.5);
    v.params_total = logUni(1e9, 1e12);
    if (rng() < 0.5) {
      v.experts = 1;
      v.params_active = v.params_total;
    } else {
      v.experts = pick([8, 16, 64, 128, 256]);
      v.experts_per_token = pick([1, 2, 4, 8].filter((k) => k < v.experts));
      const shared = uni(0.02, 0.3) * v.params_total;
      v.params_active = shared + (v.experts_per_token * (v.params_total - shared)) / v.experts;
    }
    v.layers = int(16, 128);
    v.heads = pick([32, 64, 96, 128]);
    v.kv_heads = pick([1, 4, 8, 16]);
    v.head_dim = pick([64, 128, 192]);
    v.kv_lora_rank = pick([256, 512]);
    v.qk_rope_head_dim = 64;
    v.weight_bits = pick([4, 8, 16]);
    v.kv_bits = pick([4, 8, 16]);
    v.input_tokens = Math.round(logUni(100, 100000));
    v.output_tokens = Math.round(logUni(50, 10000));
    v.prefix_cache_hit_rate = uni(0, 0.9);
    v.offload_hit_rate = uni(0, 0.95) * (1 - v.prefix_cache_hit_rate);
    v.offload_gb_per_s = logUni(10, 1000);
    v.offload_capacity_gb = uni(0, 2000);
    v.offload_capex_usd_per_gb = uni(1, 10);
    v.gpus_per_replica = pick([1, 2, 4, 8, 16, 32, 72]);
    // A layout that divides the replica: the engines' default (0s), a given tp, or given
    // data-parallel attention ranks; experts over the default (0) or a given ep.
    const g = v.gpus_per_replica;
    const divisors = Array.from({ length: g }, (_, j) => j + 1).filter((d) => g % d === 0);
    const layout = pick(['default', 'tp', 'dp'] as const);
    v.tp = layout === 'tp' ? pick(divisors) : 0;
    v.dp_attention = layout === 'dp' ? pick(divisors) : 0;
    v.ep = rng() < 0.5 ? 0 : pick(divisors);
    v.hidden = pick([4096, 7168, 8192, 16384]);
    v.comm_overlap = uni(0, 0.9);
    v.expert_imbalance = uni(1, 2);
    // Single-GPU replicas leave the interconnect at 0 sometimes, as a scenario does (nothing to send).
    const noLinks = g === 1 && rng() < 0.5;
    v.scale_up_gb_per_s = noLinks ? 0 : pick([64, 448, 450, 900]);
    v.scale_up_domain = noLinks ? 0 : pick([4, 8, 72]);
    v.scale_out_gb_per_s = noLinks ? 0 : pick([25, 50, 100]);
    v.collective_latency_us = noLinks ? 0 : uni(1, 30);
    v.attention_tflops = logUni(100, 2500);
    v.batch_size = logUni(1, 2048);
    v.utilization = uni(0.1, 1);
    v.mfu_prefill = uni(0.1, 0.9);
    v.mfu_decode = uni(0.1, 0.9);
    v.mbu_decode = uni(0.1, 0.9);
    v.step_overhead_ms = uni(0, 10);
    v.host_overhead_us_per_seq = rng() < 0.3 ? 0 : uni(0, 100);
    v.hbm_usable_fraction = uni(0.8, 0.95);
    // Integers, some beyond MAX_DRAFT_TOKENS (clamped) and 0 (no speculation).
    v.draft_tokens = int(0, 10);
    v.acceptance_rate = rng() < 0.1 ? 1 : uni(0.3, 1);
    v.draft_cost_ratio = uni(0, 0.2);
    for (let j = 1; j <= 8; j++) v[`acceptance_p${j}` as SlotName] = uni(0.2, 1);
    v.prefill_gpus = int(1, 16);
    v.disagg_mfu_prefill = uni(0.2, 0.7);
    v.slo_min_tokens_per_s_per_user = logUni(5, 100);
    v.slo_max_ttft_s = logUni(0.1, 10);
    v.measured_output_tokens_per_s_per_gpu = logUni(100, 10000);
    v.measured_tokens_per_s_per_user = logUni(5, 200);
    v.measured_ttft_s = logUni(0.05, 5);
    v.capex_usd_per_gpu = uni(5000, 60000);
    v.life_years = uni(2, 8);
    // Zero, tiny (the 1/n branch and its neighbour) and ordinary costs of capital.
    v.cost_of_capital = pick([0, 1e-7, 1e-4, 1e-3, uni(0.01, 0.2), uni(0.01, 0.2)]);
    v.residual_fraction = uni(0, 0.3);
    v.maintenance_fraction_per_year = uni(0, 0.1);
    v.opex_usd_per_gpu_year = uni(0, 5000);
    v.colocation_usd_per_kw_month = uni(50, 300);
    v.facility_capex_usd_per_mw = uni(5e6, 20e6);
    v.facility_life_years = uni(10, 25);
    v.pue = uni(1.05, 1.6);
    v.power_price_usd_per_kwh = uni(0.02, 0.3);
    v.idle_power_fraction = uni(0.1, 0.5);
    v.cloud_usd_per_gpu_hour = uni(0.5, 10);
    v.autoscaling_efficiency = uni(0.3, 1);

    const x = new Float64Array(SLOT_COUNT);
    for (const [name, value] of Object.entries(v)) x[SLOT[name as SlotName]] = Math.fround(value);
    cases.push({ config, x });
  }
  return cases;
}

/**
 * Cases that sit on a discontinuity of the model, where f32 and f64 may land on different sides:
 * - batch_max = floor(R), R = (usable - weight) / kv_bytes_per_sequence, decides feasibility
 *   (R >= 1) and, when the batch is capped (batch_size > R - 1), batch_effective. R's f32 error
 *   is a few ulps of each operand: about 1e-6 relative to (usable + weight) / kv bytes (the
 *   subtraction cancels). A case is exempt when R is within 1e-5 of that scale of 1, or of any
 *   integer when the cap is active.
 * - SLO checks: exempt when the checked latency is within the metric tolerance (1e-4 relative)
 *   of its threshold.
 * Draft-token counts are integers in these cases, so floor(draft_tokens) is exact in both.
 */
function nearDiscontinuity(c: Case, out: Float64Array): boolean {
  const x = c.x;
  if (c.config.throughput === 0) {
    const g = x[SLOT.gpus_per_replica]!;
    const bk = x[SLOT.kv_bits]! / 8;
    const mla = c.config.attention === 1;
    const kvBytes = !mla
      ? 2 * x[SLOT.layers]! * x[SLOT.kv_heads]! * x[SLOT.head_dim]! * bk
      : x[SLOT.layers]! * (x[SLOT.kv_lora_rank]! + x[SLOT.qk_rope_head_dim]!) * bk;
    const tpGiven = x[SLOT.tp]!;
    const dpGiven = x[SLOT.dp_attention]!;
    const tp = tpGiven > 0 ? tpGiven : dpGiven > 0 ? g / dpGiven : mla ? 1 : g;
    const dp = g / tp;
    const replication = !mla ? Math.max(1, tp / x[SLOT.kv_heads]!) : tp;
    const e = x[SLOT.experts]!;
    const k = x[SLOT.experts_per_token]!;
    const total = x[SLOT.params_total]!;
    const shared = e > 1 ? (e * x[SLOT.params_active]! - k * total) / (e - k) : total;
    const usable = x[SLOT.hbm_gb]! * 1e9 * x[SLOT.hbm_usable_fraction]!;
    const weight = (x[SLOT.weight_bits]! / 8) * (shared / tp + (total - shared) / g);
    const den = ((x[SLOT.input_tokens]! + x[SLOT.output_tokens]!) * kvBytes * replication) / tp;
    // batch_max = dp * floor(r): feasible when r >= 1, capped when batch_size > dp * (r - 1).
    const r = (usable - weight) / den;
    const scale = (usable + weight) / den;
    const tol = 1e-5 * scale;
    if (Math.abs(r - 1) <= tol) return true;
    const capped = x[SLOT.batch_size]! > dp * (r - 1);
    if (r >= 1 && capped && Math.abs(r - Math.round(r)) <= tol) return true;
  }
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.abs(b);
  if (c.config.sloTokensPerSPerUser && near(out[METRIC.tokens_per_s_per_user]!, x[SLOT.slo_min_tokens_per_s_per_user]!)) return true;
  if (c.config.sloTtft && near(out[METRIC.ttft_s]!, x[SLOT.slo_max_ttft_s]!)) return true;
  return false;
}

/** The communication branches a roofline case takes (docs/model.md "Communication"). */
function layoutBranches(c: Case): string[] {
  if (c.config.throughput !== 0) return [];
  const x = c.x;
  const g = x[SLOT.gpus_per_replica]!;
  const tpGiven = x[SLOT.tp]!;
  const dpGiven = x[SLOT.dp_attention]!;
  const tp = tpGiven > 0 ? tpGiven : dpGiven > 0 ? g / dpGiven : c.config.attention === 1 ? 1 : g;
  const moe = x[SLOT.experts]! > 1;
  const ep = moe ? (x[SLOT.ep]! > 0 ? x[SLOT.ep]! : g) : 1;
  const out: string[] = [];
  if (tp > 1) out.push('tp > 1');
  if (ep > 1) out.push(ep <= x[SLOT.scale_up_domain]! ? 'all-to-all inside' : 'all-to-all across');
  if (moe && ep < g) out.push('expert slices');
  if (g === 1 && x[SLOT.scale_up_gb_per_s]! === 0) out.push('no links');
  return out;
}

describe('model.wgsl model_eval agrees with the CPU model evaluate()', () => {
  let adapter: GPUAdapter | null = null;
  let device: GPUDevice | null = null;

  beforeAll(async () => {
    adapter = await testAdapter('gpu-model.test.ts');
    if (adapter) device = await adapter.requestDevice();
  });
  afterAll(() => {
    device?.destroy();
    device = null;
  });

  async function runHarness(cases: Case[]): Promise<Float32Array> {
    const d = device!;
    const U = dawnGlobals.GPUBufferUsage;
    const module = d.createShaderModule({ code: composeShaders(['model.wgsl']) + HARNESS });
    const pipeline = await d.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'harness_main' } });
    const cfgWords = new Uint32Array(cases.length * CONFIG_FIELDS.length);
    const xs = new Float32Array(cases.length * SLOT_COUNT);
    cases.forEach((c, i) => {
      CONFIG_FIELDS.forEach((f, k) => {
        cfgWords[i * CONFIG_FIELDS.length + k] = c.config[f];
      });
      xs.set(c.x, i * SLOT_COUNT);
    });
    const outBytes = cases.length * (METRIC_COUNT + 1) * 4;
    const upload = (data: Float32Array | Uint32Array) => {
      const b = d.createBuffer({ size: data.byteLength, usage: U.STORAGE | U.COPY_DST });
      d.queue.writeBuffer(b, 0, data);
      return b;
    };
    const cfgBuf = upload(cfgWords);
    const xBuf = upload(xs);
    const outBuf = d.createBuffer({ size: outBytes, usage: U.STORAGE | U.COPY_SRC });
    const read = d.createBuffer({ size: outBytes, usage: U.MAP_READ | U.COPY_DST });
    const bind = d.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [cfgBuf, xBuf, outBuf].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.ceil(cases.length / 64));
    pass.end();
    enc.copyBufferToBuffer(outBuf, 0, read, 0, outBytes);
    d.queue.submit([enc.finish()]);
    await read.mapAsync(dawnGlobals.GPUMapMode.READ);
    const out = new Float32Array(read.getMappedRange().slice(0));
    read.unmap();
    return out;
  }

  it('gives the same flags and every metric to 1e-4 relative on 4000 random cases, except cases on a discontinuity', async (ctx) => {
    if (!device) return ctx.skip();
    const cases = randomCases(4000, 'model-wgsl-parity');
    const gpu = await runHarness(cases);
    const gpuFlags = new Uint32Array(gpu.buffer);
    const cpuOut = new Float64Array(METRIC_COUNT);
    const failures: string[] = [];
    let exempt = 0;
    let feasible = 0;
    const covered = new Map<string, number>();
    cases.forEach((c, i) => {
      const flags = evaluate(c.x, c.config, cpuOut);
      const base = i * (METRIC_COUNT + 1);
      if (nearDiscontinuity(c, cpuOut)) {
        exempt++;
        return;
      }
      const gFlags = gpuFlags[base + METRIC_COUNT]!;
      if (gFlags !== flags) {
        failures.push(`case ${i}: flags gpu ${gFlags} cpu ${flags}`);
        return;
      }
      if ((flags & FEASIBLE) === 0) return;
      feasible++;
      for (const f of CONFIG_FIELDS) covered.set(`${f}=${c.config[f]}`, (covered.get(`${f}=${c.config[f]}`) ?? 0) + 1);
      if (flags & SLO_MISS) covered.set('slo miss', (covered.get('slo miss') ?? 0) + 1);
      for (const branch of layoutBranches(c)) covered.set(branch, (covered.get(branch) ?? 0) + 1);
      METRICS.forEach((name, m) => {
        const want = cpuOut[m]!;
        const got = gpu[base + m]!;
        // f32 against f64: a chain of ~30 roundings of 2^-24 each stays well inside 1e-4.
        if (!(Math.abs(got - want) <= 1e-4 * Math.abs(want))) {
          failures.push(`case ${i} ${JSON.stringify(c.config)}: ${name} gpu ${got} cpu ${want}`);
        }
      });
    });
    expect(failures.slice(0, 10)).toEqual([]);
    // The exemption is narrow: a band of 2e-5 x scale around integers, hit by a capped case with
    // probability ~2e-5 x scale (scale / R is 1..10 here): well under 1% of cases.
    expect(exempt).toBeLessThan(cases.length * 0.01);
    // Every branch of every config field is exercised by feasible cases, and SLO misses occur.
    for (const f of CONFIG_FIELDS) {
      const values = f === 'facility' || f === 'speculative' ? [0, 1, 2] : [0, 1];
      for (const v of values) expect(covered.get(`${f}=${v}`) ?? 0, `${f}=${v}`).toBeGreaterThan(50);
    }
    expect(covered.get('slo miss') ?? 0).toBeGreaterThan(50);
    // And every communication branch: tensor parallel, all-to-all inside and across the scale-up
    // domain, expert slicing (ep < g), and single GPUs without links.
    for (const branch of ['tp > 1', 'all-to-all inside', 'all-to-all across', 'expert slices', 'no links']) {
      expect(covered.get(branch) ?? 0, branch).toBeGreaterThan(20);
    }
    // Infeasible cases occur too (big models on few small GPUs).
    expect(feasible).toBeLessThan(cases.length - exempt);
  });

  it('reproduces docs/model.md worked numbers: 8 H100-like GPUs at $1.30/GPU-hour and 1000 tokens/s cost $0.3611 per Mtok', async (ctx) => {
    if (!device) return ctx.skip();
    // Measured mode, cloud pricing, u = 1: cost_per_mtok_output = 1.30 / 3.6 (docs/model.md "Metrics").
    const x = new Float64Array(SLOT_COUNT);
    for (const [name, value] of Object.entries(BASE)) x[SLOT[name as SlotName]] = Math.fround(value);
    x[SLOT.utilization] = 1;
    x[SLOT.cloud_usd_per_gpu_hour] = Math.fround(1.3);
    x[SLOT.measured_output_tokens_per_s_per_gpu] = 1000;
    const config: ModelConfig = { throughput: 1, pricing: 1, attention: 0, facility: 0, speculative: 0, disaggregated: 0, sloTokensPerSPerUser: 0, sloTtft: 0, measuredUserRate: 0, measuredTtft: 0, attentionPeak: 0, kvOffload: 0, billing: 0 };
    const out = await runHarness([{ config, x }]);
    // Relative 1e-6: three f32 operations on an f32-rounded price.
    expect(Math.abs(out[METRIC.cost_per_mtok_output]! - 1.3 / 3.6)).toBeLessThan(1e-6 * (1.3 / 3.6));
    expect(new Uint32Array(out.buffer)[METRIC_COUNT]).toBe(FEASIBLE);
  });
});
