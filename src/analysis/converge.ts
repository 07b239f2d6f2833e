/**
 * Convergence (`cptsim run --until metric.stat=width`): runs a plan in rounds of doubling sample
 * counts until every condition's 95% confidence interval is narrow enough, or the sample bound is
 * reached. The intervals and the schedule are README.md's "Convergence" and docs/model.md's
 * "Convergence intervals".
 *
 * Each round is a whole run of its sample count (simulate), not the previous round plus more
 * samples: Latin hypercube strata, the quantile method, the histograms' pilot and the order of the
 * f64 sums all depend on the sample count, so only a whole run makes the result that stops at n
 * samples identical to a plain run of n samples. The doubling keeps the total work under twice the
 * last round's.
 */
import { binEdge, HIST_BINS, HIST_STRIDE, QUANTILE_KEYS, QUANTILES, sortedFinite, type HistSpec } from '../aggregate/index.js';
import { InputError } from '../errors.js';
import type { Engine } from '../engine/index.js';
import type { Plan } from '../plan/index.js';
import { checkSampleCount } from '../sampling/index.js';
import { didYouMean } from '../suggest.js';
import { checkExactMemory, simulate, type RunResult, type SimulateOptions, type Simulation } from './simulate.js';

/** Confidence of every interval `--until` checks. */
export const CONVERGENCE_CONFIDENCE = 0.95;
/** The standard normal quantile at 1 - (1 - 0.95) / 2, for the mean's interval. */
export const Z_95 = 1.959963984540054;
/**
 * Samples per cell a convergence run stops at by default (or the first round, when larger): the
 * mean of a metric with a coefficient of variation of 0.4 is then known to about 2e-4 relative.
 */
export const DEFAULT_MAX_SAMPLES = 2 ** 24;

/** The statistics a condition may name: JSON's names for the mean and the quantiles. */
export const UNTIL_STATISTICS = ['mean', ...QUANTILE_KEYS] as const;
export type UntilStatistic = (typeof UNTIL_STATISTICS)[number];

/** `metric.statistic=width`: the statistic's 95% interval, half its width over |estimate|, at most `relativeHalfWidth`. */
export interface UntilCondition {
  metric: string;
  statistic: UntilStatistic;
  relativeHalfWidth: number;
}

/**
 * Parses `metric.statistic=width`, the width a positive number or a percentage (`0.005`,
 * `0.5%`). Returns the condition, or what was expected when the text is not one.
 */
export function parseUntilCondition(text: string): UntilCondition | { error: string } {
  const m = /^\s*([^=\s]+)\.([A-Za-z0-9_]+)\s*=\s*(\S+?)\s*$/.exec(text);
  const form = 'expected <metric>.<statistic>=<relative half-width>, e.g. cost_per_mtok_output.p50=0.005 or =0.5%';
  if (!m) return { error: `${form}, got "${text}"` };
  const statistic = m[2]!;
  if (!(UNTIL_STATISTICS as readonly string[]).includes(statistic)) {
    return { error: `unknown statistic "${statistic}" in "${text}": expected one of ${UNTIL_STATISTICS.join(', ')}` };
  }
  const raw = m[3]!;
  const percent = raw.endsWith('%');
  const num = Number((percent ? raw.slice(0, -1) : raw).replace(/_/g, ''));
  const width = percent ? num / 100 : num;
  if (raw === '%' || !Number.isFinite(width) || width <= 0) {
    return { error: `expected a relative half-width > 0 (e.g. 0.005 or 0.5%) in "${text}", got "${raw}"` };
  }
  return { metric: m[1]!, statistic: statistic as UntilStatistic, relativeHalfWidth: width };
}

/** Refuses (InputError on `--until`, exit 2) a condition on a metric the plan does not compute. */
export function checkConditions(plan: Plan, conditions: readonly UntilCondition[]): void {
  const issues = conditions
    .filter((c) => !plan.metrics.includes(c.metric))
    .map((c) => ({ path: '--until', message: `unknown metric "${c.metric}"${didYouMean(c.metric, plan.metrics)} (this scenario's metrics: ${plan.metrics.join(', ')})` }));
  if (issues.length) throw new InputError(issues);
}

