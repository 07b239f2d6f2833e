/**
 * The model's input vector: every numeric input of docs/model.md has one slot, in this fixed order.
 * The CPU model (src/model), the GPU model (shaders/model.wgsl) and the plan builder all index
 * inputs by these numbers, so this file and the `const SLOT_*` block of shaders/model.wgsl must
 * change together (a test checks that they agree).
 *
 * `path` is the field's place in a scenario file; it is also what a distribution's random
 * stream is keyed by (DESIGN.md "Determinism"), so renaming a path changes that input's draws.
 */

export const MAX_DRAFT_TOKENS = 8;

/** Positions of the per-position acceptance list, 1..MAX_DRAFT_TOKENS. */
type AcceptancePosition = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

// Typed as template literals so that SlotName stays a union of names: `SLOT.batch_sise` is a
// type error.
const acceptanceSlots = Array.from({ length: MAX_DRAFT_TOKENS }, (_, i) => ({
  name: `acceptance_p${(i + 1) as AcceptancePosition}` as const,
  path: `serving.speculative.acceptance_by_position[${i}]` as const,
}));

/** name: the model's name for the input; path: where it lives in a scenario file. */
export const SLOT_DEFS = [
  // Accelerator (catalog entry, every field overridable). peak_tflops is the catalog's
  // peak_tflops[compute] for the model's compute precision.
  { name: 'peak_tflops', path: 'accelerator.peak_tflops' },
  { name: 'hbm_gb', path: 'accelerator.hbm_gb' },
  { name: 'hbm_tb_per_s', path: 'accelerator.hbm_tb_per_s' },
  { name: 'it_power_kw_per_gpu', path: 'accelerator.it_power_kw_per_gpu' },
  // Peak FLOP/s for attention math (QK^T, PV), at model.attention_compute precision. Read only when
  // that precision differs from model.compute; otherwise attention runs at peak_tflops.
  { name: 'attention_tflops', path: 'accelerator.attention_tflops' },
  // Interconnect (docs/model.md "Communication"): per-GPU, one direction.
  { name: 'scale_up_gb_per_s', path: 'accelerator.scale_up_gb_per_s' },
  { name: 'scale_up_domain', path: 'accelerator.scale_up_domain' },
  { name: 'scale_out_gb_per_s', path: 'accelerator.scale_out_gb_per_s' },
  { name: 'collective_latency_us', path: 'accelerator.collective_latency_us' },
  // Model architecture (catalog entry) and precision.
  { name: 'params_total', path: 'model.params_total' },
  { name: 'params_active', path: 'model.params_active' },
  { name: 'layers', path: 'model.layers' },
  { name: 'hidden', path: 'model.hidden' },
  { name: 'heads', path: 'model.heads' },
  { name: 'kv_heads', path: 'model.kv_heads' },
  { name: 'head_dim', path: 'model.head_dim' },
  { name: 'experts', path: 'model.experts' },
  { name: 'experts_per_token', path: 'model.experts_per_token' },
  { name: 'kv_lora_rank', path: 'model.kv_lora_rank' },
  { name: 'qk_rope_head_dim', path: 'model.qk_rope_head_dim' },
  { name: 'weight_bits', path: 'model.weight_bits' },
  { name: 'kv_bits', path: 'model.kv_bits' },
  // Workload.
  { name: 'input_tokens', path: 'workload.input_tokens' },
  { name: 'output_tokens', path: 'workload.output_tokens' },
  { name: 'prefix_cache_hit_rate', path: 'workload.prefix_cache_hit_rate' },
  // Serving.
  { name: 'gpus_per_replica', path: 'serving.gpus_per_replica' },
  { name: 'batch_size', path: 'serving.batch_size' },
  { name: 'utilization', path: 'serving.utilization' },
  { name: 'mfu_prefill', path: 'serving.mfu_prefill' },
  { name: 'mfu_decode', path: 'serving.mfu_decode' },
  { name: 'mbu_decode', path: 'serving.mbu_decode' },
  { name: 'step_overhead_ms', path: 'serving.step_overhead_ms' },
  { name: 'hbm_usable_fraction', path: 'serving.hbm_usable_fraction' },
  // Parallelism layout; 0 means the engine default for the model (docs/model.md "Parallelism").
  { name: 'tp', path: 'serving.parallelism.tp' },
  { name: 'ep', path: 'serving.parallelism.ep' },
  { name: 'dp_attention', path: 'serving.parallelism.dp_attention' },
  { name: 'comm_overlap', path: 'serving.comm_overlap' },
  { name: 'expert_imbalance', path: 'serving.expert_imbalance' },
  // KV-cache offload tier (host memory, NVLink-C2C or SSD), per GPU.
  { name: 'offload_hit_rate', path: 'serving.kv_offload.hit_rate' },
  { name: 'offload_gb_per_s', path: 'serving.kv_offload.bandwidth_gb_per_s' },
  { name: 'offload_capacity_gb', path: 'serving.kv_offload.capacity_gb' },
  { name: 'offload_capex_usd_per_gb', path: 'serving.kv_offload.capex_usd_per_gb' },
  { name: 'draft_tokens', path: 'serving.speculative.draft_tokens' },
  { name: 'acceptance_rate', path: 'serving.speculative.acceptance_rate' },
  { name: 'draft_cost_ratio', path: 'serving.speculative.draft_cost_ratio' },
  ...acceptanceSlots,
  { name: 'prefill_gpus', path: 'serving.disaggregated.prefill_gpus' },
  { name: 'disagg_mfu_prefill', path: 'serving.disaggregated.mfu_prefill' },
  { name: 'slo_min_tokens_per_s_per_user', path: 'serving.slo.min_tokens_per_s_per_user' },
  { name: 'slo_max_ttft_s', path: 'serving.slo.max_ttft_s' },
  // Throughput, measured mode.
  { name: 'measured_output_tokens_per_s_per_gpu', path: 'throughput.output_tokens_per_s_per_gpu' },
  { name: 'measured_tokens_per_s_per_user', path: 'throughput.tokens_per_s_per_user' },
  { name: 'measured_ttft_s', path: 'throughput.ttft_s' },
  // Costs.
  { name: 'capex_usd_per_gpu', path: 'costs.capex_usd_per_gpu' },
  { name: 'life_years', path: 'costs.life_years' },
  { name: 'cost_of_capital', path: 'costs.cost_of_capital' },
  { name: 'residual_fraction', path: 'costs.residual_fraction' },
  { name: 'maintenance_fraction_per_year', path: 'costs.maintenance_fraction_per_year' },
  { name: 'opex_usd_per_gpu_year', path: 'costs.opex_usd_per_gpu_year' },
  { name: 'colocation_usd_per_kw_month', path: 'costs.colocation_usd_per_kw_month' },
  { name: 'facility_capex_usd_per_mw', path: 'costs.facility_capex_usd_per_mw' },
  { name: 'facility_life_years', path: 'costs.facility_life_years' },
  { name: 'pue', path: 'costs.pue' },
  { name: 'power_price_usd_per_kwh', path: 'costs.power_price_usd_per_kwh' },
  { name: 'idle_power_fraction', path: 'costs.idle_power_fraction' },
  { name: 'cloud_usd_per_gpu_hour', path: 'costs.cloud_usd_per_gpu_hour' },
  // Last, so that adding it moved no other slot: the share of paid on-demand GPU-hours that are busy.
  { name: 'autoscaling_efficiency', path: 'costs.autoscaling_efficiency' },
  // Appended for the same reason: host time per sequence per decode step that the serving engine
  // does not overlap with the GPU (docs/model.md "A forward step over n tokens in flight").
  { name: 'host_overhead_us_per_seq', path: 'serving.host_overhead_us_per_seq' },
] as const;

