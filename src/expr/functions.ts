/**
 * The functions an expression may call, with their arities, and the check of one call.
 */
import type { CallNode, FunctionName } from './ast.js';
import { exprError } from './errors.js';
import { closest } from '../suggest.js';

export interface FunctionSpec {
  readonly minArgs: number;
  /** Infinity for min and max, which take any number of arguments from two up. */
  readonly maxArgs: number;
  /** How the call is written, for error messages. */
  readonly usage: string;
}

export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSpec>> = {
  min: { minArgs: 2, maxArgs: Infinity, usage: 'min(a, b, ...)' },
  max: { minArgs: 2, maxArgs: Infinity, usage: 'max(a, b, ...)' },
  abs: { minArgs: 1, maxArgs: 1, usage: 'abs(x)' },
  sqrt: { minArgs: 1, maxArgs: 1, usage: 'sqrt(x)' },
  exp: { minArgs: 1, maxArgs: 1, usage: 'exp(x)' },
  log: { minArgs: 1, maxArgs: 1, usage: 'log(x)' },
  log10: { minArgs: 1, maxArgs: 1, usage: 'log10(x)' },
  pow: { minArgs: 2, maxArgs: 2, usage: 'pow(x, y)' },
  sin: { minArgs: 1, maxArgs: 1, usage: 'sin(x)' },
  cos: { minArgs: 1, maxArgs: 1, usage: 'cos(x)' },
  tan: { minArgs: 1, maxArgs: 1, usage: 'tan(x)' },
  floor: { minArgs: 1, maxArgs: 1, usage: 'floor(x)' },
  ceil: { minArgs: 1, maxArgs: 1, usage: 'ceil(x)' },
  clamp: { minArgs: 3, maxArgs: 3, usage: 'clamp(x, lo, hi)' },
  if: { minArgs: 3, maxArgs: 3, usage: 'if(condition, then, else)' },
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

export function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(FUNCTIONS, name);
}

/** Throws unless `name` is a known function; `offset` is where the name starts in `text`. */
export function checkFunctionName(name: string, offset: number, text: string, path: string): FunctionName {
  if (isFunctionName(name)) return name;
  const suggestion = closest(name, FUNCTION_NAMES);
  return exprError({
    path,
    text,
    offset,
    reason: `unknown function \`${name}\``,
    hint: suggestion ? `did you mean \`${suggestion}\`?` : `functions: ${FUNCTION_NAMES.join(' ')}`,
  });
}

/** Throws when a call has the wrong number of arguments (or names no function). */
export function checkCall(call: CallNode, text: string, path: string): void {
  const fn = checkFunctionName(call.fn, call.pos, text, path);
  const spec = FUNCTIONS[fn];
  const n = call.args.length;
  if (n >= spec.minArgs && n <= spec.maxArgs) return;
  const wanted =
    spec.maxArgs === Infinity
      ? `${spec.minArgs} or more arguments`
      : `${spec.minArgs} argument${spec.minArgs === 1 ? '' : 's'}`;
  exprError({
    path,
    text,
    offset: call.pos,
    reason: `\`${fn}\` needs ${wanted}, not ${n}`,
    hint: `write ${spec.usage}`,
  });
}
