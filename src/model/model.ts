/**
 * The CPU reference of the cost model: MODEL.md's equations, read exactly as both engines read
 * them (the GPU form is shaders/model.wgsl). One call of `evaluate` is one Monte Carlo sample.
 *
 * Two forms of the same equations live here:
 * - small pure helpers, one per equation, which `explain` and the tests use;
 * - `evaluate`, the hot path of the CPU engine, which inlines them into plain local arithmetic
 *   (no allocation, no closures) because it runs tens of millions of times per run. A test checks
 *   that `evaluate` and `explain` agree on random inputs, so the two forms cannot drift apart.
 */

import { INTERMEDIATE, INTERMEDIATE_COUNT, INTERMEDIATES, MAX_DRAFT_TOKENS, METRIC_COUNT, METRICS, SLOT, metricsFor } from './slots.js';
import type { ModelConfig } from './slots.js';

/** Flag bits returned by `evaluate`. */
export const FEASIBLE = 1;
export const SLO_MISS = 2;

/** 365 days of 24 hours: MODEL.md prices everything per GPU-hour over a 8760-hour year. */
export const HOURS_PER_YEAR = 8760;
const SECONDS_PER_HOUR = 3600;
const TOKENS_PER_MTOK = 1e6;
const BYTES_PER_GB = 1e9;
const BYTES_PER_TB = 1e12;
const FLOPS_PER_TFLOP = 1e12;

// ---------------------------------------------------------------------------------------------
// Memory (MODEL.md "Throughput" 1-4)
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
 * KV copies held per replica. Under tensor parallelism over more GPUs than KV heads, each head
 * is replicated on g / kv_heads GPUs. MLA is served with data-parallel attention: one copy.
 */
