import { describe, expect, it } from 'vitest';
import {
  erfc,
  invNorm,
  keyFromSeed,
  mean,
  median,
  normCdf,
  quantile,
  sampleQuad,
  streamId,
  variance,
  type Dist,
} from '../src/sampling/index.js';
import { TEST_DISTS } from './sampling-fixtures.js';

/** Monte Carlo checks use k = 5 standard errors: a false failure has probability < 6e-7 per assertion. */
const K_SIGMA = 5;
const SAMPLES = 2 ** 17;

function draw(dist: Dist, n: number, seed = 'dist-tests', path = 'test.input'): Float64Array {
  const key = keyFromSeed(seed);
  const id = streamId(path);
  const xs = new Float64Array(n);
  const out = new Float64Array(4);
  for (let q = 0; q < n / 4; q++) {
    sampleQuad(dist, key, id, q, out);
    xs.set(out, 4 * q);
  }
  return xs;
}

describe('sampleQuad: sample moments and quantiles match the closed forms', () => {
  for (const { name, dist } of TEST_DISTS) {
    describe(name, () => {
      const xs = draw(dist, SAMPLES);
      const n = xs.length;
      const mu = mean(dist);
      const sigma2 = variance(dist);

      it(`sample mean is within ${K_SIGMA} sd/sqrt(N) of the mean`, () => {
        let sum = 0;
        for (const x of xs) sum += x;
        const tol = K_SIGMA * Math.sqrt(sigma2 / n) + 1e-12 * Math.abs(mu);
        expect(Math.abs(sum / n - mu)).toBeLessThanOrEqual(tol);
      });

      it(`sample variance is within ${K_SIGMA} standard errors of the variance`, () => {
        let m2 = 0;
        let m4 = 0;
        for (const x of xs) {
          const d2 = (x - mu) ** 2;
          m2 += d2;
          m4 += d2 * d2;
        }
        m2 /= n;
        m4 /= n;
        // Var of the mean of (x - mu)^2 is (E(x-mu)^4 - sigma^4)/N, estimated from the sample.
        const tol = K_SIGMA * Math.sqrt(Math.max(m4 - m2 * m2, 0) / n) + 1e-12 * sigma2;
        expect(Math.abs(m2 - sigma2)).toBeLessThanOrEqual(tol);
      });

      if (dist.kind === 'discrete') {
        it('each value appears with its weight share (binomial standard error)', () => {
          const total = dist.weights.reduce((a, b) => a + b, 0);
          dist.values.forEach((value, j) => {
            const share = dist.weights[j]! / total;
            const freq = xs.filter((x) => x === value).length / n;
            expect(Math.abs(freq - share)).toBeLessThan(K_SIGMA * Math.sqrt((share * (1 - share)) / n));
          });
        });
      } else if (dist.kind !== 'const') {
        it('the empirical CDF at quantile(p) is p, within the binomial standard error', () => {
          for (const p of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
            const xp = quantile(dist, p);
            let below = 0;
            for (const x of xs) if (x <= xp) below++;
            expect(Math.abs(below / n - p)).toBeLessThan(K_SIGMA * Math.sqrt((p * (1 - p)) / n));
          }
        });

        it('every sample lies in the support', () => {
          const lo = quantile(dist, 0);
          const hi = quantile(dist, 1);
          let xMin = Infinity;
          let xMax = -Infinity;
          for (const x of xs) {
            xMin = Math.min(xMin, x);
            xMax = Math.max(xMax, x);
          }
          expect(xMin).toBeGreaterThanOrEqual(lo);
          expect(xMax).toBeLessThanOrEqual(hi);
        });
      } else {
        it('every sample is the value', () => {
          expect(xs.every((x) => x === dist.value)).toBe(true);
        });
      }
    });
  }
});

describe('normal CDF and its inverse', () => {
  it('erfc and Phi match tabulated values to 1e-14 relative', () => {
    // erfc(0.5), erfc(3) and Phi(-10): A&S Table 7.1 / 26.1 values, more digits from their series.
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 15);
    expect(Math.abs(erfc(3) / 2.209049699858544e-5 - 1)).toBeLessThan(1e-14);
    expect(Math.abs(normCdf(-10) / 7.619853024160527e-24 - 1)).toBeLessThan(1e-13);
    expect(erfc(0)).toBe(1);
  });

  it('invNorm inverts Phi to 1e-14 relative in both tails (with the tail probability given)', () => {
    for (const z of [-30, -9, -5, -2.5, -1, -0.1, 0.3, 1.7, 4, 8]) {
      const back = z < 0 ? invNorm(normCdf(z)) : invNorm(1 - normCdf(-z), normCdf(-z));
      expect(Math.abs(back - z)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(z)));
    }
    // The 97.5% point, a classic table value.
    expect(invNorm(0.975)).toBeCloseTo(1.959963984540054, 14);
  });
});

