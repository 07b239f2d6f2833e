/**
 * `cptsim explain`: one deterministic evaluation per cell with every distribution at its median,
 * and every intermediate quantity of docs/model.md, so a user can see why a number is what it is.
 */
import { cellCount, cellDists, cellPoint, customLayout, type Plan } from '../plan/index.js';
import { compileJs } from '../expr/index.js';
import { evaluate, explain, INTERMEDIATE_COUNT, METRIC_COUNT, SLOT_COUNT, SLOT_DEFS } from '../model/index.js';
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

/** A slot's name: the model's input name, or a scenario's own input's. */
function inputName(plan: Plan, slot: number): string {
  return slot < SLOT_COUNT ? SLOT_DEFS[slot]!.name : plan.custom!.inputs[slot - SLOT_COUNT]!;
}

export function explainPlan(plan: Plan): ExplainResult {
  const cells: ExplainCell[] = [];
  const layout = customLayout(plan);
  const expressions = layout ? compileJs(layout.exprs, layout.symbols) : null;
  for (let c = 0; c < cellCount(plan); c++) {
    const dists = cellDists(plan, c);
    const x = new Float64Array(layout ? layout.symbols.length : SLOT_COUNT);
    dists.forEach((d, i) => (x[plan.inputs[i]!.slot] = median(d)));
    const inputs: Record<string, ExplainedInput> = {};
    for (const inp of shownInputs(plan)) {
      inputs[inputName(plan, inp.slot)] = {
        path: inp.path,
        value: x[inp.slot]!,
        kind: inp.sweepAxis !== null ? 'swept' : inp.dist.kind === 'const' ? 'fixed' : 'median',
        source: inp.source,
      };
    }
    let values: Record<string, number | string | boolean> = {};
    if (!layout || layout.costModel) values = explain(x.subarray(0, SLOT_COUNT), plan.config);
    if (layout && expressions) {
      // The expressions read the model's metrics and intermediates from the same vector.
      if (layout.costModel) {
        evaluate(
          x,
          plan.config,
          x.subarray(layout.metricBase, layout.metricBase + METRIC_COUNT),
          x.subarray(layout.interBase, layout.interBase + INTERMEDIATE_COUNT),
        );
      }
      expressions(x);
      layout.exprs.forEach((e, j) => (values[e.name] = x[layout.customBase + j]!));
    }
    cells.push({ point: cellPoint(plan, c), inputs, values });
  }
  return { scenario: plan.name, cells };
}
