/**
 * The equations of the cost model (docs/model.md), one small pure function per equation, and the
 * unit constants they share. `explain` (explain.ts) and the tests build on these; `evaluate`
 * (evaluate.ts), the CPU engine's hot path, inlines the same arithmetic and a test checks that
 * the two agree. The GPU form of the equations is shaders/model.wgsl.
 */

import { MAX_DRAFT_TOKENS } from './slots.js';
import type { ModelConfig } from './slots.js';

/** 365 days of 24 hours: the model prices everything per GPU-hour over a 8760-hour year. */
export const HOURS_PER_YEAR = 8760;
export const SECONDS_PER_HOUR = 3600;
export const TOKENS_PER_MTOK = 1e6;
export const BYTES_PER_GB = 1e9;
export const BYTES_PER_TB = 1e12;
export const FLOPS_PER_TFLOP = 1e12;

// ---------------------------------------------------------------------------------------------
// Memory (docs/model.md "Memory")
// ---------------------------------------------------------------------------------------------

/**
 * KV cache bytes per token of context, over all layers. GQA stores one key and one value vector
 * per KV head; MLA stores one compressed latent plus the decoupled RoPE key (DeepSeek-V2,
 * arXiv:2405.04434, section 2.1).
 */
export function kvBytesPerToken(
  attention: 0 | 1,
  layers: number,
  kvHeads: number,
  headDim: number,
  kvLoraRank: number,
  qkRopeHeadDim: number,
  kvBits: number,
): number {
  const bytesPerElement = kvBits / 8;
  return attention === 0
    ? 2 * layers * kvHeads * headDim * bytesPerElement
    : layers * (kvLoraRank + qkRopeHeadDim) * bytesPerElement;
}

/**
 * The parallel layout of a replica of g GPUs (docs/model.md "Parallelism"): `tp` GPUs share each
 * attention (and dense-layer) shard, `dp` data-parallel attention ranks each serve their own
 * sequences (tp * dp = g), and routed experts are spread over `ep` groups. A field given as 0 takes
 * the engines' default: tp from dp_attention when that is given; otherwise GQA models run tensor
 * parallel over the replica and MLA models data-parallel attention (one rank per GPU, as SGLang and
 * vLLM serve DeepSeek). MoE experts are spread over the whole replica by default; dense models have
 * no experts to spread (ep = 1).
 */
export function parallelLayout(
  attention: 0 | 1,
  gpusPerReplica: number,
  tp: number,
  ep: number,
  dpAttention: number,
  moe: boolean,
): { tp: number; dp: number; ep: number } {
  let t: number;
  if (tp > 0) t = tp;
  else if (dpAttention > 0) t = gpusPerReplica / dpAttention;
  else t = attention === 0 ? gpusPerReplica : 1;
  return { tp: t, dp: gpusPerReplica / t, ep: moe ? (ep > 0 ? ep : gpusPerReplica) : 1 };
}

/**
 * Copies of one sequence's KV cache inside its attention group of `tp` GPUs. GQA splits KV heads
 * over the group and replicates each head on tp / kv_heads GPUs when tp exceeds them; MLA's latent
 * is one vector per token, so every GPU of the group holds all of it.
 */
export function kvReplication(attention: 0 | 1, tp: number, kvHeads: number): number {
  return attention === 0 ? Math.max(1, tp / kvHeads) : tp;
}

/** True when the model has routed experts (experts > 1); otherwise it is dense. */
export function isMoe(experts: number): boolean {
  return experts > 1;
}

/**
 * Parameters every token uses (attention, embeddings, shared experts). From
 * total = shared + E * expert and active = shared + k * expert. Dense: all of them.
 */
export function sharedParams(
  paramsTotal: number,
  paramsActive: number,
  experts: number,
  expertsPerToken: number,
): number {
  if (!isMoe(experts)) return paramsTotal;
  return (experts * paramsActive - expertsPerToken * paramsTotal) / (experts - expertsPerToken);
}

/** Parameters of one routed expert (summed over layers). Dense: 0. */
export function expertParams(paramsTotal: number, shared: number, experts: number): number {
  if (!isMoe(experts)) return 0;
  return (paramsTotal - shared) / experts;
}

/**
 * Expected number of distinct experts hit when `tokens` tokens each pick `expertsPerToken` of
 * `experts` uniformly and independently: E * (1 - (1 - k/E)^n). The power is taken as
 * exp(n * log1p(-k/E)) so that it stays accurate for large n. Dense: 0.
 */