describe('quantile and median', () => {
  it('uniform and triangular quantiles are the closed-form inverse CDFs', () => {
    expect(quantile({ kind: 'uniform', min: 2, max: 6 }, 0.25)).toBe(3);
    const tri: Dist = { kind: 'triangular', min: 0, mode: 1, max: 2 };
    // Symmetric on [0, 2]: F(x) = x^2/2 below the mode, so F^{-1}(1/8) = 1/2 and the median is the mode.
    expect(quantile(tri, 1 / 8)).toBeCloseTo(0.5, 14);
    expect(median(tri)).toBeCloseTo(1, 14);
  });

  it('normal, half-normal and lognormal medians are mean, Phi^{-1}(3/4) and exp(mu)', () => {
    expect(median({ kind: 'normal', mean: 3, sd: 2, min: -Infinity, max: Infinity })).toBeCloseTo(3, 13);
    const half: Dist = { kind: 'normal', mean: 0, sd: 1, min: 0, max: Infinity };
    expect(median(half)).toBeCloseTo(0.6744897501960817, 13);
    expect(mean(half)).toBeCloseTo(Math.sqrt(2 / Math.PI), 13);
    expect(variance(half)).toBeCloseTo(1 - 2 / Math.PI, 13);
    expect(median({ kind: 'lognormal', mu: 1.25, sigma: 0.4 })).toBeCloseTo(Math.exp(1.25), 12);
  });

  it('beta quantiles match the closed forms of Beta(1, b), Beta(a, 1) and symmetric cases', () => {
    for (const p of [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999]) {
      // Beta(1, b): F(x) = 1 - (1-x)^b, so x = -expm1(log1p(-p)/b) (written so that small p
      // keeps its digits). Beta(a, 1): F(x) = x^a.
      const b = 3.5;
      const a = 0.4;
      const x1 = quantile({ kind: 'beta', alpha: 1, beta: b, min: 0, max: 1 }, p);
      expect(Math.abs(x1 + Math.expm1(Math.log1p(-p) / b))).toBeLessThanOrEqual(1e-12 * x1);
      const x2 = quantile({ kind: 'beta', alpha: a, beta: 1, min: 0, max: 1 }, p);
      expect(Math.abs(x2 - p ** (1 / a))).toBeLessThanOrEqual(1e-12 * x2);
    }
    expect(median({ kind: 'beta', alpha: 2.5, beta: 2.5, min: 10, max: 20 })).toBeCloseTo(15, 12);
    // A symmetric PERT's median is its mode.
    expect(median({ kind: 'pert', min: 0.35, mode: 0.6, max: 0.85 })).toBeCloseTo(0.6, 12);
  });

  it('discrete: the smallest value whose cumulative weight reaches p', () => {
    const d: Dist = { kind: 'discrete', values: [30, 10, 20], weights: [0.3, 0.1, 0.2] };
    // Sorted: 10 (1/6), 20 (1/2 cumulative), 30 (1).
    expect(quantile(d, 0.1)).toBe(10);
    expect(quantile(d, 1 / 6)).toBe(10);
    expect(median(d)).toBe(20);
    expect(quantile(d, 0.51)).toBe(30);
    expect(quantile(d, 0)).toBe(10);
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() => quantile({ kind: 'uniform', min: 0, max: 1 }, 1.5)).toThrow(RangeError);
  });
});

describe('mean and variance closed forms', () => {
  it('PERT [a, m, b] has mean (a + 4m + b)/6', () => {
    // The textbook PERT mean (Malcolm et al. 1959), which the shape weight 4 reproduces exactly.
    const d: Dist = { kind: 'pert', min: 10, mode: 11, max: 30 };
    expect(mean(d)).toBeCloseTo((10 + 4 * 11 + 30) / 6, 12);
  });

  it('triangular, uniform, discrete and lognormal moments', () => {
    expect(variance({ kind: 'uniform', min: 0, max: 6 })).toBe(3);
    expect(mean({ kind: 'discrete', values: [1, 3], weights: [3, 1] })).toBe(1.5);
    expect(variance({ kind: 'discrete', values: [1, 3], weights: [1, 1] })).toBe(1);
    expect(variance({ kind: 'triangular', min: 0, mode: 0, max: 1 })).toBeCloseTo(1 / 18, 15);
    expect(mean({ kind: 'lognormal', mu: 0, sigma: 1 })).toBeCloseTo(Math.exp(0.5), 14);
  });
});
