/** The `compare` result as a table or JSON. */
import type { CompareResult } from '../analysis/index.js';
import { fmt, pct, table } from './format.js';

export function formatCompareJson(r: CompareResult): string {
  return JSON.stringify(r, null, 2) + '\n';
}

function backendLine(r: CompareResult): string {
  const b = r.backend.kind === 'gpu' ? `gpu (${r.backend.adapter}${r.backend.software ? ', software' : ''})` : `cpu (${r.backend.adapter})`;
  return `${r.samples.toLocaleString('en-US')} paired samples, seed "${r.seed}", ${r.sampling} sampling, ${b}, ${r.elapsed_s.toFixed(2)} s`;
}

/**
 * One block per comparison (B against A): per cell and metric, each side's median, the per-sample
 * difference B - A (mean and P10 / P50 / P90) and P(B < A).
 */
export function formatCompareTable(r: CompareResult): string {
  const out: string[] = [`compare on common random numbers: ${backendLine(r)}`];
  for (const c of r.comparisons) {
    out.push('', `A: ${c.a}`, `B: ${c.b}`);
    for (const cell of c.cells) {
      const point = Object.entries(cell.point);
      if (point.length) out.push('', point.map(([k, v]) => `${k} = ${fmt(v)}`).join(', '));
      const rows = Object.entries(cell.metrics).map(([name, m]) => [
        name,
        fmt(m.a.p50),
        fmt(m.b.p50),
        fmt(m.difference.mean),
        fmt(m.difference.p10),
        fmt(m.difference.p50),
        fmt(m.difference.p90),
        fmt(m.ratio.p50),
        `${pct(m.p_b_less_than_a)} ± ${pct(m.p_b_less_than_a_stderr)}`,
      ]);
      out.push('', table(rows, ['metric', 'A P50', 'B P50', 'B-A mean', 'B-A P10', 'B-A P50', 'B-A P90', 'B/A P50', 'P(B < A)']));
    }
  }
  return out.join('\n') + '\n';
}
