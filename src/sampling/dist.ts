/**
 * Distributions as the plan carries them: already resolved from the scenario's many spellings
 * (e.g. `"0.05 to 0.15"` and lognormal `{p5, p95}` both arrive as `lognormal {mu, sigma}`).
 * Every parameter is finite and valid when a Dist reaches an engine; the scenario loader checks.
 */
export type Dist =
  | { kind: 'const'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  /** Normal, truncated to [min, max] (either may be -Infinity / Infinity). */
  | { kind: 'normal'; mean: number; sd: number; min: number; max: number }
  /** X = exp(N(mu, sigma^2)). */
  | { kind: 'lognormal'; mu: number; sigma: number }
  | { kind: 'triangular'; min: number; mode: number; max: number }
  /** Beta-PERT with the classic shape weight 4: alpha = 1 + 4 (mode-min)/(max-min). */
  | { kind: 'pert'; min: number; mode: number; max: number }
  /** min + (max - min) * Beta(alpha, beta). */
  | { kind: 'beta'; alpha: number; beta: number; min: number; max: number }
  /** values[j] with probability weights[j] / sum(weights). */
  | { kind: 'discrete'; values: number[]; weights: number[] };

export type DistKind = Dist['kind'];
