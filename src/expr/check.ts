/**
 * Checking expressions against the names a scenario defines, and ordering metrics that use one
 * another.
 */
import type { Expr, ExprNode } from './ast.js';
import { walkExpr } from './ast.js';
import { exprError } from './errors.js';
import { JS_FUNCTIONS, applyBinary } from './evaluate.js';
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

/**
 * Throws an ExprError at the innermost part of `expr` that reads no name and whose value is not
 * a finite f32: `1/0`, `log(0)`, `sqrt(-1)`, `1e30 * 1e30`. Such a part is the same for every
 * sample, so it is a mistake in the formula, not in the data; and the engines would disagree on a
 * constant beyond the f32 range (infinity on the GPU, finite on the CPU), as they would on the
 * literal, which the parser refuses for that reason.
 */
export function checkConstants(expr: Expr, path: string): void {
  const fail = (node: ExprNode, value: number, hint?: string): never => {
    const what = Number.isNaN(value)
      ? 'not a number (NaN)'
      : !Number.isFinite(value)
        ? `${value < 0 ? 'minus ' : ''}infinity`
        : `${Number(value.toPrecision(3))}, beyond the f32 range (about ±3.4e38) the GPU engine computes in`;
    return exprError({ path, text: expr.text, offset: node.pos, reason: `this part reads no name and its value is ${what}`, hint });
  };
  // The node's value, or undefined when it reads a name. Visits every child, so that `x + 1/0` is found.
  const value = (node: ExprNode): number | undefined => {
    let result: number;
    switch (node.kind) {
      case 'number':
        return node.value;
      case 'name':
        return undefined;
      case 'negate': {
        const arg = value(node.arg);
        if (arg === undefined) return undefined;
        result = -arg;
        break;
      }
      case 'binary': {
        const [l, r] = [value(node.left), value(node.right)];
        if (l === undefined || r === undefined) return undefined;
        result = applyBinary(node.op, l, r);
        if (!Number.isFinite(Math.fround(result)) && node.op === '/' && r === 0) fail(node, result, 'a division by zero');
        break;
      }
      case 'call': {
        const args = node.args.map(value);
        if (args.some((a) => a === undefined)) return undefined;
        result = JS_FUNCTIONS[node.fn](...(args as number[]));
        break;
      }
    }
    if (!Number.isFinite(Math.fround(result))) fail(node, result);
    return result;
  };
  value(expr.root);
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
 * that closes it, with the whole cycle in the message. A part of an expression that reads no name
 * must have a finite value (checkConstants). `defs` may be a Map, which holds any name as it is
 * (an object literal's `__proto__` key sets its prototype instead).
 */
export function orderMetrics(
  defs: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
  known: ReadonlySet<string> | readonly string[],
  pathPrefix = 'metrics',
): OrderedMetric[] {
  const texts = new Map<string, string>(defs instanceof Map ? defs : Object.entries(defs));
  const names = [...texts.keys()];
  const visible = new Set([...known, ...names]);
  const parsed = new Map<string, OrderedMetric>();
  for (const name of names) {
    const path = `${pathPrefix}.${name}`;
    const text = texts.get(name)!;
    if (!IDENTIFIER.test(name)) {
      exprError({ path, text, reason: `metric name \`${name}\` is not usable in expressions: use letters, digits and _, not starting with a digit` });
    }
    const expr = parseExpr(text, path);
    const uses = checkExpr(expr, visible, path);
    checkConstants(expr, path);
    parsed.set(name, { name, expr, uses });
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
  defs: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
  known: ReadonlySet<string> | readonly string[],
  pathPrefix = 'metrics',
): string[] {
  return orderMetrics(defs, known, pathPrefix).map((m) => m.name);
}