export type SlotName = (typeof SLOT_DEFS)[number]['name'];
export const SLOT_COUNT = SLOT_DEFS.length;

/** Slot index by name: `SLOT.batch_size`. */
export const SLOT = Object.fromEntries(SLOT_DEFS.map((d, i) => [d.name, i])) as Record<SlotName, number>;

/**
 * Choices that are not numbers. They select branches of the model and are the same for every
 * sample and cell of a run. On the GPU they travel as u32 in a uniform, in this field order.
 */
export interface ModelConfig {
  /** 0 roofline, 1 measured. */
  throughput: 0 | 1;
  /** 0 owned, 1 cloud. */
  pricing: 0 | 1;
  /** 0 GQA (kv_heads x head_dim), 1 MLA (kv_lora_rank + qk_rope_head_dim). */
  attention: 0 | 1;
  /** 0 none, 1 colocation_usd_per_kw_month, 2 owned facility (facility_capex_usd_per_mw). */
  facility: 0 | 1 | 2;
  /** 0 no speculative decoding, 1 constant acceptance_rate, 2 acceptance_by_position. */
  speculative: 0 | 1 | 2;
  /** 0 colocated prefill and decode, 1 disaggregated. */
  disaggregated: 0 | 1;
  /** 1 when serving.slo.min_tokens_per_s_per_user is set. */
  sloTokensPerSPerUser: 0 | 1;
  /** 1 when serving.slo.max_ttft_s is set. */
  sloTtft: 0 | 1;
  /** Measured mode: 1 when throughput.tokens_per_s_per_user is given. */
  measuredUserRate: 0 | 1;
  /** Measured mode: 1 when throughput.ttft_s is given. */
  measuredTtft: 0 | 1;
  /** 1 when attention math runs at its own peak (attention_tflops), 0 when at peak_tflops. */
  attentionPeak: 0 | 1;
  /** 1 when serving.kv_offload is given. */
  kvOffload: 0 | 1;
  /**
   * Cloud pricing: 0 reserved (every hour paid), 1 on demand (only busy hours, at
   * autoscaling_efficiency).
   */
  billing: 0 | 1;
}

