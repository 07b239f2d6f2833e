/**
 * The GPU engine and the device's binding limits: a plan it cannot split to fit is declined up
 * front with the reason, and `--backend auto` then takes the CPU engine and says why.
 */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../src/engine/index.js';
import { createGpuEngine } from '../src/engine/gpu/index.js';
import { encodeTables, kernelPlan, tableWords } from '../src/engine/gpu/layout.js';
import { testAdapter } from './gpu-device.js';
import { makePlan } from './gpu-plans.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => 1 + i);

describe('tableWords: the size of the cell tables, before they are built', () => {
  it('is the length encodeTables gives, with and without sweeps', () => {
    for (const sweeps of [[], [{ slot: 'batch_size' as const, values: range(7) }, { slot: 'pue' as const, values: range(3) }]]) {
      const plan = makePlan({ sweeps, dists: { utilization: { kind: 'uniform', min: 0.3, max: 0.9 } } });
      const kp = kernelPlan(plan);
      expect(encodeTables(plan, kp, new Float64Array(kp.cells * kp.metrics), undefined).words.length).toBe(tableWords(kp));
    }
  });
});

describe('GPU engine: plans past the binding limits', () => {
  // A million cells: the cell table alone is over 290 MB, past any device's storage binding limit
  // that WebGPU guarantees (128 MiB) and past lavapipe's.
  const huge = () => makePlan({ sweeps: [{ slot: 'batch_size', values: range(1000) }, { slot: 'pue', values: range(1000) }] });

  it('declines a plan whose cell table does not fit one binding, saying so', async (ctx) => {
    const adapter = await testAdapter('gpu-limits');
    if (!adapter) return ctx.skip();
    const engine = await createGpuEngine({ adapter });
    try {
      const limit = engine.unsupported(huge());
      expect(limit).toMatch(/binds the table of all 1,000,000 sweep cells at once, [\d,.]+ MiB, more than this device's storage binding limit of [\d,.]+ MiB/);
      expect(engine.unsupported(makePlan({ sweeps: [{ slot: 'batch_size', values: range(100) }] }))).toBeNull();
      await expect(engine.run(huge(), { start: 0, count: 4, mode: 'exact' })).rejects.toThrow(/use --backend cpu/);
    } finally {
      await engine.dispose();
    }
  });

  it('--backend auto takes the CPU engine for it and says why', async (ctx) => {
    if (!(await testAdapter('gpu-limits'))) return ctx.skip();
    const said: string[] = [];
    const engine = await createEngine({ backend: 'auto', threads: 1, log: (m) => said.push(m) }, huge());
    try {
      expect(engine.info.kind).toBe('cpu');
      expect(said.join('\n')).toMatch(/storage binding limit .*: using the CPU engine/);
    } finally {
      await engine.dispose();
    }
  });
});