export function expertsTouched(tokens: number, experts: number, expertsPerToken: number): number {
  if (!isMoe(experts)) return 0;
  return experts * (1 - Math.exp(tokens * Math.log1p(-expertsPerToken / experts)));
}

/** Bytes of HBM one GPU may fill: hbm_gb * 1e9 * hbm_usable_fraction. */
export function hbmBytesUsable(hbmGb: number, hbmUsableFraction: number): number {
  return hbmGb * BYTES_PER_GB * hbmUsableFraction;
}

/**
 * Weight bytes on each GPU: attention, dense and shared-expert weights split over the attention
 * group (and replicated on each data-parallel rank), routed experts split over the whole replica.
 */
export function weightBytesPerGpu(
  bytesPerWeight: number,
  shared: number,
  paramsTotal: number,
  tp: number,
  gpusPerReplica: number,
): number {
  return bytesPerWeight * (shared / tp + (paramsTotal - shared) / gpusPerReplica);
}

/** KV bytes one sequence of `contextTokens` tokens holds on each GPU of its attention group. */
export function kvBytesPerSeqPerGpu(kvBytes: number, contextTokens: number, replication: number, tp: number): number {
  return (contextTokens * kvBytes * replication) / tp;
}

/**
 * The most sequences a replica holds: on each GPU, what the weights leave free over one
 * sequence's KV share, times the data-parallel attention ranks. Below 1 (including a negative or
 * zero free space) the configuration is infeasible.
 */
export function batchMax(usableBytesPerGpu: number, weightBytesGpu: number, kvBytesPerSeqGpu: number, dp: number): number {
  return dp * Math.floor((usableBytesPerGpu - weightBytesGpu) / kvBytesPerSeqGpu);
}

// ---------------------------------------------------------------------------------------------
// Time (docs/model.md "Time")
// ---------------------------------------------------------------------------------------------

/** Bytes per activation element exchanged by collectives: bf16, as serving engines send them. */
export const ACTIVATION_BYTES = 2;
export const BYTES_PER_GB_S = 1e9;
export const SECONDS_PER_US = 1e-6;

/**
 * Attention FLOPs per token of a decode step over `ctxTokens` of context, all layers. GQA: QK^T
 * and PV, 2 FLOPs per multiply-add, 4 * ctx * heads * head_dim per layer. MLA decodes in its
 * absorbed form (DeepSeek-V2, arXiv:2405.04434, appendix on weight absorption): every head scores
 * the latent plus its RoPE key (kv_lora_rank + qk_rope_head_dim) and sums latents (kv_lora_rank),
 * 2 * ctx * heads * (2 * kv_lora_rank + qk_rope_head_dim) per layer.
 */
export function attentionFlopsPerToken(
  attention: 0 | 1,
  ctxTokens: number,
  layers: number,
  heads: number,
  headDim: number,
  kvLoraRank: number,
  qkRopeHeadDim: number,
): number {
  return attention === 0
    ? 4 * ctxTokens * layers * heads * headDim
    : 2 * ctxTokens * layers * heads * (2 * kvLoraRank + qkRopeHeadDim);
}

/** The links a collective runs over: per-GPU bandwidth in bytes/s, one direction. */
export interface Interconnect {
  scaleUpBytesPerS: number;
  /** GPUs that share the scale-up fabric (8 on an HGX board, 72 in an NVL72 rack). */
  scaleUpDomain: number;
  scaleOutBytesPerS: number;
  /** Fixed time of one collective (launch, synchronisation, the first hop), seconds. */
  latencyS: number;
}

/**
 * A ring all-reduce of `bytes` per GPU over `ranks` GPUs: each GPU sends and receives
 * 2 (ranks - 1) / ranks of the message, at scale-up bandwidth while the ring stays inside one
 * domain, at scale-out bandwidth once it leaves it; plus the fixed latency. One GPU: nothing.
 */
export function allReduceS(ranks: number, bytes: number, link: Interconnect): number {
  if (ranks <= 1) return 0;
  return allReducePerByteS(ranks, link.scaleUpDomain, link.scaleUpBytesPerS, link.scaleOutBytesPerS) * bytes + link.latencyS;
}

/**
 * Seconds per byte of a ring all-reduce's message over `ranks` GPUs (allReduceS without the
 * latency): what `evaluate` multiplies by the bytes in flight. One GPU: 0.
 */
