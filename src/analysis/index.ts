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