/**
 * The sample counts of the rounds: `first`, then doubling, and a last round of `max` when the
 * doubling passes it. Under Sobol sampling every round is a power of two, so the rounds stop at
 * the last doubling at or below `max`. Refuses (`--max-samples`, exit 2) a bound below the first
 * round and one the sampling scheme cannot run.
 */
export function roundSchedule(first: number, max: number, sampling: Plan['sampling'] = 'random'): number[] {
  if (max < first) {
    throw new InputError([
      { path: '--max-samples', message: `expected at least the first round's ${first.toLocaleString('en-US')} samples (--samples or the file's), got ${max.toLocaleString('en-US')}` },
    ]);
  }
  const rounds = [first];
  while (rounds[rounds.length - 1]! < max) {
    const next = 2 * rounds[rounds.length - 1]!;
    if (next > max && sampling === 'sobol') break;
    rounds.push(Math.min(next, max));
  }
  checkSampleCount(sampling ?? 'random', rounds[rounds.length - 1]!, '--max-samples');
  return rounds;
}

/**
 * The distribution-free interval of the p-quantile from n ordered values x_(1) <= ... <= x_(n):
 * [x_(lower), x_(upper)] covers it with probability P(lower <= B <= upper - 1), B ~ Binomial(n, p)
 * (B counts the values below the quantile). `lower` is the largest rank with P(B < lower) <= a/2
 * and `upper` the smallest with P(B >= upper) <= a/2, a = 1 - confidence, so each tail misses with
 * probability at most a/2. `lower` is 0 (no lower end) when even P(B < 1) = (1 - p)^n > a/2, and
 * `upper` is n + 1 (no upper end) when P(B >= n) = p^n > a/2.
 *
 * The binomial probabilities are summed over mode +- (10 sd + 30), outside of which the binomial
 * has about 1e-20 of its mass or less (a Chernoff bound), starting from the mode and normalised by
 * the window's sum (so no factorial is needed): O(sqrt(n p (1 - p))) work.
 */
export function binomialRanks(n: number, p: number, confidence = CONVERGENCE_CONFIDENCE): { lower: number; upper: number } {
  if (!(n >= 1) || !(p > 0 && p < 1)) throw new RangeError(`binomialRanks: expected n >= 1 and 0 < p < 1, got n ${n}, p ${p}`);
  const tail = (1 - confidence) / 2;
  const sd = Math.sqrt(n * p * (1 - p));
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const reach = Math.ceil(10 * sd + 30);
  const a = Math.max(0, mode - reach);
  const b = Math.min(n, mode + reach);
  const pmf = new Float64Array(b - a + 1);
  const odds = p / (1 - p);
  pmf[mode - a] = 1;
  for (let k = mode; k < b; k++) pmf[k + 1 - a] = (pmf[k - a]! * (n - k) * odds) / (k + 1);
  for (let k = mode; k > a; k--) pmf[k - 1 - a] = (pmf[k - a]! * k) / ((n - k + 1) * odds);
  let total = 0;
  for (let j = 0; j < pmf.length; j++) total += pmf[j]!;
  // cdf = P(B <= k) for k from a (below a it is 0 to 1e-20, so rank a qualifies as `lower` when
  // a >= 1). The largest k + 1 with P(B <= k) <= tail is `lower`; the first k + 1 with
  // P(B > k) <= tail is `upper` (n + 1 when that first k is n: no order statistic bounds it).
  let lower = a;
  let upper = n + 1;
  let cdf = 0;
  for (let k = a; k <= b; k++) {
    cdf += pmf[k - a]! / total;
    if (cdf <= tail) lower = k + 1;
    if (1 - cdf <= tail) {
      upper = k + 1;
      break;
    }
  }
  return { lower, upper };
}

/** One condition in one cell: the estimate, its interval and how wide it is against the estimate. */
export interface ConditionCell {
  /** The statistic as the result reports it (null when the cell has no value of the metric). */
  estimate: number | null;
  /** The interval's ends (null: unbounded, too few values). */
  lower: number | null;
  upper: number | null;
  /** Half the interval's width (the mean's: z * sd / sqrt(n)). */
  half_width: number | null;
  /** half_width / |estimate|; 0 when half_width is 0; null (not met) when undefined or unbounded. */
  relative_half_width: number | null;
  /** Values the statistic is taken over (feasible, finite samples). */
  values: number;
  met: boolean;
  /** Why relative_half_width is null, or why the cell needs nothing. */
  note?: string;
}

