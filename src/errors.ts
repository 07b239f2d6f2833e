/**
 * The typed errors of cptsim. Every error a user can cause is an InputError (exit 2) with the
 * place it happened (file and field path) and what was expected; failures of the machine or the
 * device are RuntimeErrors (exit 1). The CLI prints them once, without a stack trace.
 */

export class CptsimError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** One problem in user input: `file: path: expected X, got Y`. */
export interface Issue {
  /** Field path in dotted form, e.g. `serving.batch_size` or `costs.pue.uniform[1]`; '' for the whole file. */
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** The file the line is in, when it is not the one the error is about (a file it extends). */
  file?: string;
}

export class InputError extends CptsimError {
  readonly file: string | undefined;
  readonly issues: Issue[];
  constructor(issues: Issue[], file?: string) {
    super(formatIssues(issues, file), 2);
    this.file = file;
    this.issues = issues;
  }
}

export class RuntimeError extends CptsimError {
  constructor(message: string) {
    super(message, 1);
  }
}

export function formatIssues(issues: Issue[], file?: string): string {
  return issues
    .map((i) => {
      const f = i.file ?? file;
      const where = [f ? (i.line ? `${f}:${i.line}` : f) : undefined, i.path || undefined]
        .filter((x) => x !== undefined)
        .join(': ');
      return where ? `${where}: ${i.message}` : i.message;
    })
    .join('\n');
}

/** Throws an InputError for a single field. */
export function inputError(path: string, message: string, file?: string): never {
  throw new InputError([{ path, message }], file);
}
