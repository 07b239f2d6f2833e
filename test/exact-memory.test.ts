/**
 * The memory guard of exact quantiles: what a run takes for them (every value, samples x cells x
 * metrics x 4 bytes, when it keeps them; the streaming passes' counters, which do not grow with the
 * samples, otherwise) against a budget, refused up front (exit 2) with the memory it would take
 * and the alternative.
 */
import { describe, expect, it } from 'vitest';
import { streamingBytesPerPair } from '../src/aggregate/index.js';
import { EXACT_KEEP_AT_MOST, checkExactMemory, exactMemoryBudgetBytes, exactMemoryBytes, exactPlan, simulate } from '../src/analysis/index.js';
import { createCpuEngine } from '../src/engine/index.js';
import { InputError } from '../src/errors.js';
import { MEASURED_CLOUD, makePlan } from './helpers/plans.js';

const plan = (samples: number, sweep?: number[]) =>
  makePlan({ config: MEASURED_CLOUD, inputs: { utilization: 0.5, cloud_usd_per_gpu_hour: 2, measured_output_tokens_per_s_per_gpu: 1000 }, samples, ...(sweep ? { sweep: { pue: sweep } } : {}) });

describe('checkExactMemory', () => {
  const p = plan(1000, [1.1, 1.2, 1.3]);
  const need = 1000 * 3 * p.metrics.length * 4;

  it('allows exact quantiles up to the budget, and refuses one byte past it', () => {
    expect(() => checkExactMemory(p, 'exact', need)).not.toThrow();
    expect(() => checkExactMemory(p, 'exact', need - 1)).toThrow(InputError);
  });

  it('says what it would take, the budget and the alternative', () => {
    let err: InputError | undefined;
    try {
      checkExactMemory(p, 'exact', 1000);
    } catch (e) {
      err = e as InputError;
    }
    expect(err?.exitCode).toBe(2);
    expect(err?.issues[0]?.path).toBe('--quantiles');
    expect(err?.message).toMatch(
      new RegExp(`1,000 samples x 3 cells x ${p.metrics.length} metrics x 4 bytes = [\\d.]+ GiB, more than the 0 GiB allowed .*use --quantiles hist`),
    );
  });

  it('leaves histogram and automatic quantiles alone (auto picks exact only for small runs)', () => {
    expect(() => checkExactMemory(plan(2 ** 40), 'hist', 1)).not.toThrow();
    expect(() => checkExactMemory(plan(2 ** 40), 'auto', 1)).not.toThrow();
    expect(() => checkExactMemory(plan(2 ** 40), undefined, 1)).not.toThrow();
  });

  it('budgets half of the machine memory by default', () => {
    expect(exactMemoryBudgetBytes()).toBeGreaterThan(0);
    // Keeping every value of 2^40 samples (for charts) is refused; streaming them is not.
    expect(() => checkExactMemory(plan(2 ** 40), 'exact', undefined, 'keep')).toThrow(/keep every value.*use --quantiles hist/);
    expect(() => checkExactMemory(plan(2 ** 40), 'exact')).not.toThrow();
  });

  it('counts the streaming passes per cell and metric, whatever the samples, when it streams', () => {
    // Past 2^16 samples per cell and 2^21 sample-cells a run streams.
    const big = plan(2 ** 21, [1.1, 1.2, 1.3]);
    expect(exactPlan(big)).toBe('stream');
    const pairs = 3 * big.metrics.length;
    // 9 quantiles read two order statistics each: 18 buckets at most, and pass 1's counts.
    expect(exactMemoryBytes(big)).toBe(pairs * streamingBytesPerPair(18));
    expect(streamingBytesPerPair(18)).toBe(19 * 2 ** 18);
    // Many ranks (CDF points) take at most 4 bytes per value besides pass 1's counts.
    expect(exactMemoryBytes(big, 'auto', 2000)).toBe(pairs * (2 ** 18 + 4 * 2 ** 21));
    expect(exactMemoryBytes({ ...big, samples: 2 ** 40 })).toBe(exactMemoryBytes(big));
    expect(() => checkExactMemory(big, 'exact', exactMemoryBytes(big) - 1)).toThrow(/count values per cell and metric: 3 cells x \d+ metrics/);
    // Smaller runs keep the values: at most 2^16 samples per cell, or 2^21 sample-cells.
    const sweep = (cells: number) => Array.from({ length: cells }, (_, k) => 1 + k / 100);
    expect(exactPlan(plan(EXACT_KEEP_AT_MOST, sweep(100)))).toBe('keep');
    expect(exactPlan(plan(EXACT_KEEP_AT_MOST + 4, sweep(100)))).toBe('stream');
    expect(exactPlan(plan(2 ** 21))).toBe('keep');
    expect(exactPlan(plan(2 ** 21 + 1))).toBe('stream');
    expect(exactMemoryBytes(plan(2 ** 21))).toBe(2 ** 21 * big.metrics.length * 4);
  });

  it('is applied by simulate before any sample is run', async () => {
    const engine = createCpuEngine({ threads: 1 });
    let ran = false;
    const spy = { ...engine, run: (...a: Parameters<typeof engine.run>) => ((ran = true), engine.run(...a)) };
    await expect(simulate(p, spy, { quantiles: 'exact', exactBudgetBytes: 100 })).rejects.toThrow(InputError);
    expect(ran).toBe(false);
    await engine.dispose();
  });
});
