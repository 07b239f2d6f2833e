/**
 * Shared inputs for the model tests: a model input vector built from named values, and two
 * reference deployments whose numbers come from published sources (cited per value).
 */
import { BASE_MODEL_CONFIG, METRIC, METRIC_COUNT, SLOT, SLOT_COUNT, evaluate } from '../src/model/index.js';
import type { MetricName, ModelConfig, SlotName } from '../src/model/index.js';

export type Inputs = Partial<Record<SlotName, number>>;

/** The model's input vector with the given values; every other slot is 0. */
export function vector(values: Inputs): Float64Array {
  const x = new Float64Array(SLOT_COUNT);
  for (const [name, value] of Object.entries(values)) x[SLOT[name as SlotName]] = value ?? 0;
  return x;
}

/** Roofline throughput, owned GPUs, GQA, no facility, no speculation, colocated, no SLO. */
export const BASE_CONFIG: ModelConfig = { ...BASE_MODEL_CONFIG };

export function config(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return { ...BASE_CONFIG, ...overrides };
}

/**
 * NVIDIA H100 SXM5: FP8 3958 TFLOP/s with sparsity, so 1979 dense; 80 GB HBM3 at 3.35 TB/s;
 * NVLink 900 GB/s both ways, 450 each way, 8 GPUs per HGX board; one 400 Gb/s NIC per GPU
 * (NVIDIA H100 Tensor Core GPU datasheet, https://www.nvidia.com/en-us/data-center/h100/).
 * it_power 1.4 kW per GPU and a collective latency of 10 us are this test's own assumptions, not
 * published figures.
 */
export const H100_FP8: Inputs = {
  peak_tflops: 3958 / 2,
  hbm_gb: 80,
  hbm_tb_per_s: 3.35,
  it_power_kw_per_gpu: 1.4,
  scale_up_gb_per_s: 450,
  scale_up_domain: 8,
  scale_out_gb_per_s: 50,
  collective_latency_us: 10,
};

/**
 * Llama 3.1 70B: 80 layers, hidden 8192, 64 heads, 8 KV heads, head_dim 8192/64 = 128
 * (https://huggingface.co/meta-llama/Llama-3.1-70B/blob/main/config.json); 70.6e9 parameters,
 * the count the model's Hugging Face page lists (rounded to 0.1e9).
 */
export const LLAMA_70B: Inputs = {
  params_total: 70.6e9,
  params_active: 70.6e9,
  layers: 80,
  hidden: 8192,
  heads: 64,
  kv_heads: 8,
  head_dim: 128,
  experts: 1,
  experts_per_token: 1,
};

/**
 * DeepSeek-V3: 61 layers, 128 heads, MLA with kv_lora_rank 512 and qk_rope_head_dim 64, 256
 * routed experts with 8 per token, hidden 7168 (https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json);
 * 671e9 total and 37e9 activated parameters (DeepSeek-V3 Technical Report, arXiv:2412.19437).
 * head_dim 128 here stands for the attention FLOP term's per-head width (qk_nope_head_dim 128).
 */
export const DEEPSEEK_V3: Inputs = {
  params_total: 671e9,
  params_active: 37e9,
  layers: 61,
  hidden: 7168,
  heads: 128,
  kv_heads: 128,
  head_dim: 128,
  experts: 256,
  experts_per_token: 8,
  kv_lora_rank: 512,
  qk_rope_head_dim: 64,
};

/** Serving and cost inputs chosen for the tests (round numbers, not claims about the world). */
export const SERVING: Inputs = {
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
  // tp, ep, dp_attention left at 0: the model's default layout for the architecture.
  comm_overlap: 0,
  expert_imbalance: 1,
};

export const OWNED_COSTS: Inputs = {
  capex_usd_per_gpu: 32000,
  life_years: 5,
  cost_of_capital: 0.1,
  residual_fraction: 0.1,
  maintenance_fraction_per_year: 0.05,
  opex_usd_per_gpu_year: 1000,
  colocation_usd_per_kw_month: 180,
  facility_capex_usd_per_mw: 10e6,
  facility_life_years: 15,
  pue: 1.3,
  power_price_usd_per_kwh: 0.08,
  idle_power_fraction: 0.3,
  cloud_usd_per_gpu_hour: 2.5,
};

/** Llama 3.1 70B on 8 H100s, owned: the reference roofline deployment. */
export const LLAMA_ON_H100: Inputs = { ...H100_FP8, ...LLAMA_70B, ...SERVING, ...OWNED_COSTS };

/** Runs evaluate and returns the flags and the metrics by name. */
export function run(
  values: Inputs,
  cfg: ModelConfig = BASE_CONFIG,
): { flags: number; m: Record<MetricName, number> } {
  const out = new Float64Array(METRIC_COUNT);
  const flags = evaluate(vector(values), cfg, out);
  const m = {} as Record<MetricName, number>;
  for (const [name, i] of Object.entries(METRIC)) m[name as MetricName] = out[i]!;
  return { flags, m };
}

/** |a - b| / |b|, or |a| when b is 0. */
export function relErr(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}

/**
 * How far two evaluations of one quantity in different float association orders may differ:
 * the checks of the model tests are a few dozen float operations at most, on values far from
 * overflow, so 1e-12 relative (~4500 ulps) bounds their rounding with a wide margin and is still
 * far below any modelling error.
 */
export const FLOAT_REL = 1e-12;

/** A numeric value of explain's output, by key. */
export const num = (values: Record<string, unknown>, key: string): number => values[key] as number;