export function allReducePerByteS(ranks: number, domain: number, upBytesPerS: number, outBytesPerS: number): number {
  return ranks <= 1 ? 0 : (2 * (ranks - 1)) / ranks / (ranks <= domain ? upBytesPerS : outBytesPerS);
}

/**
 * One all-to-all of `bytes` per GPU over `ranks` GPUs (an MoE dispatch or combine): of what a GPU
 * sends, (min(ranks, domain) - 1) / ranks stays inside its scale-up domain and
 * max(0, ranks - domain) / ranks crosses scale-out links; plus the fixed latency.
 */
export function allToAllS(ranks: number, bytes: number, link: Interconnect): number {
  if (ranks <= 1) return 0;
  const inside = (Math.min(ranks, link.scaleUpDomain) - 1) / ranks;
  const outside = Math.max(0, ranks - link.scaleUpDomain) / ranks;
  return bytes * (inside / link.scaleUpBytesPerS + outside / link.scaleOutBytesPerS) + link.latencyS;
}

/**
 * Communication of one forward step over `tokens` tokens in flight on the replica, all layers
 * (docs/model.md "Communication"). Per layer: an all-reduce over the attention group (tp > 1) of
 * the group's tokens; then for a dense model a second all-reduce, for an MoE model (every layer
 * taken as an MoE layer) a dispatch and a combine all-to-all over the ep groups, each GPU sending
 * its share of the tokens once per chosen expert, times the load imbalance of the busiest rank,
 * plus an all-reduce over the g / ep GPUs that slice each expert when ep < g.
 */
export function commTimeS(
  tokens: number,
  layout: { tp: number; dp: number; ep: number },
  gpusPerReplica: number,
  moe: boolean,
  hidden: number,
  layers: number,
  expertsPerToken: number,
  expertImbalance: number,
  link: Interconnect,
): number {
  const groupBytes = (tokens / layout.dp) * hidden * ACTIVATION_BYTES;
  const attentionS = allReduceS(layout.tp, groupBytes, link);
  let ffnS: number;
  if (!moe) {
    ffnS = allReduceS(layout.tp, groupBytes, link);
  } else {
    const dispatchBytes = (tokens / gpusPerReplica) * expertsPerToken * hidden * ACTIVATION_BYTES * expertImbalance;
    const sliceRanks = gpusPerReplica / layout.ep;
    ffnS = 2 * allToAllS(layout.ep, dispatchBytes, link) + allReduceS(sliceRanks, (tokens / layout.ep) * hidden * ACTIVATION_BYTES, link);
  }
  return layers * (attentionS + ffnS);
}

/** What a forward step's time needs to know, besides the number of tokens in flight. */
export interface StepShape {
  bytesPerWeight: number;
  sharedParams: number;
  expertParams: number;
  experts: number;
  expertsPerToken: number;
  /** Load of the busiest expert rank over the mean (>= 1). */
  expertImbalance: number;
  gpusPerReplica: number;
  /** The attention group size (tp). */
  tp: number;
  /** KV bytes each GPU reads per step: its ranks' sequences * ctx * KV per token per GPU. */
  kvBytesReadPerGpu: number;
  /** Attention FLOPs per token in flight (attentionFlopsPerToken). */
  attentionFlopsPerToken: number;
  /** Achieved per-GPU bandwidth: hbm_tb_per_s * 1e12 * mbu_decode. */
  bytesPerSPerGpu: number;
  /** Achieved per-GPU matrix FLOP/s: peak * 1e12 * mfu_decode. */
  flopsPerSPerGpu: number;
  /** Achieved per-GPU attention FLOP/s: attention peak * 1e12 * mfu_decode. */
  attentionFlopsPerSPerGpu: number;
  /** Communication time of a step over `tokens` tokens in flight (commTimeS). */
  commS: (tokens: number) => number;
  /** 1 - comm_overlap: the share of communication not hidden behind compute. */
  commExposed: number;
  /** Fixed time of every forward step (stepOverheadS). */
  stepOverheadS: number;
}

/**
 * Time a forward step spends besides the GPU's work (docs/model.md "A forward step over n tokens in flight"): a fixed
 * step_overhead_ms, plus host_overhead_us_per_seq for each sequence of the step's scheduler, which
 * serves one data-parallel attention rank's b / dp sequences.
 */
export function stepOverheadS(stepOverheadMs: number, hostOverheadUsPerSeq: number, batch: number, dp: number): number {
  return stepOverheadMs / 1000 + (hostOverheadUsPerSeq * SECONDS_PER_US * batch) / dp;
}

