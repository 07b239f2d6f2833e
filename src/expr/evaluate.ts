/**
 * A direct evaluator with the semantics of compileJs (f64, JavaScript's Math). The WGSL compiler
 * uses it to fold constant subexpressions; `explain`-style single evaluations may use it too.
 */
import type { BinaryOp, Expr, ExprNode, FunctionName } from './ast.js';

/** What each function means, in f64: the definition compileJs emits inline. */
export const JS_FUNCTIONS: Readonly<Record<FunctionName, (...args: number[]) => number>> = {
  min: Math.min,
  max: Math.max,
  abs: Math.abs,
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  log10: Math.log10,
  pow: Math.pow,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  floor: Math.floor,
  ceil: Math.ceil,
  clamp: (x, lo, hi) => Math.min(Math.max(x!, lo!), hi!),
  if: (c, a, b) => (c !== 0 ? a! : b!),
};

export function applyBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '^':
      return Math.pow(a, b);
    case '<':
      return a < b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
  }
}

/** Evaluates a node; `lookup` gives the value of a name (the caller has checked the names). */
export function evaluateNode(node: ExprNode, lookup: (name: string) => number): number {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'name':
      return lookup(node.name);
    case 'negate':
      return -evaluateNode(node.arg, lookup);
    case 'binary':
      return applyBinary(node.op, evaluateNode(node.left, lookup), evaluateNode(node.right, lookup));
    case 'call':
      return JS_FUNCTIONS[node.fn](...node.args.map((a) => evaluateNode(a, lookup)));
  }
}

/** Evaluates an expression with names taken from `values`; a missing name is an Error. */
export function evaluateExpr(expr: Expr, values: Readonly<Record<string, number>>): number {
  return evaluateNode(expr.root, (name) => {
    const v = values[name];
    if (v === undefined) throw new Error(`evaluateExpr: no value for \`${name}\` in ${expr.text}`);
    return v;
  });
}
