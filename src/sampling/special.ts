/**
 * Special functions in f64 for the sampling module: the normal CDF (via erfc), the inverse
 * normal CDF, log-gamma and the regularized incomplete beta function. Host-side only: the GPU
 * never evaluates these (it gets their values precomputed in the parameter table), except
 * `invNormFast`, which shaders/distributions.wgsl mirrors in f32.
 */

const SQRT2 = Math.SQRT2;
const SQRT_PI = Math.sqrt(Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * erfc(x) to near full f64 precision. |x| < 2: erf from its everywhere-positive series
 * erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)) (Abramowitz & Stegun
 * 7.1.6), so erfc = 1 - erf loses at most ~8 bits (erfc(2) = 4.7e-3). x >= 2: the continued
 * fraction erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) (A&S
 * 7.1.14), evaluated by the modified Lentz method, which keeps relative accuracy deep in the tail.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 1 - (2 / SQRT_PI) * Math.exp(-x2) * sum;
  }
  if (x > 27) return 0; // erfc(27) < 1e-318: below the smallest f64 subnormal's neighbourhood
  // Lentz: f = b0 + a1/(b1 + a2/(b2 + ...)) with b_k = x, a_k = k/2.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (SQRT_PI * f);
}

/** Standard normal CDF Phi(z), accurate relatively in the lower tail. */
export function normCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** Standard normal density. */
export function normPdf(z: number): number {
  return Math.exp(-0.5 * z * z - LN_SQRT_2PI);
}

/**
 * Coefficients of Wichura's PPND7, the single-precision algorithm of "Algorithm AS 241: The
 * percentage points of the normal distribution", Applied Statistics 37(3), 1988, pp. 477-484:
 * about 1e-7 relative accuracy for min(p, 1-p) > 1e-316. Every polynomial has positive
 * coefficients on its range, so it stays accurate when evaluated in f32, which is why the
 * sampler uses it (shaders/distributions.wgsl mirrors it) rather than a double-precision form.
 */
const PPND7_SPLIT_CENTRAL = 0.425;
const PPND7_SPLIT_TAIL = 5;
const PPND7_CENTRAL_R0 = 0.180625; // 0.425^2
const PPND7_TAIL_SHIFT = 1.6;
const [a0, a1, a2, a3] = [3.3871327179, 50.434271938, 159.29113202, 59.10937472] as const;
const [b1, b2, b3] = [17.895169469, 78.757757664, 67.1875636] as const;
const [c0, c1, c2, c3] = [1.4234372777, 2.75681539, 1.3067284816, 0.17023821103] as const;
const [d1, d2] = [0.7370016425, 0.12021132975] as const;
const [e0, e1, e2, e3] = [6.657905115, 3.081226386, 0.42868294337, 0.017337203997] as const;
const [f1, f2] = [0.24197894225, 0.012258202635] as const;

/**
 * Phi^{-1} by PPND7 from the pair (p, q = 1 - p), both given so that the tail is computed
 * from the small one of the two (which the caller can form without cancellation). This is the
 * transform the sampler uses; the GPU's f32 version has the same branches and formulas.
 */
export function invNormFast(p: number, q: number): number {
  const s = p - 0.5;
  if (Math.abs(s) <= PPND7_SPLIT_CENTRAL) {
    const r = PPND7_CENTRAL_R0 - s * s;
    return (s * (((a3 * r + a2) * r + a1) * r + a0)) / (((b3 * r + b2) * r + b1) * r + 1);
  }
  let r = Math.sqrt(-Math.log(p < q ? p : q));
  let z: number;
  if (r <= PPND7_SPLIT_TAIL) {
    r -= PPND7_TAIL_SHIFT;
    z = (((c3 * r + c2) * r + c1) * r + c0) / ((d2 * r + d1) * r + 1);
  } else {
    r -= PPND7_SPLIT_TAIL;
    z = (((e3 * r + e2) * r + e1) * r + e0) / ((f2 * r + f1) * r + 1);
  }
  return p < q ? -z : z;
}

/**
 * Phi^{-1} to near full f64 precision from the pair (p, q = 1 - p): PPND7's start, then two
 * Halley steps on Phi(z) - p with Phi from erfc (each step cubes the relative error).
 */
export function invNorm(p: number, q: number = 1 - p): number {
  if (p <= 0) return -Infinity;
  if (q <= 0) return Infinity;
  let z = invNormFast(p, q);
  for (let i = 0; i < 2; i++) {
    // e = Phi(z) - p, formed from whichever tail is small so that it keeps relative accuracy.
    const e = p <= q ? normCdf(z) - p : q - normCdf(-z);
    const u = e * SQRT_2PI * Math.exp(0.5 * z * z);
    z -= u / (1 + 0.5 * z * u);
  }
  return z;
}

