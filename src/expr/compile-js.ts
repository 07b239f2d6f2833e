/**
 * Metric expressions compiled to one JavaScript function for the CPU engine. Semantics are f64
 * and JavaScript's Math: `log`, `sqrt` and non-integer powers of negative numbers give NaN,
 * `log(0)` gives -Infinity, `x / 0` gives ±Infinity; the engines count a sample whose metric is
 * not finite as invalid. A subexpression nested deeper than MAX_INLINE_DEPTH is bound to a
 * `const` first (bind.ts), so V8's parser, which gives up somewhere past a thousand levels (less
 * when called deep in a stack), never meets more than a few dozen.
 */
import type { ExprNode, FunctionName } from './ast.js';
import { Temporaries, type Code } from './bind.js';
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

/** The nesting (parentheses and calls) a generated expression may reach before it is bound to a `const`. */
const MAX_INLINE_DEPTH = 32;

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
  // The function's only other name is its parameter `v`.
  const temps = new Temporaries((name, text) => `const ${name} = ${text};`, 't', MAX_INLINE_DEPTH);
  const lines = ['"use strict";'];
  for (const { name, expr } of exprs) {
    // No comments with the names: a symbol is any string, and could end a comment line.
    const value = emit(expr.root, index, temps).text;
    lines.push(...temps.take(), `v[${index.get(name)!}] = ${value};`);
  }
  return lines.join('\n');
}

/** The JavaScript of a tree, with its nesting; what passes the budget goes to a `const` in `temps`. */
function emit(node: ExprNode, index: ReadonlyMap<string, number>, temps: Temporaries): Code {
  const e = (n: ExprNode) => emit(n, index, temps);
  const code = temps.code.bind(temps);
  switch (node.kind) {
    case 'number':
      return { text: String(node.value), depth: 0 };
    case 'name':
      return { text: `v[${index.get(node.name)!}]`, depth: 1 };
    case 'negate': {
      const arg = e(node.arg);
      return code(`(-${arg.text})`, 2, arg);
    }
    case 'binary': {
      const [l, r] = [e(node.left), e(node.right)];
      switch (node.op) {
        case '+':
        case '-':
        case '*':
        case '/':
          return code(`(${l.text} ${node.op} ${r.text})`, 1, l, r);
        case '^':
          return code(`Math.pow(${l.text}, ${r.text})`, 1, l, r);
        default:
          return code(`(${l.text} ${JS_COMPARE[node.op] ?? node.op} ${r.text} ? 1 : 0)`, 1, l, r);
      }
    }
    case 'call': {
      const args = node.args.map(e);
      const [a, b, c] = args as [Code, Code, Code];
      if (node.fn === 'min' || node.fn === 'max') {
        // Two arguments a call, nested from the right (exact: min and max are associative, NaN and
        // -0 included): V8 takes seconds to optimize a call of thousands of arguments.
        const fn = MATH_FUNCTIONS[node.fn];
        return args.reduceRight((acc, arg) => code(`${fn}(${arg.text}, ${acc.text})`, 1, arg, acc));
      }
      if (node.fn === 'clamp') return code(`Math.min(Math.max(${a.text}, ${b.text}), ${c.text})`, 2, a, b, c);
      if (node.fn === 'if') return code(`(${a.text} !== 0 ? ${b.text} : ${c.text})`, 1, a, b, c);
      return code(`${MATH_FUNCTIONS[node.fn]}(${args.map((arg) => arg.text).join(', ')})`, 1, ...args);
    }
  }
}
