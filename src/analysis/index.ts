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
export { gatherReport, middleCell, REPORT_RANK_SAMPLES, type ReportData, type ReportOptions } from './report.js';
