/** The `breakeven` result as text or JSON. */
import type { BreakevenResult } from '../analysis/index.js';
import { fmt } from './format.js';

export function formatBreakevenJson(r: BreakevenResult): string {
  return JSON.stringify(r, null, 2) + '\n';
}

export function formatBreakevenText(r: BreakevenResult): string {
  const what = r.versus !== undefined ? `P(${r.metric} < that of "${r.versus}")` : `P(${r.metric} <= ${fmt(r.target!)})`;
  const backend = r.backend.kind === 'gpu' ? `gpu (${r.backend.adapter})` : `cpu (${r.backend.adapter})`;
  return [
    `${r.scenario}: the ${r.vary} at which ${what} = ${r.probability}`,
    '',
    `${r.vary} = ${fmt(r.value)} ± ${fmt(r.stderr)} (Monte Carlo standard error)`,
    `${what} there: ${fmt(r.achieved_probability)}; it ${r.direction === 'increasing' ? 'rises' : 'falls'} as ${r.vary} grows`,
    `${r.evaluations} evaluations of ${r.samples.toLocaleString('en-US')} samples on common random numbers, seed "${r.seed}", ${backend}`,
  ].join('\n') + '\n';
}
