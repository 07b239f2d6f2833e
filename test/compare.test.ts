/**
 * `compare`: scenarios on common random numbers, B - A per sample. Self-comparison is exactly
 * zero; pairs with a closed-form difference match it; sweep cells pair up by point; on both
 * engines.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { compare, pairCells, simulate } from '../src/analysis/index.js';
import { createCpuEngine } from '../src/engine/cpu/index.js';
import type { Engine } from '../src/engine/index.js';
import { InputError } from '../src/errors.js';
import { buildPlan, type Plan } from '../src/plan/index.js';
import { parseScenario } from '../src/scenario/index.js';
import { testEngines } from './gpu-device.js';
import { DESIGN_EXAMPLE, FIXTURE_CATALOG, measuredCloudScenario } from './scenario-fixtures.js';

const N = 20_000;

/** Measured mode, cloud: cost_per_mtok_output = price / (3.6 u) at 1000 tokens/s. */
function measured(price: string, utilization = '1', extra = ''): string {
  const name = JSON.stringify(`measured ${price} ${utilization}`);
  return measuredCloudScenario({ name, seed: 'cmp', samples: N, utilization, costs: `cloud_usd_per_gpu_hour: ${price}`, extra });
}

const plan = (text: string, overrides = {}): Plan => buildPlan(parseScenario(text, 't.yaml', { catalog: FIXTURE_CATALOG }), overrides);

for (const [name, make] of testEngines('test/compare.test.ts', ['cpu2', 'gpu'])) {
  describe(`compare on the ${name} engine`, async () => {
    const engine = await make();
    afterAll(async () => engine?.dispose());

    it.skipIf(!engine)('a scenario compared with itself differs by exactly zero in every sample, cell and metric', async () => {
      const p = plan(DESIGN_EXAMPLE, { samples: 4096 });
      const r = await compare([p, p], engine!);
      expect(r.comparisons[0]!.cells).toHaveLength(5);
      for (const cell of r.comparisons[0]!.cells) {
        for (const m of Object.values(cell.metrics)) {
          for (const k of ['mean', 'sd', 'min', 'max', 'p1', 'p50', 'p99'] as const) expect(m.difference[k]).toBe(0);
          expect(m.p_b_less_than_a).toBe(0);
          expect(m.a).toEqual(m.b);
        }
      }
    });

    it.skipIf(!engine)('a price shifted by a constant gives that constant difference in every sample (common random numbers)', async () => {
      const a = plan(measured('{ uniform: [2, 4] }'));
      const b = plan(measured('{ uniform: [2.5, 4.5] }'));
      const r = await compare([a, b], engine!, { metrics: ['cost_per_mtok_output'] });
      const m = r.metrics!['cost_per_mtok_output']!;
      // b - a = 0.5 / 3.6 exactly; values are f32 on both engines (relative 2^-24 each).
      const d = 0.5 / 3.6;
      expect(m.difference.min).toBeCloseTo(d, 5);
      expect(m.difference.max).toBeCloseTo(d, 5);
      expect(m.difference.sd).toBeLessThan(1e-5);
      expect(m.p_b_less_than_a).toBe(0);
      expect(m.pairs).toBe(N);
      // Independent draws would spread the difference by sqrt(2) times the price's sd (0.577 / 3.6 * 1.41).
      expect(m.a.sd).toBeCloseTo(2 / Math.sqrt(12) / 3.6, 2);
    });

    it.skipIf(!engine)('P(B < A) against a fixed price is the uniform CDF, within 4 binomial standard errors', async () => {
      const a = plan(measured('{ uniform: [2, 4] }'));
      const b = plan(measured('3.5'));
      const m = (await compare([a, b], engine!, { metrics: ['cost_per_mtok_output'] })).metrics!['cost_per_mtok_output']!;
      // B < A when A's price is above 3.5: probability 0.25.
      const se = Math.sqrt((0.25 * 0.75) / N);
      expect(Math.abs(m.p_b_less_than_a - 0.25)).toBeLessThan(4 * se);
      expect(m.p_b_less_than_a_stderr).toBeCloseTo(se, 4);
      // E[B - A] = (3.5 - 3) / 3.6.
      expect(Math.abs(m.difference.mean - 0.5 / 3.6)).toBeLessThan(4 * m.difference.stderr);
      // The ratio B / A = 3.5 / price_A: its median is 3.5 / 3.
      expect(m.ratio.p50).toBeCloseTo(3.5 / 3, 2);
    });

    it.skipIf(!engine)("each side's summary is what run reports for it", async () => {
      const a = plan(measured('{ uniform: [2, 4] }', '{ uniform: [0.4, 0.9] }'));
      const b = plan(measured('"2 to 5"', '{ uniform: [0.4, 0.9] }'));
      const r = await compare([a, b], engine!);
      const run = await simulate(b, engine!, { quantiles: 'exact' });
      const cmp = r.metrics!['cost_per_mtok_output']!.b;
      const direct = run.result.cells[0]!.metrics['cost_per_mtok_output']!;
      expect(cmp.p50).toBeCloseTo(direct.p50, 10);
      expect(cmp.mean).toBeCloseTo(direct.mean, 8);
    });
  });
}

