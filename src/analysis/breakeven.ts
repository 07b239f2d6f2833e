/**
 * `cptsim breakeven`: the value x of one input at which P(metric <= target) = p, or at which the
 * scenario and another are equally likely (or p likely) to give the lower metric.
 *
 * The input is fixed at x in every sample while every other input keeps its distribution and its
 * random numbers (common random numbers: the same sample indices, seed and input paths in every
 * evaluation), so the estimate P^(x) moves only through x. The search brackets a change of sign
 * of P^(x) - p inside the input's valid range (src/scenario/ranges.ts), expanding an unbounded
 * side geometrically, then bisects until fewer samples change sides between the bracket's ends
 * than a tenth of P^'s binomial standard deviation (so the bracket is far narrower than the
 * answer's own error), and interpolates linearly inside it.
 *
 * The answer's Monte Carlo error is the delta method's: stderr(x) = sqrt(p (1 - p) / N) / |dP/dx|,
 * the slope taken as the secant of the narrowest bracket seen whose ends differ by at least four
 * binomial standard errors of P^ (SE, not bias, dominates then).
 */
import { InputError } from '../errors.js';
import type { BackendInfo, Engine } from '../engine/index.js';
import type { Plan, PlanInput } from '../plan/index.js';
import { median } from '../sampling/index.js';
import { describeRange, RANGES, type Range, type Scenario } from '../scenario/index.js';
import { SLOT_DEFS, type SlotName } from '../model/index.js';
import { didYouMean } from '../suggest.js';
import { checkPairable, sampleValues } from './paired.js';
import { packageVersion } from '../paths.js';

/** Inputs that are a parallel layout or a count the model's loops use: not a continuous quantity to solve for. */
const NOT_CONTINUOUS: readonly SlotName[] = ['tp', 'ep', 'dp_attention', 'gpus_per_replica', 'draft_tokens'];
/** Halvings or doublings tried on an unbounded side before the target is declared out of reach. */
const MAX_EXPANSIONS = 64;
const MAX_BISECTIONS = 100;

export interface BreakevenVariable {
  input: PlanInput;
  range: Range;
  /** Where the search starts: the input's median in the scenario. */
  start: number;
}

/** The input `path` of a scenario: one its configuration reads, continuous, not swept. */
export function breakevenVariable(scenario: Scenario, plan: Plan, path: string): BreakevenVariable {
  if (plan.axes.length) {
    throw new InputError([{ path: plan.axes.map((a) => a.path).join(', '), message: 'breakeven needs a scenario without sweep axes: give the swept field one value (or a distribution)' }], scenario.file);
  }
  const used = new Set<string>([
    ...SLOT_DEFS.filter((d) => scenario.inputs[d.name] !== undefined).map((d) => d.path),
    ...scenario.custom.inputs.map((c) => `inputs.${c.name}`),
  ]);
  const input = plan.inputs.find((i) => i.path === path);
  if (!input || !used.has(path)) {
    throw new InputError([{ path: '--vary', message: `"${path}" is not an input this scenario uses${didYouMean(path, used)} (it uses ${[...used].join(', ')})` }], scenario.file);
  }
  const def = SLOT_DEFS.find((d) => d.path === path);
  if (def && NOT_CONTINUOUS.includes(def.name)) {
    throw new InputError([{ path: '--vary', message: `${path} is a count or a layout, not a continuous input: sweep it instead (run with { sweep: [...] })` }], scenario.file);
  }
  const range: Range = def ? RANGES[def.name] : { min: -Infinity, minOpen: false, max: Infinity, maxOpen: false };
  return { input, range, start: median(input.dist) };
}

export interface BreakevenOptions {
  metric: string;
  /** The metric's threshold: P(metric <= target) is solved for. Unused with `versus`. */
  target?: number;
  /** The probability to reach (default 0.5). */
  probability?: number;
  /** The other scenario: P(metric of this one at x < metric of the other) is solved for. */
  versus?: Plan;
  /** Search only inside [lo, hi] (default: the input's valid range). */
  range?: readonly [number, number];
  files?: readonly string[];
  onProgress?: (evaluations: number) => void;
}