/** Routed experts the busiest GPU reads for `tokens` tokens: its share of those touched, times the imbalance, at most all of them. */
function expertsReadByBusiest(s: StepShape, tokens: number): number {
  return Math.min(s.experts, expertsTouched(tokens, s.experts, s.expertsPerToken) * s.expertImbalance);
}

/** Bytes one GPU reads in a forward step over `tokens` tokens: its weights touched plus its KV. */
export function stepBytes(s: StepShape, tokens: number): number {
  const moeBytes = isMoe(s.experts) ? (s.expertParams * expertsReadByBusiest(s, tokens)) / s.gpusPerReplica : 0;
  return s.bytesPerWeight * (s.sharedParams / s.tp + moeBytes) + s.kvBytesReadPerGpu;
}

/** Matrix and attention time on one GPU of a forward step over `tokens` tokens. */
export function stepComputeS(s: StepShape, tokens: number): number {
  const routed = isMoe(s.experts) ? s.expertParams * s.expertsPerToken * s.expertImbalance : 0;
  const matrixFlops = (2 * (s.sharedParams + routed) * tokens) / s.gpusPerReplica;
  const attentionFlops = (s.attentionFlopsPerToken * tokens) / s.gpusPerReplica;
  return matrixFlops / s.flopsPerSPerGpu + attentionFlops / s.attentionFlopsPerSPerGpu;
}

/**
 * Step time: the slower of moving the bytes and doing the math, plus the exposed communication
 * and a fixed overhead.
 */
export function stepTimeS(s: StepShape, tokens: number): number {
  const memoryS = stepBytes(s, tokens) / s.bytesPerSPerGpu;
  return Math.max(memoryS, stepComputeS(s, tokens)) + s.commExposed * s.commS(tokens) + s.stepOverheadS;
}

/** Which roofline term limits a step: 'memory' when moving bytes takes at least as long. */
export function stepBound(s: StepShape, tokens: number): 'memory' | 'compute' {
  return stepBytes(s, tokens) / s.bytesPerSPerGpu >= stepComputeS(s, tokens) ? 'memory' : 'compute';
}

/** Draft tokens actually used: floor(draft_tokens) clamped to [0, MAX_DRAFT_TOKENS]. */
export function draftTokensUsed(draftTokens: number): number {
  const k = Math.floor(draftTokens);
  return k < 0 ? 0 : k > MAX_DRAFT_TOKENS ? MAX_DRAFT_TOKENS : k;
}

/**
 * Expected tokens per verification step of speculative decoding with k draft tokens (Leviathan
 * et al. 2023, arXiv:2211.17192, eq. 1 generalised to per-position acceptance):
 * 1 + sum_{i=1..k} prod_{j<=i} p_j. `acceptance` is a constant rate or the per-position list
 * p_1..p_k. A running product, not the closed form, so that a = 1 works.
 */
export function specTokensPerStep(draftTokens: number, acceptance: number | ArrayLike<number>): number {
  let tokens = 1;
  let pAllAccepted = 1;
  for (let i = 0; i < draftTokens; i++) {
    pAllAccepted *= typeof acceptance === 'number' ? acceptance : acceptance[i]!;
    tokens += pAllAccepted;
  }
  return tokens;
}

/**
 * Prefill FLOPs per request, as matrix FLOPs (2 per active weight per prompt token) and attention
 * FLOPs over the causal prompt (2 I^2 per layer, head and head dimension: MLA prefills in its
 * unabsorbed form). Prompt tokens found in a prefix cache (on the GPU, h, or in the offload tier,
 * h_off) are not recomputed.
 */
export function prefillFlops(
  inputTokens: number,
  cachedFraction: number,
  paramsActive: number,
  layers: number,
  heads: number,
  headDim: number,
): { matrix: number; attention: number } {
  const computed = 1 - cachedFraction;
  return {
    matrix: computed * 2 * paramsActive * inputTokens,
    attention: computed * 2 * inputTokens * inputTokens * layers * heads * headDim,
  };
}

/**
 * Mean inter-token latency a user sees. Colocated: a sequence's life is b * t_request (Little's
 * law: b sequences in flight, one finishing every t_request), of which its own prefill is
 * t_prefill and the rest is O tokens of decode, so ITL = t_cycle / s + (b - 1) * t_prefill / O:
 * the bare decode step plus the prefills of the other sequences. Disaggregated: the bare step.
 */
