import { InputError } from '../errors.js';
import type { Issue } from '../errors.js';

/** Collects every problem found in one pass, so a user sees them all at once. */
export class Issues {
  readonly list: Issue[] = [];

  add(path: string, message: string, line?: number): void {
    this.list.push(line === undefined ? { path, message } : { path, message, line });
  }

  get count(): number {
    return this.list.length;
  }

  /** Throws one InputError holding every issue so far, if there is any. */
  throwIfAny(file: string): void {
    if (this.list.length === 0) return;
    // In file order; problems without a line (missing fields) after those with one.
    const key = (line: number | undefined): number => line ?? Number.MAX_SAFE_INTEGER;
    const sorted = [...this.list].sort((a, b) => key(a.line) - key(b.line));
    throw new InputError(sorted, file);
  }
}
