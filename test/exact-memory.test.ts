/**
 * The memory guard of exact quantiles: samples x cells x metrics x 4 bytes against a budget,
 * refused up front (exit 2) with the memory it would take and the alternative.
 */
import { describe, expect, it } from 'vitest';
import { checkExactMemory, exactMemoryBudgetBytes, simulate } from '../src/analysis/index.js';
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
    expect(() => checkExactMemory(plan(2 ** 40), 'exact')).toThrow(/use --quantiles hist/);
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
