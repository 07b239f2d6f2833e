import type { ModelConfig, SlotName } from '../model/index.js';
import type { RankCorrelation, SamplingScheme } from '../sampling/index.js';
import type { Attention } from './catalog.js';
import type { Precision } from './defaults.js';
import type { NumericValue } from './numeric.js';

export type InputSource = 'scenario' | 'catalog' | 'default';

/** One model input's value as the scenario resolved it. */
export interface ScenarioInput {
  value: NumericValue;
  source: InputSource;
  /**
   * Where the value was written: a path in the file (`accelerator.peak_tflops.fp8`), or in the
   * catalog (`h100-sxm.hbm_gb`), or the slot's own path for defaults.
   */
  origin: string;
  /** Depth-first position among the file's numeric fields (sweep axes follow it); null when not from the file. */
  order: number | null;
}

/** A scenario's own inputs and metric expressions (the `inputs:` and `metrics:` sections). */
export interface ScenarioCustom {
  /** The inputs in file order; each is drawn like a model input, on the stream of `inputs.<name>`. */
  inputs: { name: string; input: ScenarioInput }[];
  /**
   * The metric expressions in evaluation order (each after the custom metrics it reads), checked
   * against the names the scenario defines. `order` is the metric's position in the file.
   */
  metrics: { name: string; expr: string; order: number }[];
}

/**
 * A validated scenario: every choice made, every catalog value and default filled in, every
 * range checked. `inputs` holds exactly the model inputs its configuration uses.
 */
export interface Scenario {
  file: string;
  name: string;
  description: string | undefined;
  seed: string;
  samples: number;
  accelerator: { catalog: string | undefined; name: string | undefined };
  model: { catalog: string | undefined; name: string | undefined; compute: Precision; attention: Attention };
  throughputMode: 'roofline' | 'measured';
  pricing: 'owned' | 'cloud';
  config: ModelConfig;
  inputs: Partial<Record<SlotName, ScenarioInput>>;
  /**
   * False for a model of the user's own (`inputs:` and `metrics:` without any model section): the
   * cost model is not evaluated, every sample counts, and the metrics are the custom ones only.
   * Then `inputs` is empty and `config` is CUSTOM_MODEL_CONFIG.
   */
  costModel: boolean;
  custom: ScenarioCustom;
  /** How the uniforms of the uncertain inputs are drawn (`sampling:`, default random). */
  sampling: SamplingScheme;
  /** `probability_below:`: thresholds x per metric, for which runs report P(metric <= x). */
  probabilityBelow: Record<string, number[]>;
  /** `correlations:`: rank correlations between uncertain inputs, by the inputs' paths (empty: independent). */
  correlations: RankCorrelation[];
}
