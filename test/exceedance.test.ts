/**
 * Exceedance probabilities P(metric <= x) with their binomial error, and CDF points: against the
 * closed form of a uniform input, from exact values and from histograms, on both engines; the
 * scenario's `probability_below:` field.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { simulate } from '../src/analysis/index.js';
import { InputError } from '../src/errors.js';
import { buildPlan } from '../src/plan/index.js';
import { parseScenario } from '../src/scenario/index.js';
import { testEngines } from './gpu-device.js';
import { FIXTURE_CATALOG } from './scenario-fixtures.js';

const N = 40_000;
// y = x with x ~ U[2, 6]: P(y <= t) = (t - 2) / 4; y = exp(z) with z ~ U[0, 2] exercises log bins.
const OWN = `name: uniform
seed: exceed
samples: ${N}
inputs: { x: { uniform: [2, 6] }, z: { uniform: [0, 2] } }
metrics: { y: "x", e: "exp(z)" }
probability_below: { y: [3, 5.5] }
`;
const plan = buildPlan(parseScenario(OWN, 'own.yaml', { catalog: FIXTURE_CATALOG }));

for (const [name, make] of testEngines('test/exceedance.test.ts', ['cpu2', 'gpu'])) {
  describe(`P(metric <= x) and the CDF on the ${name} engine`, async () => {
    const engine = await make();
    afterAll(async () => engine?.dispose());

    for (const quantiles of ['exact', 'hist'] as const) {
      it.skipIf(!engine)(`${quantiles}: P(y <= t) is (t - 2) / 4 within 4 binomial standard errors, which are sqrt(p (1 - p) / n)`, async () => {
        const below = { y: [3, 5.5], e: [Math.exp(0.5)] };
        const { result } = await simulate(plan, engine!, { quantiles, probabilityBelow: below, cdfPoints: 9 });
        const cell = result.cells[0]!;
        const got = [...cell.probability_below!['y']!, ...cell.probability_below!['e']!];
        const exact = [0.25, 0.875, 0.25];
        got.forEach((g, k) => {
          const se = Math.sqrt((exact[k]! * (1 - exact[k]!)) / N);
          expect(g.stderr).toBeCloseTo(se, 4);
          const binning = g.binning_error ?? 0;
          expect(Math.abs(g.p - exact[k]!)).toBeLessThan(4 * se + binning);
          if (quantiles === 'exact') expect(g.binning_error).toBeUndefined();
          else expect(binning).toBeLessThan(0.002);
        });
        // CDF points at p = k / 8: the quantiles 2 + 4p of y.
        const cdf = cell.cdf!['y']!;
        expect(cdf.p).toEqual([0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1]);
        cdf.p.slice(1, -1).forEach((p, k) => expect(Math.abs(cdf.x[k + 1]! - (2 + 4 * p))).toBeLessThan(0.05));
        // The ends are the extremes (f32 values against the engine's min and max).
        expect(cdf.x[0]).toBeCloseTo(cell.metrics['y']!.min, 5);
        expect(cdf.x[8]).toBeCloseTo(cell.metrics['y']!.max, 5);
        // Non-decreasing.
        for (let k = 1; k < 9; k++) expect(cdf.x[k]!).toBeGreaterThanOrEqual(cdf.x[k - 1]!);
      });
    }

    it.skipIf(!engine)('a threshold below every value gives 0 and above every value 1, with no error', async () => {
      const { result } = await simulate(plan, engine!, { quantiles: 'hist', probabilityBelow: { y: [1, 7] } });
      expect(result.cells[0]!.probability_below!['y']!.map((e) => [e.p, e.stderr])).toEqual([[0, 0], [1, 0]]);
    });
  });
}

describe('probability_below: in a scenario', () => {
  it('reads a number or a list per metric', () => {
    const s = parseScenario(OWN.replace('{ y: [3, 5.5] }', '{ y: [3, 5.5], e: 2 }'), 'own.yaml');
    expect(s.probabilityBelow).toEqual({ y: [3, 5.5], e: [2] });
  });

  it('refuses an unknown metric (with a did-you-mean) and thresholds that are not numbers, at their lines', () => {
    const bad = (text: string): string => {
      try {
        parseScenario(text, 'own.yaml');
      } catch (e) {
        if (e instanceof InputError) return e.message;
        throw e;
      }
      throw new Error('parsed');
    };
    expect(bad(OWN.replace('{ y: [3, 5.5] }', '{ yy: 3 }'))).toBe('own.yaml:6: probability_below.yy: unknown metric; did you mean `y`? (this scenario\'s metrics: y, e)');
    expect(bad(OWN.replace('{ y: [3, 5.5] }', '{ y: [3, "a"] }'))).toContain('own.yaml:6: probability_below.y: expected a number or a list of numbers');
    expect(bad(OWN.replace('{ y: [3, 5.5] }', '[3]'))).toContain('probability_below: expected a mapping of metric names to thresholds');
  });
});
