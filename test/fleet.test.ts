/**
 * Fleet sizing (docs/model.md, "Fleet sizing"): hand-worked fleets for a demand (per day and per
 * second at peak) and for a site's power, in explain and on both engines; the fields' checks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { explainPlan, simulate } from '../src/analysis/index.js';
import { InputError } from '../src/errors.js';
import { buildPlan } from '../src/plan/index.js';
import { parseScenario } from '../src/scenario/index.js';
import { testEngines } from './gpu-device.js';
import { DESIGN_EXAMPLE, FIXTURE_CATALOG } from './scenario-fixtures.js';

/** Measured mode, owned, every input fixed: 1000 tokens/s per GPU at u = 0.5, 1.275 kW per GPU, PUE 1.25. */
function owned(extra: string): string {
  return `name: fleet
seed: fleet
samples: 64
accelerator: { catalog: h100-sxm }
workload: { input_tokens: 1000, output_tokens: 1000${extra.startsWith('demand') ? `, ${extra}` : ''} }
serving: { utilization: 0.5 }
throughput: { mode: measured, output_tokens_per_s_per_gpu: 1000 }
costs:
  pricing: owned
  capex_usd_per_gpu: 30000
  life_years: 5
  cost_of_capital: 0.1
  maintenance_fraction_per_year: 0.05
  opex_usd_per_gpu_year: 1000
  idle_power_fraction: 0.3
  pue: 1.25
  power_price_usd_per_kwh: 0.1
  colocation_usd_per_kw_month: 180
${extra.startsWith('demand') ? '' : extra}
`;
}

const values = (text: string): Record<string, number | string | boolean> =>
  explainPlan(buildPlan(parseScenario(text, 'fleet.yaml', { catalog: FIXTURE_CATALOG }))).cells[0]!.values;

// Per GPU and year: maintenance 0.05 * 30000 + opex 1000 + energy 1.275 kW * (0.3 + 0.7 * 0.5)
// * 1.25 * $0.1 * 8760 h + colocation 1.275 kW * $180 * 12.
const RUNNING_PER_GPU_YEAR = 1500 + 1000 + 1.275 * 0.65 * 1.25 * 0.1 * 8760 + 1.275 * 180 * 12;

describe('fleet for a demand', () => {
  it('8.64e9 tokens a day at a peak 1.5x the mean: 200 GPUs, set by the mean at u = 0.5', () => {
    const v = values(owned('demand: { output_tokens_per_day: 8.64e9, peak_to_average: 1.5 }'));
    // Mean 1e5 tokens/s over 1000 * 0.5 per GPU = 200; peak 1.5e5 over 1000 = 150.
    expect(v['fleet_replicas']).toBe(200);
    expect(v['fleet_gpus']).toBe(200);
    expect(v['fleet_it_mw']).toBeCloseTo(0.255, 12);
    expect(v['fleet_facility_mw']).toBeCloseTo(0.31875, 12);
    expect(v['fleet_capex_usd']).toBeCloseTo(6e6, 6);
    expect(v['fleet_opex_usd_per_year'] as number).toBeCloseTo(200 * RUNNING_PER_GPU_YEAR, 4);
    expect(v['fleet_output_tokens_per_day']).toBe(8.64e9);
  });

  it('a peak 3x the mean sets the fleet instead: 300 GPUs', () => {
    expect(values(owned('demand: { output_tokens_per_day: 8.64e9, peak_to_average: 3 }'))['fleet_gpus']).toBe(300);
  });

  it('requests per second at peak: 100 requests of 1000 tokens, peak twice the mean, is 100 GPUs and 4.32e9 tokens a day', () => {
    const v = values(owned('demand: { requests_per_s_peak: 100, peak_to_average: 2 }'));
    // Peak 1e5 tokens/s over 1000 = 100; mean 5e4 over 500 = 100.
    expect(v['fleet_gpus']).toBe(100);
    expect(v['fleet_output_tokens_per_day']).toBeCloseTo(4.32e9, 3);
  });

  it('rounds up to whole replicas of the roofline mode: a multiple of gpus_per_replica, from explain\'s own throughput', () => {
    const text = DESIGN_EXAMPLE.replace('batch_size: { sweep: [8, 16, 32, 64, 128] }', 'batch_size: 64').replace(
      'workload: { input_tokens: 2000, output_tokens: 500, prefix_cache_hit_rate: { uniform: [0, 0.4] } }',
      'workload: { input_tokens: 2000, output_tokens: 500, prefix_cache_hit_rate: { uniform: [0, 0.4] }, demand: { output_tokens_per_day: 1e10 } }',
    );
    const v = values(text);
    const perGpu = v['output_tokens_per_s_per_gpu'] as number;
    const u = 0.6; // the PERT's median is its mode here (symmetric)
    const replicas = Math.ceil(1e10 / 86400 / (perGpu * u) / 8);
    expect(v['fleet_replicas']).toBe(replicas);
    expect(v['fleet_gpus']).toBe(8 * replicas);
  });
});

