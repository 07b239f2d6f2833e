import { RuntimeError } from '../errors.js';
import { choleskyPsd, normalCorrelationMatrix, type Copula } from '../sampling/index.js';
import type { Plan, PlanInput } from './types.js';

/**
 * The copula of a plan's run over its random inputs (`random`, in the engines' entry order): the
 * correlated inputs among them and the Cholesky factor of their normal correlation matrix; null
 * when none is correlated, so that runs without correlations skip the copula entirely. An input
 * the plan holds fixed (a tornado bar, a break-even trial, a sweep cell) draws nothing, and the
 * others keep their joint law (the sub-matrix of a normal correlation matrix is theirs).
 */
export function planCopula(plan: Plan, random: readonly PlanInput[]): Copula | null {
  const pairs = plan.correlations;
  if (!pairs || pairs.length === 0) return null;
  // A correlation with only one random side left correlates nothing.
  const drawn = new Set(random.map((inp) => inp.path));
  const live = pairs.filter((c) => drawn.has(c.between[0]) && drawn.has(c.between[1]));
  if (live.length === 0) return null;
  const named = new Set(live.flatMap((c) => c.between));
  const entries: number[] = [];
  random.forEach((inp, r) => {
    if (named.has(inp.path)) entries.push(r);
  });
  const paths = entries.map((r) => random[r]!.path);
  const factor = choleskyPsd(normalCorrelationMatrix(paths, live), paths.length);
  if ('failedAt' in factor) {
    // The scenario loader refuses such matrices, so only a hand-built plan gets here.
    throw new RuntimeError(`the correlations among ${paths.join(', ')} are not positive semidefinite`);
  }
  return { entries, lower: factor.lower };
}
