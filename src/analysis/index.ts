export {
  simulate,
  EXACT_MAX_SAMPLE_CELLS,
  PILOT_SAMPLES,
  type SimulateOptions,
  type Simulation,
  type RunResult,
  type CellResult,
} from './simulate.js';
export { explainPlan, type ExplainResult, type ExplainCell, type ExplainedInput } from './explain.js';
export {
  tornado,
  sobolAnalysis,
  rankCorrelation,
  planOfCell,
  uncertainInputs,
  sobolEstimate,
  sobolIndicesFromValues,
  spearman,
  ranks,
  inputSamples,
  SOBOL_MAX_SAMPLES,
  type TornadoResult,
  type TornadoBar,
  type TornadoOptions,
  type SobolResult,
  type SobolIndex,
  type SobolOptions,
  type RankResult,
  type StatisticName,
} from './sensitivity.js';
export {
  compare,
  pairCells,
  pairedMetric,
  comparedMetrics,
  type CompareResult,
  type CompareCell,
  type Comparison,
  type CompareOptions,
  type PairedMetric,
} from './compare.js';
export { sampleValues, checkPairable, PAIRED_MAX_VALUES } from './paired.js';
export { breakeven, breakevenVariable, type BreakevenResult, type BreakevenOptions, type BreakevenVariable } from './breakeven.js';
