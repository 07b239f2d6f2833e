/**
 * Rank correlations between uncertain inputs through a Gaussian copula (docs/model.md
 * "Correlated inputs"). Per sample, the uniforms u_k that the correlated inputs draw anyway (the
 * same Philox streams and QMC coordinates as without correlations) become normal scores
 * z_k = Phi^-1(u_k), are mixed by the lower Cholesky factor L of the normal correlation matrix,
 * z' = L z, and come back as uniforms u'_k = Phi(z'_k), which go through each input's own inverse
 * CDF. A Spearman rank correlation rho_s between two inputs is the normal correlation
 * rho_n = 2 sin(pi rho_s / 6) (Kruskal 1958: for a bivariate normal, rho_s = (6 / pi) arcsin(rho_n / 2);
 * ranks are invariant under the marginal transforms, so the inputs keep that rho_s).
 *
 * The GPU form is in shaders/distributions.wgsl (dist_copula_*) and shaders/mc.wgsl, from the
 * table encodeParams lays out.
 */
import { normCdf, invNormFast } from './special.js';
import { transformPair, uniformPreparedQuad, type PreparedDist } from './sample.js';

/**
 * The smallest uniform any sampler produces (LHS's lowest point, 2^-25; Philox and Sobol stay at
 * 2^-24 and above). The copula's uniforms are held at or above it on both sides, so every inverse
 * CDF sees the domain it has without correlations (the beta table is never clamped).
 */
export const COPULA_U_MIN = 2 ** -25;

/**
 * Below this a Cholesky pivot counts as zero (a perfectly dependent input, e.g. rank 1). Pivots
 * are 1 minus sums of at most n products of numbers in [-1, 1]: rounded in f64 they are off by at
 * most ~n 2^-52 (2e-14 at n = 100), far inside 1e-10; a correlation matrix typed with a few
 * digits that is not positive semidefinite has a negative pivot far beyond it.
 */
export const PIVOT_TOLERANCE = 1e-10;

/**
 * The normal (Pearson) correlation of a Gaussian copula that gives Spearman's rank correlation
 * rho_s: 2 sin(pi rho_s / 6). The ends and 0 are exact (sin(pi / 6) is not, in f64).
 */
export function spearmanToNormal(rhoS: number): number {
  if (rhoS === 1 || rhoS === -1 || rhoS === 0) return rhoS;
  return 2 * Math.sin((Math.PI * rhoS) / 6);
}

/** Spearman's rho of a Gaussian copula with normal correlation rho_n: (6 / pi) arcsin(rho_n / 2). */
export function normalToSpearman(rhoN: number): number {
  return (6 / Math.PI) * Math.asin(rhoN / 2);
}

/**
 * The lower Cholesky factor L (row-major n x n, L L^T = R) of a symmetric correlation matrix R
 * that may be singular (positive semidefinite): a pivot within PIVOT_TOLERANCE of 0 gives a zero
 * column (its input is a combination of the earlier ones). Returns `{ failedAt: k }` when R is not
 * positive semidefinite: the leading k + 1 rows already are not.
 */
export function choleskyPsd(r: Float64Array, n: number): { lower: Float64Array } | { failedAt: number } {
  const l = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    let d = r[k * n + k]!;
    for (let j = 0; j < k; j++) d -= l[k * n + j]! * l[k * n + j]!;
    if (d < -PIVOT_TOLERANCE) return { failedAt: k };
    if (d <= PIVOT_TOLERANCE) {
      // A zero pivot: the residual column must vanish too (Cauchy-Schwarz on the Schur complement
      // bounds it by sqrt(pivot), so by sqrt(tolerance) when R is semidefinite).
      for (let i = k + 1; i < n; i++) {
        let s = r[i * n + k]!;
        for (let j = 0; j < k; j++) s -= l[i * n + j]! * l[k * n + j]!;
        if (Math.abs(s) > Math.sqrt(PIVOT_TOLERANCE)) return { failedAt: Math.max(i, k) };
      }
      continue;
    }
    const lkk = Math.sqrt(d);
    l[k * n + k] = lkk;
    for (let i = k + 1; i < n; i++) {
      let s = r[i * n + k]!;
      for (let j = 0; j < k; j++) s -= l[i * n + j]! * l[k * n + j]!;
      l[i * n + k] = s / lkk;
    }
  }
  return { lower: l };
}

