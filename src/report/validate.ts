/** `cptsim validate`: what a scenario file contains, and the defaults it relies on. */
import { cellCount, type Plan } from '../plan/index.js';
import { constantOf, type Scenario } from '../scenario/index.js';

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * One `ok` line per file, then the defaults it relies on. The defaults that are zero get a line
 * of their own: a zero maintenance, opex, idle power or draft cost lowers the cost
 * without a word in the file, and a zero residual value or prefix-cache hit rate raises it.
 */
export function formatValidation(file: string, scenario: Scenario, plan: Plan): string {
  const uncertain = plan.inputs.filter((i) => i.sweepAxis === null && i.dist.kind !== 'const');
  // The plan holds every slot (those this configuration does not read as zeros); the scenario
  // only the ones it reads.
  const nonZero = plan.inputs.filter((i) => i.source === 'default' && !(i.dist.kind === 'const' && i.dist.value === 0));
  const zero = Object.values(scenario.inputs).filter(
    (i): i is NonNullable<typeof i> => i !== undefined && i.source === 'default' && constantOf(i.value.spec) === 0,
  );
  const cells = cellCount(plan);
  const lines = [
    `ok ${file}: "${plan.name}", ${plural(uncertain.length, 'uncertain input', 'uncertain inputs')}, ` +
      `${plural(plan.axes.length, 'sweep axis', 'sweep axes')} (${plural(cells, 'cell', 'cells')}), ` +
      `${plan.samples.toLocaleString('en-US')} samples`,
  ];
  if (nonZero.length) {
    lines.push(`  defaults used: ${nonZero.map((d) => `${d.path} = ${d.dist.kind === 'const' ? d.dist.value : d.dist.kind}`).join(', ')}`);
  }
  if (zero.length) {
    lines.push(`  defaults of zero (give each one its real value where it applies): ${zero.map((d) => `${d.origin} = 0`).join(', ')}`);
  }
  if (plan.correlations?.length) {
    lines.push(`  rank correlations: ${plan.correlations.map((c) => `${c.between[0]} ~ ${c.between[1]} ${c.rank}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}
