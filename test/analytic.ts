/**
 * Test functions of sensitivity analysis with known variance-based indices, in one place (as
 * SALib keeps them in SALib.test_functions): each gives the function and its true first-order
 * and total indices, derived in closed form, never from the estimators under test.
 */

export interface TrueIndices {
  first: number[];
  total: number[];
}

/**
 * The Sobol G-function on d independent U(0, 1) inputs: g(x) = prod (|4 x_i - 2| + a_i) / (1 + a_i)
 * (Saltelli et al. 2010, Computer Physics Communications 181(2), 259-270, section 4). Each factor
 * has mean 1 and partial variance V_i = 1 / (3 (1 + a_i)^2); V = prod (1 + V_i) - 1,
 * S_i = V_i / V and ST_i = V_i prod_{j != i} (1 + V_j) / V.
 */
export const G_FUNCTION_A = [0, 1, 4.5, 9, 99, 99] as const;

export function gFunction(a: readonly number[]): (x: readonly number[]) => number {
  return (x) => x.reduce((p, xi, i) => (p * (Math.abs(4 * xi - 2) + a[i]!)) / (1 + a[i]!), 1);
}

export function gFunctionIndices(a: readonly number[]): TrueIndices {
  const vi = a.map((ai) => 1 / (3 * (1 + ai) ** 2));
  const v = vi.reduce((p, x) => p * (1 + x), 1) - 1;
  return {
    first: vi.map((x) => x / v),
    total: vi.map((x, i) => (x * vi.reduce((p, y, j) => (j === i ? p : p * (1 + y)), 1)) / v),
  };
}

/**
 * A linear model y = sum a_i x_i of independent inputs with variances var_i: no interactions, so
 * S_i = ST_i = a_i^2 var_i / sum_j a_j^2 var_j.
 */
export function linearIndices(a: readonly number[], variances: readonly number[]): TrueIndices {
  const parts = a.map((ai, i) => ai * ai * variances[i]!);
  const v = parts.reduce((s, p) => s + p, 0);
  const s = parts.map((p) => p / v);
  return { first: s, total: [...s] };
}

/** Variance of U(a, b). */
export const uniformVariance = (a: number, b: number): number => (b - a) ** 2 / 12;

/**
 * The product Y = X Z of independent X ~ U(p1, p2) and Z = 1 / U, U ~ U(u1, u2) (cost per token
 * in measured mode with cloud pricing is K price / u). With the moments E[Z] = ln(u2/u1) / (u2 - u1)
 * and E[Z^2] = 1 / (u1 u2): V_X = E[Z]^2 Var X, V_Z = E[X]^2 Var Z, V = E[X^2] E[Z^2] - E[X]^2 E[Z]^2,
 * S_X = V_X / V, ST_X = (V - V_Z) / V, and the same for Z. Returned in the order (X, U).
 */
export function productIndices(p1: number, p2: number, u1: number, u2: number): TrueIndices & { mean: number } {
  const ex = (p1 + p2) / 2;
  const vx = uniformVariance(p1, p2);
  const ez = Math.log(u2 / u1) / (u2 - u1);
  const ez2 = 1 / (u1 * u2);
  const vz = ez2 - ez * ez;
  const v = (vx + ex * ex) * ez2 - ex * ex * ez * ez;
  return {
    first: [(ez * ez * vx) / v, (ex * ex * vz) / v],
    total: [(v - ex * ex * vz) / v, (v - ez * ez * vx) / v],
    mean: ex * ez,
  };
}
