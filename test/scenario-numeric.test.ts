/**
 * Numeric fields: every spelling of a distribution resolves to the plan's Dist, sweeps expand to
 * their values, and the physical ranges are checked over a value's whole support.
 */

import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { normCdf } from '../src/sampling/index.js';
import type { Scenario } from '../src/scenario/index.js';
import { Z95, parseScenario } from '../src/scenario/index.js';
import { closest, editDistance } from '../src/suggest.js';

/** A measured-mode cloud scenario: the smallest valid file, with one field left to the test. */
function withField(field: string, value: string): string {
  const fields: Record<string, string> = {
    cloud_usd_per_gpu_hour: '2.5',
    utilization: '0.5',
    output_tokens_per_s_per_gpu: '1000',
  };
  fields[field] = value;
  return [
    'name: numeric field test',
    'accelerator: { it_power_kw_per_gpu: 1.2 }',
    'workload: { input_tokens: 1000, output_tokens: 100 }',
    `serving: { utilization: ${fields['utilization']} }`,
    `throughput: { mode: measured, output_tokens_per_s_per_gpu: ${fields['output_tokens_per_s_per_gpu']} }`,
    `costs: { pricing: cloud, cloud_usd_per_gpu_hour: ${fields['cloud_usd_per_gpu_hour']} }`,
  ].join('\n');
}

function parse(field: string, value: string): Scenario {
  return parseScenario(withField(field, value), 'field.yaml');
}

function specOf(value: string, field = 'cloud_usd_per_gpu_hour') {
  const s = parse(field, value);
  const slot = field === 'output_tokens_per_s_per_gpu' ? 'measured_output_tokens_per_s_per_gpu' : field;
  return s.inputs[slot as keyof Scenario['inputs']]!.value.spec;
}

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('distribution forms resolve to the Dist of src/sampling/dist.ts', () => {
  it('a plain number is a constant', () => {
    expect(specOf('2.75')).toEqual({ kind: 'dist', dist: { kind: 'const', value: 2.75 } });
  });
  it('uniform [a, b] keeps its bounds', () => {
    expect(specOf('{ uniform: [2, 3] }')).toEqual({ kind: 'dist', dist: { kind: 'uniform', min: 2, max: 3 } });
  });
  it('normal {mean, sd} is unbounded unless truncated, and keeps min/max when given', () => {
    // An unbounded normal is only allowed where the field has no bounds; none here has, so the
    // truncated form is tested and the unbounded one is tested as an error below.
    expect(specOf('{ normal: { mean: 3, sd: 0.5, min: 1, max: 5 } }')).toEqual({
      kind: 'dist',
      dist: { kind: 'normal', mean: 3, sd: 0.5, min: 1, max: 5 },
    });
  });
  it('lognormal {median, gsd} is mu = ln median, sigma = ln gsd', () => {
    expect(specOf('{ lognormal: { median: 3, gsd: 1.5 } }')).toEqual({
      kind: 'dist',
      dist: { kind: 'lognormal', mu: Math.log(3), sigma: Math.log(1.5) },
    });
  });
  it('triangular and pert keep [min, mode, max]', () => {
    expect(specOf('{ triangular: [1, 2, 4] }')).toEqual({ kind: 'dist', dist: { kind: 'triangular', min: 1, mode: 2, max: 4 } });
    expect(specOf('{ pert: [1, 2, 4] }')).toEqual({ kind: 'dist', dist: { kind: 'pert', min: 1, mode: 2, max: 4 } });
  });
  it('beta {alpha, beta, min, max} keeps its four parameters', () => {
    expect(specOf('{ beta: { alpha: 2, beta: 5, min: 1, max: 4 } }')).toEqual({
      kind: 'dist',
      dist: { kind: 'beta', alpha: 2, beta: 5, min: 1, max: 4 },
    });
  });
  it('discrete {values, weights} keeps both lists, and equal weights when they are left out', () => {
    expect(specOf('{ discrete: { values: [2, 3], weights: [1, 3] } }')).toEqual({
      kind: 'dist',
      dist: { kind: 'discrete', values: [2, 3], weights: [1, 3] },
    });
    expect(specOf('{ discrete: { values: [2, 3, 4] } }')).toEqual({
      kind: 'dist',
      dist: { kind: 'discrete', values: [2, 3, 4], weights: [1, 1, 1] },
    });
  });
});

