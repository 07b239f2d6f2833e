/**
 * Metric expressions: the small formula language of a scenario's `metrics:` section, parsed,
 * checked against the names a scenario defines, and compiled to JavaScript (CPU engine) and WGSL
 * (GPU engine).
 */
export type {
  ArithmeticOp,
  BinaryNode,
  BinaryOp,
  CallNode,
  CompareOp,
  Expr,
  ExprNode,
  FunctionName,
  NameNode,
  NegateNode,
  NumberNode,
} from './ast.js';
export { formatExpr, walkExpr } from './ast.js';
export type { ExprErrorDetails } from './errors.js';
export { ExprError } from './errors.js';
export type { FunctionSpec } from './functions.js';
export { FUNCTIONS, FUNCTION_NAMES } from './functions.js';
export { MAX_DEPTH, MAX_SOURCE_LENGTH, parseExpr } from './parse.js';
export type { OrderedMetric } from './check.js';
export { checkConstants, checkExpr, metricOrder, orderMetrics } from './check.js';
export type { NamedExpr } from './symbols.js';
export type { CompiledJs } from './compile-js.js';
export { compileJs, jsSource } from './compile-js.js';
export { evaluateExpr } from './evaluate.js';
export type { WgslOptions } from './compile-wgsl.js';
export { EXPR_WGSL_HELPERS, compileWgsl } from './compile-wgsl.js';
export { exprHash } from './hash.js';
