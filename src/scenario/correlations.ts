/**
 * `correlations:`: rank correlations between a scenario's uncertain inputs, checked against the
 * inputs it resolved (docs/model.md "Correlated inputs"). Each side is an input's path as
 * `cptsim validate` and sensitivity tables name it (`costs.capex_usd_per_gpu`,
 * `inputs.price_per_mtok`); a model input may also be named where the file gives it
 * (`accelerator.peak_tflops.fp8`).
 */
import { SLOT_DEFS, type SlotName } from '../model/index.js';
import { impossibleCorrelations, spearmanToNormal, type RankCorrelation } from '../sampling/index.js';
import { didYouMean } from '../suggest.js';
import type { Issues } from './issues.js';
import type { RawScenario } from './schema.js';
import type { ScenarioCustom, ScenarioInput } from './types.js';

const SLOT_PATH = new Map<string, string>(SLOT_DEFS.map((d) => [d.name, d.path]));

/** Why an input cannot be correlated, or undefined when it is an uncertain one. */
function whyNotUncertain(input: ScenarioInput): string | undefined {
  const spec = input.value.spec;
  if (spec.kind === 'sweep') return 'is a sweep axis: each cell holds it at one value, so it cannot be correlated (correlate uncertain inputs only)';
  if (spec.dist.kind === 'const') return `is a fixed value (${spec.dist.value}), not an uncertain input: give it a distribution to correlate it`;
  return undefined;
}

export function resolveCorrelations(
  raw: RawScenario,
  inputs: Partial<Record<SlotName, ScenarioInput>>,
  custom: ScenarioCustom,
  issues: Issues,
): RankCorrelation[] {
  if (raw.correlations.length === 0) return [];
  // Every input by the path its random stream is keyed by (the plan's), and the file's spelling.
  const byPath = new Map<string, { path: string; input: ScenarioInput }>();
  for (const [slot, input] of Object.entries(inputs) as [SlotName, ScenarioInput][]) {
    const path = SLOT_PATH.get(slot)!;
    byPath.set(path, { path, input });
    if (input.source === 'scenario') byPath.set(input.origin, { path, input });
  }
  for (const { input } of custom.inputs) byPath.set(input.origin, { path: input.origin, input });
  const uncertain = [...byPath.entries()].filter(([, v]) => whyNotUncertain(v.input) === undefined).map(([k]) => k);

  const out: (RankCorrelation & { index: number; line: number | undefined })[] = [];
  const seen = new Map<string, number>();
  for (const c of raw.correlations) {
    const at = `correlations[${c.index}].between`;
    const paths: string[] = [];
    for (const given of c.between) {
      const found = byPath.get(given);
      if (!found) {
        const hint = didYouMean(given, uncertain);
        issues.add(at, `\`${given}\` is not an input of this scenario${hint || ` (its uncertain inputs: ${uncertain.join(', ') || 'none'})`}`, c.betweenLine);
        continue;
      }
      const why = whyNotUncertain(found.input);
      if (why) {
        issues.add(at, `\`${given}\` ${why}`, c.betweenLine);
        continue;
      }
      paths.push(found.path);
    }
    if (paths.length !== 2) continue;
    const [a, b] = paths as [string, string];
    if (a === b) {
      issues.add(at, `names \`${a}\` twice: an input is always perfectly correlated with itself`, c.betweenLine);
      continue;
    }
    const key = a < b ? `${a}\n${b}` : `${b}\n${a}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      issues.add(at, `the pair \`${a}\`, \`${b}\` is already given at correlations[${earlier}]; give each pair once`, c.betweenLine);
      continue;
    }
    seen.set(key, c.index);
    out.push({ between: [a, b], rank: c.rank, index: c.index, line: c.line });
  }

  // Together the pairs must be possible: the normal correlation matrix positive semidefinite.
  const paths = [...new Set(out.flatMap((c) => c.between))];
  const involved = impossibleCorrelations(paths, out);
  if (involved) {
    const set = new Set(involved);
    const among = out.filter((c) => set.has(c.between[0]) && set.has(c.between[1]));
    const listed = among
      .map((c) => `${c.between[0]} ~ ${c.between[1]} ${c.rank} (normal ${round4(spearmanToNormal(c.rank))}, correlations[${c.index}])`)
      .join('; ');
    issues.add(
      'correlations',
      `the rank correlations among ${involved.join(', ')} cannot hold together: their normal correlation matrix (rho_n = 2 sin(pi rho / 6)) is not positive semidefinite: ${listed}; weaken one of them`,
      among[0]?.line ?? raw.sections.get('correlations'),
    );
  }
  return out.map(({ between, rank }) => ({ between, rank }));
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