describe('compare pairs sweep cells by point', () => {
  let engine: Engine;
  afterAll(async () => engine?.dispose());

  it('pairs each cell of a sweep with the unswept scenario, and each cell with its namesake in a matching sweep', async () => {
    engine = createCpuEngine({ threads: 1 });
    const swept = plan(measured('{ sweep: [2, 3, 4] }'));
    const fixed = plan(measured('3'));
    const r = await compare([fixed, swept], engine, { metrics: ['cost_per_mtok_output'] });
    const cells = r.comparisons[0]!.cells;
    expect(cells.map((c) => c.point)).toEqual([2, 3, 4].map((v) => ({ 'costs.cloud_usd_per_gpu_hour': v })));
    cells.forEach((c, i) => expect(c.metrics['cost_per_mtok_output']!.difference.mean).toBeCloseTo((i - 1) / 3.6, 5));
    expect(r.metrics).toBeUndefined();
  });

  it('maps cells of a two-axis grid onto a one-axis one by the shared axis', () => {
    const two = plan(measured('{ sweep: [2, 3] }', '{ sweep: [0.5, 0.75, 1] }'));
    const one = plan(measured('2', '{ sweep: [0.5, 0.75, 1] }'));
    const { cellsA, cellsB } = pairCells(one, two, ['one.yaml', 'two.yaml']);
    expect(cellsB).toEqual([0, 1, 2, 3, 4, 5]);
    // The grid is utilization (first in the file) x price; the other has utilization only.
    expect(cellsA).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('refuses sweeps that do not nest, naming both', () => {
    const a = plan(measured('{ sweep: [2, 3] }'));
    const b = plan(measured('{ sweep: [2, 4] }'));
    expect(() => pairCells(a, b, ['a.yaml', 'b.yaml'])).toThrow(InputError);
    expect(() => pairCells(a, b, ['a.yaml', 'b.yaml'])).toThrow(/a\.yaml sweeps costs\.cloud_usd_per_gpu_hour \[2, 3\], b\.yaml sweeps costs\.cloud_usd_per_gpu_hour \[2, 4\]/);
  });

  it('pairs Latin hypercube samples too (strata are keyed by input path), and refuses Sobol points when the uncertain inputs differ', async () => {
    engine ??= createCpuEngine({ threads: 1 });
    const lhsA = plan(measured('{ uniform: [2, 4] }'), { sampling: 'lhs' });
    const lhsB = plan(measured('{ uniform: [2.5, 4.5] }'), { sampling: 'lhs' });
    const m = (await compare([lhsA, lhsB], engine, { metrics: ['cost_per_mtok_output'] })).metrics!['cost_per_mtok_output']!;
    expect(m.difference.sd).toBeLessThan(1e-5);
    const sobolA = plan(measured('{ uniform: [2, 4] }'), { sampling: 'sobol', samples: 1024 });
    const sobolB = plan(measured('3', '{ uniform: [0.5, 1] }'), { sampling: 'sobol', samples: 1024 });
    await expect(compare([sobolA, sobolB], engine, { files: ['a.yaml', 'b.yaml'] })).rejects.toThrow(/b\.yaml: sampling: Sobol points give each uncertain input a dimension by its position/);
  });

  it('refuses scenarios that would not share random numbers (different seeds or sample counts)', async () => {
    engine ??= createCpuEngine({ threads: 1 });
    const a = plan(measured('2'));
    const b = plan(measured('3'), { seed: 'other' });
    await expect(compare([a, b], engine)).rejects.toThrow(/one seed, sample count and sampling scheme/);
  });
});
