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

/**
 * The message without the path: reason, column, hint, then the expression and a caret line, each
 * indented by two spaces. Line breaks in the expression (YAML block scalars) are shown as spaces
 * so that one caret line lines up under one text line; tabs are kept in the caret line's indent
 * so the caret stays aligned however the terminal expands them.
 */
export function exprErrorMessage(details: ExprErrorDetails): string {
  const where = details.offset === undefined ? '' : ` at column ${details.offset + 1}`;
  const hint = details.hint ? ` (${details.hint})` : '';
  const first = `${details.reason}${where}${hint}`;
  const shown = details.text.replace(/[\r\n]/g, ' ');
  if (details.offset === undefined) return `${first}\n  ${shown}`;
  const indent = shown.slice(0, details.offset).replace(/[^\t]/g, ' ');
  return `${first}\n  ${shown}\n  ${indent}^`;
}
