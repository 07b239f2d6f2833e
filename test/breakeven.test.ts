/**
 * `breakeven`: closed-form answers reproduced within their own Monte Carlo error (which itself
 * matches the delta method's closed form), unreachable targets refused, on both engines.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { breakeven, breakevenVariable } from '../src/analysis/index.js';
import { InputError } from '../src/errors.js';
import { buildPlan, type Plan } from '../src/plan/index.js';
import { parseScenario, type Scenario } from '../src/scenario/index.js';
import { testEngines } from './gpu-device.js';
import { FIXTURE_CATALOG } from './scenario-fixtures.js';

const N = 20_000;

function measured(o: { price?: string; utilization?: string; tps?: string; seed?: string } = {}): string {
  return `name: measured
seed: ${o.seed ?? 'be'}
samples: ${N}
accelerator: { catalog: h100-sxm }
workload: { input_tokens: 1000, output_tokens: 1000 }
serving: { utilization: ${o.utilization ?? '0.5'} }
throughput: { mode: measured, output_tokens_per_s_per_gpu: ${o.tps ?? '1000'} }
costs: { pricing: cloud, cloud_usd_per_gpu_hour: ${o.price ?? '{ uniform: [2, 4] }'} }
`;
}

function load(text: string): { scenario: Scenario; plan: Plan } {
  const scenario = parseScenario(text, 't.yaml', { catalog: FIXTURE_CATALOG });
  return { scenario, plan: buildPlan(scenario) };
}

for (const [name, make] of testEngines('test/breakeven.test.ts', ['cpu2', 'gpu'])) {
  describe(`breakeven on the ${name} engine`, async () => {
    const engine = await make();
    afterAll(async () => engine?.dispose());

    // cost = price / (3.6 u) per Mtok at 1000 tokens/s; price ~ U[a, b]:
    // P(cost <= T) = (3.6 u T - a) / (b - a) = p  =>  u* = (a + p (b - a)) / (3.6 T),
    // and dP/du = 3.6 T / (b - a), so stderr(u*) = sqrt(p (1 - p) / N) (b - a) / (3.6 T).
    for (const p of [0.5, 0.25]) {
      it.skipIf(!engine)(`the utilization at which P(cost <= 1) = ${p} is (2 + 2p) / 3.6, within 4 of its standard errors`, async () => {
        const { scenario, plan } = load(measured());
        const r = await breakeven(plan, breakevenVariable(scenario, plan, 'serving.utilization'), engine!, {
          metric: 'cost_per_mtok_output',
          target: 1,
          probability: p,
        });
        const exact = (2 + p * 2) / 3.6;
        const se = (Math.sqrt((p * (1 - p)) / N) * 2) / 3.6;
        expect(r.stderr).toBeGreaterThan(0.7 * se);
        expect(r.stderr).toBeLessThan(1.4 * se);
        expect(Math.abs(r.value - exact)).toBeLessThan(4 * se);
        expect(r.direction).toBe('increasing');
        expect(Math.abs(r.achieved_probability - p)).toBeLessThan(2 * Math.sqrt((p * (1 - p)) / N));
      });
    }

    it.skipIf(!engine)('expands an unbounded range: the price at which P(cost <= 10) = 0.5 with throughput U[800, 1200] is 36', async () => {
      // P(price 1000 / (3.6 tps) <= 10) = P(tps >= price / 36 * 1000) = (1200 - 1000 price / 36) / 400.
      const { scenario, plan } = load(measured({ price: '3', utilization: '1', tps: '{ uniform: [800, 1200] }' }));
      const r = await breakeven(plan, breakevenVariable(scenario, plan, 'costs.cloud_usd_per_gpu_hour'), engine!, { metric: 'cost_per_mtok_output', target: 10 });
      const se = (Math.sqrt(0.25 / N) * 400 * 36) / 1000;
      expect(Math.abs(r.value - 36)).toBeLessThan(4 * se);
      expect(r.direction).toBe('decreasing');
    });

    it.skipIf(!engine)('versus another scenario: the price at which each is as likely to be cheaper is the other\'s median price, utilization cancelling sample by sample', async () => {
      const { scenario, plan } = load(measured({ price: '1', utilization: '{ uniform: [0.3, 1] }' }));
      const other = load(measured({ utilization: '{ uniform: [0.3, 1] }' })).plan;
      const r = await breakeven(plan, breakevenVariable(scenario, plan, 'costs.cloud_usd_per_gpu_hour'), engine!, { metric: 'cost_per_mtok_output', versus: other });
      // P(x < price_other) = (4 - x) / 2 = 0.5 at x = 3; slope 1/2.
      const se = Math.sqrt(0.25 / N) * 2;
      expect(Math.abs(r.value - 3)).toBeLessThan(4 * se);
      expect(r.versus).toBe('measured');
    });

    it.skipIf(!engine)('refuses a target no value in the valid range reaches, saying what the probability runs between', async () => {
      const { scenario, plan } = load(measured());
      // At u = 1 the cost is price / 3.6 <= 1 only when price <= 3.6: P = 0.8 at most.
      const run = breakeven(plan, breakevenVariable(scenario, plan, 'serving.utilization'), engine!, { metric: 'cost_per_mtok_output', target: 1, probability: 0.9 });
      await expect(run).rejects.toThrow(InputError);
      await expect(run).rejects.toThrow(/no value of serving\.utilization in its valid range \(0, 1\] gives P\(cost_per_mtok_output <= 1\) = 0\.9: it is 0 at .* and 0\.[78]\d* at 1/);
    });
  });
}

describe('breakeven inputs', () => {
  it('solves for an input of the scenario\'s own, unbounded on both sides', async () => {
    const [, make] = testEngines('test/breakeven.test.ts', ['cpu1'])[0]!;
    const engine = (await make())!;
    try {
      const { scenario, plan } = load(`name: own
seed: s
samples: ${N}
inputs: { x: { uniform: [0, 1] }, shift: 5 }
metrics: { y: "x + shift" }
`);
      // P(x + s <= 0) = -s for s in [-1, 0]: 0.3 at s = -0.3.
      const r = await breakeven(plan, breakevenVariable(scenario, plan, 'inputs.shift'), engine, { metric: 'y', target: 0, probability: 0.3 });
      expect(Math.abs(r.value + 0.3)).toBeLessThan(4 * Math.sqrt(0.21 / N));
    } finally {
      await engine.dispose();
    }
  });

  it('refuses an unknown path (with a did-you-mean), a layout count and a swept scenario', () => {
    const { scenario, plan } = load(measured());
    expect(() => breakevenVariable(scenario, plan, 'serving.utilisation')).toThrow(/"serving.utilisation" is not an input this scenario uses; did you mean `serving.utilization`\?/);
    const layout = load(measured().replace('serving: { utilization: 0.5 }', 'serving: { utilization: 0.5 }'));
    expect(() => breakevenVariable(layout.scenario, layout.plan, 'serving.tp')).toThrow(/not an input this scenario uses/);
    const swept = load(measured({ utilization: '{ sweep: [0.5, 1] }' }));
    expect(() => breakevenVariable(swept.scenario, swept.plan, 'costs.cloud_usd_per_gpu_hour')).toThrow(/needs a scenario without sweep axes/);
  });
});
