import { InputError, formatIssues } from '../errors.js';
import type { Issue } from '../errors.js';
import { ExprError } from '../expr/index.js';
import { locate } from './extends.js';

/** Collects every problem found in one pass, so a user sees them all at once. */
export class Issues {
  readonly list: Issue[] = [];
  /** A mistake in a metric expression, kept whole so that it can be thrown as the ExprError it is. */
  private expr: { error: ExprError; issue: Issue } | undefined;

  add(path: string, message: string, line?: number): void {
    this.list.push(line === undefined ? { path, message } : { path, message, line });
  }

  /** Adds an expression's mistake (its message has the column and a caret line) at the field's line. */
  addExprError(error: ExprError, line: number | undefined): void {
    this.add(error.path, error.issues[0]?.message ?? error.reason, line);
    this.expr = { error, issue: this.list[this.list.length - 1]! };
  }

  get count(): number {
    return this.list.length;
  }

  /**
   * Throws one InputError holding every issue so far, if there is any. When the only problem is
   * in a metric expression it is thrown as an ExprError (still an InputError), with the file, the
   * field's line and the column in the expression.
   */
  throwIfAny(file: string, files: readonly string[] = [file]): void {
    if (this.list.length === 0) return;
    if (this.list.length === 1 && this.expr && this.list[0] === this.expr.issue) {
      const e = this.expr.error;
      const at = this.expr.issue.line === undefined ? undefined : locate(this.expr.issue.line, files);
      const located = new ExprError(
        { path: e.path, text: e.text, reason: e.reason, offset: e.column === undefined ? undefined : e.column - 1, hint: e.hint },
        at?.file ?? file,
      );
      // The expression module does not know lines; the scenario does.
      const line = at?.line;
      if (line !== undefined && located.issues[0]) {
        located.issues[0].line = line;
        located.message = formatIssues(located.issues, at?.file ?? file);
      }
      throw located;
    }
    // In file order; problems without a line (missing fields) after those with one.
    const key = (line: number | undefined): number => line ?? Number.MAX_SAFE_INTEGER;
    const sorted = [...this.list].sort((a, b) => key(a.line) - key(b.line));
    // Lines of values inherited through `extends` carry their file (src/scenario/extends.ts).
    const placed = sorted.map((i): Issue => {
      if (i.line === undefined) return i;
      const at = locate(i.line, files);
      return at.file === undefined ? { ...i, line: at.line } : { ...i, line: at.line, file: at.file };
    });
    throw new InputError(placed, file);
  }
}
