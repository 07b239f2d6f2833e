/**
 * Scenario -> Plan: one input per model slot, sweep axes in file order, the Philox key, the
 * configuration and its metrics. Pure: the same scenario and overrides give the same plan.
 */

import { InputError, RuntimeError } from '../errors.js';
import { SLOT_DEFS, metricsFor } from '../model/slots.js';
import { keyFromSeed, streamId } from '../sampling/index.js';
import type { Scenario } from '../scenario/index.js';
import { MAX_SAMPLES } from '../scenario/index.js';
import type { Plan, PlanInput, SweepAxis } from './types.js';

/** Sweep cells one plan may have: each cell is a full Monte Carlo run of its own. */
export const MAX_CELLS = 100_000;

export interface PlanOverrides {
  /** Replaces the scenario's `samples` (e.g. the CLI's --samples). */
  samples?: number;
  /** Replaces the scenario's `seed` (e.g. the CLI's --seed). */
  seed?: string;
}

export function buildPlan(scenario: Scenario, overrides: PlanOverrides = {}): Plan {
  const samples = overrides.samples ?? scenario.samples;
  if (!Number.isInteger(samples) || samples < 1 || samples > MAX_SAMPLES) {
    throw new InputError([{ path: 'samples', message: `expected a positive integer no larger than 2^40, got ${samples}` }]);
  }
  const seed = overrides.seed ?? scenario.seed;

  // Sweep axes in the order their fields appear in the file (depth first), whatever the slot order.
  const swept = SLOT_DEFS.flatMap((def, slot) => {
    const input = scenario.inputs[def.name];
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

  const inputs: PlanInput[] = SLOT_DEFS.map((def, slot): PlanInput => {
    const input = scenario.inputs[def.name];
    const base = { slot, path: def.path, streamId: streamId(def.path) };
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

  return {
    name: scenario.name,
    seed,
    key: keyFromSeed(seed),
    samples,
    inputs,
    axes,
    config: { ...scenario.config },
    metrics: metricsFor(scenario.config),
  };
}
