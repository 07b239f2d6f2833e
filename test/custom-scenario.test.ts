/**
 * Scenario files with their own inputs and metric expressions: what loads, what the plan holds,
 * and every mistake reported with its field, its line and (for expressions) its column.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { ExprError } from '../src/expr/index.js';
import { INTERMEDIATES, METRICS, SLOT_COUNT, metricsFor } from '../src/model/index.js';
import { buildPlan } from '../src/plan/index.js';
import { streamId } from '../src/sampling/index.js';
import { loadCatalog, parseScenario } from '../src/scenario/index.js';
import { packageRoot } from '../src/paths.js';

const catalog = loadCatalog();
const parse = (text: string) => parseScenario(text, 's.yaml', { catalog });

/** The error a parse throws (fails the test when it does not throw). */
function parseError(text: string): InputError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected the scenario to be rejected');
}

const CUSTOM_MODEL = `name: own model
samples: 1024
inputs:
  x1: { uniform: [0, 1] }
  x2: { sweep: [1, 2, 3] }
metrics:
  y: "x1 + 2*x2"
  z: "y * y"
`;

/** The measured-mode cloud scenario of the tests, with extra top-level text appended. */
const MEASURED = `name: measured
samples: 4096
throughput: { mode: measured, output_tokens_per_s_per_gpu: 1000 }
workload: { input_tokens: 1000, output_tokens: 250 }
serving: { utilization: { uniform: [0.4, 0.9] } }
accelerator: { it_power_kw_per_gpu: 1 }
costs: { pricing: cloud, cloud_usd_per_gpu_hour: 2 }
`;

describe('a model of the user own (inputs and metrics only)', () => {
  it('loads without a costs section, and its plan has the custom metrics only, in file order', () => {
    const s = parse(CUSTOM_MODEL);
    expect(s.costModel).toBe(false);
    expect(s.inputs).toEqual({});
    const plan = buildPlan(s);
    expect(plan.metrics).toEqual(['y', 'z']);
    expect(plan.custom).toEqual({
      inputs: ['x1', 'x2'],
      metrics: [
        { name: 'y', expr: 'x1 + 2*x2' },
        { name: 'z', expr: 'y * y' },
      ],
      costModel: false,
    });
  });

  it('puts custom input k at slot SLOT_COUNT + k, on the stream of inputs.<name>, and sweeps it', () => {
    const plan = buildPlan(parse(CUSTOM_MODEL));
    expect(plan.inputs).toHaveLength(SLOT_COUNT + 2);
    plan.inputs.forEach((inp, i) => expect(inp.slot).toBe(i));
    const x1 = plan.inputs[SLOT_COUNT]!;
    expect(x1.path).toBe('inputs.x1');
    expect(x1.streamId).toBe(streamId('inputs.x1'));
    expect(x1.dist).toEqual({ kind: 'uniform', min: 0, max: 1 });
    expect(plan.axes).toEqual([{ path: 'inputs.x2', slot: SLOT_COUNT + 1, values: [1, 2, 3] }]);
  });

  it('orders metrics for evaluation after the metrics they read, but reports them in file order', () => {
    const plan = buildPlan(parse(CUSTOM_MODEL.replace('y: "x1 + 2*x2"\n  z: "y * y"', 'z: "y * y"\n  y: "x1 + 2*x2"')));
    expect(plan.metrics).toEqual(['z', 'y']);
    expect(plan.custom!.metrics.map((m) => m.name)).toEqual(['y', 'z']);
  });

  it('requires a metrics section when there are inputs and no model', () => {
    const e = parseError('name: x\ninputs:\n  a: 1\n');
    expect(e.issues.map((i) => i.path)).toContain('metrics');
  });
});

describe('custom metrics on top of the cost model', () => {
  it('reports the built-in metrics first, then the custom ones', () => {
    const s = parse(`${MEASURED}inputs:\n  price_per_mtok: 1.5\nmetrics:\n  margin: "price_per_mtok - cost_per_mtok_output"\n`);
    expect(s.costModel).toBe(true);
    const plan = buildPlan(s);
    expect(plan.metrics).toEqual([...metricsFor(s.config), 'margin']);
    expect(plan.custom!.costModel).toBe(true);
  });

  it('lets an expression read model inputs by slot name and the intermediates of the configuration', () => {
    const s = parse(`${MEASURED}metrics:\n  cost_per_kw: "cost_usd_per_gpu_hour / it_power_kw_per_gpu + opex_usd_per_gpu_hour * utilization"\n`);
    expect(s.custom.metrics.map((m) => m.name)).toEqual(['cost_per_kw']);
  });

  it('does not know roofline intermediates in measured mode', () => {
    const e = parseError(`${MEASURED}metrics:\n  w: "weight_bytes / 1e9"\n`);
    expect(e).toBeInstanceOf(ExprError);
    expect((e as ExprError).column).toBe(1);
  });

  it('leaves a plan without custom sections exactly as before: no custom part, built-in metrics', () => {
    const plan = buildPlan(parse(MEASURED));
    expect(plan.custom).toBeUndefined();
    expect(plan.inputs).toHaveLength(SLOT_COUNT);
    expect(plan.sampling).toBe('random');
  });
});

