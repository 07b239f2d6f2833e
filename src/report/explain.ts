/** `cptsim explain` as a table (how a person reads it) or JSON (DESIGN.md's explain contract). */
import type { ExplainResult } from '../analysis/index.js';
import { fmt, table } from './format.js';

export function formatExplainJson(e: ExplainResult): string {
  return JSON.stringify(e, null, 2) + '\n';
}

export function formatExplainTable(e: ExplainResult): string {
  const out = [`${e.scenario}: every uncertain input at its median`];
  for (const cell of e.cells) {
    out.push('');
    const point = Object.entries(cell.point);
    if (point.length) out.push(`cell ${point.map(([k, v]) => `${k} = ${fmt(v)}`).join(', ')}`, '');
    out.push(
      table(
        Object.entries(cell.inputs).map(([name, i]) => [name, fmt(i.value), i.kind, i.source === 'scenario' ? i.path : i.source]),
        ['input', 'value', '', 'from'],
      ),
    );
    out.push('');
    if (cell.values.infeasible === true) out.push('INFEASIBLE: the weights and one sequence of KV cache do not fit in memory', '');
    out.push(
      table(
        Object.entries(cell.values).map(([k, v]) => [k, typeof v === 'number' ? fmt(v) : String(v)]),
        ['quantity', 'value'],
      ),
    );
  }
  return out.join('\n') + '\n';
}
