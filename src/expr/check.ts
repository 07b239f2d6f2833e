/**
 * Checking expressions against the names a scenario defines, and ordering metrics that use one
 * another.
 */
import type { Expr } from './ast.js';
import { walkExpr } from './ast.js';
import { exprError } from './errors.js';
import { checkCall, isFunctionName } from './functions.js';
import { parseExpr } from './parse.js';
import { closest } from '../suggest.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The distinct names `expr` reads, in order of first use. Throws an ExprError, at the column of
 * the first offending name, for a name not in `known` (with a "did you mean" by edit distance)
 * and for a call with the wrong number of arguments.
 */
export function checkExpr(expr: Expr, known: ReadonlySet<string> | readonly string[], path: string): string[] {
  const knownSet: ReadonlySet<string> = known instanceof Set ? known : new Set(known);
  const used = new Set<string>();
  walkExpr(expr.root, (node) => {
    if (node.kind === 'call') checkCall(node, expr.text, path);
    if (node.kind !== 'name' || used.has(node.name)) return;
    if (!knownSet.has(node.name)) {
      const suggestion = closest(node.name, knownSet);
      const hint = suggestion
        ? `did you mean \`${suggestion}\`?`
        : isFunctionName(node.name)
          ? `\`${node.name}\` is a function: write ${node.name}(...)`
          : undefined;
      exprError({ path, text: expr.text, offset: node.pos, reason: `unknown name \`${node.name}\``, hint });
    }
    used.add(node.name);
  });
  return [...used];
}

/** One custom metric, parsed and checked, as `orderMetrics` returns it. */
export interface OrderedMetric {
  name: string;
  expr: Expr;
  /** Every name the expression reads (inputs, built-ins, other metrics). */
  uses: string[];
}

/**
 * Parses and checks custom metric definitions (`name -> expression text`) and returns them in an
 * order where each comes after the metrics it uses: definition order wherever the dependencies
 * allow. A metric may use any name in `known` and any other metric; a name that is both a metric
 * and in `known` means the metric (the scenario checker decides whether such shadowing is
 * allowed). Errors name the field `<pathPrefix>.<metric>`; a cycle is reported at the reference
 * that closes it, with the whole cycle in the message.
 */
export function orderMetrics(
  defs: Readonly<Record<string, string>>,
  known: ReadonlySet<string> | readonly string[],
  pathPrefix = 'metrics',
): OrderedMetric[] {
  const names = Object.keys(defs);
  const visible = new Set([...known, ...names]);
  const parsed = new Map<string, OrderedMetric>();
  for (const name of names) {
    const path = `${pathPrefix}.${name}`;
    const text = defs[name]!;
    if (!IDENTIFIER.test(name)) {
      exprError({ path, text, reason: `metric name \`${name}\` is not usable in expressions: use letters, digits and _, not starting with a digit` });
    }
    const expr = parseExpr(text, path);
    parsed.set(name, { name, expr, uses: checkExpr(expr, visible, path) });
  }

  const order: OrderedMetric[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    state.set(name, 'visiting');
    stack.push(name);
    const metric = parsed.get(name)!;
    for (const dep of metric.uses) {
      if (!parsed.has(dep)) continue;
      if (state.get(dep) === 'visiting') {
        // Told from this metric's side: name -> dep -> ... -> name.
        const loop = stack.slice(stack.indexOf(dep));
        const cycle = [name, ...loop.slice(0, -1), name];
        let offset: number | undefined;
        walkExpr(metric.expr.root, (node) => {
          if (offset === undefined && node.kind === 'name' && node.name === dep) offset = node.pos;
        });
        exprError({
          path: `${pathPrefix}.${name}`,
          text: metric.expr.text,
          offset,
          reason: `metrics use each other in a cycle: ${cycle.join(' -> ')}`,
        });
      }
      visit(dep);
    }
    stack.pop();
    state.set(name, 'done');
    order.push(metric);
  };
  for (const name of names) visit(name);
  return order;
}

/** The custom metric names in evaluation order (see orderMetrics). */
export function metricOrder(
  defs: Readonly<Record<string, string>>,
  known: ReadonlySet<string> | readonly string[],
  pathPrefix = 'metrics',
): string[] {
  return orderMetrics(defs, known, pathPrefix).map((m) => m.name);
}
