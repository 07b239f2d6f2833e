/**
 * The symbol vector of a plan's metric expressions, shared by both engines: every name an
 * expression may read has one place in it, in this order:
 *
 *   [0, SLOT_COUNT)                   the model's inputs (slots.ts SLOT_DEFS)
 *   [SLOT_COUNT, +custom inputs)      the scenario's own inputs (Plan.custom.inputs)
 *   metricBase + METRIC_COUNT         the built-in metrics (slots.ts METRICS)
 *   interBase + INTERMEDIATE_COUNT    the intermediates (slots.ts INTERMEDIATES)
 *   customBase + custom metrics       the custom metrics (Plan.custom.metrics order)
 *
 * The first part is the model's input vector itself, so on the CPU the sample's inputs, the
 * model's outputs and the expressions' results live in one Float64Array without copying.
 */
import { parseExpr, walkExpr, type NamedExpr } from '../expr/index.js';
import { INTERMEDIATES, INTERMEDIATE_COUNT, METRIC, METRICS, METRIC_COUNT, SLOT_COUNT, SLOT_DEFS, type MetricName } from '../model/index.js';
import type { Plan } from './types.js';

export interface CustomLayout {
  symbols: string[];
  metricBase: number;
  interBase: number;
  customBase: number;
  /** Parsed expressions in evaluation order, each writing the symbol of its name. */
  exprs: NamedExpr[];
  /** Whether an expression reads an intermediate (then the model must write them). */
  needsInter: boolean;
  /** Whether the cost model runs (false for a model of the user's own). */
  costModel: boolean;
  /** Per plan metric (Plan.metrics order), its index in the symbol vector. */
  metricSymbols: number[];
}

const INTERMEDIATE_NAMES = new Set<string>(INTERMEDIATES);

/** The layout of a plan with custom inputs or metrics; null for a plan of built-in metrics only. */
export function customLayout(plan: Plan): CustomLayout | null {
  const custom = plan.custom;
  if (!custom) return null;
  const metricBase = SLOT_COUNT + custom.inputs.length;
  const interBase = metricBase + METRIC_COUNT;
  const customBase = interBase + INTERMEDIATE_COUNT;
  const symbols = [
    ...SLOT_DEFS.map((d) => d.name),
    ...custom.inputs,
    ...METRICS,
    ...INTERMEDIATES,
    ...custom.metrics.map((m) => m.name),
  ];
  let needsInter = false;
  const exprs = custom.metrics.map((m): NamedExpr => {
    const expr = parseExpr(m.expr, `metrics.${m.name}`);
    walkExpr(expr.root, (node) => {
      if (node.kind === 'name' && INTERMEDIATE_NAMES.has(node.name)) needsInter = true;
    });
    return { name: m.name, expr };
  });
  const customIndex = new Map(custom.metrics.map((m, j) => [m.name, customBase + j]));
  const metricSymbols = plan.metrics.map((name) => {
    const j = customIndex.get(name);
    if (j !== undefined) return j;
    const id = METRIC[name as MetricName];
    if (id === undefined) throw new Error(`plan metric \`${name}\` is neither built in nor custom`);
    return metricBase + id;
  });
  return { symbols, metricBase, interBase, customBase, exprs, needsInter, costModel: custom.costModel, metricSymbols };
}

/** Index of each plan metric in the model's METRIC_COUNT outputs, for a plan of built-in metrics only. */
export function builtInMetricIds(plan: Plan): number[] {
  return plan.metrics.map((name) => {
    const id = METRIC[name as MetricName];
    if (id === undefined) throw new Error(`plan metric \`${name}\` is not built in, and the plan has no custom metrics`);
    return id;
  });
}
