/**
 * The syntax tree of a metric expression. Every node keeps `pos`, the 0-based offset in the
 * source text of the token that defines it (a number, a name, a function name, an operator), so
 * errors found after parsing can still point at a column.
 */

export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '^';
export type BinaryOp = ArithmeticOp | CompareOp;

export type FunctionName =
  | 'min'
  | 'max'
  | 'abs'
  | 'sqrt'
  | 'exp'
  | 'log'
  | 'log10'
  | 'pow'
  | 'sin'
  | 'cos'
  | 'tan'
  | 'floor'
  | 'ceil'
  | 'clamp'
  | 'if';

export interface NumberNode {
  readonly kind: 'number';
  readonly value: number;
  readonly pos: number;
}

export interface NameNode {
  readonly kind: 'name';
  readonly name: string;
  readonly pos: number;
}

/** Unary minus, the only unary operator. */
export interface NegateNode {
  readonly kind: 'negate';
  readonly arg: ExprNode;
  readonly pos: number;
}

export interface BinaryNode {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: ExprNode;
  readonly right: ExprNode;
  /** Offset of the operator. */
  readonly pos: number;
}

export interface CallNode {
  readonly kind: 'call';
  readonly fn: FunctionName;
  readonly args: readonly ExprNode[];
  /** Offset of the function name. */
  readonly pos: number;
}

export type ExprNode = NumberNode | NameNode | NegateNode | BinaryNode | CallNode;

/** A parsed expression: its tree and the text it came from (errors quote the text). */
export interface Expr {
  readonly text: string;
  readonly root: ExprNode;
}

export const COMPARE_OPS: readonly CompareOp[] = ['<', '<=', '>', '>=', '==', '!='];

export function isCompareOp(op: string): op is CompareOp {
  return (COMPARE_OPS as readonly string[]).includes(op);
}

/**
 * The expression fully parenthesized, with canonical spacing: `-2^2` gives `(-(2 ^ 2))`. Numbers
 * print as JavaScript's shortest round-trip form. Used by tests and debugging output.
 */
export function formatExpr(node: ExprNode): string {
  switch (node.kind) {
    case 'number':
      return String(node.value);
    case 'name':
      return node.name;
    case 'negate':
      return `(-${formatExpr(node.arg)})`;
    case 'binary':
      return `(${formatExpr(node.left)} ${node.op} ${formatExpr(node.right)})`;
    case 'call':
      return `${node.fn}(${node.args.map(formatExpr).join(', ')})`;
  }
}

/** Calls `visit` on every node, parents before children, left to right. */
export function walkExpr(node: ExprNode, visit: (node: ExprNode) => void): void {
  visit(node);
  switch (node.kind) {
    case 'negate':
      walkExpr(node.arg, visit);
      break;
    case 'binary':
      walkExpr(node.left, visit);
      walkExpr(node.right, visit);
      break;
    case 'call':
      for (const arg of node.args) walkExpr(arg, visit);
      break;
    case 'number':
    case 'name':
      break;
  }
}
