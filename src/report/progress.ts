/**
 * Progress of long work on a terminal: one line on stderr, rewritten in place, with the samples
 * done, the rate and the time left. Silent when the stream is not a terminal (a pipe, a file, a
 * CI log) or when asked to be quiet; it never touches stdout, whatever the caller passes.
 */
import { fmt } from './format.js';

/** What progress writes to: process.stderr, or a fake terminal in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  quiet?: boolean;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
  /** Least time between two redraws, in milliseconds (default 100). */
  intervalMs?: number;
}

export interface ProgressTask {
  /** `done` of `total` units finished. */
  update(done: number, total: number): void;
  /** Clears the line (if anything was drawn). */
  end(): void;
}

export interface TaskOptions {
  /** Unit counted by update (default "samples"). */
  unit?: string;
  /** Model evaluations per unit, for the rate: the sweep cells that each sample runs (default 1). */
  evaluationsPerUnit?: number;
}

const CLEAR = '\r\x1b[2K';

/** Seconds as a person reads them: "42 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A rate with an SI prefix: "850", "12.3 k", "4.56 M". */
function rateText(perS: number): string {
  if (perS >= 1e9) return `${(perS / 1e9).toFixed(2)} G`;
  if (perS >= 1e6) return `${(perS / 1e6).toFixed(2)} M`;
  if (perS >= 1e3) return `${(perS / 1e3).toFixed(1)} k`;
  return fmt(Math.round(perS));
}

export class Progress {
  readonly active: boolean;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    opts: ProgressOptions = {},
  ) {
    this.active = stream.isTTY === true && !opts.quiet;
    this.now = opts.now ?? (() => performance.now());
    this.intervalMs = opts.intervalMs ?? 100;
  }

  private draw(line: string): void {
    const width = this.stream.columns && this.stream.columns > 20 ? this.stream.columns - 1 : 200;
    this.stream.write(`${CLEAR}${line.length > width ? line.slice(0, width) : line}`);
    this.drawn = true;
  }

  /** Clears the progress line, if one is drawn: call before writing anything else to the stream. */
  clear(): void {
    if (this.drawn) this.stream.write(CLEAR);
    this.drawn = false;
  }

  /** A status line until the next progress line replaces it (e.g. "compiling the GPU kernel"). */
  status(text: string): void {
    if (this.active) this.draw(`  ${text} ...`);
  }

  /** A counter for one piece of work, labelled (e.g. "run", "tornado"). */
  task(label: string, opts: TaskOptions = {}): ProgressTask {
    if (!this.active) return { update: () => {}, end: () => {} };
    const unit = opts.unit ?? 'samples';
    const perUnit = opts.evaluationsPerUnit ?? 1;
    const t0 = this.now();
    let last = -Infinity;
    return {
      update: (done, total) => {
        const t = this.now();
        if (t - last < this.intervalMs && done < total) return;
        last = t;
        const elapsed = (t - t0) / 1000;
        const parts = [
          `  ${label}`,
          `${total > 0 ? Math.floor((100 * done) / total) : 100}%`.padStart(4),
          `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} ${unit}${perUnit > 1 ? ` x ${perUnit.toLocaleString('en-US')} cells` : ''}`,
        ];
        if (elapsed > 0 && done > 0) {
          const rate = done / elapsed;
          parts.push(`${rateText(rate * perUnit)} ${perUnit > 1 ? 'evaluations' : unit}/s`);
          if (done < total) parts.push(`ETA ${formatDuration((total - done) / rate)}`);
        }
        this.draw(parts.join('  '));
      },
      end: () => this.clear(),
    };
  }
}
