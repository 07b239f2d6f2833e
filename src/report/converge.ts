/** The convergence report of `run --until` as text: below the run's table, and one line for stderr. */
import type { ConvergenceReport } from '../analysis/index.js';
import { fmt, pct, table } from './format.js';

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function width(x: number | null): string {
  return x === null ? 'undefined' : pct(x);
}

/** One line: converged or not, after how many samples, and the worst condition when not. */
export function convergenceSummary(c: ConvergenceReport): string {
  const rounds = `${c.rounds.length} round${c.rounds.length === 1 ? '' : 's'}`;
  if (c.converged) {
    return `converged (${pct(c.confidence)} intervals) at ${count(c.samples)} samples per cell after ${rounds} (${count(c.samples_total)} samples per cell in all)`;
  }
  const unmet = c.conditions.filter((x) => !x.met).map((x) => `${x.metric}.${x.statistic} at ${width(x.achieved)} (target ${pct(x.target)})`);
  return (
    `NOT converged: reached the bound of ${count(c.max_samples)} samples (--max-samples) after ${rounds} with ${unmet.join(', ')}; ` +
    `the result is that of ${count(c.samples)} samples`
  );
}

/** The conditions, their targets and what the last round achieved (the worst cell of a sweep). */
export function formatConvergence(c: ConvergenceReport, cells: readonly { point: Record<string, number> }[]): string {
  const sweep = cells.length > 1;
  const notes = c.conditions.some((x) => x.worst_cell !== null && x.cells[x.worst_cell]!.note !== undefined);
  const rows = c.conditions.map((x) => {
    const worst = x.worst_cell === null ? null : x.cells[x.worst_cell]!;
    const where = x.worst_cell === null ? '' : Object.entries(cells[x.worst_cell]!.point).map(([k, v]) => `${k} = ${fmt(v)}`).join(', ');
    return [
      `${x.metric}.${x.statistic}`,
      pct(x.target),
      width(x.achieved),
      worst?.lower != null && worst.upper != null ? `${fmt(worst.lower)} .. ${fmt(worst.upper)}` : '-',
      x.met ? 'yes' : 'no',
      ...(sweep ? [where] : []),
      ...(notes ? [worst?.note ?? ''] : []),
    ];
  });
  const header = ['condition', 'target', 'achieved', 'interval', 'met', ...(sweep ? ['worst cell'] : []), ...(notes ? ['why'] : [])];
  const names = c.conditions.map((x) => `${x.metric}.${x.statistic}`);
  const history = c.rounds.map((r) => [count(r.samples), ...r.achieved.map(width)]);
  return [
    convergenceSummary(c),
    '',
    table(rows, header, 'lrrrlll'),
    '',
    'relative half-width by round:',
    '',
    table(history, ['samples', ...names], 'r'.repeat(names.length + 1)),
  ].join('\n');
}
