/**
 * Values a scenario may leave out. Kept minimal: an input that moves the answer a lot and has no
 * sound common value (utilization, prices, capex, batch size, GPUs per replica) is required
 * instead. Each plan input records whether its value came from here ('default').
 */

import type { SlotName } from '../model/index.js';

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
  // docs/model.md "Inputs": HBM left for weights and KV cache after activations, workspace and
  // fragmentation.
  hbm_usable_fraction: 0.9,
  // Efficiency and communication defaults: fitted together to the 33 published measurements of
  // scenarios/validation/measurements.yaml (NVIDIA TensorRT-LLM, LMSYS/SGLang, DeepSeek, Oracle
  // and AMD; H100, H200, B200, GB200, MI300X; dense TP1 to TP8 and MoE with expert parallelism),
  // all cases at once, with vLLM's host time per sequence (scenarios/catalog/engines.yaml), by
  // bench/fit-fidelity.ts (docs/model.md "Calibration"). The fit lands at: a memory-bound decode
  // reads at 0.455 of the HBM peak, decode GEMMs and attention run at 0.22 of the tensor peak
  // (the large-batch, compute-bound cases: DeepSeek decode pools, Llama 405B TP8, Qwen3-235B),
  // prefill at 0.508 (the prefill-heavy TensorRT-LLM cases such as ISL/OSL 5000/500 and
  // 2048/128).
  mfu_prefill: 0.508,
  mfu_decode: 0.22,
  mbu_decode: 0.455,
  // Not fitted (no disaggregated prefill throughput in the validation set): the colocated value.
  disagg_mfu_prefill: 0.508,
  // Fitted with the above to 0.0187 ms per forward step: what a step costs besides the GPU's
  // work, the collectives and the host's time per sequence is small for engines that capture
  // steps in CUDA graphs; the batch-1 latencies (DeepSeek-R1 min-latency on B200 and H200,
  // Llama 3.1 on MI300X at batch 1) are carried by the collectives' latency.
  step_overhead_ms: 0.0187,
  // No host time per sequence unless the scenario names an engine that spends it
  // (scenarios/catalog/engines.yaml) or gives it: engines that schedule one step ahead hide it.
  host_overhead_us_per_seq: 0,
  // Time of one collective besides moving its bytes (launch, synchronisation, the first hop):
  // fitted to 35.3 us, set by the tensor-parallel cases at small batch (MI300X TP8 latencies,
  // DeepSeek-R1 TP8 min-latency), where 2 all-reduces per layer dominate the step.
  collective_latency_us: 35.3,
  // Share of communication hidden behind compute where a deployment says nothing: fitted to
  // 0.122. Deployments that overlap by design (two-batch overlap) set their own.
  comm_overlap: 0.122,
  // The busiest expert rank's load over the mean: fitted to 1.21 on the MoE cases (Qwen3-235B,
  // DeepSeek-R1/V3 at EP 8 to 144).
  expert_imbalance: 1.21,
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
 * How uncertain the fitted efficiency defaults are: the log-scale standard deviation sigma of
 * each, read as "the default v stands for a lognormal value with median v": 80% of it lies
 * within v exp(+-1.28 sigma). A scenario run takes the point value (DEFAULTS); `cptsim fidelity`
 * draws these, and its P10-P90 band is what the shipped validation set is checked against
 * (docs/model.md "Calibration"). The tail above 1 of an efficiency stands for the model's own
 * error, not for a reachable efficiency.
 */
export const DEFAULT_UNCERTAINTY: Partial<Record<SlotName, number>> = {
  // Fitted by bench/fit-fidelity.ts: the smallest sigma (on a grid of 0.05) with at least 80% of
  // the validation set's throughputs and latencies inside the P10-P90 band, the three drawn as
  // one factor. 0.35 puts 80% of an efficiency within x0.64 to x1.57 of its default: the spread
  // of serving stacks and models around one global value.
  mbu_decode: 0.35,
  mfu_decode: 0.35,
  mfu_prefill: 0.35,
};

/**
 * PUE under cloud pricing, where it only scales the power metrics (tokens per MW, joules per
 * token): 1 reports the GPU's own IT power. Owned pricing requires `costs.pue`.
 */
export const CLOUD_DEFAULT_PUE = 1;
