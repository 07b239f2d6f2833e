/**
 * Plans for the GPU engine's tests, built by hand (no scenario files): a Llama-3.1-70B-like
 * model on H100-like accelerators, with any input made uncertain or swept.
 */
import { BASE_MODEL_CONFIG, SLOT_DEFS, SLOT, METRICS, metricsFor, type ModelConfig, type MetricName, type SlotName } from '../src/model/index.js';
import type { Plan, PlanInput, SweepAxis } from '../src/plan/index.js';
import { keyFromSeed, streamId, type Dist } from '../src/sampling/index.js';

/**
 * A roofline, owned-hardware baseline. These are test inputs: they only have to be of realistic
 * size and exercise every branch. The architecture is Llama-3.1-70B's (80 layers, 64 heads, 8 KV
 * heads, head_dim 128: https://huggingface.co/meta-llama/Llama-3.1-70B/blob/main/config.json), the
 * accelerator H100 SXM's (80 GB HBM3, 3.35 TB/s, 1,979 dense FP8 TFLOPS, NVLink 900 GB/s both
 * directions on an 8-GPU board: NVIDIA H100 datasheet); the 50 GB/s NIC, the 10 us collective
 * latency, and the cost, power and serving figures are round assumptions.
 */
export const BASE: Record<SlotName, number> = Object.fromEntries(SLOT_DEFS.map((d) => [d.name, 0])) as Record<SlotName, number>;
Object.assign(BASE, {
  peak_tflops: 1979,
  hbm_gb: 80,
  hbm_tb_per_s: 3.35,
  it_power_kw_per_gpu: 1.275,
  scale_up_gb_per_s: 450,
  scale_up_domain: 8,
  scale_out_gb_per_s: 50,
  collective_latency_us: 10,
  params_total: 70.6e9,
  hidden: 8192,
  params_active: 70.6e9,
  layers: 80,
  heads: 64,
  kv_heads: 8,
  head_dim: 128,
  experts: 1,
  experts_per_token: 1,
  kv_lora_rank: 512,
  qk_rope_head_dim: 64,
  weight_bits: 8,
  kv_bits: 8,
  input_tokens: 2000,
  output_tokens: 500,
  prefix_cache_hit_rate: 0.2,
  gpus_per_replica: 8,
  batch_size: 64,
  utilization: 0.6,
  mfu_prefill: 0.5,
  mfu_decode: 0.4,
  mbu_decode: 0.7,
  step_overhead_ms: 2,
  hbm_usable_fraction: 0.9,
  comm_overlap: 0,
  expert_imbalance: 1.3,
  draft_tokens: 4,
  acceptance_rate: 0.7,
  draft_cost_ratio: 0.05,
  acceptance_p1: 0.9,
  acceptance_p2: 0.8,
  acceptance_p3: 0.7,
  acceptance_p4: 0.6,
  acceptance_p5: 0.5,
  acceptance_p6: 0.4,
  acceptance_p7: 0.3,
  acceptance_p8: 0.2,
  prefill_gpus: 4,
  disagg_mfu_prefill: 0.55,
  slo_min_tokens_per_s_per_user: 20,
  slo_max_ttft_s: 1,
  measured_output_tokens_per_s_per_gpu: 1500,
  measured_tokens_per_s_per_user: 40,
  measured_ttft_s: 0.4,
  capex_usd_per_gpu: 32000,
  life_years: 5,
  cost_of_capital: 0.1,
  residual_fraction: 0.1,
  maintenance_fraction_per_year: 0.03,
  opex_usd_per_gpu_year: 500,
  colocation_usd_per_kw_month: 180,
  facility_capex_usd_per_mw: 10e6,
  facility_life_years: 15,
  pue: 1.3,
  power_price_usd_per_kwh: 0.08,
  idle_power_fraction: 0.3,
  cloud_usd_per_gpu_hour: 2.5,
});

export const OWNED_ROOFLINE: ModelConfig = { ...BASE_MODEL_CONFIG, facility: 1 };

export interface PlanSpec {
  values?: Partial<Record<SlotName, number>>;
  dists?: Partial<Record<SlotName, Dist>>;
  sweeps?: { slot: SlotName; values: number[] }[];
  config?: Partial<ModelConfig>;
  metrics?: MetricName[];
  seed?: string;
}

export function makePlan(spec: PlanSpec = {}): Plan {
  const config = { ...OWNED_ROOFLINE, ...spec.config };
  const values = { ...BASE, ...spec.values };
  const axes: SweepAxis[] = (spec.sweeps ?? []).map((s) => ({
    path: SLOT_DEFS[SLOT[s.slot]]!.path,
    slot: SLOT[s.slot],
    values: s.values,
  }));
  const inputs: PlanInput[] = SLOT_DEFS.map((d, i) => {
    const axis = axes.findIndex((a) => a.slot === i);
    const dist: Dist =
      axis >= 0
        ? { kind: 'const', value: axes[axis]!.values[0]! }
        : (spec.dists?.[d.name] ?? { kind: 'const', value: values[d.name]! });
    return { slot: i, path: d.path, streamId: streamId(d.path), dist, sweepAxis: axis >= 0 ? axis : null, source: 'scenario' };
  });
  const seed = spec.seed ?? 'gpu-tests';
  return {
    name: 'gpu test plan',
    seed,
    key: keyFromSeed(seed),
    samples: 0,
    inputs,
    axes,
    config,
    metrics: spec.metrics ?? metricsFor(config),
  };
}

export const ALL_METRICS: readonly MetricName[] = METRICS;
