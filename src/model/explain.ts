/**
 * `explain`: one deterministic evaluation of the cost model with every intermediate quantity
 * named, built from the equation helpers of equations.ts (docs/model.md). It is the readable
 * twin of `evaluate` (evaluate.ts); a test checks that the two agree on random inputs.
 */

import { SLOT, metricsFor } from './slots.js';
import type { ModelConfig } from './slots.js';
import {
  BYTES_PER_GB_S,
  BYTES_PER_TB,
  FLOPS_PER_TFLOP,
  HOURS_PER_YEAR,
  SECONDS_PER_US,
  attentionFlopsPerToken,
  batchMax,
  busyShareOfPaidHours,
  capitalRecoveryFactor,
  capitalUsdPerGpuHour,
  commTimeS,
  costPerMtok,
  draftTokensUsed,
  energyUsdPerGpuHour,
  expertParams,
  expertsTouched,
  facilityUsdPerGpuHour,
  hbmBytesUsable,
  interTokenLatencyS,
  isMoe,
  kvBytesPerSeqPerGpu,
  kvBytesPerToken,
  kvReplication,
  parallelLayout,
  prefillFlops,
  queueWaitS,
  sharedParams,
  specTokensPerStep,
  stepBound,
  stepOverheadS,
  stepTimeS,
  weightBytesPerGpu,
} from './equations.js';
import type { Interconnect, StepShape } from './equations.js';

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
    stepOverheadS: stepOverheadS(s('step_overhead_ms'), s('host_overhead_us_per_seq'), b, layout.dp),
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
