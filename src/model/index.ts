/**
 * The cost model's public face: the input/metric layout (slots.ts), the equations (equations.ts),
 * the CPU engine's per-sample evaluation (evaluate.ts) and the spelled-out evaluation (explain.ts).
 */
export {
  MAX_DRAFT_TOKENS,
  SLOT_DEFS,
  SLOT_COUNT,
  SLOT,
  CONFIG_FIELDS,
  BASE_MODEL_CONFIG,
  METRICS,
  METRIC_COUNT,
  METRIC,
  metricsFor,
  INTERMEDIATES,
  INTERMEDIATE_COUNT,
  INTERMEDIATE,
  intermediatesFor,
} from './slots.js';
export type { SlotName, ModelConfig, MetricName, IntermediateName } from './slots.js';
export { FEASIBLE, SLO_MISS, evaluate } from './evaluate.js';
export { explain } from './explain.js';
export type { ExplainValues } from './explain.js';
export {
  HOURS_PER_YEAR,
  kvBytesPerToken,
  kvReplication,
  parallelLayout,
  weightBytesPerGpu,
  kvBytesPerSeqPerGpu,
  attentionFlopsPerToken,
  allReduceS,
  allToAllS,
  commTimeS,
  ACTIVATION_BYTES,
  interTokenLatencyS,
  queueWaitS,
  MAX_QUEUE_LOAD,
  isMoe,
  sharedParams,
  expertParams,
  expertsTouched,
  hbmBytesUsable,
  batchMax,
  stepBytes,
  stepComputeS,
  stepTimeS,
  stepOverheadS,
  stepBound,
  draftTokensUsed,
  specTokensPerStep,
  prefillFlops,
  capitalRecoveryFactor,
  capitalUsdPerGpuHour,
  averageItKw,
  energyUsdPerGpuHour,
  facilityUsdPerGpuHour,
  costPerMtok,
} from './equations.js';
export type { StepShape, Interconnect } from './equations.js';
