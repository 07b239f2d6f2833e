/**
 * Plans for the GPU engine's tests, built by hand (no scenario files): Llama 3.1 70B on H100s,
 * with any input made uncertain or swept.
 */
import { BASE_MODEL_CONFIG, SLOT_DEFS, METRICS, type ModelConfig, type MetricName, type SlotName } from '../src/model/index.js';
import type { Plan } from '../src/plan/index.js';
import type { Dist } from '../src/sampling/index.js';
import { makePlan as makeAnyPlan } from './helpers/plans.js';
import { LLAMA_ON_H100 } from './model-fixtures.js';

/**
 * A roofline, owned-hardware baseline: the model tests' reference deployment (Llama 3.1 70B on 8
 * H100s, owned: test/model-fixtures.ts, with its sources), plus test values for the inputs that
 * deployment leaves at zero (MLA attention, with DeepSeek-V3's widths; speculative decoding,
 * disaggregated prefill, SLOs, measured throughput), so that a plan that switches one of those branches on has numbers of realistic
 * size to run on.
 */
export const BASE: Record<SlotName, number> = {
  ...(Object.fromEntries(SLOT_DEFS.map((d) => [d.name, 0])) as Record<SlotName, number>),
  ...LLAMA_ON_H100,
  kv_lora_rank: 512,
  qk_rope_head_dim: 64,
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
};

export const OWNED_ROOFLINE: ModelConfig = { ...BASE_MODEL_CONFIG, facility: 1 };

export interface PlanSpec {
  values?: Partial<Record<SlotName, number>>;
  dists?: Partial<Record<SlotName, Dist>>;
  sweeps?: { slot: SlotName; values: number[] }[];
  config?: Partial<ModelConfig>;
  metrics?: MetricName[];
  seed?: string;
}

/** A plan on BASE and OWNED_ROOFLINE, changed by `spec` (sample count 0: each run request gives its own). */
export function makePlan(spec: PlanSpec = {}): Plan {
  return makeAnyPlan({
    name: 'gpu test plan',
    config: { ...OWNED_ROOFLINE, ...spec.config },
    inputs: { ...BASE, ...spec.values, ...spec.dists },
    sweep: Object.fromEntries((spec.sweeps ?? []).map((s) => [s.slot, s.values])),
    samples: 0,
    seed: spec.seed ?? 'gpu-tests',
    ...(spec.metrics ? { metrics: spec.metrics } : {}),
  });
}

export const ALL_METRICS: readonly MetricName[] = METRICS;
