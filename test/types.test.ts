/**
 * Type-level checks: `tsc` (run by `npm test` before vitest) fails on this file if a misspelt slot,
 * intermediate or metric name type-checks, or if an index read stops being possibly undefined.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { INTERMEDIATE, METRIC, SLOT, SLOT_DEFS, type SlotName } from '../src/model/index.js';

describe('slot, intermediate and metric names are checked by the compiler', () => {
  it('a misspelt name is a type error; a real one is a number', () => {
    // @ts-expect-error: there is no slot batch_sise.
    void SLOT.batch_sise;
    // @ts-expect-error: there is no intermediate t_stepp_s.
    void INTERMEDIATE.t_stepp_s;
    // @ts-expect-error: there is no metric cost_per_mtok.
    void METRIC.cost_per_mtok;
    expectTypeOf(SLOT.batch_size).toEqualTypeOf<number>();
    expectTypeOf(SLOT.acceptance_p8).toEqualTypeOf<number>();
  });

  it('slot names are a union of literals, the acceptance positions included', () => {
    expectTypeOf<'acceptance_p3'>().toExtend<SlotName>();
    expectTypeOf<'acceptance_p9'>().not.toExtend<SlotName>();
    expectTypeOf<string>().not.toExtend<SlotName>();
  });

  it('indexed reads are possibly undefined (noUncheckedIndexedAccess)', () => {
    const names: readonly SlotName[] = SLOT_DEFS.map((d) => d.name);
    expectTypeOf(names[0]).toEqualTypeOf<SlotName | undefined>();
  });
});
