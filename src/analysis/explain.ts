/**
 * `cptsim explain`: one deterministic evaluation per cell with every distribution at its median,
 * and every intermediate quantity of MODEL.md, so a user can see why a number is what it is.
 */
import { explain } from '../model/index.js';
import { SLOT_COUNT, SLOT_DEFS } from '../model/slots.js';
import { cellCount, cellDists, cellPoint } from '../plan/cells.js';
import type { Plan } from '../plan/types.js';
import { median } from '../sampling/index.js';

export interface ExplainedInput {
  path: string;
  value: number;
  /** 'median' when the input is uncertain, 'fixed' or 'swept' otherwise. */
  kind: 'median' | 'fixed' | 'swept';
  source: 'scenario' | 'catalog' | 'default';
}

export interface ExplainCell {
  point: Record<string, number>;
  inputs: Record<string, ExplainedInput>;
  values: Record<string, number | string | boolean>;
}

export interface ExplainResult {
  scenario: string;
  cells: ExplainCell[];
}

/** Inputs whose slots matter in this plan's mode (unused slots are constant zeros from defaults). */
function shownInputs(plan: Plan) {
  return plan.inputs.filter((inp) => !(inp.source === 'default' && inp.dist.kind === 'const' && inp.dist.value === 0));
}

export function explainPlan(plan: Plan): ExplainResult {
  const cells: ExplainCell[] = [];
  for (let c = 0; c < cellCount(plan); c++) {
    const dists = cellDists(plan, c);
    const x = new Float64Array(SLOT_COUNT);
    dists.forEach((d, s) => (x[s] = median(d)));
    const inputs: Record<string, ExplainedInput> = {};
    for (const inp of shownInputs(plan)) {
      inputs[SLOT_DEFS[inp.slot]!.name] = {
        path: inp.path,
        value: x[inp.slot]!,
        kind: inp.sweepAxis !== null ? 'swept' : inp.dist.kind === 'const' ? 'fixed' : 'median',
        source: inp.source,
      };
    }
    cells.push({ point: cellPoint(plan, c), inputs, values: explain(x, plan.config) });
  }
  return { scenario: plan.name, cells };
}
