/**
 * Metric expressions compiled to one WGSL function for the GPU engine, to be appended to the
 * fixed shader sources. Semantics follow compileJs as closely as f32 allows:
 *
 * - Arithmetic is f32, so results agree with the f64 CPU engine to about 1e-6 relative where the
 *   expression is well conditioned, and overflow to infinity past about 3.4e38.
 * - Subexpressions without names are folded on the host in f64 (compileJs semantics). That keeps
 *   every remaining operation a run-time one: a WGSL constant expression that overflows f32,
 *   divides by zero or takes sqrt(-1) would make the whole shader fail to compile.
 * - `^` and pow() go through `cptsim_pow`, because WGSL's pow is undefined for a negative base:
 *   it gives the JavaScript answer for a negative base with an integer exponent (sign from its
 *   parity), for a zero base, and for a zero exponent. sqrt, log and log10 of a negative number
 *   return NaN and log(0) -infinity, as in JavaScript, instead of WGSL's undefined values;
 *   exp and pow give infinity where the result passes the f32 range (the CPU engine counts any
 *   value beyond F32_MAX as not finite, so both engines leave out the same samples).
 * - if(c, a, b) is `select(b, a, c != 0.0)`: both branches are evaluated, which is harmless
 *   because nothing has side effects; comparisons give 1.0 or 0.0.
 * - A subexpression nested deeper than MAX_INLINE_DEPTH is bound to a `let` (bind.ts), so that
 *   no statement reaches Tint's parser limit (128 levels; measured with Dawn on lavapipe: 124
 *   parentheses fit in a statement) or its 512-deep expression limit, whatever the tree's height;
 *   min and max of many arguments become a chain of two-argument calls bound the same way.
 * - NaN and infinity only ever come from run-time values. WGSL lets implementations assume there
 *   are none, so a non-finite result is best effort: the engines count a sample as invalid when
 *   a metric is not finite, and should test that with `cptsim_is_finite` (a bit test, which a
 *   compiler cannot fold away as it may `x != x`).
 */
import type { ExprNode } from './ast.js';
import { Temporaries, type Code } from './bind.js';
import { evaluateNode } from './evaluate.js';
import type { NamedExpr } from './symbols.js';
import { slotIndex } from './symbols.js';

export interface WgslOptions {
  /** Name of the generated function. */
  fnName: string;
  /** Name of its parameter, the pointer to the value array. */
  arrayName: string;
  /** Include the `cptsim_*` helper functions (default true). Leave them out only when appending a second generated function to a shader that has them already. */
  helpers?: boolean;
}

/** 1/ln(10): log10(x) = ln(x) / ln(10), computed as ln(x) * log10(e). */
const LOG10_E = 0.4342944819032518;

