/**
 * Custom inputs and metric expressions on both engines: the CPU model's intermediates against
 * explain, closed forms of a model of the user's own, metrics over built-ins and intermediates,
 * non-finite values left out, sweeps of a custom input, and GPU-CPU parity sample by sample.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../src/analysis/index.js';
import { createCpuEngine, createGpuEngine, type Engine } from '../src/engine/index.js';
import { INTERMEDIATES, INTERMEDIATE_COUNT, METRIC_COUNT, evaluate, explain } from '../src/model/index.js';
import { buildPlan, type Plan } from '../src/plan/index.js';
import { loadCatalog, parseScenario } from '../src/scenario/index.js';
import { packageRoot } from '../src/paths.js';
import { testAdapter, testEngines } from './gpu-device.js';
import { BASE_CONFIG, LLAMA_ON_H100, config, relErr, vector } from './model-fixtures.js';

const catalog = loadCatalog();
const plan = (text: string, samples?: number): Plan =>
  buildPlan(parseScenario(text, 'custom.yaml', { catalog }), samples === undefined ? {} : { samples });

/** x1 ~ U(0, 1), x2 ~ U(0, 2): y = x1 + 2 x2 has mean 1/2 + 2 = 2.5 and variance 1/12 + 4 (4/12) = 17/12. */
const LINEAR = `name: linear
seed: linear
inputs:
  x1: { uniform: [0, 1] }
  x2: { uniform: [0, 2] }
metrics:
  y: "x1 + 2*x2"
  # log(x1 - 1/2) is NaN for x1 < 1/2: only the other half of the samples count, and
  # E[log(u)] for u ~ U(0, 1/2) is log(1/2) - 1.
  z: "log(x1 - 0.5)"
`;
const Y_MEAN = 2.5;
const Y_SD = Math.sqrt(17 / 12);
const Z_MEAN = Math.log(0.5) - 1;
// Var[log u] for u ~ U(0, c) is 1 (log u - log c is minus an exponential(1)).
const Z_SD = 1;

/** The flagship's setup with a price input and metrics over a built-in and an intermediate. */
function marginScenario(): string {
  const text = readFileSync(join(packageRoot(), 'scenarios', 'custom-margin.yaml'), 'utf8');
  return text.replace(
    /\nmetrics:\n[\s\S]*$/,
    [
      '\nmetrics:',
      '  margin_per_mtok: "price_per_mtok - cost_per_mtok_output"',
      '  # colocated serving: capacity = O / (t_request_s * g) (docs/model.md "Capacity")',
      '  rate_from_t_request: "output_tokens / (t_request_s * gpus_per_replica)"',
      '',
    ].join('\n'),
  );
}

