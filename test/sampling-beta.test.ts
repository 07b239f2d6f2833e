/**
 * Beta and PERT by tabulated inverse CDF (src/sampling/sample.ts betaKnots / transformUniform):
 * the f64 quantile inversion behind the table against closed forms, and the interpolated table
 * against that quantile at many probabilities, in the bulk and in both tails.
 */
import { describe, expect, it } from 'vitest';
import { BETA_LOGIT_U_MAX, betaKnots, prepareDist, quantile, transformUniform, type Dist } from '../src/sampling/index.js';
import { betaCdf, betaLogitQuantile, betaPdf } from '../src/sampling/special.js';
import { TEST_DISTS } from './sampling-fixtures.js';

/** logit(x) from x and 1 - x, each given with its own relative accuracy. */
const logit = (x: number, oneMinusX: number) => Math.log(x) - Math.log(oneMinusX);

/** Probabilities from 1e-7 to 1 - 1e-7: (p, q = 1 - p), each exact or formed without cancellation. */
const PROBS: Array<[number, number]> = [];
for (const p of [1e-7, 3e-6, 1e-4, 0.003, 0.05, 0.2, 0.37, 0.5]) {
  PROBS.push([p, 1 - p]);
  if (p !== 0.5) PROBS.push([1 - p, p]);
}

describe('betaLogitQuantile: the f64 inversion behind the table', () => {
  /**
   * Newton to ~1e-14 relative on the small one of x and 1 - x; logit x then carries an absolute
   * error of ~1e-14 (plus a few ulps of its logs), so 1e-12 * max(1, |y|) leaves 100x of room.
   * Plus the conditioning term: when the tail that x's side calls for has a probability near 1
   * (e.g. Beta(40, 1) at p = 1e-7: x = 0.67, inverted from q = 1 - 1e-7), that probability is
   * only known to 2^-53 absolute, which moves y by 2^-53 / (pdf(x) x (1 - x)).
   */
  const close = (y: number, exact: number, a: number, b: number) => {
    const x = 1 / (1 + Math.exp(-exact));
    // Where x rounds to 0 or 1 the term is not computable; it is then not granted at all.
    const conditioning = 2 ** -53 / (betaPdf(x, a, b) * x * (1 - x));
    return Math.abs(y - exact) <= 1e-12 * Math.max(1, Math.abs(exact)) + (Number.isFinite(conditioning) ? conditioning : 0);
  };

  it('matches Beta(a, 1) (x = p^(1/a)) and Beta(1, b) (1 - x = q^(1/b)) to 1e-12, in both tails', () => {
    for (const a of [0.3, 1, 2.5, 40]) {
      for (const [p, q] of PROBS) {
        // ln p and ln q from whichever of p and q is exact (the one <= 1/2), then x and 1 - x
        // each by exp or -expm1, so neither loses digits near 0 or 1.
        const lnP = p <= 0.5 ? Math.log(p) : Math.log1p(-q);
        const lnQ = q <= 0.5 ? Math.log(q) : Math.log1p(-p);
        const xA = logit(Math.exp(lnP / a), -Math.expm1(lnP / a));
        expect(close(betaLogitQuantile(p, q, a, 1), xA, a, 1), `Beta(${a}, 1) at ${p}`).toBe(true);
        const x1 = logit(-Math.expm1(lnQ / a), Math.exp(lnQ / a));
        expect(close(betaLogitQuantile(p, q, 1, a), x1, 1, a), `Beta(1, ${a}) at ${p}`).toBe(true);
      }
    }
  });

  it('matches the arcsine law Beta(1/2, 1/2), x = sin^2(pi p / 2), to 1e-12', () => {
    for (const [p, q] of PROBS) {
      // x = sin^2(pi p/2) and 1 - x = sin^2(pi q/2), both accurate.
      const exact = logit(Math.sin((Math.PI * p) / 2) ** 2, Math.sin((Math.PI * q) / 2) ** 2);
      expect(close(betaLogitQuantile(p, q, 0.5, 0.5), exact, 0.5, 0.5), `at ${p}`).toBe(true);
    }
  });

  it('inverts I_x(a, b) to 1e-12 relative in the tail it solves, for PERT-like and skewed shapes', () => {
    for (const [a, b] of [
      [3, 3],
      [1.16, 4.84],
      [4.6, 1.4],
      [0.3, 3],
      [12, 0.7],
    ] as const) {
      for (const [p, q] of PROBS) {
        const y = betaLogitQuantile(p, q, a, b);
        // The small tail of x (lower when x <= 1/2) and its probability, both without cancellation.
        const e = Math.exp(-Math.abs(y));
        const back = y <= 0 ? betaCdf(e / (1 + e), a, b) : betaCdf(e / (1 + e), b, a);
        const target = y <= 0 ? p : q;
        expect(Math.abs(back / target - 1), `Beta(${a}, ${b}) at ${p}`).toBeLessThan(1e-12);
      }
    }
  });
});