export interface ConditionReport {
  metric: string;
  statistic: UntilStatistic;
  /** The relative half-width asked for. */
  target: number;
  /** The largest relative half-width over the cells (null when some cell's is undefined). */
  achieved: number | null;
  /** The cell with the largest (or an undefined) relative half-width. */
  worst_cell: number | null;
  met: boolean;
  /** One per cell of the result, in its order. */
  cells: ConditionCell[];
}

export interface RoundReport {
  samples: number;
  elapsed_s: number;
  /** Per condition, its `achieved` after this round. */
  achieved: (number | null)[];
  converged: boolean;
}

export interface ConvergenceReport {
  converged: boolean;
  confidence: number;
  /** Samples per cell of the last round: the result's `samples`. */
  samples: number;
  max_samples: number;
  /** True when the last round ran `max_samples` samples (converged or not). */
  max_samples_reached: boolean;
  /** Samples per cell over all rounds: the work done. */
  samples_total: number;
  rounds: RoundReport[];
  conditions: ConditionReport[];
}

export type ConvergedResult = RunResult & { convergence: ConvergenceReport };

export interface ConvergedSimulation extends Simulation {
  result: ConvergedResult;
}

/** A finite value, or null (JSON's spelling of NaN and infinities). */
function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * The lower edge of the bin holding the value of 0-based rank r (`which` = 'lo') or its upper edge
 * ('hi'), clamped to [min, max]: the order statistic lies between them, so using the outer edge
 * of each end keeps the interval's coverage (it is at least one bin wide).
 */
export function histRankEdge(hist: Float64Array, offset: number, spec: HistSpec, min: number, max: number, r: number, which: 'lo' | 'hi'): number {
  let cum = 0;
  for (let k = 0; k < HIST_STRIDE; k++) {
    const c = hist[offset + k]!;
    if (c === 0 || cum + c <= r) {
      cum += c;
      continue;
    }
    if (which === 'lo') return k === 0 ? min : Math.min(max, Math.max(min, binEdge(spec, k)));
    return k === HIST_BINS + 1 ? max : Math.max(min, Math.min(max, binEdge(spec, k + 1)));
  }
  return max;
}

interface Interval {
  estimate: number;
  lower: number;
  upper: number;
  values: number;
  /** Why there is no interval yet. */
  note?: string;
}

/**
 * A cell's entry from its interval: the relative half-width and whether it meets the target. A
 * half-width of 0 is met whatever the estimate (a constant metric, also a constant 0); a zero
 * estimate with a wider interval has no relative width and is not met.
 */
function cellEntry(iv: Interval, target: number): ConditionCell {
  const half = (iv.upper - iv.lower) / 2;
  const entry = (relative: number | null, met: boolean, note?: string): ConditionCell => ({
    estimate: finiteOrNull(iv.estimate),
    lower: finiteOrNull(iv.lower),
    upper: finiteOrNull(iv.upper),
    half_width: finiteOrNull(half),
    relative_half_width: relative,
    values: iv.values,
    met,
    ...(note !== undefined ? { note } : {}),
  });
  if (iv.note !== undefined) return entry(null, false, iv.note);
  if (half === 0) return entry(0, true);
  if (iv.estimate === 0) return entry(null, false, 'the estimate is 0 and its interval is not: a relative width is undefined');
  const r = half / Math.abs(iv.estimate);
  return entry(r, r <= target);
}

/**
 * Every condition's interval in every cell of a finished run. Means: estimate +- z sd / sqrt(n).
 * Quantiles: the order-statistic interval of binomialRanks, from the sorted values (exact mode) or
 * from the outer edges of the histogram bins that hold the two ranks (histogram mode). A cell with
 * no value of the metric (every sample infeasible or not finite) has nothing to converge and meets
 * the condition.
 */