export function kvReplication(attention: 0 | 1, gpusPerReplica: number, kvHeads: number): number {
  return attention === 0 ? Math.max(1, gpusPerReplica / kvHeads) : 1;
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

/** Bytes of HBM a replica may fill: g * hbm_gb * 1e9 * hbm_usable_fraction. */
export function hbmBytesUsable(gpusPerReplica: number, hbmGb: number, hbmUsableFraction: number): number {
  return gpusPerReplica * hbmGb * BYTES_PER_GB * hbmUsableFraction;
}

/**
 * The most sequences whose full KV cache (I + O tokens each) fits beside the weights. Below 1
 * (including a negative or zero free space) the configuration is infeasible.
 */
export function batchMax(
  usableBytes: number,
  weightBytes: number,
  contextTokens: number,
  kvBytes: number,
  replication: number,
): number {
  return Math.floor((usableBytes - weightBytes) / (contextTokens * kvBytes * replication));
}

// ---------------------------------------------------------------------------------------------
// Time (MODEL.md "Throughput" 5-9)
// ---------------------------------------------------------------------------------------------

/** What a decode step's roofline needs to know, besides the number of tokens in flight. */
export interface StepShape {
  bytesPerWeight: number;
  sharedParams: number;
  expertParams: number;
  experts: number;
  expertsPerToken: number;
  /** KV bytes read per step: batch_effective * ctx * kv_bytes_per_token * kv_replication. */
  kvBytesRead: number;
  paramsActive: number;
  /** Mean decode context, I + O/2 tokens. */
  ctxTokens: number;
  layers: number;
  heads: number;
  headDim: number;
  /** Achieved replica bandwidth: g * hbm_tb_per_s * 1e12 * mbu_decode. */
  bytesPerS: number;
  /** Achieved replica decode compute: g * peak * 1e12 * mfu_decode. */
  flopsPerS: number;
  stepOverheadS: number;
}

/** Bytes one forward step over `tokens` tokens reads: the weights it touches plus the KV cache. */
export function stepBytes(s: StepShape, tokens: number): number {
  const weightsTouched = s.sharedParams + s.expertParams * expertsTouched(tokens, s.experts, s.expertsPerToken);
  return s.bytesPerWeight * weightsTouched + s.kvBytesRead;
}

/** FLOPs of one forward step over `tokens` tokens: 2 per active weight, plus attention over ctx. */
export function stepFlops(s: StepShape, tokens: number): number {
  return 2 * s.paramsActive * tokens + 4 * tokens * s.ctxTokens * s.layers * s.heads * s.headDim;
}

/** Roofline step time: the slower of moving the bytes and doing the FLOPs, plus a fixed overhead. */
export function stepTimeS(s: StepShape, tokens: number): number {
  return Math.max(stepBytes(s, tokens) / s.bytesPerS, stepFlops(s, tokens) / s.flopsPerS) + s.stepOverheadS;
}

/** Which roofline term limits a step: 'memory' when moving bytes takes at least as long. */
export function stepBound(s: StepShape, tokens: number): 'memory' | 'compute' {
  return stepBytes(s, tokens) / s.bytesPerS >= stepFlops(s, tokens) / s.flopsPerS ? 'memory' : 'compute';
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
 * Prefill FLOPs per request: 2 per active weight per prompt token, plus attention over the
 * prompt (2 I^2 per layer, head and head dimension); the cached prefix fraction h is skipped.
 */
export function prefillFlops(
  inputTokens: number,
  prefixCacheHitRate: number,
  paramsActive: number,
  layers: number,
  heads: number,
  headDim: number,
): number {
  const flops = 2 * paramsActive * inputTokens + 2 * inputTokens * inputTokens * layers * heads * headDim;
  return (1 - prefixCacheHitRate) * flops;
}

// ---------------------------------------------------------------------------------------------
// Cost per GPU-hour (MODEL.md "Cost per GPU-hour")
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

// ---------------------------------------------------------------------------------------------
// evaluate: one sample, the CPU engine's hot path
// ---------------------------------------------------------------------------------------------

// Slot and metric indices as module constants: plain integers the JIT can fold.
const X_PEAK = SLOT.peak_tflops;
const X_HBM_GB = SLOT.hbm_gb;
const X_HBM_TBPS = SLOT.hbm_tb_per_s;
const X_IT_KW = SLOT.it_power_kw_per_gpu;
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

const M_OUTPUT = 0;
const M_TOTAL = 1;
const M_CAPITAL = 2;
const M_ENERGY = 3;
const M_FACILITY = 4;
const M_OPEX = 5;
const M_TOKENS_PER_S = 6;
const M_TOKENS_PER_MW = 7;
const M_JOULES = 8;
const M_USD_PER_HOUR = 9;
const M_TPOT = 10;
const M_USER_RATE = 11;
const M_TTFT = 12;
const M_BATCH = 13;
if (
  METRICS[M_OUTPUT] !== 'cost_per_mtok_output' ||
  METRICS[M_TOTAL] !== 'cost_per_mtok_total' ||
  METRICS[M_CAPITAL] !== 'cost_per_mtok_capital' ||
  METRICS[M_ENERGY] !== 'cost_per_mtok_energy' ||
  METRICS[M_FACILITY] !== 'cost_per_mtok_facility' ||
  METRICS[M_OPEX] !== 'cost_per_mtok_opex' ||
  METRICS[M_TOKENS_PER_S] !== 'output_tokens_per_s_per_gpu' ||
  METRICS[M_TOKENS_PER_MW] !== 'output_tokens_per_s_per_mw' ||
  METRICS[M_JOULES] !== 'joules_per_output_token' ||
  METRICS[M_USD_PER_HOUR] !== 'cost_usd_per_gpu_hour' ||
  METRICS[M_TPOT] !== 'tpot_ms' ||
  METRICS[M_USER_RATE] !== 'tokens_per_s_per_user' ||
  METRICS[M_TTFT] !== 'ttft_s' ||
  METRICS[M_BATCH] !== 'batch_effective' ||
  METRIC_COUNT !== 14
) {
  throw new Error('slots.ts: METRICS order changed; update the metric indices in model.ts');
}

// Intermediate indices (slots.ts INTERMEDIATES), checked like the metric indices above.
const I_KV_BYTES = 0;
const I_KV_REPLICATION = 1;
const I_SHARED = 2;
const I_EXPERT = 3;
const I_TOUCHED = 4;
const I_WEIGHT_BYTES = 5;
const I_HBM_USABLE = 6;
const I_BATCH_MAX = 7;
const I_STEP = 8;
const I_CYCLE = 9;
const I_SPEC_TOKENS = 10;
const I_PREFILL = 11;
const I_REQUEST = 12;
const I_CRF = 13;
const I_CAPITAL = 14;
const I_MAINTENANCE = 15;
const I_OPEX = 16;
const I_ENERGY = 17;
const I_FACILITY = 18;
if (
  INTERMEDIATE_COUNT !== 19 ||
  INTERMEDIATES.some((name, i) => INTERMEDIATE[name] !== i) ||
  INTERMEDIATE.kv_bytes_per_token !== I_KV_BYTES ||
  INTERMEDIATE.kv_replication !== I_KV_REPLICATION ||
  INTERMEDIATE.shared_params !== I_SHARED ||
  INTERMEDIATE.expert_params !== I_EXPERT ||
  INTERMEDIATE.experts_touched !== I_TOUCHED ||
  INTERMEDIATE.weight_bytes !== I_WEIGHT_BYTES ||
  INTERMEDIATE.hbm_bytes_usable !== I_HBM_USABLE ||
  INTERMEDIATE.batch_max !== I_BATCH_MAX ||
  INTERMEDIATE.t_step_s !== I_STEP ||
  INTERMEDIATE.t_cycle_s !== I_CYCLE ||
  INTERMEDIATE.spec_tokens_per_step !== I_SPEC_TOKENS ||
  INTERMEDIATE.t_prefill_s !== I_PREFILL ||
  INTERMEDIATE.t_request_s !== I_REQUEST ||
  INTERMEDIATE.capital_recovery_factor !== I_CRF ||
  INTERMEDIATE.capital_usd_per_gpu_hour !== I_CAPITAL ||
  INTERMEDIATE.maintenance_usd_per_gpu_hour !== I_MAINTENANCE ||
  INTERMEDIATE.opex_usd_per_gpu_hour !== I_OPEX ||
  INTERMEDIATE.energy_usd_per_gpu_hour !== I_ENERGY ||
  INTERMEDIATE.facility_usd_per_gpu_hour !== I_FACILITY
) {
  throw new Error('slots.ts: INTERMEDIATES changed; update the intermediate indices in model.ts');
}

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
    const capexUsd = x[X_CAPEX]!;
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

    let kvBytes: number;
    let replication: number;
    if (config.attention === 0) {
      const kvHeads = x[X_KV_HEADS]!;
      kvBytes = 2 * layers * kvHeads * headDim * bytesPerKv;
      replication = gpus / kvHeads;
      if (replication < 1) replication = 1;
    } else {
      kvBytes = layers * (x[X_KV_LORA_RANK]! + x[X_QK_ROPE]!) * bytesPerKv;
      replication = 1;
    }

    const weightBytes = paramsTotal * bytesPerWeight;
    const usableBytes = gpus * x[X_HBM_GB]! * BYTES_PER_GB * x[X_HBM_USABLE]!;
    const kvBytesPerSeq = kvBytes * replication;
    const maxBatch = Math.floor((usableBytes - weightBytes) / ((inputTokens + outputTokens) * kvBytesPerSeq));
    // Written as !(>= 1) so that a NaN batch_max is infeasible too.
    if (!(maxBatch >= 1)) return 0;
    const requested = x[X_BATCH]!;
    const b = requested < maxBatch ? requested : maxBatch;
    batchEffective = b;

    // MoE split; the weights-read term is shared + expert * experts_touched(n).
    const experts = x[X_EXPERTS]!;
    let shared = paramsTotal;
    let perExpert = 0;
    let logKeep = 0; // log(1 - k/E): experts_touched(n) = E * (1 - exp(n * logKeep))
    if (experts > 1) {
      const perToken = x[X_EXPERTS_PER_TOKEN]!;
      shared = (experts * paramsActive - perToken * paramsTotal) / (experts - perToken);
      perExpert = (paramsTotal - shared) / experts;
      logKeep = Math.log1p(-perToken / experts);
    }

    const peakFlopsPerGpu = x[X_PEAK]! * FLOPS_PER_TFLOP;
    const ctxTokens = inputTokens + outputTokens / 2;
    const kvBytesRead = b * ctxTokens * kvBytesPerSeq;
    const bytesPerS = gpus * x[X_HBM_TBPS]! * BYTES_PER_TB * x[X_MBU_DECODE]!;
    const flopsPerS = gpus * peakFlopsPerGpu * x[X_MFU_DECODE]!;
    const overheadS = x[X_STEP_OVERHEAD_MS]! / 1000;
    const flopsPerToken = 2 * paramsActive + 4 * ctxTokens * layers * heads * headDim;

    // Plain decode step over b tokens.
    let touched = experts > 1 ? experts * (1 - Math.exp(b * logKeep)) : 0;
    const touchedDecode = touched;
    let memoryS = (bytesPerWeight * (shared + perExpert * touched) + kvBytesRead) / bytesPerS;
    let computeS = (flopsPerToken * b) / flopsPerS;
    const stepS = Math.max(memoryS, computeS) + overheadS;

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
        touched = experts > 1 ? experts * (1 - Math.exp(verifyTokens * logKeep)) : 0;
        memoryS = (bytesPerWeight * (shared + perExpert * touched) + kvBytesRead) / bytesPerS;
        computeS = (flopsPerToken * verifyTokens) / flopsPerS;
        const verifyS = Math.max(memoryS, computeS) + overheadS;
        cycleS = verifyS + k * x[X_DRAFT_COST]! * stepS;
      }
    }

    const hitRate = x[X_HIT_RATE]!;
    const prefillFlopsPerRequest =
      (1 - hitRate) * (2 * paramsActive * inputTokens + 2 * inputTokens * inputTokens * layers * heads * headDim);
    const decodeReplicaS = (outputTokens * cycleS) / (b * tokensPerStep);
    if (config.disaggregated === 1) {
      const prefillGpus = x[X_PREFILL_GPUS]!;
      ttftS = prefillFlopsPerRequest / (prefillGpus * peakFlopsPerGpu * x[X_DISAGG_MFU]!);
      tokensPerSPerGpu = outputTokens / (prefillGpus * ttftS + gpus * decodeReplicaS);
    } else {
      ttftS = prefillFlopsPerRequest / (gpus * peakFlopsPerGpu * x[X_MFU_PREFILL]!);
      tokensPerSPerGpu = outputTokens / ((ttftS + decodeReplicaS) * gpus);
    }
    tpotMs = (1000 * cycleS) / tokensPerStep;
    userTokensPerS = 1000 / tpotMs;
    if (inter !== undefined) {
      inter[I_KV_BYTES] = kvBytes;
      inter[I_KV_REPLICATION] = replication;
      inter[I_SHARED] = shared;
      inter[I_EXPERT] = perExpert;
      inter[I_TOUCHED] = touchedDecode;
      inter[I_WEIGHT_BYTES] = weightBytes;
      inter[I_HBM_USABLE] = usableBytes;
      inter[I_BATCH_MAX] = maxBatch;
      inter[I_STEP] = stepS;
      inter[I_CYCLE] = cycleS;
      inter[I_SPEC_TOKENS] = tokensPerStep;
      inter[I_PREFILL] = ttftS;
      // As explain has it: the prefill plus the replica's decode time per request.
      inter[I_REQUEST] = ttftS + decodeReplicaS;
    }
  }

  // ---- Metrics. Shares are component / (tokens per GPU-hour), equal to component / cost * total.
  const usdPerHourToPerMtok = TOKENS_PER_MTOK / (tokensPerSPerGpu * utilization * SECONDS_PER_HOUR);
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
  const capex = s('capex_usd_per_gpu');
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
  const u = s('utilization');
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
  const kvBytes = kvBytesPerToken(
    config.attention,
    s('layers'),
    s('kv_heads'),
    s('head_dim'),
    s('kv_lora_rank'),
    s('qk_rope_head_dim'),
    s('kv_bits'),
  );
  const replication = kvReplication(config.attention, gpus, s('kv_heads'));
  const weightBytes = s('params_total') * (s('weight_bits') / 8);
  const usableBytes = hbmBytesUsable(gpus, s('hbm_gb'), s('hbm_usable_fraction'));
  const maxBatch = batchMax(usableBytes, weightBytes, inputTokens + outputTokens, kvBytes, replication);
  if (!(maxBatch >= 1)) {
    return {
      infeasible: true,
      weight_bytes: weightBytes,
      kv_bytes_per_token: kvBytes,
      kv_replication: replication,
      batch_max: maxBatch,
      hbm_bytes_usable: usableBytes,
      ...cost,
    };
  }

  const experts = s('experts');
  const expertsPerToken = s('experts_per_token');
  const shared = sharedParams(s('params_total'), s('params_active'), experts, expertsPerToken);
  const perExpert = expertParams(s('params_total'), shared, experts);
  const b = Math.min(s('batch_size'), maxBatch);
  const ctxTokens = inputTokens + outputTokens / 2;
  const peakFlopsPerGpu = s('peak_tflops') * FLOPS_PER_TFLOP;
  const shape: StepShape = {
    bytesPerWeight: s('weight_bits') / 8,
    sharedParams: shared,
    expertParams: perExpert,
    experts,
    expertsPerToken,
    kvBytesRead: b * ctxTokens * kvBytes * replication,
    paramsActive: s('params_active'),
    ctxTokens,
    layers: s('layers'),
    heads: s('heads'),
    headDim: s('head_dim'),
    bytesPerS: gpus * s('hbm_tb_per_s') * BYTES_PER_TB * s('mbu_decode'),
    flopsPerS: gpus * peakFlopsPerGpu * s('mfu_decode'),
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

  const flopsPrefill = prefillFlops(
    inputTokens,
    s('prefix_cache_hit_rate'),
    s('params_active'),
    s('layers'),
    s('heads'),
    s('head_dim'),
  );
  const decodeReplicaS = (outputTokens * cycleS) / (b * tokensPerStep);
  let prefillS: number;
  let tokensPerSPerGpu: number;
  if (config.disaggregated === 1) {
    const prefillGpus = s('prefill_gpus');
    prefillS = flopsPrefill / (prefillGpus * peakFlopsPerGpu * s('disagg_mfu_prefill'));
    tokensPerSPerGpu = outputTokens / (prefillGpus * prefillS + gpus * decodeReplicaS);
  } else {
    prefillS = flopsPrefill / (gpus * peakFlopsPerGpu * s('mfu_prefill'));
    tokensPerSPerGpu = outputTokens / ((prefillS + decodeReplicaS) * gpus);
  }
  const tpotMs = (1000 * cycleS) / tokensPerStep;

  return {
    kv_bytes_per_token: kvBytes,
    kv_replication: replication,
    shared_params: shared,
    expert_params: perExpert,
    weight_bytes: weightBytes,
    hbm_bytes_usable: usableBytes,
    batch_max: maxBatch,
    batch_effective: b,
    experts_touched: expertsTouched(b, experts, expertsPerToken),
    t_step_s: stepS,
    bound: stepBound(shape, b),
    spec_tokens_per_step: tokensPerStep,
    t_cycle_s: cycleS,
    t_prefill_s: prefillS,
    t_request_s: prefillS + decodeReplicaS,
    ...cost,
    ...metricValues(x, config, cost, {
      tokensPerSPerGpu,
      tpotMs,
      userTokensPerS: 1000 / tpotMs,
      ttftS: prefillS,
      batchEffective: b,
    }),
  };
}
