import type { Dist } from '../sampling/index.js';
import type { Plan } from './types.js';

/** Number of sweep cells: the product of the axes' lengths (1 without axes). */
export function cellCount(plan: Plan): number {
  return plan.axes.reduce((n, a) => n * a.values.length, 1);
}

/** Value index on each axis of a cell, row-major in file order (the last axis varies fastest). */
export function cellIndices(plan: Plan, cell: number): number[] {
  const idx = new Array<number>(plan.axes.length);
  let rest = cell;
  for (let a = plan.axes.length - 1; a >= 0; a--) {
    const n = plan.axes[a]!.values.length;
    idx[a] = rest % n;
    rest = Math.floor(rest / n);
  }
  return idx;
}

/** The swept values of a cell, keyed by path: the `point` of DESIGN.md's JSON result. */
export function cellPoint(plan: Plan, cell: number): Record<string, number> {
  const idx = cellIndices(plan, cell);
  const point: Record<string, number> = {};
  plan.axes.forEach((a, k) => {
    point[a.path] = a.values[idx[k]!]!;
  });
  return point;
}

/** Each slot's distribution in a cell: swept inputs become constants at the cell's value. */
export function cellDists(plan: Plan, cell: number): Dist[] {
  const idx = cellIndices(plan, cell);
  return plan.inputs.map((inp) =>
    inp.sweepAxis === null
      ? inp.dist
      : { kind: 'const', value: plan.axes[inp.sweepAxis]!.values[idx[inp.sweepAxis]!]! },
  );
}