/** The helper functions the generated code calls; part of compileWgsl's output by default. */
export const EXPR_WGSL_HELPERS = /* wgsl */ `// Helpers of generated metric expressions (src/expr/compile-wgsl.ts).
// NaN and infinity are made from bit patterns held in a var, so they are run-time values: a
// constant expression may not produce them.
fn cptsim_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

fn cptsim_inf() -> f32 {
  var bits = 0x7f800000u;
  return bitcast<f32>(bits);
}

// False for infinities and NaN. A bit test, because a compiler may assume x == x.
fn cptsim_is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// WGSL leaves sqrt and log of negative numbers (and log of 0) undefined; these give JavaScript's
// NaN and -infinity.
fn cptsim_sqrt(x: f32) -> f32 {
  return select(sqrt(x), cptsim_nan(), x < 0.0);
}

fn cptsim_log(x: f32) -> f32 {
  return select(select(log(x), -cptsim_inf(), x == 0.0), cptsim_nan(), x < 0.0);
}

// WGSL leaves exp undefined where the result overflows f32 (llvmpipe gave 5.39e19 for exp(1000)):
// past ln(F32_MAX) it is infinity, as the CPU engine counts a value beyond F32_MAX.
fn cptsim_exp(x: f32) -> f32 {
  return select(exp(x), cptsim_inf(), x > ${formatF32(Math.log(3.4028234663852886e38))});
}

fn cptsim_log10(x: f32) -> f32 {
  return cptsim_log(x) * ${formatF32(LOG10_E)};
}

// Math.pow for f32. WGSL's pow(x, y) is exp2(y * log2(x)), undefined for x < 0 and for x = 0:
// a negative base takes the magnitude's power and the sign of the integer exponent's parity
// (NaN for a non-integer exponent); a zero base gives 0, 1 or infinity; a zero exponent gives 1.
// A magnitude of 2^128 or more overflows f32: infinity, where WGSL's pow is undefined.
fn cptsim_pow(x: f32, y: f32) -> f32 {
  let magnitude = select(pow(abs(x), y), cptsim_inf(), y * log2(abs(x)) >= 128.0);
  let y_is_integer = floor(y) == y;
  let y_is_odd = y_is_integer && (y - 2.0 * floor(0.5 * y)) == 1.0;
  let signed = select(magnitude, -magnitude, x < 0.0 && y_is_odd);
  let real = select(signed, cptsim_nan(), x < 0.0 && !y_is_integer);
  let zero_base = select(select(0.0, 1.0, y == 0.0), cptsim_inf(), y < 0.0);
  return select(select(real, zero_base, x == 0.0), 1.0, y == 0.0);
}
`;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The nesting (Tint parser levels) a generated expression may reach before it is bound to a `let`. */
const MAX_INLINE_DEPTH = 32;

/** Longest expression text quoted in the generated function's comments. */
const MAX_COMMENT = 120;

/**
 * The expressions as `fn <fnName>(<arrayName>: ptr<function, array<f32, N>>)`, N =
 * symbols.length, which evaluates them in order, each reading `(*v)[i]` and writing its result
 * to the slot of its name; preceded by the helpers unless `helpers: false`. The text is a pure
 * function of the arguments, so its hash (exprHash) can key a pipeline cache.
 */
export function compileWgsl(exprs: readonly NamedExpr[], symbols: readonly string[], opts: WgslOptions): string {
  for (const id of [opts.fnName, opts.arrayName]) {
    // WGSL reserves names starting with two underscores.
    if (!IDENTIFIER.test(id) || id.startsWith('__')) throw new Error(`compileWgsl: \`${id}\` is not a WGSL identifier`);
  }
  if (symbols.length === 0) throw new Error('compileWgsl: the symbol list is empty (WGSL arrays have at least one element)');
  const index = slotIndex(exprs, symbols);
  const v = opts.arrayName;
  // `cptsim_` names are the helpers'; the temporaries are cptsim_t0, cptsim_t1, ...
  const temps = new Temporaries((name, text) => `  let ${name} = ${text};`, 'cptsim_t', MAX_INLINE_DEPTH);
  const body = exprs.map(({ name, expr }) => {
    const slot = index.get(name)!;
    const value = emit(fold(expr.root), index, v, temps).text;
    return [`  // ${commentSafe(name)} = ${commentSafe(expr.text)}`, ...temps.take(), `  (*${v})[${slot}] = ${value};`].join('\n');
  });
  const fn = [
    `// Generated from metric expressions: ${exprs.length} result(s) in an array of ${symbols.length} f32 values.`,
    `fn ${opts.fnName}(${v}: ptr<function, array<f32, ${symbols.length}>>) {`,
    ...body,
    '}',
    '',
  ].join('\n');
  return opts.helpers === false ? fn : `${EXPR_WGSL_HELPERS}\n${fn}`;
}

/** Text that cannot end a WGSL line comment (anything but printable ASCII becomes `?`), cut short when long. */
function commentSafe(text: string): string {
  const safe = text.replace(/[^\x20-\x7e]/g, '?');
  return safe.length > MAX_COMMENT ? `${safe.slice(0, MAX_COMMENT)}...` : safe;
}

