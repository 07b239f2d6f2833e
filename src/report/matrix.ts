/** A two-axis sweep as a matrix: one statistic of one metric, rows by the first axis, columns by the second. */
import type { RunResult } from '../analysis/index.js';
import type { Stats } from '../aggregate/index.js';
import { fmt, table } from './format.js';

export function formatSweepMatrix(r: RunResult, metric: string, statistic: keyof Stats): string {
  const axes = Object.keys(r.cells[0]?.point ?? {});
  if (axes.length !== 2) throw new Error('a matrix needs exactly two sweep axes');
  const [rowAxis, colAxis] = axes as [string, string];
  const cols = [...new Set(r.cells.map((c) => c.point[colAxis]!))];
  const rows = [...new Set(r.cells.map((c) => c.point[rowAxis]!))];
  // Cells are row-major in the axes' file order: the second axis varies fastest.
  const at = (i: number, j: number) => r.cells[i * cols.length + j]!;
  const body = rows.map((rv, i) => [fmt(rv), ...cols.map((_, j) => {
    const s = at(i, j).metrics[metric];
    return s ? fmt(s[statistic]) : '-';
  })]);
  return [
    `${r.scenario}: ${statistic} of ${metric}; rows ${rowAxis}, columns ${colAxis}`,
    '',
    table(body, [`${rowAxis} \\ ${colAxis}`, ...cols.map(fmt)]),
  ].join('\n') + '\n';
}
