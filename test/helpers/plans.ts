/** Small plans built directly (no scenario file), for engine tests. */
import { BASE_MODEL_CONFIG, metricsFor, SLOT, SLOT_DEFS, type ModelConfig, type SlotName } from '../../src/model/slots.js';
import type { Plan, SweepAxis } from '../../src/plan/types.js';
import type { Dist } from '../../src/sampling/dist.js';
import { keyFromSeed, streamId } from '../../src/sampling/index.js';

export const MEASURED_CLOUD: ModelConfig = { ...BASE_MODEL_CONFIG, throughput: 1, pricing: 1 };

export function makePlan(opts: {
  config: ModelConfig;
  inputs: Partial<Record<SlotName, Dist | number>>;
  sweep?: Partial<Record<SlotName, number[]>>;
  samples: number;
  seed?: string;
}): Plan {
  const seed = opts.seed ?? 'test';
  const axes: SweepAxis[] = [];
  const inputs = SLOT_DEFS.map((def, slot) => {
    const given = opts.inputs[def.name];
    const dist: Dist = given === undefined ? { kind: 'const', value: 0 } : typeof given === 'number' ? { kind: 'const', value: given } : given;
    const values = opts.sweep?.[def.name];
    let sweepAxis: number | null = null;
    if (values) {
      sweepAxis = axes.length;
      axes.push({ path: def.path, slot, values });
    }
    return {
      slot,
      path: def.path,
      streamId: streamId(def.path),
      dist: values ? ({ kind: 'const', value: values[0]! } as Dist) : dist,
      sweepAxis,
      source: 'scenario' as const,
    };
  });
  return {
    name: 'test plan',
    seed,
    key: keyFromSeed(seed),
    samples: opts.samples,
    inputs,
    axes,
    config: opts.config,
    metrics: metricsFor(opts.config),
  };
}

export { SLOT };
