/**
 * Values a scenario may leave out. Kept minimal: an input that moves the answer a lot and has no
 * sound common value (utilization, prices, capex, batch size, GPUs per replica) is required
 * instead. Each plan input records whether its value came from here ('default').
 */

import type { SlotName } from '../model/slots.js';

export type Precision = 'bf16' | 'fp8' | 'fp4';
export const PRECISIONS: readonly Precision[] = ['bf16', 'fp8', 'fp4'];

/** The precision of matrix math when `model.compute` is not given: what unquantized serving uses. */
export const DEFAULT_COMPUTE: Precision = 'bf16';

/**
 * The precision of attention math when `model.attention_compute` is not given: serving engines run
 * decode attention kernels in bf16 (an fp8 KV cache is converted on load), whatever the GEMMs use.
 */
export const DEFAULT_ATTENTION_COMPUTE: Precision = 'bf16';

/**
 * Defaults by slot. `kv_bits` is not here: it defaults to the model's `weight_bits` (a KV cache
 * is normally stored at the precision the model runs in), which the loader copies.
 */
export const DEFAULTS: Partial<Record<SlotName, number>> = {
  // Unquantized weights: 16-bit (bf16) is how open-weight models are published.
  weight_bits: 16,
  // MODEL.md "Inputs": HBM left for weights and KV cache after activations, workspace and
  // fragmentation.
  hbm_usable_fraction: 0.9,
  // MODEL.md "Inputs": roofline alone overshoots measured throughput by 1.4 to 1.9x, i.e.
  // efficiencies of 1/1.9 = 0.53 to 1/1.4 = 0.71. These sit at or just below that band, on the
  // cautious side; make them uncertain (e.g. uniform [0.5, 0.75]) for a real study.
  mfu_prefill: 0.5,
  mfu_decode: 0.5,
  mbu_decode: 0.6,
  // Same reasoning as mfu_prefill, for the prefill pool of a disaggregated deployment.
  disagg_mfu_prefill: 0.5,
  // No fixed per-step cost unless the user measured one (kernel launch, scheduling).
  step_overhead_ms: 0,
  // Time of one collective besides moving its bytes (launch, synchronisation, the first hop).
  collective_latency_us: 10,
  // Communication not hidden behind compute unless the deployment overlaps it (e.g. two-batch
  // overlap in SGLang's DeepSeek serving): the cautious side.
  comm_overlap: 0,
  // The busiest expert rank's load over the mean.
  expert_imbalance: 1.3,
  // No prefix caching: every request's prompt is prefilled in full (the conservative choice).
  prefix_cache_hit_rate: 0,
  // A draft model that costs nothing (e.g. n-gram or prompt lookup drafting); set it for a
  // neural draft model.
  draft_cost_ratio: 0,
  // Owned hardware: no resale value (this raises the cost: the cautious side), and no
  // maintenance contract, no other fixed opex and no power drawn when idle (these lower it).
  // Real deployments have all four; they default to zero only so that a scenario states them.
  residual_fraction: 0,
  maintenance_fraction_per_year: 0,
  opex_usd_per_gpu_year: 0,
  idle_power_fraction: 0,
  // On-demand billing with perfect autoscaling: every paid hour is a busy hour. Real autoscalers
  // keep warm headroom and scale in minutes, so give a lower value where you know it.
  autoscaling_efficiency: 1,
};

/**
 * PUE under cloud pricing, where it only scales the power metrics (tokens per MW, joules per
 * token): 1 reports the GPU's own IT power. Owned pricing requires `costs.pue`.
 */
export const CLOUD_DEFAULT_PUE = 1;