export const CONFIG_FIELDS = [
  'throughput',
  'pricing',
  'attention',
  'facility',
  'speculative',
  'disaggregated',
  'sloTokensPerSPerUser',
  'sloTtft',
  'measuredUserRate',
  'measuredTtft',
  'attentionPeak',
  'kvOffload',
  'billing',
] as const satisfies readonly (keyof ModelConfig)[];

/**
 * Every choice at its first option: roofline throughput, owned GPUs, GQA attention, no facility
 * cost, no speculative decoding, colocated serving, no SLO. A base to spread overrides onto.
 */
export const BASE_MODEL_CONFIG: Readonly<ModelConfig> = Object.freeze({
  throughput: 0,
  pricing: 0,
  attention: 0,
  facility: 0,
  speculative: 0,
  disaggregated: 0,
  sloTokensPerSPerUser: 0,
  sloTtft: 0,
  measuredUserRate: 0,
  measuredTtft: 0,
  attentionPeak: 0,
  kvOffload: 0,
  billing: 0,
});

/** The built-in metrics of docs/model.md, in the fixed order both engines write them. */
export const METRICS = [
  'cost_per_mtok_output',
  'cost_per_mtok_total',
  'cost_per_mtok_capital',
  'cost_per_mtok_energy',
  'cost_per_mtok_facility',
  'cost_per_mtok_opex',
  'output_tokens_per_s_per_gpu',
  'output_tokens_per_s_per_mw',
  'joules_per_output_token',
  'cost_usd_per_gpu_hour',
  'tpot_ms',
  'tokens_per_s_per_user',
  'ttft_s',
  'batch_effective',
] as const;

export type MetricName = (typeof METRICS)[number];
export const METRIC_COUNT = METRICS.length;
export const METRIC = Object.fromEntries(METRICS.map((m, i) => [m, i])) as Record<MetricName, number>;

/**
 * Which metrics a configuration defines. Measured mode has no batch and only the latencies the
 * user gave; every other metric exists in every mode.
 */
export function metricsFor(config: ModelConfig): MetricName[] {
  return METRICS.filter((m) => {
    if (config.throughput === 0) return true;
    if (m === 'batch_effective') return false;
    if (m === 'tpot_ms' || m === 'tokens_per_s_per_user') return config.measuredUserRate === 1;
    if (m === 'ttft_s') return config.measuredTtft === 1;
    return true;
  });
}

/**
 * The model's intermediate quantities that are numbers (docs/model.md, and the names `cptsim explain`
 * prints), in the fixed order both engines write them when asked to: `evaluate(x, config, out,
 * inter)` on the CPU, `model_inter` in shaders/model.wgsl (its `INTER_*` constants). Metric
 * expressions of a scenario may read them. `experts_touched` is at n = batch_effective;
 * `capital_recovery_factor` is 0 under cloud pricing. `bound` is not a number and is left out;
 * `batch_effective` and `cost_usd_per_gpu_hour` are metrics.
 */
export const INTERMEDIATES = [
  'kv_bytes_per_token',
  'kv_replication',
  'shared_params',
  'expert_params',
  'experts_touched',
  'weight_bytes',
  'hbm_bytes_usable',
  'batch_max',
  't_step_s',
  't_cycle_s',
  'spec_tokens_per_step',
  't_prefill_s',
  't_request_s',
  'tp_effective',
  'ep_effective',
  'dp_attention_effective',
  'weight_bytes_per_gpu',
  'kv_bytes_per_seq_per_gpu',
  'attention_flops_per_token',
  't_comm_s',
  'comm_share',
  't_decode_token_s',
  'queue_wait_s',
  't_offload_load_s',
  'decode_tokens_per_s_per_gpu',
  'capital_recovery_factor',
  'capital_usd_per_gpu_hour',
  'maintenance_usd_per_gpu_hour',
  'opex_usd_per_gpu_hour',
  'energy_usd_per_gpu_hour',
  'facility_usd_per_gpu_hour',
] as const;

export type IntermediateName = (typeof INTERMEDIATES)[number];
export const INTERMEDIATE_COUNT = INTERMEDIATES.length;
export const INTERMEDIATE = Object.fromEntries(INTERMEDIATES.map((m, i) => [m, i])) as Record<IntermediateName, number>;

/** The intermediates that mean something under a configuration: measured mode has only the cost ones. */
export function intermediatesFor(config: ModelConfig): IntermediateName[] {
  const firstCost = INTERMEDIATE.capital_recovery_factor;
  return INTERMEDIATES.filter((_, i) => config.throughput === 0 || i >= firstCost);
}