/** One rank correlation between two inputs, named by their paths. */
export interface RankCorrelation {
  between: [string, string];
  rank: number;
}

/** The normal correlation matrix over `paths` (row-major) from rank correlations among them. */
export function normalCorrelationMatrix(paths: readonly string[], pairs: readonly RankCorrelation[]): Float64Array {
  const n = paths.length;
  const index = new Map(paths.map((p, k) => [p, k]));
  const r = new Float64Array(n * n);
  for (let k = 0; k < n; k++) r[k * n + k] = 1;
  for (const { between, rank } of pairs) {
    const a = index.get(between[0]);
    const b = index.get(between[1]);
    if (a === undefined || b === undefined) continue;
    const rho = spearmanToNormal(rank);
    r[a * n + b] = rho;
    r[b * n + a] = rho;
  }
  return r;
}

/**
 * When the rank correlations among `paths` are not jointly possible (the normal matrix is not
 * positive semidefinite), a smallest set of the inputs that already makes them impossible (each
 * one needed), in `paths` order; null when they are possible.
 */
export function impossibleCorrelations(paths: readonly string[], pairs: readonly RankCorrelation[]): string[] | null {
  const fails = (subset: readonly string[]): boolean =>
    'failedAt' in choleskyPsd(normalCorrelationMatrix(subset, pairs), subset.length);
  if (!fails(paths)) return null;
  // The leading block up to the failing pivot already fails; drop every input it does not need.
  const first = choleskyPsd(normalCorrelationMatrix(paths, pairs), paths.length) as { failedAt: number };
  let set = paths.slice(0, first.failedAt + 1);
  for (const p of [...set]) {
    const without = set.filter((q) => q !== p);
    if (fails(without)) set = without;
  }
  return set;
}

/**
 * The copula of one run: the correlated inputs (as indices into the run's random inputs, in
 * their order) and the lower Cholesky factor of their normal correlation matrix.
 */
export interface Copula {
  entries: number[];
  /** Row-major n x n, n = entries.length; zero above the diagonal. */
  lower: Float64Array;
}

/**
 * Draws the correlated inputs of a run on the CPU: for quad q, the values of samples 4q .. 4q+3
 * of correlated input k into out[4k .. 4k+3]. Allocation-free per quad.
 */
export class CopulaSampler {
  private readonly n: number;
  private readonly z: Float64Array;
  private readonly u = new Float64Array(4);

  constructor(
    private readonly preps: readonly PreparedDist[],
    private readonly streamIds: readonly number[],
    private readonly lower: Float64Array,
  ) {
    this.n = preps.length;
    this.z = new Float64Array(4 * this.n);
  }

  quad(key: readonly [number, number], q: number, out: Float64Array): void {
    const { n, z, u, lower } = this;
    for (let k = 0; k < n; k++) {
      uniformPreparedQuad(this.preps[k]!, key, this.streamIds[k]!, q, u);
      // 1 - u is exact: every sampler's uniform is a multiple of 2^-25.
      for (let j = 0; j < 4; j++) z[4 * k + j] = invNormFast(u[j]!, 1 - u[j]!);
    }
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let i = 0; i <= k; i++) s += lower[k * n + i]! * z[4 * i + j]!;
        const p = Math.max(normCdf(s), COPULA_U_MIN);
        const qq = Math.max(normCdf(-s), COPULA_U_MIN);
        out[4 * k + j] = transformPair(this.preps[k]!, p, qq);
      }
    }
  }
}