/**
 * ln Gamma(x) for x > 0: shift to x >= 15 with Gamma(x) = Gamma(x + n) / (x (x+1) ... (x+n-1)),
 * then Stirling's series with the Bernoulli-number terms 1/12, -1/360, 1/1260, -1/1680, 1/1188
 * (A&S 6.1.41); the truncation error at x >= 15 is below 1e-17 relative.
 */
export function lgamma(x: number): number {
  let shift = 0;
  let prod = 1;
  while (x < 15) {
    prod *= x;
    x += 1;
    if (prod > 1e280) {
      shift += Math.log(prod);
      prod = 1;
    }
  }
  shift += Math.log(prod);
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 + inv2 * (-1 / 360 + inv2 * (1 / 1260 + inv2 * (-1 / 1680 + inv2 * (1 / 1188)))));
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + series - shift;
}

/** ln B(a, b). */
export function lbeta(a: number, b: number): number {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/**
 * Continued fraction of the incomplete beta function (A&S 26.5.8), by the modified Lentz method:
 * I_x(a,b) = x^a (1-x)^b / (a B(a,b)) * 1/(1 + d1/(1 + d2/(1 + ...))) with
 * d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)), d_{2m} = m (b-m) x / ((a+2m-1)(a+2m)).
 * Converges fast for x < (a+1)/(a+b+2).
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    // Even step.
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    // Odd step.
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}

/** Regularized incomplete beta I_x(a, b), the Beta(a, b) CDF at x. */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = a * Math.log(x) + b * Math.log1p(-x) - lbeta(a, b);
  if (x < (a + 1) / (a + b + 2)) {
    return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  }
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Beta(a, b) density at x in (0, 1). */
export function betaPdf(x: number, a: number, b: number): number {
  return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lbeta(a, b));
}

/**
 * Beta(a, b) quantile: the x with I_x(a, b) = p, by Newton steps kept inside a shrinking
 * bracket [lo, hi] (a step that leaves the bracket becomes a bisection), to ~1e-14 relative.
 * `start` is the first iterate (default: the mean); a close one (a neighbouring quantile) saves
 * most of the steps.
 */
export function betaQuantile(p: number, a: number, b: number, start = a / (a + b)): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let lo = 0;
  let hi = 1;
  let x = start > 0 && start < 1 ? start : a / (a + b);
  for (let i = 0; i < 300; i++) {
    const f = betaCdf(x, a, b) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const pdf = betaPdf(x, a, b);
    let next = x - f / pdf;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * Math.max(x, 1e-300) || hi - lo <= 1e-16 * hi) return next;
    x = next;
  }
  return x;
}

/**
 * logit of the Beta(a, b) quantile at lower-tail probability p, with q = 1 - p also given (each
 * formed without cancellation): y = ln(x / (1 - x)) for the x with I_x(a, b) = p. The side of
 * x = 1/2 is found first (p against I_{1/2}(a, b), which the caller may pass as `pHalf`); below it
 * x comes from inverting the lower tail at p, above it 1 - x from inverting the upper tail,
 * I_{1-x}(b, a) = q. So the small one of x and 1 - x is always computed directly, with
 * betaQuantile's ~1e-14 relative accuracy, and the other is 1 minus it, at least 1/2 and exact to
 * an ulp. `guess` (a logit, e.g. extrapolated from neighbouring knots) starts the iteration.
 * Quantiles beyond f64's range come back as -Infinity or Infinity.
 */
export function betaLogitQuantile(p: number, q: number, a: number, b: number, pHalf = betaCdf(0.5, a, b), guess = NaN): number {
  if (p <= 0) return -Infinity;
  if (q <= 0) return Infinity;
  // sigmoid(guess) and sigmoid(-guess), each without cancellation; NaN falls back to the mean.
  const e = Math.exp(-Math.abs(guess));
  const smallEnd = e / (1 + e);
  const bigEnd = 1 / (1 + e);
  if (p <= pHalf) {
    const x = betaQuantile(p, a, b, guess < 0 ? smallEnd : bigEnd);
    return Math.log(x) - Math.log1p(-x);
  }
  const w = betaQuantile(q, b, a, guess > 0 ? smallEnd : bigEnd);
  return Math.log1p(-w) - Math.log(w);
}
