/**
 * Fleet sizing (docs/model.md, "Fleet sizing"): `workload.demand` turns per-GPU economics into a
 * fleet (GPUs and replicas needed, IT and facility megawatts, capex, annual opex, tokens per day),
 * and `site.power_mw` does the reverse (the GPUs a site powers and the tokens per day they
 * produce). The fleet quantities are closed forms over per-sample values the model already
 * computes, so they are written as metric expressions, compiled like a scenario's own metrics
 * to WGSL and to JavaScript: both engines evaluate them, and `explain` shows them.
 */

import { orderMetrics, ExprError } from '../expr/index.js';
import type { ModelConfig } from '../model/index.js';
import type { Issues } from './issues.js';
import type { Range } from './ranges.js';
import { checkRange } from './ranges.js';
import type { RawScenario } from './schema.js';
import type { ScenarioCustom, ScenarioInput } from './types.js';

/** The fleet fields of a scenario file, and the names their values take in the fleet expressions. */
export const FLEET_FIELDS = {
  'workload.demand.output_tokens_per_day': 'demand_output_tokens_per_day',
  'workload.demand.requests_per_s_peak': 'demand_requests_per_s_peak',
  'workload.demand.peak_to_average': 'demand_peak_to_average',
  'site.power_mw': 'site_power_mw',
} as const;
export type FleetPath = keyof typeof FLEET_FIELDS;

const POSITIVE: Range = { min: 0, minOpen: true, max: Infinity, maxOpen: false };
const RANGE: Record<FleetPath, Range> = {
  'workload.demand.output_tokens_per_day': POSITIVE,
  'workload.demand.requests_per_s_peak': POSITIVE,
  // The peak is at least the average.
  'workload.demand.peak_to_average': { min: 1, minOpen: false, max: Infinity, maxOpen: false },
  'site.power_mw': POSITIVE,
};

/** The fleet metrics, in output order. */
export const FLEET_METRICS = [
  'fleet_replicas',
  'fleet_gpus',
  'fleet_it_mw',
  'fleet_facility_mw',
  'fleet_capex_usd',
  'fleet_opex_usd_per_year',
  'fleet_output_tokens_per_day',
] as const;

/**
 * The fleet inputs and metrics of a scenario (none without `workload.demand` or `site.power_mw`),
 * checked: one of the two, one demand form, values in range. `known` are the names expressions
 * may read under the scenario's configuration; `taken` the scenario's own input and metric names.
 */
export function resolveFleet(
  raw: RawScenario,
  config: ModelConfig,
  known: readonly string[],
  taken: ReadonlySet<string>,
  issues: Issues,
): ScenarioCustom {
  const given = (Object.keys(FLEET_FIELDS) as FleetPath[]).filter((p) => raw.numbers.has(p));
  const none: ScenarioCustom = { inputs: [], metrics: [] };
  if (given.length === 0) {
    if (raw.sections.has('workload.demand')) issues.add('workload.demand', 'needs output_tokens_per_day, or requests_per_s_peak (with peak_to_average)', raw.sections.get('workload.demand'));
    return none;
  }
  const demand = raw.sections.has('workload.demand');
  const power = raw.numbers.has('site.power_mw');
  const perDay = raw.numbers.has('workload.demand.output_tokens_per_day');
  const perSecond = raw.numbers.has('workload.demand.requests_per_s_peak');
  let ok = true;
  if (demand && power) {
    issues.add('site.power_mw', 'give either workload.demand (the fleet a demand needs) or site.power_mw (the fleet a site powers), not both', raw.numbers.get('site.power_mw')!.value.line);
    ok = false;
  }
  if (demand && perDay === perSecond) {
    issues.add('workload.demand', perDay ? 'give either output_tokens_per_day or requests_per_s_peak, not both' : 'needs output_tokens_per_day, or requests_per_s_peak (with peak_to_average)', raw.sections.get('workload.demand'));
    ok = false;
  }
  const inputs: ScenarioCustom['inputs'] = [];
  for (const path of given) {
    const { value, order } = raw.numbers.get(path)!;
    checkRange(path, value, RANGE[path], issues);
    const name = FLEET_FIELDS[path];
    if (taken.has(name)) {
      issues.add(path, `its expression name \`${name}\` is also one of the scenario's own inputs or metrics; rename that one`, value.line);
      ok = false;
    }
    const input: ScenarioInput = { value, source: 'scenario', origin: path, order };
    inputs.push({ name, input });
  }
  if (!ok) return none;

  // Measured mode has no replica: every GPU stands alone.
  const g = config.throughput === 0 ? 'gpus_per_replica' : '1';
  const k = raw.numbers.has('workload.demand.peak_to_average') ? 'demand_peak_to_average' : '1';
  const defs = new Map<string, string>();
  if (power) {
    defs.set('fleet_replicas', `floor(site_power_mw * 1000 / (it_power_kw_per_gpu * pue * ${g}))`);
  } else {
    // Average and peak output tokens per second of the demand.
    const avg = perDay ? 'demand_output_tokens_per_day / 86400' : `demand_requests_per_s_peak * output_tokens / ${k}`;
    const peak = perDay ? `demand_output_tokens_per_day / 86400 * ${k}` : 'demand_requests_per_s_peak * output_tokens';
    // Enough replicas to serve the average at the scenario's utilization and the peak at full capacity.
    defs.set(
      'fleet_replicas',
      `ceil(max((${avg}) / (output_tokens_per_s_per_gpu * utilization), (${peak}) / output_tokens_per_s_per_gpu) / ${g})`,
    );
  }
  defs.set('fleet_gpus', `fleet_replicas * ${g}`);
  defs.set('fleet_it_mw', 'fleet_gpus * it_power_kw_per_gpu / 1000');
  defs.set('fleet_facility_mw', 'fleet_it_mw * pue');
  if (config.pricing === 0) {
    let perGpu = 'capex_usd_per_gpu';
    if (config.kvOffload === 1) perGpu += ' + offload_capacity_gb * offload_capex_usd_per_gb';
    defs.set('fleet_capex_usd', `fleet_gpus * (${perGpu})${config.facility === 2 ? ' + fleet_facility_mw * facility_capex_usd_per_mw' : ''}`);
    // Everything but capital recovery (of the GPUs and, when owned, of the facility).
    const running = `maintenance_usd_per_gpu_hour + opex_usd_per_gpu_hour + energy_usd_per_gpu_hour${config.facility === 1 ? ' + facility_usd_per_gpu_hour' : ''}`;
    defs.set('fleet_opex_usd_per_year', `fleet_gpus * (${running}) * 8760`);
  } else {
    defs.set('fleet_opex_usd_per_year', 'fleet_gpus * cost_usd_per_gpu_hour * 8760');
  }
  defs.set(
    'fleet_output_tokens_per_day',
    power ? 'fleet_gpus * output_tokens_per_s_per_gpu * utilization * 86400' : perDay ? 'demand_output_tokens_per_day' : `demand_requests_per_s_peak * output_tokens / ${k} * 86400`,
  );
  let metrics: ScenarioCustom['metrics'] = [];
  try {
    metrics = orderMetrics(defs, [...known, ...inputs.map((i) => i.name)], 'fleet').map((m) => ({
      name: m.name,
      expr: m.expr.text,
      order: 1_000_000 + FLEET_METRICS.indexOf(m.name as (typeof FLEET_METRICS)[number]),
    }));
  } catch (e) {
    // The expressions are ours: a name they read that this configuration lacks is a bug here.
    if (e instanceof ExprError) throw new Error(`fleet expression: ${e.message}`);
    throw e;
  }
  return { inputs, metrics };
}