describe('fleet a site powers', () => {
  it('1 MW at 1.275 kW per GPU and PUE 1.25 powers 627 GPUs, making 2.70864e10 tokens a day at u = 0.5', () => {
    const v = values(owned('site: { power_mw: 1 }'));
    expect(v['fleet_gpus']).toBe(627);
    expect(v['fleet_facility_mw'] as number).toBeLessThanOrEqual(1);
    expect(v['fleet_output_tokens_per_day']).toBeCloseTo(627 * 1000 * 0.5 * 86400, 0);
  });

  it('under cloud pricing the opex is the whole price, and there is no capex', () => {
    const text = owned('site: { power_mw: 1 }');
    const v = values(`${text.slice(0, text.indexOf('costs:'))}costs: { pricing: cloud, cloud_usd_per_gpu_hour: 2, pue: 1.25 }\nsite: { power_mw: 1 }\n`);
    expect(v['fleet_gpus']).toBe(627);
    expect(v['fleet_opex_usd_per_year']).toBeCloseTo(627 * 2 * 8760, 6);
    expect(v['fleet_capex_usd']).toBeUndefined();
  });
});

describe('fleet fields are checked', () => {
  const error = (text: string): string => {
    try {
      parseScenario(text, 'fleet.yaml', { catalog: FIXTURE_CATALOG });
    } catch (e) {
      if (e instanceof InputError) return e.message;
      throw e;
    }
    throw new Error('parsed');
  };
  it('refuses a demand and a site power together, both demand forms, a peak below the mean and an empty demand', () => {
    expect(error(owned('demand: { output_tokens_per_day: 1e9 }').replace('costs:', 'site: { power_mw: 1 }\ncosts:'))).toContain('site.power_mw: give either workload.demand');
    expect(error(owned('demand: { output_tokens_per_day: 1e9, requests_per_s_peak: 3 }'))).toContain('workload.demand: give either output_tokens_per_day or requests_per_s_peak, not both');
    expect(error(owned('demand: { output_tokens_per_day: 1e9, peak_to_average: 0.5 }'))).toContain('workload.demand.peak_to_average: expected a number >= 1, got 0.5');
    expect(error(owned('demand: { peak_to_average: 2 }'))).toContain('workload.demand: needs output_tokens_per_day, or requests_per_s_peak');
    expect(error(owned('demand: { output_tokens_per_dya: 1e9 }'))).toContain('did you mean `output_tokens_per_day`?');
  });
});

const uncertain = owned('demand: { output_tokens_per_day: { uniform: [4.32e9, 1.296e10] } }').replace('samples: 64', 'samples: 20000');
for (const [name, make] of testEngines('test/fleet.test.ts', ['cpu2', 'gpu'])) {
  describe(`fleet metrics on the ${name} engine`, async () => {
    const engine = await make();
    afterAll(async () => engine?.dispose());
    it.skipIf(!engine)('a uniform demand gives GPUs = ceil(demand / 43.2e6): mean within 4 standard errors of the exact sum', async () => {
      const plan = buildPlan(parseScenario(uncertain, 'fleet.yaml', { catalog: FIXTURE_CATALOG }));
      const m = (await simulate(plan, engine!, { quantiles: 'exact' })).result.cells[0]!.metrics;
      // 43.2e6 tokens a day per GPU at u = 0.5; demand from 100 to 300 GPUs' worth: E[ceil] = E[x] + 1/2 = 200.5.
      // A uniform draw is never exactly its lower bound: the fewest GPUs are 101.
      expect(m['fleet_gpus']!.min).toBe(101);
      expect(m['fleet_gpus']!.max).toBe(300);
      expect(Math.abs(m['fleet_gpus']!.mean - 200.5)).toBeLessThan(4 * m['fleet_gpus']!.stderr);
      expect(m['fleet_output_tokens_per_day']!.p50).toBeCloseTo(8.64e9, -8);
    });
  });
}