export interface BreakevenResult {
  cptsim: string;
  scenario: string;
  versus?: string;
  vary: string;
  metric: string;
  target?: number;
  /** The probability asked for, and the estimate of it at the value found. */
  probability: number;
  value: number;
  stderr: number;
  achieved_probability: number;
  /** How P moves as the input grows. */
  direction: 'increasing' | 'decreasing';
  /** The last bracket and the estimates at its ends. */
  bracket: { lo: number; hi: number; p_lo: number; p_hi: number };
  samples: number;
  seed: string;
  evaluations: number;
  backend: { kind: BackendInfo['kind']; adapter: string; software: boolean; threads?: number };
}

const fmt = (x: number): string => String(Number(x.toPrecision(6)));

/** The search's bounds: inside the range (open ends nudged in), and how an unbounded end grows. */
function searchBounds(v: BreakevenVariable, given: readonly [number, number] | undefined): { lo: number; hi: number; loFree: boolean; hiFree: boolean } {
  if (given) return { lo: given[0], hi: given[1], loFree: false, hiFree: false };
  const { min, max, minOpen, maxOpen } = v.range;
  const nudge = (x: number, toward: number): number => {
    const scale = Number.isFinite(toward) ? Math.abs(toward - x) : Math.max(Math.abs(x), 1);
    return x + Math.sign(toward - x) * scale * 1e-9;
  };
  let lo = min;
  let hi = max;
  const loFree = lo === -Infinity;
  const hiFree = hi === Infinity;
  // Unbounded ends start near where the scenario sits, and expand from there.
  const s = Number.isFinite(v.start) && v.start !== 0 ? v.start : 1;
  if (hiFree) hi = Math.max(Math.abs(s), Number.isFinite(lo) ? lo + 1 : 1) * 2;
  if (loFree) lo = -Math.abs(hi);
  if (minOpen) lo = nudge(lo, hi);
  if (maxOpen) hi = nudge(hi, lo);
  return { lo, hi, loFree, hiFree };
}

