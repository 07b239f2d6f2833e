import type { ModelConfig, SlotName } from '../model/slots.js';
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
}