describe('mistakes in custom inputs and metrics', () => {
  it('an unknown name: ExprError at the column, with a did-you-mean, the file and the field line', () => {
    const text = `${MEASURED}inputs:\n  price_per_mtok: 1.5\nmetrics:\n  margin: "price_per_mtok - cost_per_mtok_outptu"\n`;
    const e = parseError(text);
    expect(e).toBeInstanceOf(ExprError);
    const x = e as ExprError;
    expect(x.column).toBe('price_per_mtok - '.length + 1);
    expect(x.hint).toContain('cost_per_mtok_output');
    const line = text.split('\n').findIndex((l) => l.startsWith('  margin:')) + 1;
    expect(x.issues[0]!.line).toBe(line);
    expect(x.message.startsWith(`s.yaml:${line}: metrics.margin: unknown name \`cost_per_mtok_outptu\` at column 18`)).toBe(true);
    // The caret line points at the column.
    expect(x.message.split('\n').at(-1)).toBe(`  ${' '.repeat(17)}^`);
  });

  it('a custom name that clashes with a built-in metric, an intermediate, a model input or a function', () => {
    const cases = [
      [`metrics:\n  ${METRICS[0]}: "1"\n`, `metrics.${METRICS[0]}`],
      [`metrics:\n  ${INTERMEDIATES[0]}: "1"\n`, `metrics.${INTERMEDIATES[0]}`],
      ['inputs:\n  pue: 1\nmetrics:\n  m: "1"\n', 'inputs.pue'],
      ['inputs:\n  log: 1\nmetrics:\n  m: "1"\n', 'inputs.log'],
    ] as const;
    for (const [text, path] of cases) {
      const e = parseError(`${MEASURED}${text}`);
      expect(e.issues.some((i) => i.path === path && i.line !== undefined && i.message.includes('pick another name')), path).toBe(true);
    }
  });

  it('an input and a metric of the same name', () => {
    const e = parseError('name: x\ninputs:\n  a: 1\nmetrics:\n  a: "2"\n');
    expect(e.issues).toEqual([expect.objectContaining({ path: 'metrics.a', line: 5 })]);
  });

  it('a cycle between metrics, reported at the reference that closes it', () => {
    const e = parseError('name: x\ninputs:\n  a: 1\nmetrics:\n  p: "q + a"\n  q: "2 * p"\n');
    expect(e).toBeInstanceOf(ExprError);
    // p is visited first and reads q; q's `p` closes the loop: line 6, column 5.
    expect(e.message).toContain('s.yaml:6: metrics.q: metrics use each other in a cycle: q -> p -> q at column 5');
  });

  it('a name that is not an identifier of the expression language', () => {
    const e = parseError('name: x\ninputs:\n  2x: 1\n  Big: 2\nmetrics:\n  my-metric: "1"\n');
    expect(e.issues.map((i) => [i.path, i.line])).toEqual([
      ['inputs.2x', 3],
      ['inputs.Big', 4],
      ['metrics.my-metric', 6],
    ]);
  });

  it('an expression that is not a string', () => {
    const e = parseError('name: x\ninputs:\n  a: 1\nmetrics:\n  m: [1, 2]\n  n: 3\n');
    expect(e.issues.map((i) => i.path)).toEqual(['metrics.m', 'metrics.n']);
    expect(e.issues[0]!.message).toContain('expected an expression as a string');
  });

  it('a bad distribution of a custom input, with the numeric field path', () => {
    const e = parseError('name: x\ninputs:\n  a: { uniform: [2, 1] }\nmetrics:\n  m: "a"\n');
    expect(e.issues).toEqual([expect.objectContaining({ path: 'inputs.a.uniform', line: 3 })]);
  });
});

describe('sampling:', () => {
  it('is stored on the plan, random by default', () => {
    expect(buildPlan(parse(`${CUSTOM_MODEL}sampling: lhs\n`)).sampling).toBe('lhs');
    expect(buildPlan(parse(CUSTOM_MODEL)).sampling).toBe('random');
  });

  it('sobol needs a power-of-two sample count, in the file and from an override', () => {
    const e = parseError(CUSTOM_MODEL.replace('samples: 1024', 'samples: 1000') + 'sampling: sobol\n');
    expect(e.issues).toEqual([expect.objectContaining({ path: 'samples', line: 2 })]);
    expect(e.issues[0]!.message).toContain('power-of-two');
    const s = parse(`${CUSTOM_MODEL}sampling: sobol\n`);
    expect(() => buildPlan(s, { samples: 3000 })).toThrow(/power-of-two/);
    expect(buildPlan(s, { samples: 4096 }).samples).toBe(4096);
  });

  it('rejects an unknown scheme with a did-you-mean', () => {
    const e = parseError(`${CUSTOM_MODEL}sampling: sobel\n`);
    expect(e.issues[0]!.message).toContain('did you mean `sobol`');
  });
});

describe('the example scenarios', () => {
  it.each(['custom-margin.yaml', 'custom-sobol-g.yaml'])('%s loads and plans', (file) => {
    const path = join(packageRoot(), 'scenarios', file);
    const plan = buildPlan(parseScenario(readFileSync(path, 'utf8'), path, { catalog }));
    expect(plan.custom!.metrics.length).toBeGreaterThan(0);
  });
});
