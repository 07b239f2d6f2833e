/**
 * Scenario -> Plan: one input per model slot and per custom input, sweep axes in file order, the
 * Philox key, the configuration and its metrics. Pure: the same scenario and overrides give the
 * same plan.
 */

import { InputError, RuntimeError } from '../errors.js';
import { SLOT_COUNT, SLOT_DEFS, metricsFor } from '../model/index.js';
import { checkSampleCount, checkSobolDims, keyFromSeed, MAX_SAMPLES, streamId, type SamplingScheme } from '../sampling/index.js';
import type { Scenario, ScenarioInput } from '../scenario/index.js';
import type { Plan, PlanInput, SweepAxis } from './types.js';

/** Sweep cells one plan may have: each cell is a full Monte Carlo run of its own. */
export const MAX_CELLS = 100_000;

export interface PlanOverrides {
  /** Replaces the scenario's `samples` (e.g. the CLI's --samples). */
  samples?: number;
  /** Replaces the scenario's `seed` (e.g. the CLI's --seed). */
  seed?: string;
  /** Replaces the scenario's `sampling` (e.g. the CLI's --sampling). */
  sampling?: SamplingScheme;
}

export function buildPlan(scenario: Scenario, overrides: PlanOverrides = {}): Plan {
  const samples = overrides.samples ?? scenario.samples;
  if (!Number.isInteger(samples) || samples < 1 || samples > MAX_SAMPLES) {
    throw new InputError([{ path: 'samples', message: `expected a positive integer no larger than 2^40, got ${samples}` }]);
  }
  const seed = overrides.seed ?? scenario.seed;
  const sampling = overrides.sampling ?? scenario.sampling;
  if (overrides.samples !== undefined || overrides.sampling !== undefined) checkSampleCount(sampling, samples);

  // Every input by slot: the model's (absent where the configuration does not read them), then
  // the scenario's own at SLOT_COUNT + k.
  const custom = scenario.custom;
  const bySlot: (ScenarioInput | undefined)[] = [
    ...SLOT_DEFS.map((def) => scenario.inputs[def.name]),
    ...custom.inputs.map((c) => c.input),
  ];
  // A custom input's path is where the file gives it: `inputs.<name>`, or a fleet field such as `site.power_mw`.
  const pathOf = (slot: number): string => (slot < SLOT_COUNT ? SLOT_DEFS[slot]!.path : custom.inputs[slot - SLOT_COUNT]!.input.origin);

  // Sweep axes in the order their fields appear in the file (depth first), whatever the slot order.
  const swept = bySlot.flatMap((input, slot) => {
    return input && input.value.spec.kind === 'sweep' ? [{ slot, input, values: input.value.spec.values }] : [];
  }).sort((a, b) => (a.input.order ?? Infinity) - (b.input.order ?? Infinity));
  const axes: SweepAxis[] = swept.map(({ slot, input, values }) => ({ path: input.origin, slot, values: [...values] }));
  const cells = axes.reduce((n, a) => n * a.values.length, 1);
  if (cells > MAX_CELLS) {
    throw new InputError(
      [{ path: axes.map((a) => a.path).join(' x '), message: `the sweep has ${cells.toLocaleString('en-US')} cells; at most ${MAX_CELLS.toLocaleString('en-US')} are allowed (use fewer sweep values)` }],
      scenario.file,
    );
  }
  const axisOfSlot = new Map(swept.map(({ slot }, axis) => [slot, axis]));

  const inputs: PlanInput[] = bySlot.map((input, slot): PlanInput => {
    const path = pathOf(slot);
    const base = { slot, path, streamId: streamId(path) };
    // Slots this configuration does not read: a constant 0 the model never looks at.
    if (!input) return { ...base, dist: { kind: 'const', value: 0 }, sweepAxis: null, source: 'default' };
    const spec = input.value.spec;
    if (spec.kind === 'sweep') {
      return { ...base, dist: { kind: 'const', value: spec.values[0]! }, sweepAxis: axisOfSlot.get(slot)!, source: input.source };
    }
    return { ...base, dist: spec.dist, sweepAxis: null, source: input.source };
  });

  // Two random inputs on one stream would draw the same numbers: perfectly correlated.
  const byStream = new Map<number, string>();
  for (const inp of inputs) {
    if (inp.sweepAxis !== null || inp.dist.kind === 'const') continue;
    const other = byStream.get(inp.streamId);
    if (other !== undefined) {
      throw new RuntimeError(`random stream id collision: ${other} and ${inp.path} both hash to ${inp.streamId}`);
    }
    byStream.set(inp.streamId, inp.path);
  }
  if (sampling === 'sobol') checkSobolDims(byStream.size);

  const builtIn: string[] = scenario.costModel ? metricsFor(scenario.config) : [];
  const customInFileOrder = [...custom.metrics].sort((a, b) => a.order - b.order).map((m) => m.name);

  return {
    name: scenario.name,
    seed,
    key: keyFromSeed(seed),
    samples,
    inputs,
    axes,
    config: { ...scenario.config },
    metrics: [...builtIn, ...customInFileOrder],
    ...(custom.inputs.length > 0 || custom.metrics.length > 0 || !scenario.costModel
      ? {
          custom: {
            inputs: custom.inputs.map((c) => c.name),
            metrics: custom.metrics.map((m) => ({ name: m.name, expr: m.expr })),
            costModel: scenario.costModel,
          },
        }
      : {}),
    sampling,
    ...(scenario.correlations.length > 0 ? { correlations: scenario.correlations.map((c) => ({ between: [...c.between] as [string, string], rank: c.rank })) } : {}),
  };
}