export function conditionReports(plan: Plan, sim: Simulation, conditions: readonly UntilCondition[]): ConditionReport[] {
  const { result, partial, hist } = sim;
  const nm = plan.metrics.length;
  const ranks = new Map<string, { lower: number; upper: number }>();
  const rankOf = (n: number, p: number) => {
    const key = `${n}:${p}`;
    let r = ranks.get(key);
    if (!r) ranks.set(key, (r = binomialRanks(n, p)));
    return r;
  };
  const sorted = new Map<number, Float64Array>();
  return conditions.map((cond) => {
    const k = plan.metrics.indexOf(cond.metric);
    const cells = result.cells.map((cellResult, c): ConditionCell => {
      const i = c * nm + k;
      const stats = cellResult.metrics[cond.metric]!;
      const n = partial.count[i]!;
      if (n === 0) {
        const none = { estimate: null, lower: null, upper: null, half_width: null, relative_half_width: null, values: 0 };
        return { ...none, met: true, note: 'no values (every sample infeasible or not finite): nothing to converge' };
      }
      if (cond.statistic === 'mean') {
        const half = stats.sd === 0 ? 0 : Z_95 * stats.stderr;
        const iv: Interval = { estimate: stats.mean, lower: stats.mean - half, upper: stats.mean + half, values: n };
        if (Number.isNaN(half)) iv.note = 'fewer than 2 values: no standard error';
        return cellEntry(iv, cond.relativeHalfWidth);
      }
      const p = QUANTILES[QUANTILE_KEYS.indexOf(cond.statistic)]!;
      const { lower: l, upper: u } = rankOf(n, p);
      const iv: Interval = { estimate: stats[cond.statistic], lower: -Infinity, upper: Infinity, values: n };
      if (partial.min[i] === partial.max[i]) {
        // A constant metric: every order statistic is its one value.
        iv.lower = iv.upper = partial.min[i]!;
      } else if (partial.values) {
        let s = sorted.get(i);
        if (!s) sorted.set(i, (s = sortedFinite(partial.values[i]!)));
        if (l >= 1) iv.lower = s[l - 1]!;
        if (u <= n) iv.upper = s[u - 1]!;
      } else if (sim.exact) {
        // A streaming exact run found these order statistics for the conditions (intervalRanks).
        const at = sim.exact[i]!.order.at;
        if (l >= 1) iv.lower = at.get(l - 1)!;
        if (u <= n) iv.upper = at.get(u - 1)!;
      } else if (partial.hist && hist) {
        const edge = (r: number, which: 'lo' | 'hi') => histRankEdge(partial.hist!, i * HIST_STRIDE, hist[i]!, partial.min[i]!, partial.max[i]!, r, which);
        if (l >= 1) iv.lower = edge(l - 1, 'lo');
        if (u <= n) iv.upper = edge(u - 1, 'hi');
      }
      if (!Number.isFinite(iv.lower) || !Number.isFinite(iv.upper)) {
        iv.note = `too few values for a ${CONVERGENCE_CONFIDENCE * 100}% interval of ${cond.statistic}: its ${l < 1 ? 'lower' : 'upper'} end is unbounded`;
      }
      return cellEntry(iv, cond.relativeHalfWidth);
    });
    // The worst cell: the first whose relative width is undefined, else the widest (cells without values aside).
    const judged = cells.map((cell, c) => ({ cell, c })).filter(({ cell }) => cell.values > 0);
    const undefinedCell = judged.find(({ cell }) => cell.relative_half_width === null);
    const widest = judged.reduce<{ cell: ConditionCell; c: number } | null>(
      (w, x) => (w === null || x.cell.relative_half_width! > w.cell.relative_half_width! ? x : w),
      null,
    );
    const worst = undefinedCell ?? widest;
    return {
      metric: cond.metric,
      statistic: cond.statistic,
      target: cond.relativeHalfWidth,
      achieved: undefinedCell || !worst ? null : worst.cell.relative_half_width,
      worst_cell: worst ? worst.c : null,
      met: cells.every((cell) => cell.met),
      cells,
    };
  });
}

/**
 * The order statistics conditionReports reads of a streaming exact run: per (cell, metric) pair,
 * the ends of each quantile condition's interval on that metric (binomialRanks, 0-based).
 */
export function intervalRanks(plan: Plan, conditions: readonly UntilCondition[]): (pair: number, count: number) => number[] {
  const nm = plan.metrics.length;
  return (pair, count) => {
    const out: number[] = [];
    if (count === 0) return out;
    for (const cond of conditions) {
      if (cond.statistic === 'mean' || plan.metrics.indexOf(cond.metric) !== pair % nm) continue;
      const { lower, upper } = binomialRanks(count, QUANTILES[QUANTILE_KEYS.indexOf(cond.statistic)]!);
      if (lower >= 1) out.push(lower - 1);
      if (upper <= count) out.push(upper - 1);
    }
    return out;
  };
}

