/** Small plans built directly (no scenario file), for engine tests. */
import { BASE_MODEL_CONFIG, metricsFor, SLOT, SLOT_DEFS, type MetricName, type ModelConfig, type SlotName } from '../../src/model/index.js';
import type { Plan, SweepAxis } from '../../src/plan/index.js';
import { keyFromSeed, streamId, type Dist } from '../../src/sampling/index.js';

export const MEASURED_CLOUD: ModelConfig = { ...BASE_MODEL_CONFIG, throughput: 1, pricing: 1 };

/**
 * A plan of the given inputs (a number is a constant; a slot not given is 0). Each slot in
 * `sweep` is an axis, in the order `sweep` lists them; its input holds the first value.
 */
export function makePlan(opts: {
  config: ModelConfig;
  inputs: Partial<Record<SlotName, Dist | number>>;
  sweep?: Partial<Record<SlotName, number[]>>;
  samples: number;
  seed?: string;
  metrics?: readonly MetricName[];
  name?: string;
}): Plan {
  const seed = opts.seed ?? 'test';
  const axes: SweepAxis[] = Object.entries(opts.sweep ?? {}).map(([name, values]) => ({
    path: SLOT_DEFS[SLOT[name as SlotName]]!.path,
    slot: SLOT[name as SlotName],
    values: values!,
  }));
  const inputs = SLOT_DEFS.map((def, slot) => {
    const given = opts.inputs[def.name];
    const axis = axes.findIndex((a) => a.slot === slot);
    const dist: Dist =
      axis >= 0
        ? { kind: 'const', value: axes[axis]!.values[0]! }
        : given === undefined
          ? { kind: 'const', value: 0 }
          : typeof given === 'number'
            ? { kind: 'const', value: given }
            : given;
    return { slot, path: def.path, streamId: streamId(def.path), dist, sweepAxis: axis >= 0 ? axis : null, source: 'scenario' as const };
  });
  return {
    name: opts.name ?? 'test plan',
    seed,
    key: keyFromSeed(seed),
    samples: opts.samples,
    inputs,
    axes,
    config: opts.config,
    metrics: opts.metrics ? [...opts.metrics] : metricsFor(opts.config),
  };
}

export { SLOT };