export function interTokenLatencyS(
  decodeTokenS: number,
  prefillS: number,
  batch: number,
  outputTokens: number,
  disaggregated: boolean,
): number {
  return disaggregated ? decodeTokenS : decodeTokenS + ((batch - 1) * prefillS) / outputTokens;
}

/**
 * Queue load is held below 1 so that a saturated prefill server gives a very long wait, not an
 * infinite one: 1 - 2^-20 (about 1 - 1e-6), exact in f32 so that both engines saturate alike.
 */
export const MAX_QUEUE_LOAD = 1 - 2 ** -20;

/**
 * Mean wait for a prefill (Pollaczek-Khinchine, M/D/1): requests arrive as a Poisson stream and
 * each prefill takes `serviceS`; at load rho = arrival rate * serviceS the wait is
 * rho * serviceS / (2 (1 - rho)).
 */
export function queueWaitS(load: number, serviceS: number): number {
  const rho = Math.min(load, MAX_QUEUE_LOAD);
  return (rho * serviceS) / (2 * (1 - rho));
}

// ---------------------------------------------------------------------------------------------
// Cost per GPU-hour (docs/model.md "Cost per GPU-hour")
// ---------------------------------------------------------------------------------------------

/** Capital recovery factor r / (1 - (1+r)^-n): the level annual payment per dollar borrowed. */
export function capitalRecoveryFactor(rate: number, years: number): number {
  if (rate === 0) return 1 / years;
  return rate / (1 - Math.pow(1 + rate, -years));
}

/** Capital cost per GPU-hour, net of the residual value recovered after `lifeYears`. */
export function capitalUsdPerGpuHour(
  capexUsdPerGpu: number,
  costOfCapital: number,
  lifeYears: number,
  residualFraction: number,
): number {
  const residualPresentValue = residualFraction * Math.pow(1 + costOfCapital, -lifeYears);
  return (capexUsdPerGpu * (1 - residualPresentValue) * capitalRecoveryFactor(costOfCapital, lifeYears)) / HOURS_PER_YEAR;
}

/** Average IT power per GPU: idle draw plus the loaded share in proportion to utilization. */
export function averageItKw(itPowerKwPerGpu: number, idlePowerFraction: number, utilization: number): number {
  return itPowerKwPerGpu * (idlePowerFraction + (1 - idlePowerFraction) * utilization);
}

export function energyUsdPerGpuHour(
  itPowerKwPerGpu: number,
  idlePowerFraction: number,
  utilization: number,
  pue: number,
  powerPriceUsdPerKwh: number,
): number {
  return averageItKw(itPowerKwPerGpu, idlePowerFraction, utilization) * pue * powerPriceUsdPerKwh;
}

/**
 * Facility cost per GPU-hour. Mode 0: none; 1: colocation billed per kW of IT power per month;
 * 2: an owned facility, its capex per MW of facility power (IT kW * PUE) recovered over its life.
 */
export function facilityUsdPerGpuHour(
  mode: 0 | 1 | 2,
  itPowerKwPerGpu: number,
  pue: number,
  colocationUsdPerKwMonth: number,
  facilityCapexUsdPerMw: number,
  costOfCapital: number,
  facilityLifeYears: number,
): number {
  if (mode === 1) return (itPowerKwPerGpu * colocationUsdPerKwMonth * 12) / HOURS_PER_YEAR;
  if (mode === 2) {
    const facilityMw = (itPowerKwPerGpu * pue) / 1000;
    return (facilityMw * facilityCapexUsdPerMw * capitalRecoveryFactor(costOfCapital, facilityLifeYears)) / HOURS_PER_YEAR;
  }
  return 0;
}

/** Dollars per million tokens delivered, given dollars per GPU-hour and capacity at full load. */
export function costPerMtok(usdPerGpuHour: number, tokensPerSPerGpu: number, utilization: number): number {
  return (usdPerGpuHour / (tokensPerSPerGpu * utilization * SECONDS_PER_HOUR)) * TOKENS_PER_MTOK;
}

/**
 * The share of paid GPU-hours that deliver tokens (docs/model.md, "Cost per GPU-hour"): the
 * utilization when every hour is paid (owned, or reserved cloud capacity), the autoscaling
 * efficiency when cloud GPUs are billed on demand (only the hours they run).
 */
export function busyShareOfPaidHours(config: ModelConfig, utilization: number, autoscalingEfficiency: number): number {
  return config.pricing === 1 && config.billing === 1 ? autoscalingEfficiency : utilization;
}
