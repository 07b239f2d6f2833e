import type { Dist, RankCorrelation, SamplingScheme } from '../sampling/index.js';
import type { ModelConfig } from '../model/index.js';

/** One input of the model's vector (src/model/slots.ts), as a distribution with its stream. */
export interface PlanInput {
  /**
   * Index in SLOT_DEFS; a scenario's own input k (Plan.custom.inputs[k]) has SLOT_COUNT + k.
   * Always equal to the input's index in Plan.inputs.
   */
  slot: number;
  /** Place in the scenario file, e.g. `costs.pue` or `inputs.price_per_mtok`; the key of the input's random stream. */
  path: string;
  /** 32-bit stream id: a hash of `path` (DESIGN.md "Determinism"); unique within a plan. */
  streamId: number;
  dist: Dist;
  /** Index into Plan.axes when this input is swept (then `dist` holds the first value). */
  sweepAxis: number | null;
  /** Where the value came from, for explain and validate: the file, a catalog entry, or a default. */
  source: 'scenario' | 'catalog' | 'default';
}

export interface SweepAxis {
  path: string;
  slot: number;
  values: number[];
}

/** A scenario's own inputs and metric expressions, as the engines compile them. */
export interface PlanCustom {
  /** Names of the custom inputs; input k is Plan.inputs[SLOT_COUNT + k]. */
  inputs: string[];
  /**
   * The metric expressions in evaluation order (each after the custom metrics it reads). An
   * expression reads custom inputs, the model's inputs by slot name, built-in metrics,
   * intermediates (src/model/slots.ts INTERMEDIATES) and other custom metrics.
   */
  metrics: { name: string; expr: string }[];
  /** False for a model of the user's own: the cost model is not evaluated and every sample is feasible. */
  costModel: boolean;
}

/**
 * Everything an engine needs to run a scenario, and nothing it does not: no YAML, no file names.
 * A plan is plain data (it crosses into worker threads with structured clone).
 */
export interface Plan {
  name: string;
  seed: string;
  /** Philox4x32-10 key (two u32 words) derived from `seed`. */
  key: [number, number];
  samples: number;
  /** One per slot, in SLOT_DEFS order, then one per custom input. */
  inputs: PlanInput[];
  /** Sweep axes in file order; cells are their Cartesian product in row-major order. */
  axes: SweepAxis[];
  config: ModelConfig;
  /**
   * Metrics reported for this plan, in output order: the built-in ones of metricsFor(config),
   * then the custom ones in file order; a model of the user's own has only custom ones.
   */
  metrics: string[];
  /** The scenario's own inputs and metrics; absent when it has none. */
  custom?: PlanCustom;
  /** How uncertain inputs are sampled (absent: random). */
  sampling?: SamplingScheme;
  /**
   * Rank correlations between uncertain inputs, named by their `path` (absent: independent
   * inputs); drawn through a Gaussian copula (src/sampling/copula.ts).
   */
  correlations?: RankCorrelation[];
}