/**
 * Everything a convergence run can refuse before it starts (InputError, exit 2): conditions on
 * unknown metrics, a bound the schedule or sampling scheme cannot take, and `--quantiles exact`
 * for a last round that would not fit in memory. Returns the rounds' sample counts.
 */
export function checkConvergence(plan: Plan, options: Pick<ConvergeOptions, 'conditions' | 'maxSamples' | 'quantiles' | 'exactBudgetBytes' | 'exactValues'>): number[] {
  checkConditions(plan, options.conditions);
  const maxSamples = options.maxSamples ?? Math.max(DEFAULT_MAX_SAMPLES, plan.samples);
  const schedule = roundSchedule(plan.samples, maxSamples, plan.sampling);
  const last = schedule[schedule.length - 1]!;
  try {
    checkExactMemory({ ...plan, samples: last }, options.quantiles, options.exactBudgetBytes, options.exactValues);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(e.issues.map((i) => ({ ...i, message: `${i.message}; ${last.toLocaleString('en-US')} samples is the last round of --until: a lower --max-samples also does` })));
  }
  return schedule;
}

export interface ConvergeOptions extends Omit<SimulateOptions, 'onProgress'> {
  conditions: readonly UntilCondition[];
  /** Samples per cell not to pass (default: DEFAULT_MAX_SAMPLES, or the first round when larger). */
  maxSamples?: number;
  /** Called as round `round` (1-based) of at most `rounds` starts, with its sample count. */
  onRound?: (round: number, samples: number, rounds: number) => void;
  /** Progress within the current round. */
  onProgress?: (doneSamples: number, totalSamples: number) => void;
}

/**
 * Runs `plan` in rounds (roundSchedule from plan.samples) until every condition is met in every
 * cell, or the rounds reach the bound. The result is the last round's, identical to simulate() of
 * that many samples except `elapsed_s` and `samples_per_s` (the time and rate of all rounds) and
 * the added `convergence` report.
 */
export async function converge(plan: Plan, engine: Engine, options: ConvergeOptions): Promise<ConvergedSimulation> {
  const schedule = checkConvergence(plan, options);
  const now = options.now ?? (() => performance.now() / 1000);
  const { conditions, maxSamples: _max, onRound, onProgress, ...simulateOptions } = options;
  const rounds: RoundReport[] = [];
  const t0 = now();
  let last: Simulation | null = null;
  let reports: ConditionReport[] = [];
  for (let r = 0; r < schedule.length; r++) {
    const samples = schedule[r]!;
    onRound?.(r + 1, samples, schedule.length);
    const t = now();
    last = await simulate({ ...plan, samples }, engine, {
      ...simulateOptions,
      exactRanks: intervalRanks(plan, conditions),
      ...(onProgress ? { onProgress } : {}),
    });
    reports = conditionReports(plan, last, conditions);
    const done = reports.every((c) => c.met);
    rounds.push({ samples, elapsed_s: now() - t, achieved: reports.map((c) => c.achieved), converged: done });
    if (done) break;
  }
  const sim = last!;
  const elapsed = Math.max(now() - t0, 1e-9);
  const samplesTotal = rounds.reduce((s, x) => s + x.samples, 0);
  const final = rounds[rounds.length - 1]!;
  const convergence: ConvergenceReport = {
    converged: final.converged,
    confidence: CONVERGENCE_CONFIDENCE,
    samples: final.samples,
    max_samples: schedule[schedule.length - 1]!,
    max_samples_reached: final.samples === schedule[schedule.length - 1]!,
    samples_total: samplesTotal,
    rounds,
    conditions: reports,
  };
  // The convergence report goes before the cells, so a reader meets it before the long part.
  const { cells, ...head } = sim.result;
  const result: ConvergedResult = {
    ...head,
    elapsed_s: elapsed,
    samples_per_s: (samplesTotal * cells.length) / elapsed,
    convergence,
    cells,
  };
  return { ...sim, result };
}