describe('lognormal {p5, p95} and the shorthand "a to b" put a and b at the 5th and 95th percentiles', () => {
  it('Z95 is the standard normal 0.95 quantile', () => {
    // normCdf is accurate to a few 1e-14 here (erfc's series loses at most ~8 bits near 1.16).
    expect(Math.abs(normCdf(Z95) - 0.95)).toBeLessThan(1e-13);
  });
  for (const [lo, hi] of [[0.05, 0.15], [2, 3], [1e-3, 1e4]] as const) {
    it(`"${lo} to ${hi}" has exp(mu -/+ Z95 sigma) = ${lo} / ${hi}`, () => {
      const spec = specOf(`"${lo} to ${hi}"`);
      const spec2 = specOf(`{ lognormal: { p5: ${lo}, p95: ${hi} } }`);
      expect(spec2).toEqual(spec);
      if (spec.kind !== 'dist' || spec.dist.kind !== 'lognormal') throw new Error('expected a lognormal');
      const { mu, sigma } = spec.dist;
      // mu and sigma each carry a few ulps of log's rounding; exp turns an absolute exponent
      // error of ~|ln x| * 4 eps into that relative error (|ln x| < 10 here): well under 1e-13.
      expect(Math.exp(mu - Z95 * sigma) / lo - 1).toBeCloseTo(0, 13);
      expect(Math.exp(mu + Z95 * sigma) / hi - 1).toBeCloseTo(0, 13);
    });
  }
});

describe('sweeps', () => {
  it('{sweep: [..]} keeps the values in file order', () => {
    expect(specOf('{ sweep: [3, 1, 2] }')).toEqual({ kind: 'sweep', values: [3, 1, 2] });
  });
  it('{sweep: {from, to, steps}} is linear with both ends included', () => {
    const spec = specOf('{ sweep: { from: 1, to: 3, steps: 5 } }');
    expect(spec).toEqual({ kind: 'sweep', values: [1, 1.5, 2, 2.5, 3] });
  });
  it('scale: log spaces the values evenly in log, ends exact', () => {
    const spec = specOf('{ sweep: { from: 1, to: 1000, steps: 4, scale: log } }');
    if (spec.kind !== 'sweep') throw new Error('expected a sweep');
    expect(spec.values[0]).toBe(1);
    expect(spec.values[3]).toBe(1000);
    // exp(k ln 10): relative error of a few ulps.
    expect(spec.values[1]! / 10 - 1).toBeCloseTo(0, 13);
    expect(spec.values[2]! / 100 - 1).toBeCloseTo(0, 13);
  });
  it('fewer than 2 steps is an error naming the field', () => {
    const e = errorOf(() => parse('cloud_usd_per_gpu_hour', '{ sweep: { from: 1, to: 3, steps: 1 } }'));
    expect(e.message).toContain('costs.cloud_usd_per_gpu_hour.sweep.steps');
  });
});

describe('malformed distributions are errors with the path of the bad part', () => {
  const cases: [string, string, string][] = [
    ['{ uniform: [3, 2] }', 'costs.cloud_usd_per_gpu_hour.uniform', 'min < max'],
    ['{ uniform: [2, 2] }', 'costs.cloud_usd_per_gpu_hour.uniform', 'min < max'],
    ['{ triangular: [1, 5, 4] }', 'costs.cloud_usd_per_gpu_hour.triangular', 'mode 5 is outside'],
    ['{ normal: { mean: 3, sd: 0, min: 1, max: 5 } }', 'costs.cloud_usd_per_gpu_hour.normal.sd', '> 0'],
    ['{ lognormal: { p5: 3, p95: 2 } }', 'costs.cloud_usd_per_gpu_hour.lognormal', 'below the 95th'],
    ['{ lognormal: { p5: 0, p95: 2 } }', 'costs.cloud_usd_per_gpu_hour.lognormal', '> 0'],
    ['"0 to 2"', 'costs.cloud_usd_per_gpu_hour', '> 0'],
    ['{ lognormal: { median: 2, gsd: 1 } }', 'costs.cloud_usd_per_gpu_hour.lognormal.gsd', '> 1'],
    ['{ discrete: { values: [1, 2], weights: [1] } }', 'costs.cloud_usd_per_gpu_hour.discrete.weights', 'expected 2 weights'],
    ['{ discrete: { values: [1, 2], weights: [0, 0] } }', 'costs.cloud_usd_per_gpu_hour.discrete.weights', 'positive sum'],
    ['{ discrete: { values: [1, 2], weights: [-1, 2] } }', 'costs.cloud_usd_per_gpu_hour.discrete.weights[0]', '>= 0'],
    ['{ beta: { alpha: 0, beta: 1, min: 0, max: 1 } }', 'costs.cloud_usd_per_gpu_hour.beta.alpha', '> 0'],
    ['{ uniform: [1, 2], pert: [1, 2, 3] }', 'costs.cloud_usd_per_gpu_hour', 'exactly one key'],
    ['{ unifrom: [1, 2] }', 'costs.cloud_usd_per_gpu_hour', 'did you mean `uniform`?'],
    ['{ normal: { mean: 3, sdev: 1 } }', 'costs.cloud_usd_per_gpu_hour.normal.sdev', 'did you mean `sd`?'],
    ['abc', 'costs.cloud_usd_per_gpu_hour', 'expected a number, a distribution or a sweep, got "abc"'],
    ['[1, 2]', 'costs.cloud_usd_per_gpu_hour', 'expected a number, a distribution or a sweep'],
    ['.inf', 'costs.cloud_usd_per_gpu_hour', 'expected a finite number'],
  ];
  for (const [value, path, fragment] of cases) {
    it(`${value} -> ${path}: ...${fragment}...`, () => {
      const e = errorOf(() => parse('cloud_usd_per_gpu_hour', value));
      expect(e.message).toContain('field.yaml:6: ');
      expect(e.message).toContain(`${path}: `);
      expect(e.message).toContain(fragment);
    });
  }
});

