/**
 * Cloud billing (docs/model.md, "Cost per GPU-hour"): reserved capacity pays every hour, on
 * demand only the busy ones (at the autoscaling efficiency). Hand-worked costs, the fields'
 * checks, a closed-form break-even between the two, and the GPU engine against the CPU engine.
 */
import { describe, expect, it } from 'vitest';
import { breakeven, breakevenVariable, explainPlan } from '../src/analysis/index.js';
import { createCpuEngine } from '../src/engine/cpu/index.js';
import { createGpuEngine } from '../src/engine/gpu/index.js';
import { InputError } from '../src/errors.js';
import { buildPlan } from '../src/plan/index.js';
import { parseScenario } from '../src/scenario/index.js';
import { testAdapter } from './gpu-device.js';
import { FIXTURE_CATALOG, measuredCloudScenario } from './scenario-fixtures.js';

function cloud(costs: string, utilization = '0.3', samples = 64): string {
  return measuredCloudScenario({ name: 'billing', seed: 'billing', samples, utilization, costs });
}

const parse = (text: string) => parseScenario(text, 'billing.yaml', { catalog: FIXTURE_CATALOG });
const explained = (text: string) => explainPlan(buildPlan(parse(text))).cells[0]!.values;

describe('on-demand billing pays only busy hours', () => {
  it('$4 an hour at autoscaling efficiency 0.8 is 4 / (1000 * 0.8 * 3600) * 1e6 = $1.3889 per Mtok, whatever the utilization', () => {
    for (const u of ['0.3', '0.9']) {
      const v = explained(cloud('cloud_usd_per_gpu_hour: 4, billing: on_demand, autoscaling_efficiency: 0.8', u));
      expect(v['cost_per_mtok_output']).toBeCloseTo(4 / (1000 * 0.8 * 3600) * 1e6, 10);
      expect(v['cost_usd_per_gpu_hour']).toBe(4);
    }
  });

  it('reserved (the default) pays idle hours: $4 at utilization 0.3 is $3.7037 per Mtok', () => {
    const expected = (4 / (1000 * 0.3 * 3600)) * 1e6;
    expect(explained(cloud('cloud_usd_per_gpu_hour: 4'))['cost_per_mtok_output']).toBeCloseTo(expected, 10);
    expect(explained(cloud('cloud_usd_per_gpu_hour: 4, billing: reserved'))['cost_per_mtok_output']).toBeCloseTo(expected, 10);
  });

  it('the autoscaling efficiency defaults to 1: every paid hour busy', () => {
    const s = parse(cloud('cloud_usd_per_gpu_hour: 3.6, billing: on_demand'));
    expect(s.inputs.autoscaling_efficiency!.source).toBe('default');
    expect(explained(cloud('cloud_usd_per_gpu_hour: 3.6, billing: on_demand'))['cost_per_mtok_output']).toBeCloseTo(1, 12);
  });

  it('is refused where it means nothing or is out of range', () => {
    const error = (text: string): string => {
      try {
        parse(text);
      } catch (e) {
        if (e instanceof InputError) return e.message;
        throw e;
      }
      throw new Error('parsed');
    };
    expect(error(cloud('cloud_usd_per_gpu_hour: 4, autoscaling_efficiency: 0.8'))).toContain('costs.autoscaling_efficiency: is only used with costs.billing: on_demand');
    expect(error(cloud('cloud_usd_per_gpu_hour: 4, billing: on_demand, autoscaling_efficiency: 1.2'))).toContain('costs.autoscaling_efficiency: expected a number in (0, 1], got 1.2');
    expect(error(cloud('cloud_usd_per_gpu_hour: 4, billing: hourly'))).toContain('costs.billing: expected one of reserved, on_demand, got "hourly"');
    const owned = cloud('cloud_usd_per_gpu_hour: 4').replace('costs: { pricing: cloud, cloud_usd_per_gpu_hour: 4 }', 'costs: { pricing: owned, billing: on_demand, capex_usd_per_gpu: 30000, life_years: 5, cost_of_capital: 0.1, power_price_usd_per_kwh: 0.1, pue: 1.2 }');
    expect(error(owned)).toContain('costs.billing: is only used with costs.pricing: cloud');
  });
});

describe('reserved against on demand', () => {
  it('reserved at $2 breaks even with on demand at U[$3, $5] and efficiency 0.9 at utilization 0.45 (2 / u = price / 0.9 at the median price 4)', async () => {
    const n = 20_000;
    const reserved = parse(cloud('cloud_usd_per_gpu_hour: 2', '0.5', n));
    const plan = buildPlan(reserved);
    const onDemand = buildPlan(parse(cloud('cloud_usd_per_gpu_hour: { uniform: [3, 5] }, billing: on_demand, autoscaling_efficiency: 0.9', '0.5', n)));
    const engine = createCpuEngine({ threads: 1 });
    try {
      const r = await breakeven(plan, breakevenVariable(reserved, plan, 'serving.utilization'), engine, { metric: 'cost_per_mtok_output', versus: onDemand });
      // P(2 / u < P / 0.9) = P(P > 1.8 / u) = (5 - 1.8 / u) / 2; slope at u = 0.45: 0.9 / u^2 = 4.44.
      const se = Math.sqrt(0.25 / n) / (0.9 / 0.45 ** 2);
      expect(Math.abs(r.value - 0.45)).toBeLessThan(4 * se);
    } finally {
      await engine.dispose();
    }
  });
});

describe('the GPU engine and on-demand billing', async () => {
  const adapter = await testAdapter('test/billing.test.ts');
  it.skipIf(!adapter)('gives the CPU engine\'s on-demand and reserved costs, sample by sample', async () => {
    const gpu = await createGpuEngine({ adapter: adapter! });
    const cpu = createCpuEngine({ threads: 1 });
    try {
      for (const billing of ['billing: on_demand, autoscaling_efficiency: { uniform: [0.5, 0.95] }', 'billing: reserved']) {
        const plan = buildPlan(parse(cloud(`cloud_usd_per_gpu_hour: { uniform: [2, 6] }, ${billing}`, '{ uniform: [0.2, 0.9] }', 4096)));
        expect(gpu.unsupported(plan)).toBeNull();
        const req = { start: 0, count: 4096, mode: 'exact' as const };
        const [g, c] = await Promise.all([gpu.run(plan, req), cpu.run(plan, req)]);
        const m = plan.metrics.indexOf('cost_per_mtok_output');
        const gv = g.values![m]!;
        const cv = c.values![m]!;
        expect(gv.length).toBe(4096);
        // f32 against f64 through a handful of operations: 1e-5 relative.
        for (let i = 0; i < gv.length; i++) expect(Math.abs(gv[i]! - cv[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(cv[i]!));
      }
    } finally {
      await gpu.dispose();
      await cpu.dispose();
    }
  });
});