describe('evaluate fills the intermediates explain shows', () => {
  const configs = [
    ['owned, colocation', config({ facility: 1 })],
    ['owned facility, speculative, disaggregated', config({ facility: 2, speculative: 1, disaggregated: 1 })],
    ['cloud', config({ pricing: 1 })],
  ] as const;
  it.each(configs)('%s: every intermediate equals explain() to 1e-12 relative', (_name, cfg) => {
    const x = vector({ ...LLAMA_ON_H100, draft_tokens: 4, acceptance_rate: 0.7, draft_cost_ratio: 0.05, prefill_gpus: 4, disagg_mfu_prefill: 0.5 });
    const inter = new Float64Array(INTERMEDIATE_COUNT).fill(NaN);
    evaluate(x, cfg, new Float64Array(METRIC_COUNT), inter);
    const e = explain(x, cfg);
    INTERMEDIATES.forEach((name, i) => {
      // Both are f64 routes through the same equations, some in another order: a few ulps.
      expect(relErr(inter[i]!, e[name] as number), name).toBeLessThan(1e-12);
    });
  });

  it('leaves the metrics unchanged whether or not intermediates are asked for', () => {
    const x = vector(LLAMA_ON_H100);
    const [a, b] = [new Float64Array(METRIC_COUNT), new Float64Array(METRIC_COUNT)];
    expect(evaluate(x, BASE_CONFIG, a, new Float64Array(INTERMEDIATE_COUNT))).toBe(evaluate(x, BASE_CONFIG, b));
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

const engines = testEngines('test/custom-engines.test.ts');

describe.each(engines)('custom metrics on the %s engine', (_name, factory) => {
  let engine: Engine | null = null;
  beforeAll(async () => {
    engine = await factory();
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it.for(['exact', 'hist'] as const)('a model of the user own matches its closed form (%s quantiles)', async (quantiles, ctx) => {
    if (!engine) return ctx.skip();
    const n = 200_000;
    const p = plan(LINEAR, n);
    const { result, partial } = await simulate(p, engine, { quantiles });
    const { y, z } = result.cells[0]!.metrics;
    expect(result.cells[0]!.infeasible_fraction).toBe(0);
    // 5 standard errors: a false alarm about once in 3.5 million runs.
    expect(Math.abs(y!.mean - Y_MEAN)).toBeLessThan((5 * Y_SD) / Math.sqrt(n));
    // The median of x1 + 2 x2 is 2.5 by symmetry; its standard error is about 1/(2 f(m) sqrt(n))
    // with the density at the median f(m) = 1/2 (a trapezoid of height 1/2 in the middle).
    expect(Math.abs(y!.p50 - Y_MEAN)).toBeLessThan(5 / Math.sqrt(n));
    // Half the samples have a finite z: a binomial count, 5 sigma = 5 sqrt(n / 4).
    const zCount = partial.count[1]!;
    expect(Math.abs(zCount - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
    expect(partial.count[0]).toBe(n);
    expect(Math.abs(z!.mean - Z_MEAN)).toBeLessThan((5 * Z_SD) / Math.sqrt(n / 2));
    expect(Number.isFinite(z!.min) && Number.isFinite(z!.p1) && z!.max < Math.log(0.5)).toBe(true);
  });

  it('sweeps a custom input: one cell per value, each with its closed form', async (ctx) => {
    if (!engine) return ctx.skip();
    const n = 100_000;
    const p = plan(LINEAR.replace('x2: { uniform: [0, 2] }', 'x2: { sweep: [1, 2, 5] }'), n);
    expect(p.axes.map((a) => a.path)).toEqual(['inputs.x2']);
    const { result } = await simulate(p, engine);
    result.cells.forEach((cell, c) => {
      const x2 = [1, 2, 5][c]!;
      expect(cell.point).toEqual({ 'inputs.x2': x2 });
      // y = x1 + 2 x2 with x2 fixed: mean 1/2 + 2 x2, sd 1/sqrt(12).
      expect(Math.abs(cell.metrics.y!.mean - (0.5 + 2 * x2))).toBeLessThan(5 / Math.sqrt(12 * n));
    });
  });

  it('a metric over a built-in and one over an intermediate equal the same quantities from the built-ins', async (ctx) => {
    if (!engine) return ctx.skip();
    const p = plan(marginScenario(), 20_000);
    const part = await engine.run(p, { start: 0, count: p.samples, mode: 'exact', keepInfeasible: true });
    const col = (name: string) => part.values![p.metrics.indexOf(name)]!;
    const cost = col('cost_per_mtok_output');
    const margin = col('margin_per_mtok');
    const rate = col('rate_from_t_request');
    const builtInRate = col('output_tokens_per_s_per_gpu');
    let compared = 0;
    let [priceLo, priceHi, worstRate] = [Infinity, -Infinity, 0];
    for (let i = 0; i < cost.length; i++) {
      if (Number.isNaN(cost[i]!)) continue;
      compared++;
      const price = margin[i]! + cost[i]!;
      priceLo = Math.min(priceLo, price);
      priceHi = Math.max(priceHi, price);
      worstRate = Math.max(worstRate, relErr(rate[i]!, builtInRate[i]!));
    }
    expect(compared).toBeGreaterThan(p.samples * 0.9);
    // price = margin + cost lies in the price's support [0.40, 0.90] (and spans most of it);
    // values are f32, so allow a few f32 ulps of the larger operand (cost reaches about 5): 1e-5.
    expect(priceLo).toBeGreaterThanOrEqual(0.4 - 1e-5);
    expect(priceHi).toBeLessThanOrEqual(0.9 + 1e-5);
    expect(priceHi - priceLo).toBeGreaterThan(0.4);
    // The same capacity by two routes: f32 on the GPU is about 1e-6 relative per operation.
    expect(worstRate).toBeLessThan(1e-5);
  });
});

describe('GPU and CPU agree sample by sample on custom metrics', () => {
  let gpu: Engine | null = null;
  let cpu: Engine | null = null;
  beforeAll(async () => {
    const adapter = await testAdapter('test/custom-engines.test.ts');
    if (adapter) gpu = await createGpuEngine({ adapter });
    cpu = createCpuEngine({ threads: 1 });
  });
  afterAll(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  it.for([
    ['the margin scenario', marginScenario()],
    [
      'the flagship with 14 built-in and 18 custom metrics (the GPU kernel holds 32)',
      marginScenario().replace(
        /\nmetrics:\n[\s\S]*$/,
        ['\nmetrics:', ...Array.from({ length: 18 }, (_, i) => `  m${i}: "cost_per_mtok_output * ${i + 1} + weight_bytes / 1e9 - ${i}"`), ''].join('\n'),
      ),
    ],
    ['a model of the user own', LINEAR],
    ['the Sobol G-function example', readFileSync(join(packageRoot(), 'scenarios', 'custom-sobol-g.yaml'), 'utf8').replace('sampling: sobol', '')],
  ])('%s: every value within 1e-4 relative, and the same samples counted', async ([, text], ctx) => {
    if (!gpu) return ctx.skip();
    const p = plan(text!, 8192);
    const req = { start: 4093, count: 8192 - 4093, mode: 'exact' as const, keepInfeasible: true };
    const [g, c] = await Promise.all([gpu.run(p, req), cpu!.run(p, req)]);
    expect(Array.from(g.count)).toEqual(Array.from(c.count));
    const costIndex = p.metrics.indexOf('cost_per_mtok_output');
    p.metrics.forEach((m, k) => {
      const gv = g.values![k]!;
      const cv = c.values![k]!;
      expect(gv.length, m).toBe(cv.length);
      let worst = 0;
      for (let i = 0; i < gv.length; i++) {
        if (Number.isNaN(cv[i]!)) {
          expect(Number.isNaN(gv[i]!), `${m}[${i}]`).toBe(true);
          continue;
        }
        // DESIGN.md: f32 on the GPU against f64 on the CPU agree to 1e-4 relative (absolute near
        // 0). A difference (the margin, price - cost) is relative to its larger operand: its own
        // relative error grows without bound where the two cancel.
        const operand = m === 'margin_per_mtok' ? Math.abs(c.values![costIndex]![i]!) : 0;
        worst = Math.max(worst, Math.abs(gv[i]! - cv[i]!) / Math.max(Math.abs(cv[i]!), operand, 1e-3));
      }
      expect(worst, m).toBeLessThan(1e-4);
    });
  });
});