function hasNames(node: ExprNode): boolean {
  switch (node.kind) {
    case 'number':
      return false;
    case 'name':
      return true;
    case 'negate':
      return hasNames(node.arg);
    case 'binary':
      return hasNames(node.left) || hasNames(node.right);
    case 'call':
      return node.args.some(hasNames);
  }
}

/** Replaces every subtree without names by its f64 value (possibly non-finite). */
function fold(node: ExprNode): ExprNode {
  if (!hasNames(node)) {
    if (node.kind === 'number') return node;
    return { kind: 'number', value: evaluateNode(node, noNames), pos: node.pos };
  }
  switch (node.kind) {
    case 'number':
    case 'name':
      return node;
    case 'negate':
      return { ...node, arg: fold(node.arg) };
    case 'binary':
      return { ...node, left: fold(node.left), right: fold(node.right) };
    case 'call':
      return { ...node, args: node.args.map(fold) };
  }
}

function noNames(name: string): number {
  throw new Error(`compileWgsl: folding met the name \`${name}\``);
}

/**
 * An f32 literal: always with a decimal point or an exponent, so WGSL reads it as a float.
 * Values too small for a normal f32 become 0.0 (GPUs may flush subnormals anyway); values beyond
 * the f32 range and NaN become run-time helper calls, since a literal cannot hold them.
 */
export function formatF32(value: number): string {
  if (Number.isNaN(value)) return 'cptsim_nan()';
  const sign = value < 0 ? '-' : '';
  const magnitude = Math.abs(value);
  if (!Number.isFinite(Math.fround(magnitude))) return `(${sign}cptsim_inf())`;
  // 2^-126, the smallest normal f32.
  if (magnitude < 1.1754943508222875e-38) return '0.0';
  const digits = String(magnitude);
  const literal = /[.e]/.test(digits) ? digits : `${digits}.0`;
  return sign ? `(-${literal})` : literal;
}

/**
 * The WGSL of a folded tree, with its nesting counted as Tint's parser counts it (a parenthesis
 * or call one level, a unary minus two); what passes the budget goes to a `let` in `temps`.
 */
function emit(node: ExprNode, index: ReadonlyMap<string, number>, v: string, temps: Temporaries): Code {
  const e = (n: ExprNode) => emit(n, index, v, temps);
  const code = temps.code.bind(temps);
  switch (node.kind) {
    case 'number': {
      const text = formatF32(node.value);
      return { text, depth: text.includes('(') ? 3 : 0 };
    }
    case 'name':
      return { text: `(*${v})[${index.get(node.name)!}]`, depth: 2 };
    case 'negate': {
      const arg = e(node.arg);
      return code(`(-${arg.text})`, 3, arg);
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
          return code(`cptsim_pow(${l.text}, ${r.text})`, 1, l, r);
        default:
          return code(`select(0.0, 1.0, ${l.text} ${node.op} ${r.text})`, 1, l, r);
      }
    }
    case 'call': {
      const args = node.args.map(e);
      const [a, b, c] = args as [Code, Code, Code];
      switch (node.fn) {
        case 'min':
        case 'max':
          // WGSL's min and max take two arguments: nest from the right.
          return args.reduceRight((acc, arg) => code(`${node.fn}(${arg.text}, ${acc.text})`, 1, arg, acc));
        case 'clamp':
          // Written out, because WGSL's clamp may return the median when lo > hi.
          return code(`min(max(${a.text}, ${b.text}), ${c.text})`, 2, a, b, c);
        case 'if':
          return code(`select(${c.text}, ${b.text}, ${a.text} != 0.0)`, 1, a, b, c);
        case 'pow':
          return code(`cptsim_pow(${a.text}, ${b.text})`, 1, a, b);
        case 'sqrt':
        case 'log':
        case 'log10':
        case 'exp':
          return code(`cptsim_${node.fn}(${a.text})`, 1, a);
        case 'abs':
        case 'sin':
        case 'cos':
        case 'tan':
        case 'floor':
        case 'ceil':
          return code(`${node.fn}(${a.text})`, 1, a);
      }
    }
  }
}
