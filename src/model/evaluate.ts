/**
 * `evaluate`: one Monte Carlo sample of the cost model, the CPU engine's hot path. It reads the
 * equations of equations.ts (docs/model.md) inlined into plain local arithmetic (no allocation, no
 * closures), because it runs tens of millions of times per run; the GPU form is shaders/model.wgsl.
 * A test checks that `evaluate` and `explain` (explain.ts, built from the equation helpers) agree
 * on random inputs, so the two forms cannot drift apart.
 */

import { INTERMEDIATE, MAX_DRAFT_TOKENS, METRIC, SLOT } from './slots.js';
import type { ModelConfig } from './slots.js';
import {
  ACTIVATION_BYTES,
  BYTES_PER_GB,
  BYTES_PER_GB_S,
  BYTES_PER_TB,
  FLOPS_PER_TFLOP,
  HOURS_PER_YEAR,
  MAX_QUEUE_LOAD,
  SECONDS_PER_HOUR,
  SECONDS_PER_US,
  TOKENS_PER_MTOK,
  allReducePerByteS,
  draftTokensUsed,
} from './equations.js';

/** Flag bits returned by `evaluate`. */
export const FEASIBLE = 1;
export const SLO_MISS = 2;


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
const X_HOST_US_PER_SEQ = SLOT.host_overhead_us_per_seq;
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
    // stepOverheadS, inlined: the fixed part and the host's time per sequence of the rank.
    const overheadS = x[X_STEP_OVERHEAD_MS]! / 1000 + (x[X_HOST_US_PER_SEQ]! * SECONDS_PER_US * b) / dp;
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
