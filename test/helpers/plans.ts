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

/**
 * A dense model of 50e9 parameters at 16 bits (100 GB of weights) on one GPU of U(50, 150) GB
 * with a cloud price: infeasible when hbm_gb < 100 + its KV cache (a few MB), so with
 * probability about 0.5. Tests add the inputs they vary (output_tokens, batch_size, mbu_decode).
 */
export const HALF_FEASIBLE_INPUTS = {
  peak_tflops: 1000,
  hbm_gb: { kind: 'uniform', min: 50, max: 150 },
  hbm_tb_per_s: 3,
  it_power_kw_per_gpu: 1,
  params_total: 50e9,
  params_active: 50e9,
  layers: 10,
  heads: 8,
  kv_heads: 8,
  head_dim: 64,
  weight_bits: 16,
  kv_bits: 16,
  input_tokens: 1000,
  gpus_per_replica: 1,
  utilization: 0.5,
  mfu_prefill: 0.5,
  mfu_decode: 0.5,
  hbm_usable_fraction: 1,
  cloud_usd_per_gpu_hour: 2,
  pue: 1,
} satisfies Partial<Record<SlotName, Dist | number>>;

export { SLOT };
