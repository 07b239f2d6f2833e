/**
 * Narrowing a plan to some of its metrics (the CLI's `--metrics`). Both engines aggregate exactly
 * the plan's metrics (sums, min and max, histograms or exact values), so a narrowed plan does that
 * work for the listed metrics only; every metric's aggregates depend on its own values alone, so
 * the listed metrics' statistics are those of the whole plan (README "Output": bit for bit, but
 * for the GPU engine's sums when fewer metrics let it take larger workgroups).
 */
import { InputError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import type { Plan } from './types.js';

/**
 * The plan with only the metrics `names` (in any order, repeats allowed), kept in the plan's own
 * order (built-in metrics, then the scenario's own in file order). Metric expressions still see
 * every metric they read: only what is aggregated and reported changes. An unknown name or an
 * empty list is an InputError (exit 2) at `path`.
 */
export function selectMetrics(plan: Plan, names: readonly string[], path = '--metrics'): Plan {
  if (names.length === 0) throw new InputError([{ path, message: `expected at least one metric (this scenario's metrics: ${plan.metrics.join(', ')})` }]);
  const issues = [...new Set(names)]
    .filter((n) => !plan.metrics.includes(n))
    .map((n) => ({ path, message: `unknown metric "${n}"${didYouMean(n, plan.metrics)} (this scenario's metrics: ${plan.metrics.join(', ')})` }));
  if (issues.length > 0) throw new InputError(issues);
  const wanted = new Set(names);
  return { ...plan, metrics: plan.metrics.filter((m) => wanted.has(m)) };
}
