/**
 * What both compilers share: the checks that tie expressions to slots of the value vector.
 */
import type { Expr } from './ast.js';
import { checkExpr } from './check.js';

/** One expression to compile, and the name of the slot its value is written to. */
export interface NamedExpr {
  readonly name: string;
  readonly expr: Expr;
}

/**
 * Slot index of every symbol, after checking that the symbols are distinct, that each
 * expression reads only symbols, and that each result has a slot. An unknown name in an
 * expression is an ExprError (path = the expression's name); the rest are caller bugs.
 */
export function slotIndex(exprs: readonly NamedExpr[], symbols: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  symbols.forEach((s, i) => {
    if (index.has(s)) throw new Error(`expression compiler: symbol \`${s}\` appears twice in the symbol list`);
    index.set(s, i);
  });
  const known = new Set(symbols);
  for (const { name, expr } of exprs) {
    if (!index.has(name)) throw new Error(`expression compiler: result \`${name}\` has no slot in the symbol list`);
    checkExpr(expr, known, name);
  }
  return index;
}
