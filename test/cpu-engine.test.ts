/**
 * The CPU engine's exact-mode values on worker threads: copies by default, views of its own
 * shared arrays when the caller asks for them (RunRequest.valueViews), which hold what a copy
 * holds and stay so while one more run goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartialSums } from '../src/aggregate/index.js';
import { createCpuEngine } from '../src/engine/cpu/index.js';
import type { Engine } from '../src/engine/index.js';
import { HALF_FEASIBLE_INPUTS, MEASURED_CLOUD, makePlan } from './helpers/plans.js';

/**
 * 50e9 parameters at 16 bits on one GPU of U(50, 150) GB: about half the samples are infeasible
 * (engine-suite.test.ts), so each thread's range leaves gaps that the engine closes in place.
 * Two cells (a sweep of batch_size) and every built-in metric.
 */
const plan = makePlan({
  config: { ...MEASURED_CLOUD, throughput: 0 },
  inputs: {
    ...HALF_FEASIBLE_INPUTS,
    output_tokens: { kind: 'uniform', min: 50, max: 500 },
    mbu_decode: { kind: 'uniform', min: 0.4, max: 0.8 },
  },
  sweep: { batch_size: [4, 8] },
  samples: 400_000,
});

/** Sample ranges of three calls, of unequal lengths, none starting on a summation block. */
const RANGES = [
  { start: 1000, count: 150_000 },
  { start: 151_000, count: 131_072 },
  { start: 282_072, count: 100_004 },
];

/** Whether two lists of f32 arrays hold the same bits (NaN payloads and signed zeros included). */
function sameBits(a: readonly Float32Array[], b: readonly Float32Array[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return x.length === y.length && Buffer.compare(new Uint8Array(x.buffer, x.byteOffset, 4 * x.length), new Uint8Array(y.buffer, y.byteOffset, 4 * y.length)) === 0;
  });
}

describe('CPU engine on worker threads: exact values as copies or as views (RunRequest.valueViews)', () => {
  let engine: Engine;
  /** Each range's values from a run without valueViews, copied once more to be safe. */
  let copies: Float32Array[][];
  let copyParts: PartialSums[];
  beforeAll(async () => {
    engine = createCpuEngine({ threads: 2 });
    copyParts = [];
    for (const r of RANGES) copyParts.push(await engine.run(plan, { ...r, mode: 'exact' }));
    copies = copyParts.map((p) => p.values!.map((v) => v.slice()));
  });
  afterAll(async () => {
    await engine.dispose();
  });

  it('lends views of its shared arrays that hold the bits a copy holds, while the next run goes', async () => {
    // As a streaming run calls it: the next call starts before this one's values are read.
    let next = engine.run(plan, { ...RANGES[0]!, mode: 'exact', valueViews: true });
    for (let i = 0; i < RANGES.length; i++) {
      const part = await next;
      if (i + 1 < RANGES.length) next = engine.run(plan, { ...RANGES[i + 1]!, mode: 'exact', valueViews: true });
      // Gaps were closed (infeasible samples), and the values are no copies.
      expect(part.infeasible[0]).toBeGreaterThan(0);
      expect(part.infeasible[1]).toBeGreaterThan(0);
      for (const v of part.values!) expect(v.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(sameBits(part.values!, copies[i]!), `call ${i}, while the next runs`).toBe(true);
      // Everything else is the run without views, field for field.
      expect({ ...part, values: null }).toEqual({ ...copyParts[i]!, values: null });
      await next;
      expect(sameBits(part.values!, copies[i]!), `call ${i}, after the next ran`).toBe(true);
    }
  }, 60_000);

  it('returns copies without it, which later runs (with views or without) leave as they were', async () => {
    const part = await engine.run(plan, { ...RANGES[0]!, mode: 'exact' });
    for (const v of part.values!) expect(v.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    const again = await engine.run(plan, { ...RANGES[0]!, mode: 'exact' });
    for (const r of [RANGES[1]!, RANGES[2]!, RANGES[1]!]) {
      await engine.run(plan, { ...r, mode: 'exact', valueViews: true });
      await engine.run(plan, { ...r, mode: 'exact' });
    }
    expect(sameBits(part.values!, copies[0]!)).toBe(true);
    expect(sameBits(again.values!, copies[0]!)).toBe(true);
    // Two calls' copies are arrays of their own.
    part.values![0]!.fill(-1);
    expect(sameBits(again.values!, copies[0]!)).toBe(true);
  }, 60_000);
});
