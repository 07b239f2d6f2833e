/**
 * Metric expressions compiled to one JavaScript function for the CPU engine. Semantics are f64
 * and JavaScript's Math: `log`, `sqrt` and non-integer powers of negative numbers give NaN,
 * `log(0)` gives -Infinity, `x / 0` gives ±Infinity; the engines count a sample whose metric is
 * not finite as invalid.
 */
import type { ExprNode, FunctionName } from './ast.js';
import type { NamedExpr } from './symbols.js';
import { slotIndex } from './symbols.js';

/** Evaluates the expressions in order, each reading and writing slots of `v` (length = symbols.length). */
export type CompiledJs = (v: Float64Array) => void;

/** The Math function each call becomes; clamp and if are written out. */
const MATH_FUNCTIONS: Readonly<Record<Exclude<FunctionName, 'clamp' | 'if'>, string>> = {
  abs: 'Math.abs',
  sqrt: 'Math.sqrt',
  exp: 'Math.exp',
  log: 'Math.log',
  log10: 'Math.log10',
  sin: 'Math.sin',
  cos: 'Math.cos',
  tan: 'Math.tan',
  floor: 'Math.floor',
  ceil: 'Math.ceil',
  min: 'Math.min',
  max: 'Math.max',
  pow: 'Math.pow',
};

const JS_COMPARE: Partial<Record<string, string>> = { '==': '===', '!=': '!==' };

/**
 * Builds one function that computes `exprs` in order and writes each into
 * `v[symbols.indexOf(name)]`, so a later expression can read an earlier result. Names read
 * `v[index]` by position in `symbols`. Numbers are emitted in JavaScript's shortest round-trip
 * form, which is exact for f64.
 */
export function compileJs(exprs: readonly NamedExpr[], symbols: readonly string[]): CompiledJs {
  return new Function('v', jsSource(exprs, symbols)) as CompiledJs;
}

/** The body of compileJs's function, for inspection and tests. */
export function jsSource(exprs: readonly NamedExpr[], symbols: readonly string[]): string {
  const index = slotIndex(exprs, symbols);
  const lines = ['"use strict";'];
  for (const { name, expr } of exprs) {
    // No comments with the names: a symbol is any string, and could end a comment line.
    lines.push(`v[${index.get(name)!}] = ${emit(expr.root, index)};`);
  }
  return lines.join('\n');
}

function emit(node: ExprNode, index: ReadonlyMap<string, number>): string {
  const e = (n: ExprNode) => emit(n, index);
  switch (node.kind) {
    case 'number':
      return String(node.value);
    case 'name':
      return `v[${index.get(node.name)!}]`;
    case 'negate':
      return `(-${e(node.arg)})`;
    case 'binary': {
      const [l, r] = [e(node.left), e(node.right)];
      switch (node.op) {
        case '+':
        case '-':
        case '*':
        case '/':
          return `(${l} ${node.op} ${r})`;
        case '^':
          return `Math.pow(${l}, ${r})`;
        default:
          return `(${l} ${JS_COMPARE[node.op] ?? node.op} ${r} ? 1 : 0)`;
      }
    }
    case 'call': {
      const args = node.args.map(e);
      if (node.fn === 'clamp') return `Math.min(Math.max(${args[0]}, ${args[1]}), ${args[2]})`;
      if (node.fn === 'if') return `(${args[0]} !== 0 ? ${args[1]} : ${args[2]})`;
      return `${MATH_FUNCTIONS[node.fn]}(${args.join(', ')})`;
    }
  }
}
