/**
 * Per-sample values of chosen metrics, for analyses that pair samples across runs (compare,
 * break-even). Every run of the same sample indices, seed and sampling scheme draws the same
 * uniforms for the same input path (DESIGN.md, "Determinism and randomness"), so sample i of one
 * scenario and sample i of another share their common random numbers.
 */
import { InputError } from '../errors.js';
import type { Engine } from '../engine/index.js';
import { cellCount, selectMetrics, type Plan } from '../plan/index.js';

/** Values held in memory by one paired analysis: samples x cells x metrics x runs, at 4 bytes each. */
export const PAIRED_MAX_VALUES = 2 ** 27;

/** Samples per engine call: keeps the engine's own exact-mode buffers small. */
const CHUNK = 2 ** 18;

/**
 * Runs samples 0 .. n-1 of `plan` and returns, per cell and per metric asked for (by index in
 * plan.metrics), every sample's value: NaN where the sample is infeasible or the metric not finite.
 */
export async function sampleValues(
  plan: Plan,
  engine: Engine,
  metricIndices: readonly number[],
  onProgress?: (done: number) => void,
): Promise<Float32Array[][]> {
  const n = plan.samples;
  const cells = cellCount(plan);
  // The engine keeps the values of the metrics asked for only (a metric's values do not depend
  // on which others are computed): at[k] is metric k's index in the narrowed plan.
  const names = metricIndices.map((m) => plan.metrics[m]!);
  const narrowed = selectMetrics(plan, names);
  const at = names.map((name) => narrowed.metrics.indexOf(name));
  const nm = narrowed.metrics.length;
  const out = Array.from({ length: cells }, () => metricIndices.map(() => new Float32Array(n)));
  for (let start = 0; start < n; start += CHUNK) {
    const count = Math.min(CHUNK, n - start);
    const part = await engine.run(narrowed, { start, count, mode: 'exact', keepInfeasible: true });
    if (!part.values) throw new Error('an exact run returned no values');
    for (let c = 0; c < cells; c++) {
      at.forEach((m, k) => out[c]![k]!.set(part.values![c * nm + m]!, start));
    }
    onProgress?.(start + count);
  }
  return out;
}

/** The uncertain inputs' paths: what a Sobol design gives dimensions to, in order. */
function randomPaths(plan: Plan): string {
  return plan.inputs.filter((i) => i.sweepAxis === null && i.dist.kind !== 'const').map((i) => i.path).join(',');
}

/**
 * Checks that runs of these plans pair up sample by sample: one seed, one sample count, one
 * sampling scheme, and for Sobol (whose dimensions go by the inputs' positions) the same
 * uncertain inputs. `what` names the analysis in the message.
 */
export function checkPairable(plans: readonly Plan[], files: readonly string[], what: string): void {
  const first = plans[0]!;
  const scheme = (p: Plan): string => p.sampling ?? 'random';
  plans.forEach((p, i) => {
    if (p.seed !== first.seed || p.samples !== first.samples || scheme(p) !== scheme(first)) {
      throw new InputError([{ path: '', message: `${what} needs one seed, sample count and sampling scheme for every scenario (got seed "${p.seed}", ${p.samples} samples, ${scheme(p)}; the first has "${first.seed}", ${first.samples}, ${scheme(first)})` }], files[i]);
    }
    if (scheme(first) === 'sobol' && randomPaths(p) !== randomPaths(first)) {
      throw new InputError([{ path: 'sampling', message: `Sobol points give each uncertain input a dimension by its position, and this scenario's uncertain inputs differ from ${files[0]}'s, so their samples would not share random numbers: use --sampling random or lhs for ${what}` }], files[i]);
    }
  });
  const total = plans.reduce((s, p) => s + p.samples * cellCount(p), 0);
  if (total > PAIRED_MAX_VALUES) {
    throw new InputError([{ path: '--samples', message: `${what} keeps every sample's value: ${total.toLocaleString('en-US')} sample-cells per metric is more than the ${PAIRED_MAX_VALUES.toLocaleString('en-US')} it holds; use fewer --samples` }]);
  }
}