export async function breakeven(
  plan: Plan,
  variable: BreakevenVariable,
  engine: Engine,
  opts: BreakevenOptions,
): Promise<BreakevenResult> {
  const p = opts.probability ?? 0.5;
  if (!(p > 0 && p < 1)) throw new InputError([{ path: '--probability', message: `expected a probability strictly between 0 and 1, got ${p}` }]);
  const files = opts.files ?? [plan.name, ...(opts.versus ? [opts.versus.name] : [])];
  const m = plan.metrics.indexOf(opts.metric);
  if (m < 0) throw new InputError([{ path: '--metric', message: `expected one of ${plan.metrics.join(', ')}, got "${opts.metric}"` }], files[0]);
  if (!opts.versus && opts.target === undefined) throw new InputError([{ path: '--target', message: 'is required (the metric value to reach), unless --versus names a scenario to break even with' }]);
  if (opts.range && !(opts.range[0] < opts.range[1])) throw new InputError([{ path: '--range', message: `expected lo,hi with lo < hi, got ${opts.range.join(',')}` }]);

  const slot = variable.input.slot;
  const at = (x: number): Plan => ({ ...plan, inputs: plan.inputs.map((i) => (i.slot === slot ? { ...i, dist: { kind: 'const', value: x } } : i)) });
  let other: Float32Array | undefined;
  if (opts.versus) {
    checkPairable([at(variable.start), opts.versus], files, 'breakeven --versus');
    if (opts.versus.axes.length) throw new InputError([{ path: '', message: 'breakeven --versus needs a scenario without sweep axes' }], files[1]);
    const om = opts.versus.metrics.indexOf(opts.metric);
    if (om < 0) throw new InputError([{ path: '--metric', message: `${files[1]} has no metric "${opts.metric}"` }], files[1]);
    other = (await sampleValues(opts.versus, engine, [om]))[0]![0]!;
  } else {
    checkPairable([plan], files, 'breakeven');
  }

  let evaluations = 0;
  /** P^(x) and the number of samples it is over. */
  const estimate = async (x: number): Promise<{ x: number; p: number; n: number }> => {
    const v = (await sampleValues(at(x), engine, [m]))[0]![0]!;
    opts.onProgress?.(++evaluations);
    let hits = 0;
    let n = 0;
    for (let i = 0; i < v.length; i++) {
      const y = v[i]!;
      if (y !== y) continue;
      if (other) {
        const z = other[i]!;
        if (z !== z) continue;
        if (y < z) hits++;
      } else if (y <= opts.target!) hits++;
      n++;
    }
    if (n === 0) throw new InputError([{ path: '--vary', message: `at ${variable.input.path} = ${fmt(x)} no sample is feasible (the model does not fit in memory)` }], files[0]);
    return { x, p: hits / n, n };
  };
  const what = other ? `P(${opts.metric} < that of ${files[1]})` : `P(${opts.metric} <= ${fmt(opts.target!)})`;

  const b = searchBounds(variable, opts.range);
  let lo = await estimate(b.lo);
  let hi = await estimate(b.hi);
  const side = (e: { p: number }): number => Math.sign(e.p - p);
  // Expand an unbounded side until P - p changes sign across the bracket.
  for (let k = 0; side(lo) * side(hi) > 0 && k < MAX_EXPANSIONS && (b.hiFree || b.loFree); k++) {
    const width = hi.x - lo.x;
    if (b.hiFree) hi = await estimate(hi.x + 2 * width);
    if (side(lo) * side(hi) > 0 && b.loFree) lo = await estimate(lo.x - 2 * width);
  }
  if (side(lo) * side(hi) > 0) {
    const where = opts.range ? `[${fmt(b.lo)}, ${fmt(b.hi)}] (--range)` : `its valid range ${describeRange(variable.range).replace(/^in /, '')}`;
    throw new InputError([{
      path: '--vary',
      message: `no value of ${variable.input.path} in ${where} gives ${what} = ${p}: it is ${fmt(lo.p)} at ${fmt(lo.x)} and ${fmt(hi.p)} at ${fmt(hi.x)}`,
    }], files[0]);
  }

  const n = Math.min(lo.n, hi.n);
  const seP = Math.sqrt((p * (1 - p)) / n);
  const seen: { lo: typeof lo; hi: typeof hi }[] = [{ lo, hi }];
  for (let k = 0; k < MAX_BISECTIONS; k++) {
    if (side(lo) === 0 || side(hi) === 0) break;
    // Fewer samples change sides across the bracket than a tenth of P^'s standard deviation.
    if (Math.abs(hi.p - lo.p) * n < Math.max(1, 0.1 * seP * n)) break;
    const mid = lo.x + (hi.x - lo.x) / 2;
    if (mid === lo.x || mid === hi.x) break;
    const e = await estimate(mid);
    if (side(e) === side(lo)) lo = e;
    else hi = e;
    seen.push({ lo, hi });
  }
  const value =
    side(lo) === 0 ? lo.x : side(hi) === 0 ? hi.x : hi.p !== lo.p ? lo.x + ((p - lo.p) / (hi.p - lo.p)) * (hi.x - lo.x) : (lo.x + hi.x) / 2;
  // The secant slope of the narrowest bracket whose ends differ by at least 4 standard errors.
  let slope = NaN;
  for (let k = seen.length - 1; k >= 0; k--) {
    const s = seen[k]!;
    if (Math.abs(s.hi.p - s.lo.p) >= 4 * seP) {
      slope = (s.hi.p - s.lo.p) / (s.hi.x - s.lo.x);
      break;
    }
  }
  const achieved = await estimate(value);
  return {
    cptsim: packageVersion(),
    scenario: plan.name,
    ...(opts.versus ? { versus: opts.versus.name } : {}),
    vary: variable.input.path,
    metric: opts.metric,
    ...(opts.target !== undefined && !opts.versus ? { target: opts.target } : {}),
    probability: p,
    value,
    stderr: Number.isFinite(slope) && slope !== 0 ? seP / Math.abs(slope) : NaN,
    achieved_probability: achieved.p,
    direction: hi.p > lo.p ? 'increasing' : 'decreasing',
    bracket: { lo: lo.x, hi: hi.x, p_lo: lo.p, p_hi: hi.p },
    samples: plan.samples,
    seed: plan.seed,
    evaluations,
    backend: { ...engine.info },
  };
}
