/**
 * ExprError: a mistake in a metric expression, shown with the expression and a caret under the
 * column where it is:
 *
 *   metrics.margin: unknown name `cost_per_mtok_outptu` at column 18 (did you mean `cost_per_mtok_output`?)
 *     price_per_mtok - cost_per_mtok_outptu
 *                      ^
 *
 * It is an InputError, so the CLI prints it once and exits with status 2.
 */
import { InputError } from '../errors.js';

export interface ExprErrorDetails {
  /** Field path of the expression, e.g. `metrics.margin`; '' when not known. */
  path: string;
  /** The expression's source text. */
  text: string;
  /** What is wrong, without the place: "unknown name `x`". */
  reason: string;
  /** 0-based offset of the offending character in `text`; undefined when the problem has no single place. */
  offset?: number | undefined;
  /** A suggestion shown in parentheses after the column: "did you mean `y`?". */
  hint?: string | undefined;
}

export class ExprError extends InputError {
  readonly path: string;
  readonly text: string;
  readonly reason: string;
  /** 1-based column of the problem in the expression, or undefined. */
  readonly column: number | undefined;
  readonly hint: string | undefined;

  constructor(details: ExprErrorDetails, file?: string) {
    super([{ path: details.path, message: exprErrorMessage(details) }], file);
    this.path = details.path;
    this.text = details.text;
    this.reason = details.reason;
    this.column = details.offset === undefined ? undefined : details.offset + 1;
    this.hint = details.hint;
  }
}

/** Throws an ExprError; a shorthand for the parser and checker. */
export function exprError(details: ExprErrorDetails): never {
  throw new ExprError(details);
}

/** Characters of a long expression shown either side of the column; the rest is elided. */
const SHOWN_AROUND = 60;

/**
 * The message without the path: reason, column, hint, then the expression and a caret line, each
 * indented by two spaces. Line breaks in the expression (YAML block scalars) are shown as spaces
 * so that one caret line lines up under one text line; tabs are kept in the caret line's indent
 * so the caret stays aligned however the terminal expands them. A long expression is shown as
 * the stretch around the column, `...` marking what is left out, so that a runaway input does
 * not flood the terminal.
 */
export function exprErrorMessage(details: ExprErrorDetails): string {
  const where = details.offset === undefined ? '' : ` at column ${details.offset + 1}`;
  const hint = details.hint ? ` (${details.hint})` : '';
  const first = `${details.reason}${where}${hint}`;
  const whole = details.text.replace(/[\r\n]/g, ' ');
  const at = details.offset ?? 0;
  const from = Math.max(0, Math.min(at - SHOWN_AROUND, whole.length - 2 * SHOWN_AROUND));
  const to = Math.min(whole.length, from + 2 * SHOWN_AROUND);
  const head = from > 0 ? '...' : '';
  const shown = `${head}${whole.slice(from, to)}${to < whole.length ? '...' : ''}`;
  if (details.offset === undefined) return `${first}\n  ${shown}`;
  const indent = (head + whole.slice(from, at)).replace(/[^\t]/g, ' ');
  return `${first}\n  ${shown}\n  ${indent}^`;
}
