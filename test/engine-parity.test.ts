/**
 * GPU against CPU on every example scenario: the same plan, seed and samples give the same
 * summaries, cell by cell and metric by metric, in both quantile modes.
 *
 * Tolerance: per sample the engines agree to a relative 1e-4 (f32 against f64), except samples on
 * a discontinuity (the batch limit's floor, a min); a mean or a quantile of many samples moves by
 * less. DESIGN.md and the issue ask for 1e-3 relative on means and quantiles; values near zero
 * are compared with an absolute floor of 1e-3 of the metric's spread (P99 - P1).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUANTILE_KEYS } from '../src/aggregate/index.js';
import { simulate, type RunResult } from '../src/analysis/index.js';
import { createCpuEngine, createGpuEngine, findAdapter, type Engine } from '../src/engine/index.js';
import { buildPlan } from '../src/plan/index.js';
import { loadScenario } from '../src/scenario/index.js';

const root = join(import.meta.dirname, '..');
const examples = readdirSync(join(root, 'scenarios')).filter((f) => f.endsWith('.yaml'));
const STATS = ['mean', ...QUANTILE_KEYS] as const;
const REL = 1e-3;

let gpu: Engine | null = null;
let cpu: Engine;
beforeAll(async () => {
  cpu = createCpuEngine({ threads: 2 });
  const adapter = await findAdapter();
  if (adapter) gpu = await createGpuEngine({ adapter });
  else if (process.env.CPTSIM_REQUIRE_GPU === '1') throw new Error('CPTSIM_REQUIRE_GPU=1 but no WebGPU adapter was found');
  else console.warn('SKIPPED: no WebGPU adapter on this machine; GPU-vs-CPU parity does not run');
});
afterAll(async () => {
  await gpu?.dispose();
  await cpu.dispose();
});

function compare(g: RunResult, c: RunResult): void {
  expect(g.cells.length).toBe(c.cells.length);
  g.cells.forEach((gc, i) => {
    const cc = c.cells[i]!;
    expect(gc.point).toEqual(cc.point);
    expect(gc.infeasible_fraction).toBeCloseTo(cc.infeasible_fraction, 3);
    for (const [m, gs] of Object.entries(gc.metrics)) {
      const cs = cc.metrics[m]!;
      const floor = REL * Math.max(Math.abs(cs.p99 - cs.p1), Number.MIN_VALUE);
      for (const k of STATS) {
        const tol = Math.max(REL * Math.abs(cs[k]), floor);
        if (!(Math.abs(gs[k] - cs[k]) <= tol)) {
          throw new Error(`cell ${i} ${m} ${k}: gpu ${gs[k]} vs cpu ${cs[k]} (tolerance ${tol})`);
        }
      }
    }
  });
}

describe.each(examples)('GPU and CPU agree on scenarios/%s', (file) => {
  for (const quantiles of ['exact', 'hist'] as const) it(`${quantiles} quantiles`, async (ctx) => {
    if (!gpu) return ctx.skip();
    const scenario = await loadScenario(join(root, 'scenarios', file));
    // 2^14 samples per cell: a power of two for sobol scenarios; the histogram run gets a pilot
    // of the same size and so shapes its bins from exactly these samples.
    const plan = buildPlan(scenario, { samples: 2 ** 14 });
    const g = await simulate(plan, gpu, { quantiles });
    const c = await simulate(plan, cpu, { quantiles });
    compare(g.result, c.result);
  });
});