describe('physical ranges are checked over the whole support, never clamped', () => {
  const cases: [string, string, string, string][] = [
    ['utilization', '1.2', 'serving.utilization', 'expected a number in (0, 1], got 1.2'],
    ['utilization', '0', 'serving.utilization', 'expected a number in (0, 1], got 0'],
    ['utilization', '{ uniform: [0.5, 1.2] }', 'serving.utilization.uniform', 'the upper bound 1.2 is above the largest allowed value 1'],
    ['utilization', '{ pert: [0, 0.5, 0.9] }', 'serving.utilization.pert', 'the lower bound 0 must be above 0'],
    ['utilization', '{ normal: { mean: 0.6, sd: 0.1 } }', 'serving.utilization.normal', 'a normal is unbounded: give min/max'],
    ['utilization', '{ normal: { mean: 0.6, sd: 0.1, min: 0.2 } }', 'serving.utilization.normal', 'a normal is unbounded'],
    ['utilization', '"0.3 to 0.8"', 'serving.utilization', 'a lognormal is unbounded above'],
    ['utilization', '{ discrete: { values: [0.5, 1.5] } }', 'serving.utilization.discrete.values[1]', 'expected a number in (0, 1], got 1.5'],
    ['utilization', '{ sweep: [0.5, 1.5] }', 'serving.utilization.sweep[1]', 'expected a number in (0, 1], got 1.5'],
    ['cloud_usd_per_gpu_hour', '-1', 'costs.cloud_usd_per_gpu_hour', 'expected a number >= 0, got -1'],
    ['cloud_usd_per_gpu_hour', '{ triangular: [-1, 2, 3] }', 'costs.cloud_usd_per_gpu_hour.triangular', 'the lower bound -1 is below the smallest allowed value 0'],
    ['output_tokens_per_s_per_gpu', '0', 'throughput.output_tokens_per_s_per_gpu', 'expected a number > 0, got 0'],
  ];
  for (const [field, value, path, fragment] of cases) {
    it(`${path} = ${value} is rejected: ${fragment}`, () => {
      const e = errorOf(() => parse(field, value));
      expect(e.message).toContain(`${path}: ${fragment}`);
    });
  }
  it('values inside the range pass, including bounded normals and the closed end of a range', () => {
    expect(() => parse('utilization', '{ normal: { mean: 0.6, sd: 0.1, min: 0.2, max: 1 } }')).not.toThrow();
    expect(() => parse('utilization', '1')).not.toThrow();
    expect(() => parse('cloud_usd_per_gpu_hour', '0')).not.toThrow();
    // A lognormal draws (0, inf): allowed where the field only needs > 0.
    expect(() => parse('output_tokens_per_s_per_gpu', '"800 to 1200"')).not.toThrow();
  });
});

describe('did you mean', () => {
  it('counts a swap of neighbouring letters as one edit', () => {
    expect(editDistance('unifrom', 'uniform')).toBe(1);
    expect(editDistance('batch_sise', 'batch_size')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
  it('suggests the nearest candidate only when it is close', () => {
    expect(closest('lif_years', ['life_years', 'pue'])).toBe('life_years');
    expect(closest('colour', ['pue', 'life_years'])).toBeUndefined();
    expect(closest('util', ['utilization', 'pue'])).toBe('utilization');
  });
});