describe('the beta/PERT inverse-CDF table against quantile()', () => {
  // The beta and PERT shapes every sampling test uses, and more at the edges of the table.
  const CASES: Array<{ name: string; dist: Dist }> = [
    ...TEST_DISTS.filter(({ dist }) => dist.kind === 'pert' || dist.kind === 'beta'),
    { name: 'pert [0, 0.01, 1] (mode near min)', dist: { kind: 'pert', min: 0, mode: 0.01, max: 1 } },
    { name: 'pert [0, 1, 1] (mode at max)', dist: { kind: 'pert', min: 0, mode: 1, max: 1 } },
    { name: 'pert [28000, 32000, 40000]', dist: { kind: 'pert', min: 28000, mode: 32000, max: 40000 } },
    { name: 'beta(5, 0.4) on [1, 2]', dist: { kind: 'beta', alpha: 5, beta: 0.4, min: 1, max: 2 } },
    { name: 'beta(50, 80) on [0, 1]', dist: { kind: 'beta', alpha: 50, beta: 80, min: 0, max: 1 } },
  ];

  /**
   * The table gives logit((x - min)/(max - min)) to within the interpolation error dy, so x - min
   * and max - x each carry a relative error below dy: the error is measured against the distance
   * from the nearer end of the range (for a range away from 0, below the relative error of x).
   * 1e-5 is the bound the sampler is built to (a tenth of the engines' 1e-4 per-sample agreement); the measured worst over these cases is ~5e-6 (Beta(0.3, 3)), every
   * PERT below 1e-6.
   */
  const BOUND = 1e-5;

  function worstError(dist: Dist, probs: Iterable<number>): { error: number; at: number } {
    const prep = prepareDist(dist);
    const { min, max } = dist as { min: number; max: number };
    let error = 0;
    let at = NaN;
    for (const p of probs) {
      const x = transformUniform(prep, p);
      const exact = quantile(dist, p);
      // Both at an end exactly (a tail quantile within an ulp of it) counts as no error.
      const e = x === exact ? 0 : Math.abs(x - exact) / Math.min(exact - min, max - exact);
      if (!(e <= error)) {
        error = e;
        at = p;
      }
    }
    return { error, at };
  }

  for (const { name, dist } of CASES) {
    it(`${name}: within ${BOUND} at 20,000 probabilities in the bulk and 48 in the tails (2^-24 .. 1 - 2^-24)`, () => {
      const bulk = Array.from({ length: 19999 }, (_, i) => 0.0005 + (0.999 * (i + 0.5)) / 19999);
      const tails: number[] = [];
      for (let k = 1; k <= 24; k++) tails.push(2 ** -k, 1 - 2 ** -k);
      const b = worstError(dist, bulk);
      const t = worstError(dist, tails);
      expect(b.error, `bulk worst at p = ${b.at}`).toBeLessThan(BOUND);
      expect(t.error, `tail worst at p = ${t.at}`).toBeLessThan(BOUND);
    });
  }

  it('is nondecreasing, finite, and spans logit u = -T .. T with T >= logit(1 - 2^-25)', () => {
    for (const [a, b] of [
      [0.3, 3],
      [3, 3],
      [50, 80],
      [0.05, 0.05],
    ] as const) {
      const knots = betaKnots(a, b);
      for (let k = 1; k < knots.length; k++) expect(knots[k]! >= knots[k - 1]! && Number.isFinite(knots[k])).toBe(true);
    }
    const prep = prepareDist({ kind: 'beta', alpha: 2, beta: 2, min: 0, max: 1 });
    // Half-width of the grid in logit u: (knots - 1) / 2 knots at 1/p2 apart.
    expect((prep.knots.length - 1) / 2 / prep.p[2]!).toBeGreaterThanOrEqual(BETA_LOGIT_U_MAX);
  });
});
