import type { Dist } from '../sampling/dist.js';
import type { MetricName, ModelConfig } from '../model/slots.js';

/** One input of the model's vector (src/model/slots.ts), as a distribution with its stream. */
export interface PlanInput {
  /** Index in SLOT_DEFS. */
  slot: number;
  /** Place in the scenario file, e.g. `costs.pue`; the key of the input's random stream. */
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
  /** One per slot, in SLOT_DEFS order. */
  inputs: PlanInput[];
  /** Sweep axes in file order; cells are their Cartesian product in row-major order. */
  axes: SweepAxis[];
  config: ModelConfig;
  /** Metrics reported for this plan, in output order. */
  metrics: MetricName[];
}
