/**
 * The CPU reference of the cost model: the equations of docs/model.md, read exactly as both engines read
 * them (the GPU form is shaders/model.wgsl). One call of `evaluate` is one Monte Carlo sample.
 *
 * Two forms of the same equations live here:
 * - small pure helpers, one per equation, which `explain` and the tests use;
 * - `evaluate`, the hot path of the CPU engine, which inlines them into plain local arithmetic
 *   (no allocation, no closures) because it runs tens of millions of times per run. A test checks
 *   that `evaluate` and `explain` agree on random inputs, so the two forms cannot drift apart.
 */

import { INTERMEDIATE, MAX_DRAFT_TOKENS, METRIC, SLOT, metricsFor } from './slots.js';
import type { ModelConfig } from './slots.js';

/** Flag bits returned by `evaluate`. */
export const FEASIBLE = 1;
export const SLO_MISS = 2;

/** 365 days of 24 hours: the model prices everything per GPU-hour over a 8760-hour year. */
export const HOURS_PER_YEAR = 8760;
const SECONDS_PER_HOUR = 3600;
const TOKENS_PER_MTOK = 1e6;
const BYTES_PER_GB = 1e9;
const BYTES_PER_TB = 1e12;
const FLOPS_PER_TFLOP = 1e12;

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
const BYTES_PER_GB_S = 1e9;
const SECONDS_PER_US = 1e-6;

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
function allReducePerByteS(ranks: number, domain: number, upBytesPerS: number, outBytesPerS: number): number {
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
  stepOverheadS: number;
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

// ---------------------------------------------------------------------------------------------
// evaluate: one sample, the CPU engine's hot path
// ---------------------------------------------------------------------------------------------

// Slot and metric indices as module constants: plain integers the JIT can fold.
const X_PEAK = SLOT.peak_tflops;
const X_HBM_GB = SLOT.hbm_gb;
const X_HBM_TBPS = SLOT.hbm_tb_per_s;
const X_IT_KW = SLOT.it_power_kw_per_gpu;
const X_ATTN_PEAK = SLOT.attention_tflops;
const X_SCALE_UP = SLOT.scale_up_gb_per_s;
const X_DOMAIN = SLOT.scale_up_domain;
const X_SCALE_OUT = SLOT.scale_out_gb_per_s;
const X_LATENCY_US = SLOT.collective_latency_us;
const X_HIDDEN = SLOT.hidden;
const X_TP = SLOT.tp;
const X_EP = SLOT.ep;
const X_DP = SLOT.dp_attention;
const X_OVERLAP = SLOT.comm_overlap;
const X_IMBALANCE = SLOT.expert_imbalance;
const X_OFFLOAD_HIT = SLOT.offload_hit_rate;
const X_OFFLOAD_GBPS = SLOT.offload_gb_per_s;
const X_OFFLOAD_GB = SLOT.offload_capacity_gb;
const X_OFFLOAD_USD_PER_GB = SLOT.offload_capex_usd_per_gb;
const X_PARAMS_TOTAL = SLOT.params_total;
const X_PARAMS_ACTIVE = SLOT.params_active;
const X_LAYERS = SLOT.layers;
const X_HEADS = SLOT.heads;
const X_KV_HEADS = SLOT.kv_heads;
const X_HEAD_DIM = SLOT.head_dim;
const X_EXPERTS = SLOT.experts;
const X_EXPERTS_PER_TOKEN = SLOT.experts_per_token;
const X_KV_LORA_RANK = SLOT.kv_lora_rank;
const X_QK_ROPE = SLOT.qk_rope_head_dim;
const X_WEIGHT_BITS = SLOT.weight_bits;
const X_KV_BITS = SLOT.kv_bits;
const X_INPUT = SLOT.input_tokens;
const X_OUTPUT = SLOT.output_tokens;
const X_HIT_RATE = SLOT.prefix_cache_hit_rate;
const X_GPUS = SLOT.gpus_per_replica;
const X_BATCH = SLOT.batch_size;
const X_UTIL = SLOT.utilization;
const X_AUTOSCALE = SLOT.autoscaling_efficiency;
const X_MFU_PREFILL = SLOT.mfu_prefill;
const X_MFU_DECODE = SLOT.mfu_decode;
const X_MBU_DECODE = SLOT.mbu_decode;
const X_STEP_OVERHEAD_MS = SLOT.step_overhead_ms;
const X_HBM_USABLE = SLOT.hbm_usable_fraction;
const X_DRAFT_TOKENS = SLOT.draft_tokens;
const X_ACCEPTANCE = SLOT.acceptance_rate;
const X_DRAFT_COST = SLOT.draft_cost_ratio;
const X_ACCEPTANCE_P1 = SLOT.acceptance_p1;
const X_PREFILL_GPUS = SLOT.prefill_gpus;
const X_DISAGG_MFU = SLOT.disagg_mfu_prefill;
const X_SLO_USER_RATE = SLOT.slo_min_tokens_per_s_per_user;
const X_SLO_TTFT = SLOT.slo_max_ttft_s;
const X_M_OUTPUT_RATE = SLOT.measured_output_tokens_per_s_per_gpu;
const X_M_USER_RATE = SLOT.measured_tokens_per_s_per_user;
const X_M_TTFT = SLOT.measured_ttft_s;
const X_CAPEX = SLOT.capex_usd_per_gpu;
const X_LIFE = SLOT.life_years;
const X_RATE = SLOT.cost_of_capital;
const X_RESIDUAL = SLOT.residual_fraction;
const X_MAINTENANCE = SLOT.maintenance_fraction_per_year;
const X_OPEX = SLOT.opex_usd_per_gpu_year;
const X_COLO = SLOT.colocation_usd_per_kw_month;
const X_FACILITY_CAPEX = SLOT.facility_capex_usd_per_mw;
const X_FACILITY_LIFE = SLOT.facility_life_years;
const X_PUE = SLOT.pue;
const X_POWER_PRICE = SLOT.power_price_usd_per_kwh;
const X_IDLE = SLOT.idle_power_fraction;
const X_CLOUD = SLOT.cloud_usd_per_gpu_hour;

// The acceptance_p{j} slots are consecutive (slots.ts builds them as one block).
for (let j = 1; j < MAX_DRAFT_TOKENS; j++) {
  if (SLOT[`acceptance_p${j + 1}` as keyof typeof SLOT] !== X_ACCEPTANCE_P1 + j) {
    throw new Error('slots.ts: acceptance_p1..p8 must be consecutive slots');
  }
}

// Metric indices (slots.ts METRICS), looked up once: plain integers for the JIT.
const M_OUTPUT = METRIC.cost_per_mtok_output;
const M_TOTAL = METRIC.cost_per_mtok_total;
const M_CAPITAL = METRIC.cost_per_mtok_capital;
const M_ENERGY = METRIC.cost_per_mtok_energy;
const M_FACILITY = METRIC.cost_per_mtok_facility;
const M_OPEX = METRIC.cost_per_mtok_opex;
const M_TOKENS_PER_S = METRIC.output_tokens_per_s_per_gpu;
const M_TOKENS_PER_MW = METRIC.output_tokens_per_s_per_mw;
const M_JOULES = METRIC.joules_per_output_token;
const M_USD_PER_HOUR = METRIC.cost_usd_per_gpu_hour;
const M_TPOT = METRIC.tpot_ms;
const M_USER_RATE = METRIC.tokens_per_s_per_user;
const M_TTFT = METRIC.ttft_s;
const M_BATCH = METRIC.batch_effective;

// Intermediate indices (slots.ts INTERMEDIATES), looked up once: plain integers for the JIT.
const I_KV_BYTES = INTERMEDIATE.kv_bytes_per_token;
const I_KV_REPLICATION = INTERMEDIATE.kv_replication;
const I_SHARED = INTERMEDIATE.shared_params;
const I_EXPERT = INTERMEDIATE.expert_params;
const I_TOUCHED = INTERMEDIATE.experts_touched;
const I_WEIGHT_BYTES = INTERMEDIATE.weight_bytes;
const I_HBM_USABLE = INTERMEDIATE.hbm_bytes_usable;
const I_BATCH_MAX = INTERMEDIATE.batch_max;
const I_STEP = INTERMEDIATE.t_step_s;
const I_CYCLE = INTERMEDIATE.t_cycle_s;
const I_SPEC_TOKENS = INTERMEDIATE.spec_tokens_per_step;
const I_PREFILL = INTERMEDIATE.t_prefill_s;
const I_REQUEST = INTERMEDIATE.t_request_s;
const I_TP = INTERMEDIATE.tp_effective;
const I_EP = INTERMEDIATE.ep_effective;
const I_DP = INTERMEDIATE.dp_attention_effective;
const I_WEIGHT_PER_GPU = INTERMEDIATE.weight_bytes_per_gpu;
const I_KV_SEQ_PER_GPU = INTERMEDIATE.kv_bytes_per_seq_per_gpu;
const I_ATTN_FLOPS = INTERMEDIATE.attention_flops_per_token;
const I_COMM = INTERMEDIATE.t_comm_s;
const I_COMM_SHARE = INTERMEDIATE.comm_share;
const I_DECODE_TOKEN = INTERMEDIATE.t_decode_token_s;
const I_QUEUE = INTERMEDIATE.queue_wait_s;
const I_OFFLOAD_LOAD = INTERMEDIATE.t_offload_load_s;
const I_DECODE_RATE = INTERMEDIATE.decode_tokens_per_s_per_gpu;
const I_CRF = INTERMEDIATE.capital_recovery_factor;
const I_CAPITAL = INTERMEDIATE.capital_usd_per_gpu_hour;
const I_MAINTENANCE = INTERMEDIATE.maintenance_usd_per_gpu_hour;
const I_OPEX = INTERMEDIATE.opex_usd_per_gpu_hour;
const I_ENERGY = INTERMEDIATE.energy_usd_per_gpu_hour;
const I_FACILITY = INTERMEDIATE.facility_usd_per_gpu_hour;

/**
 * Evaluates the model for one sample. `x` holds SLOT_COUNT inputs (slots.ts); `out` receives the
 * METRIC_COUNT metrics in METRICS order. Returns FEASIBLE | SLO_MISS bits; when FEASIBLE is not
 * set the model does not fit in memory and `out` is left unspecified. Metrics the configuration
 * does not define (metricsFor) are written as 0.
 *
 * `inter`, when given, receives the INTERMEDIATE_COUNT intermediates in INTERMEDIATES order (the
 * values `explain` shows); those that intermediatesFor(config) leaves out, and all of them for an
 * infeasible sample, are left unspecified.
 */
export function evaluate(x: Float64Array, config: ModelConfig, out: Float64Array, inter?: Float64Array): number {
  const utilization = x[X_UTIL]!;

  // ---- Cost per GPU-hour (independent of throughput).
  let capitalUsdPerH = 0;
  let maintenanceUsdPerH = 0;
  let opexUsdPerH = 0;
  let energyUsdPerH = 0;
  let facilityUsdPerH = 0;
  let costUsdPerH: number;
  let crf = 0;
  const itPowerKw = x[X_IT_KW]!;
  const pue = x[X_PUE]!;
  if (config.pricing === 0) {
    // An owned offload tier is bought with the GPU: its capex joins the GPU's.
    const capexUsd = x[X_CAPEX]! + (config.kvOffload === 1 ? x[X_OFFLOAD_GB]! * x[X_OFFLOAD_USD_PER_GB]! : 0);
    const rate = x[X_RATE]!;
    const lifeYears = x[X_LIFE]!;
    // (1+r)^-n as exp(-n log1p(r)): a few ulps from Math.pow and about three times faster.
    const logGrowth = Math.log1p(rate);
    const discount = Math.exp(-lifeYears * logGrowth);
    crf = rate === 0 ? 1 / lifeYears : rate / (1 - discount);
    capitalUsdPerH = (capexUsd * (1 - x[X_RESIDUAL]! * discount) * crf) / HOURS_PER_YEAR;
    maintenanceUsdPerH = (x[X_MAINTENANCE]! * capexUsd) / HOURS_PER_YEAR;
    opexUsdPerH = x[X_OPEX]! / HOURS_PER_YEAR;
    const idle = x[X_IDLE]!;
    energyUsdPerH = itPowerKw * (idle + (1 - idle) * utilization) * pue * x[X_POWER_PRICE]!;
    const facilityMode = config.facility;
    if (facilityMode === 1) {
      facilityUsdPerH = (itPowerKw * x[X_COLO]! * 12) / HOURS_PER_YEAR;
    } else if (facilityMode === 2) {
      const facilityLifeYears = x[X_FACILITY_LIFE]!;
      const facilityCrf =
        rate === 0 ? 1 / facilityLifeYears : rate / (1 - Math.exp(-facilityLifeYears * logGrowth));
      facilityUsdPerH = (((itPowerKw * pue) / 1000) * x[X_FACILITY_CAPEX]! * facilityCrf) / HOURS_PER_YEAR;
    }
    costUsdPerH = capitalUsdPerH + maintenanceUsdPerH + opexUsdPerH + energyUsdPerH + facilityUsdPerH;
  } else {
    // Renting is an operating expense: the whole price is the opex share.
    costUsdPerH = x[X_CLOUD]!;
    opexUsdPerH = costUsdPerH;
  }
  if (inter !== undefined) {
    inter[I_CRF] = crf;
    inter[I_CAPITAL] = capitalUsdPerH;
    inter[I_MAINTENANCE] = maintenanceUsdPerH;
    inter[I_OPEX] = opexUsdPerH;
    inter[I_ENERGY] = energyUsdPerH;
    inter[I_FACILITY] = facilityUsdPerH;
  }

  // ---- Throughput and latency.
  const inputTokens = x[X_INPUT]!;
  const outputTokens = x[X_OUTPUT]!;
  let tokensPerSPerGpu: number;
  let tpotMs = 0;
  let userTokensPerS = 0;
  let ttftS = 0;
  let batchEffective = 0;
  let hasUserRate: boolean;
  let hasTtft: boolean;

  if (config.throughput === 1) {
    tokensPerSPerGpu = x[X_M_OUTPUT_RATE]!;
    hasUserRate = config.measuredUserRate === 1;
    hasTtft = config.measuredTtft === 1;
    if (hasUserRate) {
      userTokensPerS = x[X_M_USER_RATE]!;
      tpotMs = 1000 / userTokensPerS;
    }
    if (hasTtft) ttftS = x[X_M_TTFT]!;
  } else {
    hasUserRate = true;
    hasTtft = true;
    const gpus = x[X_GPUS]!;
    const layers = x[X_LAYERS]!;
    const heads = x[X_HEADS]!;
    const headDim = x[X_HEAD_DIM]!;
    const paramsTotal = x[X_PARAMS_TOTAL]!;
    const paramsActive = x[X_PARAMS_ACTIVE]!;
    const bytesPerWeight = x[X_WEIGHT_BITS]! / 8;
    const bytesPerKv = x[X_KV_BITS]! / 8;
    const experts = x[X_EXPERTS]!;
    const moe = experts > 1;

    // Parallel layout (parallelLayout, inlined).
    const tpGiven = x[X_TP]!;
    const dpGiven = x[X_DP]!;
    const tp = tpGiven > 0 ? tpGiven : dpGiven > 0 ? gpus / dpGiven : config.attention === 0 ? gpus : 1;
    const dp = gpus / tp;
    const epGiven = x[X_EP]!;
    const ep = moe ? (epGiven > 0 ? epGiven : gpus) : 1;

    let kvBytes: number;
    let replication: number;
    if (config.attention === 0) {
      const kvHeads = x[X_KV_HEADS]!;
      kvBytes = 2 * layers * kvHeads * headDim * bytesPerKv;
      replication = tp / kvHeads;
      if (replication < 1) replication = 1;
    } else {
      kvBytes = layers * (x[X_KV_LORA_RANK]! + x[X_QK_ROPE]!) * bytesPerKv;
      replication = tp;
    }

    // MoE split; the weights-read term is shared + expert * experts_touched(n).
    let shared = paramsTotal;
    let perExpert = 0;
    let perToken = 0;
    let logKeep = 0; // log(1 - k/E): experts_touched(n) = E * (1 - exp(n * logKeep))
    if (moe) {
      perToken = x[X_EXPERTS_PER_TOKEN]!;
      shared = (experts * paramsActive - perToken * paramsTotal) / (experts - perToken);
      perExpert = (paramsTotal - shared) / experts;
      logKeep = Math.log1p(-perToken / experts);
    }

    const weightBytes = paramsTotal * bytesPerWeight;
    const weightBytesGpu = bytesPerWeight * (shared / tp + (paramsTotal - shared) / gpus);
    const usableBytesGpu = x[X_HBM_GB]! * BYTES_PER_GB * x[X_HBM_USABLE]!;
    const kvPerTokenGpu = (kvBytes * replication) / tp;
    const kvSeqGpu = (inputTokens + outputTokens) * kvPerTokenGpu;
    const maxBatch = dp * Math.floor((usableBytesGpu - weightBytesGpu) / kvSeqGpu);
    // Written as !(>= 1) so that a NaN batch_max is infeasible too.
    if (!(maxBatch >= 1)) return 0;
    const requested = x[X_BATCH]!;
    const b = requested < maxBatch ? requested : maxBatch;
    batchEffective = b;

    const peakFlopsPerGpu = x[X_PEAK]! * FLOPS_PER_TFLOP;
    const attentionPeakPerGpu = config.attentionPeak === 1 ? x[X_ATTN_PEAK]! * FLOPS_PER_TFLOP : peakFlopsPerGpu;
    const ctxTokens = inputTokens + outputTokens / 2;
    const kvReadGpu = (b / dp) * ctxTokens * kvPerTokenGpu;
    const bytesPerSGpu = x[X_HBM_TBPS]! * BYTES_PER_TB * x[X_MBU_DECODE]!;
    const mfuDecode = x[X_MFU_DECODE]!;
    const imbalance = moe ? x[X_IMBALANCE]! : 1;
    const attnFlopsPerToken =
      config.attention === 0
        ? 4 * ctxTokens * layers * heads * headDim
        : 2 * ctxTokens * layers * heads * (2 * x[X_KV_LORA_RANK]! + x[X_QK_ROPE]!);
    // Seconds per token in flight of matrix and attention math on the busiest GPU.
    const computePerTokenS =
      (2 * (shared + perExpert * perToken * imbalance)) / (gpus * peakFlopsPerGpu * mfuDecode) +
      attnFlopsPerToken / (gpus * attentionPeakPerGpu * mfuDecode);
    const sharedBytesGpu = (bytesPerWeight * shared) / tp;
    const expertBytesGpu = (bytesPerWeight * perExpert) / gpus;
    const overheadS = x[X_STEP_OVERHEAD_MS]! / 1000;
    const exposed = 1 - x[X_OVERLAP]!;

    // Communication (commTimeS, inlined): seconds per step as a + c * tokens, per collective kind.
    const hidden = x[X_HIDDEN]!;
    const domain = x[X_DOMAIN]!;
    const upBytesPerS = x[X_SCALE_UP]! * BYTES_PER_GB_S;
    const outBytesPerS = x[X_SCALE_OUT]! * BYTES_PER_GB_S;
    const latencyS = x[X_LATENCY_US]! * SECONDS_PER_US;
    const actBytes = hidden * ACTIVATION_BYTES;
    // All-reduce over r GPUs of m bytes: ring factor / bandwidth per byte, plus latency.
    let commFixedS = tp <= 1 ? 0 : latencyS;
    let commPerTokenS = (allReducePerByteS(tp, domain, upBytesPerS, outBytesPerS) * actBytes) / dp;
    if (!moe) {
      commFixedS += tp <= 1 ? 0 : latencyS;
      commPerTokenS += (allReducePerByteS(tp, domain, upBytesPerS, outBytesPerS) * actBytes) / dp;
    } else {
      const slice = gpus / ep;
      if (ep > 1) {
        const inside = (Math.min(ep, domain) - 1) / ep;
        const outside = Math.max(0, ep - domain) / ep;
        commFixedS += 2 * latencyS;
        commPerTokenS += (2 * perToken * actBytes * imbalance * (inside / upBytesPerS + outside / outBytesPerS)) / gpus;
      }
      commFixedS += slice <= 1 ? 0 : latencyS;
      commPerTokenS += (allReducePerByteS(slice, domain, upBytesPerS, outBytesPerS) * actBytes) / ep;
    }
    commFixedS *= layers;
    commPerTokenS *= layers;

    // Plain decode step over b tokens.
    let touched = moe ? experts * (1 - Math.exp(b * logKeep)) : 0;
    const touchedDecode = touched;
    let busiest = touched * imbalance;
    if (busiest > experts) busiest = experts;
    let memoryS = (sharedBytesGpu + expertBytesGpu * busiest + kvReadGpu) / bytesPerSGpu;
    let computeS = computePerTokenS * b;
    const commStepS = commFixedS + commPerTokenS * b;
    const stepS = Math.max(memoryS, computeS) + exposed * commStepS + overheadS;

    let cycleS = stepS;
    let tokensPerStep = 1;
    if (config.speculative !== 0) {
      const k = draftTokensUsed(x[X_DRAFT_TOKENS]!);
      if (k > 0) {
        let pAllAccepted = 1;
        if (config.speculative === 1) {
          const a = x[X_ACCEPTANCE]!;
          for (let i = 0; i < k; i++) {
            pAllAccepted *= a;
            tokensPerStep += pAllAccepted;
          }
        } else {
          for (let i = 0; i < k; i++) {
            pAllAccepted *= x[X_ACCEPTANCE_P1 + i]!;
            tokensPerStep += pAllAccepted;
          }
        }
        // Verification step over b * (k + 1) tokens, plus k draft steps.
        const verifyTokens = b * (k + 1);
        touched = moe ? experts * (1 - Math.exp(verifyTokens * logKeep)) : 0;
        busiest = touched * imbalance;
        if (busiest > experts) busiest = experts;
        memoryS = (sharedBytesGpu + expertBytesGpu * busiest + kvReadGpu) / bytesPerSGpu;
        computeS = computePerTokenS * verifyTokens;
        const verifyS = Math.max(memoryS, computeS) + exposed * (commFixedS + commPerTokenS * verifyTokens) + overheadS;
        cycleS = verifyS + k * x[X_DRAFT_COST]! * stepS;
      }
    }

    // Prefill of one request: tokens neither in the GPU's prefix cache nor in the offload tier.
    const offloadHit = config.kvOffload === 1 ? x[X_OFFLOAD_HIT]! : 0;
    const computed = 1 - x[X_HIT_RATE]! - offloadHit;
    const prefillMatrixFlops = computed * 2 * paramsActive * inputTokens;
    const prefillAttentionFlops = computed * 2 * inputTokens * inputTokens * layers * heads * headDim;
    const prefillCommS = exposed * (commFixedS + commPerTokenS * computed * inputTokens);
    const offloadLoadS =
      config.kvOffload === 1 ? (offloadHit * inputTokens * kvPerTokenGpu) / (x[X_OFFLOAD_GBPS]! * BYTES_PER_GB_S) : 0;
    const decodeReplicaS = (outputTokens * cycleS) / (b * tokensPerStep);
    const decodeTokenS = cycleS / tokensPerStep;
    let prefillS: number;
    let load: number;
    let itlS: number;
    if (config.disaggregated === 1) {
      const prefillGpus = x[X_PREFILL_GPUS]!;
      const mfu = x[X_DISAGG_MFU]!;
      prefillS =
        prefillMatrixFlops / (prefillGpus * peakFlopsPerGpu * mfu) +
        prefillAttentionFlops / (prefillGpus * attentionPeakPerGpu * mfu) +
        prefillCommS;
      tokensPerSPerGpu = outputTokens / (prefillGpus * prefillS + gpus * decodeReplicaS);
      // The prefill pool is sized to the demand at capacity: its load is the utilization.
      load = utilization;
      itlS = decodeTokenS;
    } else {
      const mfu = x[X_MFU_PREFILL]!;
      prefillS =
        prefillMatrixFlops / (gpus * peakFlopsPerGpu * mfu) + prefillAttentionFlops / (gpus * attentionPeakPerGpu * mfu) + prefillCommS;
      tokensPerSPerGpu = outputTokens / ((prefillS + decodeReplicaS) * gpus);
      // Requests arrive at u / t_request; each holds the replica's prefill for prefillS.
      load = (utilization * prefillS) / (prefillS + decodeReplicaS);
      itlS = decodeTokenS + ((b - 1) * prefillS) / outputTokens;
    }
    const rho = load < MAX_QUEUE_LOAD ? load : MAX_QUEUE_LOAD;
    const queueS = (rho * prefillS) / (2 * (1 - rho));
    ttftS = prefillS + offloadLoadS + queueS;
    tpotMs = 1000 * itlS;
    userTokensPerS = 1 / itlS;
    if (inter !== undefined) {
      inter[I_KV_BYTES] = kvBytes;
      inter[I_KV_REPLICATION] = replication;
      inter[I_SHARED] = shared;
      inter[I_EXPERT] = perExpert;
      inter[I_TOUCHED] = touchedDecode;
      inter[I_WEIGHT_BYTES] = weightBytes;
      inter[I_HBM_USABLE] = usableBytesGpu;
      inter[I_BATCH_MAX] = maxBatch;
      inter[I_STEP] = stepS;
      inter[I_CYCLE] = cycleS;
      inter[I_SPEC_TOKENS] = tokensPerStep;
      inter[I_PREFILL] = prefillS;
      // As explain has it: the prefill plus the replica's decode time per request.
      inter[I_REQUEST] = prefillS + decodeReplicaS;
      inter[I_TP] = tp;
      inter[I_EP] = ep;
      inter[I_DP] = dp;
      inter[I_WEIGHT_PER_GPU] = weightBytesGpu;
      inter[I_KV_SEQ_PER_GPU] = kvSeqGpu;
      inter[I_ATTN_FLOPS] = attnFlopsPerToken;
      inter[I_COMM] = commStepS;
      inter[I_COMM_SHARE] = (exposed * commStepS) / stepS;
      inter[I_DECODE_TOKEN] = decodeTokenS;
      inter[I_QUEUE] = queueS;
      inter[I_OFFLOAD_LOAD] = offloadLoadS;
      inter[I_DECODE_RATE] = (b * tokensPerStep) / (gpus * cycleS);
    }
  }

  // ---- Metrics. Shares are component / (tokens per GPU-hour), equal to component / cost * total.
  const busy = config.pricing === 1 && config.billing === 1 ? x[X_AUTOSCALE]! : utilization;
  const usdPerHourToPerMtok = TOKENS_PER_MTOK / (tokensPerSPerGpu * busy * SECONDS_PER_HOUR);
  const costPerMtokOutput = costUsdPerH * usdPerHourToPerMtok;
  const facilityKw = itPowerKw * pue;
  out[M_OUTPUT] = costPerMtokOutput;
  out[M_TOTAL] = (costPerMtokOutput * outputTokens) / (inputTokens + outputTokens);
  out[M_CAPITAL] = capitalUsdPerH * usdPerHourToPerMtok;
  out[M_ENERGY] = energyUsdPerH * usdPerHourToPerMtok;
  out[M_FACILITY] = facilityUsdPerH * usdPerHourToPerMtok;
  out[M_OPEX] = (maintenanceUsdPerH + opexUsdPerH) * usdPerHourToPerMtok;
  out[M_TOKENS_PER_S] = tokensPerSPerGpu;
  out[M_TOKENS_PER_MW] = (tokensPerSPerGpu * 1000) / facilityKw;
  out[M_JOULES] = (facilityKw * 1000) / tokensPerSPerGpu;
  out[M_USD_PER_HOUR] = costUsdPerH;
  out[M_TPOT] = tpotMs;
  out[M_USER_RATE] = userTokensPerS;
  out[M_TTFT] = ttftS;
  out[M_BATCH] = batchEffective;

  let flags = FEASIBLE;
  if (
    (config.sloTokensPerSPerUser === 1 && hasUserRate && userTokensPerS < x[X_SLO_USER_RATE]!) ||
    (config.sloTtft === 1 && hasTtft && ttftS > x[X_SLO_TTFT]!)
  ) {
    flags |= SLO_MISS;
  }
  return flags;
}

// ---------------------------------------------------------------------------------------------
// explain: every intermediate quantity, built from the helpers above
// ---------------------------------------------------------------------------------------------

/**
 * One deterministic evaluation, spelled out. Keys come in this order (explain prints them in
 * insertion order):
 * - roofline, feasible: memory (`kv_bytes_per_token`, `kv_replication`, `shared_params`,
 *   `expert_params`, `weight_bytes`, `hbm_bytes_usable`, `batch_max`, `batch_effective`,
 *   `experts_touched`), then time (`t_step_s`, `bound`, `spec_tokens_per_step`, `t_cycle_s`,
 *   `t_prefill_s`, `t_request_s`), then cost (`capital_recovery_factor`,
 *   `capital_usd_per_gpu_hour`, `maintenance_usd_per_gpu_hour`, `opex_usd_per_gpu_hour`,
 *   `energy_usd_per_gpu_hour`, `facility_usd_per_gpu_hour`, `cost_usd_per_gpu_hour`), then every
 *   metric of metricsFor(config) in METRICS order (`batch_effective` and `cost_usd_per_gpu_hour`,
 *   already listed above, keep their earlier place), then `slo_miss` when an SLO is set.
 * - roofline, infeasible: `infeasible: true`, `weight_bytes`, `kv_bytes_per_token`,
 *   `kv_replication`, `batch_max`, `hbm_bytes_usable`, then the cost block.
 * - measured: the cost block, the metrics, `slo_miss` when an SLO is set.
 * `capital_recovery_factor` is 0 under cloud pricing (nothing is financed).
 */
export type ExplainValues = Record<string, number | string | boolean>;

/** The cost block of explain, in its printed order. */
function explainCost(x: Float64Array, config: ModelConfig): ExplainValues {
  const s = (name: keyof typeof SLOT): number => x[SLOT[name]]!;
  if (config.pricing === 1) {
    const cloud = s('cloud_usd_per_gpu_hour');
    return {
      capital_recovery_factor: 0,
      capital_usd_per_gpu_hour: 0,
      maintenance_usd_per_gpu_hour: 0,
      opex_usd_per_gpu_hour: cloud,
      energy_usd_per_gpu_hour: 0,
      facility_usd_per_gpu_hour: 0,
      cost_usd_per_gpu_hour: cloud,
    };
  }
  // An owned offload tier is bought with the GPU: its capex joins the GPU's.
  const capex = s('capex_usd_per_gpu') + (config.kvOffload === 1 ? s('offload_capacity_gb') * s('offload_capex_usd_per_gb') : 0);
  const rate = s('cost_of_capital');
  const capital = capitalUsdPerGpuHour(capex, rate, s('life_years'), s('residual_fraction'));
  const maintenance = (s('maintenance_fraction_per_year') * capex) / HOURS_PER_YEAR;
  const opex = s('opex_usd_per_gpu_year') / HOURS_PER_YEAR;
  const energy = energyUsdPerGpuHour(
    s('it_power_kw_per_gpu'),
    s('idle_power_fraction'),
    s('utilization'),
    s('pue'),
    s('power_price_usd_per_kwh'),
  );
  const facility = facilityUsdPerGpuHour(
    config.facility,
    s('it_power_kw_per_gpu'),
    s('pue'),
    s('colocation_usd_per_kw_month'),
    s('facility_capex_usd_per_mw'),
    rate,
    s('facility_life_years'),
  );
  return {
    capital_recovery_factor: capitalRecoveryFactor(rate, s('life_years')),
    capital_usd_per_gpu_hour: capital,
    maintenance_usd_per_gpu_hour: maintenance,
    opex_usd_per_gpu_hour: opex,
    energy_usd_per_gpu_hour: energy,
    facility_usd_per_gpu_hour: facility,
    cost_usd_per_gpu_hour: capital + maintenance + opex + energy + facility,
  };
}

/** Throughput-side results both modes feed into the metrics. */
interface ThroughputResult {
  tokensPerSPerGpu: number;
  tpotMs: number | undefined;
  userTokensPerS: number | undefined;
  ttftS: number | undefined;
  batchEffective: number | undefined;
}

function metricValues(
  x: Float64Array,
  config: ModelConfig,
  cost: ExplainValues,
  t: ThroughputResult,
): ExplainValues {
  const s = (name: keyof typeof SLOT): number => x[SLOT[name]]!;
  const u = busyShareOfPaidHours(config, s('utilization'), s('autoscaling_efficiency'));
  const inputTokens = s('input_tokens');
  const outputTokens = s('output_tokens');
  const facilityKw = s('it_power_kw_per_gpu') * s('pue');
  const share = (usdPerHour: number): number => costPerMtok(usdPerHour, t.tokensPerSPerGpu, u);
  const usdPerHour = cost.cost_usd_per_gpu_hour as number;
  const costPerMtokOutput = share(usdPerHour);
  const all: Record<string, number | undefined> = {
    cost_per_mtok_output: costPerMtokOutput,
    cost_per_mtok_total: (costPerMtokOutput * outputTokens) / (inputTokens + outputTokens),
    cost_per_mtok_capital: share(cost.capital_usd_per_gpu_hour as number),
    cost_per_mtok_energy: share(cost.energy_usd_per_gpu_hour as number),
    cost_per_mtok_facility: share(cost.facility_usd_per_gpu_hour as number),
    cost_per_mtok_opex: share(
      (cost.maintenance_usd_per_gpu_hour as number) + (cost.opex_usd_per_gpu_hour as number),
    ),
    output_tokens_per_s_per_gpu: t.tokensPerSPerGpu,
    output_tokens_per_s_per_mw: (t.tokensPerSPerGpu * 1000) / facilityKw,
    joules_per_output_token: (facilityKw * 1000) / t.tokensPerSPerGpu,
    cost_usd_per_gpu_hour: usdPerHour,
    tpot_ms: t.tpotMs,
    tokens_per_s_per_user: t.userTokensPerS,
    ttft_s: t.ttftS,
    batch_effective: t.batchEffective,
  };
  const values: ExplainValues = {};
  for (const m of metricsFor(config)) values[m] = all[m] ?? 0;
  if (config.sloTokensPerSPerUser === 1 || config.sloTtft === 1) {
    const missUserRate =
      config.sloTokensPerSPerUser === 1 &&
      t.userTokensPerS !== undefined &&
      t.userTokensPerS < s('slo_min_tokens_per_s_per_user');
    const missTtft = config.sloTtft === 1 && t.ttftS !== undefined && t.ttftS > s('slo_max_ttft_s');
    values.slo_miss = missUserRate || missTtft;
  }
  return values;
}

/** Every intermediate quantity of one evaluation, in the order documented on ExplainValues. */
export function explain(x: Float64Array, config: ModelConfig): ExplainValues {
  const s = (name: keyof typeof SLOT): number => x[SLOT[name]]!;
  const cost = explainCost(x, config);

  if (config.throughput === 1) {
    const userRate = config.measuredUserRate === 1 ? s('measured_tokens_per_s_per_user') : undefined;
    const measured: ThroughputResult = {
      tokensPerSPerGpu: s('measured_output_tokens_per_s_per_gpu'),
      userTokensPerS: userRate,
      tpotMs: userRate === undefined ? undefined : 1000 / userRate,
      ttftS: config.measuredTtft === 1 ? s('measured_ttft_s') : undefined,
      batchEffective: undefined,
    };
    return { ...cost, ...metricValues(x, config, cost, measured) };
  }

  const gpus = s('gpus_per_replica');
  const inputTokens = s('input_tokens');
  const outputTokens = s('output_tokens');
  const experts = s('experts');
  const moe = isMoe(experts);
  const layout = parallelLayout(config.attention, gpus, s('tp'), s('ep'), s('dp_attention'), moe);
  const kvBytes = kvBytesPerToken(
    config.attention,
    s('layers'),
    s('kv_heads'),
    s('head_dim'),
    s('kv_lora_rank'),
    s('qk_rope_head_dim'),
    s('kv_bits'),
  );
  const replication = kvReplication(config.attention, layout.tp, s('kv_heads'));
  const expertsPerToken = moe ? s('experts_per_token') : 0;
  const shared = sharedParams(s('params_total'), s('params_active'), experts, expertsPerToken);
  const perExpert = expertParams(s('params_total'), shared, experts);
  const bytesPerWeight = s('weight_bits') / 8;
  const weightBytes = s('params_total') * bytesPerWeight;
  const weightGpu = weightBytesPerGpu(bytesPerWeight, shared, s('params_total'), layout.tp, gpus);
  const usableGpu = hbmBytesUsable(s('hbm_gb'), s('hbm_usable_fraction'));
  const kvSeqGpu = kvBytesPerSeqPerGpu(kvBytes, inputTokens + outputTokens, replication, layout.tp);
  const maxBatch = batchMax(usableGpu, weightGpu, kvSeqGpu, layout.dp);
  const layoutValues = { tp_effective: layout.tp, dp_attention_effective: layout.dp, ep_effective: layout.ep };
  if (!(maxBatch >= 1)) {
    return {
      infeasible: true,
      ...layoutValues,
      weight_bytes: weightBytes,
      weight_bytes_per_gpu: weightGpu,
      kv_bytes_per_token: kvBytes,
      kv_replication: replication,
      kv_bytes_per_seq_per_gpu: kvSeqGpu,
      batch_max: maxBatch,
      hbm_bytes_usable: usableGpu,
      ...cost,
    };
  }

  const b = Math.min(s('batch_size'), maxBatch);
  const ctxTokens = inputTokens + outputTokens / 2;
  const peakFlopsPerGpu = s('peak_tflops') * FLOPS_PER_TFLOP;
  const attentionPeakPerGpu = config.attentionPeak === 1 ? s('attention_tflops') * FLOPS_PER_TFLOP : peakFlopsPerGpu;
  const imbalance = moe ? s('expert_imbalance') : 1;
  const link: Interconnect = {
    scaleUpBytesPerS: s('scale_up_gb_per_s') * BYTES_PER_GB_S,
    scaleUpDomain: s('scale_up_domain'),
    scaleOutBytesPerS: s('scale_out_gb_per_s') * BYTES_PER_GB_S,
    latencyS: s('collective_latency_us') * SECONDS_PER_US,
  };
  const comm = (tokens: number): number =>
    commTimeS(tokens, layout, gpus, moe, s('hidden'), s('layers'), expertsPerToken, imbalance, link);
  const attnFlops = attentionFlopsPerToken(
    config.attention,
    ctxTokens,
    s('layers'),
    s('heads'),
    s('head_dim'),
    s('kv_lora_rank'),
    s('qk_rope_head_dim'),
  );
  const shape: StepShape = {
    bytesPerWeight,
    sharedParams: shared,
    expertParams: perExpert,
    experts,
    expertsPerToken,
    expertImbalance: imbalance,
    gpusPerReplica: gpus,
    tp: layout.tp,
    kvBytesReadPerGpu: (b / layout.dp) * ctxTokens * (kvBytes * replication) / layout.tp,
    attentionFlopsPerToken: attnFlops,
    bytesPerSPerGpu: s('hbm_tb_per_s') * BYTES_PER_TB * s('mbu_decode'),
    flopsPerSPerGpu: peakFlopsPerGpu * s('mfu_decode'),
    attentionFlopsPerSPerGpu: attentionPeakPerGpu * s('mfu_decode'),
    commS: comm,
    commExposed: 1 - s('comm_overlap'),
    stepOverheadS: s('step_overhead_ms') / 1000,
  };
  const stepS = stepTimeS(shape, b);

  let tokensPerStep = 1;
  let cycleS = stepS;
  const k = config.speculative === 0 ? 0 : draftTokensUsed(s('draft_tokens'));
  if (k > 0) {
    const acceptance =
      config.speculative === 1
        ? s('acceptance_rate')
        : Array.from({ length: k }, (_, i) => x[SLOT.acceptance_p1 + i]!);
    tokensPerStep = specTokensPerStep(k, acceptance);
    cycleS = stepTimeS(shape, b * (k + 1)) + k * s('draft_cost_ratio') * stepS;
  }

  const offloadHit = config.kvOffload === 1 ? s('offload_hit_rate') : 0;
  const cached = s('prefix_cache_hit_rate') + offloadHit;
  const flopsPrefill = prefillFlops(inputTokens, cached, s('params_active'), s('layers'), s('heads'), s('head_dim'));
  const prefillCommS = shape.commExposed * comm((1 - cached) * inputTokens);
  const offloadLoadS =
    config.kvOffload === 1
      ? (offloadHit * inputTokens * ((kvBytes * replication) / layout.tp)) / (s('offload_gb_per_s') * BYTES_PER_GB_S)
      : 0;
  const decodeReplicaS = (outputTokens * cycleS) / (b * tokensPerStep);
  const prefillOn = (gpuCount: number, mfu: number): number =>
    flopsPrefill.matrix / (gpuCount * peakFlopsPerGpu * mfu) +
    flopsPrefill.attention / (gpuCount * attentionPeakPerGpu * mfu) +
    prefillCommS;
  let prefillS: number;
  let tokensPerSPerGpu: number;
  let load: number;
  const disaggregated = config.disaggregated === 1;
  if (disaggregated) {
    const prefillGpus = s('prefill_gpus');
    prefillS = prefillOn(prefillGpus, s('disagg_mfu_prefill'));
    tokensPerSPerGpu = outputTokens / (prefillGpus * prefillS + gpus * decodeReplicaS);
    load = s('utilization');
  } else {
    prefillS = prefillOn(gpus, s('mfu_prefill'));
    tokensPerSPerGpu = outputTokens / ((prefillS + decodeReplicaS) * gpus);
    load = (s('utilization') * prefillS) / (prefillS + decodeReplicaS);
  }
  const decodeTokenS = cycleS / tokensPerStep;
  const itlS = interTokenLatencyS(decodeTokenS, prefillS, b, outputTokens, disaggregated);
  const queueS = queueWaitS(load, prefillS);
  const ttftS = prefillS + offloadLoadS + queueS;
  const commStepS = comm(b);

  return {
    ...layoutValues,
    kv_bytes_per_token: kvBytes,
    kv_replication: replication,
    kv_bytes_per_seq_per_gpu: kvSeqGpu,
    shared_params: shared,
    expert_params: perExpert,
    weight_bytes: weightBytes,
    weight_bytes_per_gpu: weightGpu,
    hbm_bytes_usable: usableGpu,
    batch_max: maxBatch,
    batch_effective: b,
    experts_touched: expertsTouched(b, experts, expertsPerToken),
    attention_flops_per_token: attnFlops,
    t_comm_s: commStepS,
    comm_share: (shape.commExposed * commStepS) / stepS,
    t_step_s: stepS,
    bound: stepBound(shape, b),
    spec_tokens_per_step: tokensPerStep,
    t_cycle_s: cycleS,
    t_decode_token_s: decodeTokenS,
    decode_tokens_per_s_per_gpu: (b * tokensPerStep) / (gpus * cycleS),
    t_prefill_s: prefillS,
    t_offload_load_s: offloadLoadS,
    queue_wait_s: queueS,
    t_request_s: prefillS + decodeReplicaS,
    ...cost,
    ...metricValues(x, config, cost, {
      tokensPerSPerGpu,
      tpotMs: 1000 * itlS,
      userTokensPerS: 1 / itlS,
      ttftS,
      batchEffective: b,
    }),
  };
}
