/**
 * Hostile metric expressions and custom sections through the CLI: each bad one exits 2 with one
 * message naming the file, the line and the field (and the column, for an expression), with no
 * stack trace and within a few seconds, from `validate` and from `run` alike; each one at the
 * limits runs, with the same numbers on both engines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testAdapter } from '../gpu-device.js';
import { caseDir, expectRefused, removeDir, root, runCli, type CliResult } from './harness.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A model of its own: the given `inputs:` entries and `metrics:` entries (name -> expression). */
function customScenario(metrics: Record<string, string>, inputs = 'x: { uniform: [0, 1] }\n  y: { uniform: [1, 2] }'): string {
  const lines = Object.entries(metrics).map(([name, text]) => `  ${name}: ${JSON.stringify(text)}`);
  return withMetrics(`metrics:\n${lines.join('\n')}\n`, inputs);
}

/** The inputs x and y, and the `metrics` section as given (from line 6). */
function withMetrics(section: string, inputs = 'x: { uniform: [0, 1] }\n  y: { uniform: [1, 2] }'): string {
  return `name: hostile expressions\nsamples: 1000\ninputs:\n  ${inputs}\n${section}`;
}

/** Writes `text` as case.yaml in a fresh folder; returns the folder. */
function scenarioCase(text: string): string {
  const dir = caseDir({ 'case.yaml': text });
  dirs.push(dir);
  return dir;
}

/** `cptsim <command...> case.yaml <flags...>` in the case's folder. */
function cli(dir: string, command: string[], flags: string[] = []): CliResult {
  return runCli([...command, 'case.yaml', ...flags], { cwd: dir, timeoutS: 60 });
}

const chain = (terms: number, op: string, name = 'x') => Array(terms).fill(name).join(op);

// [case, scenario text, what stderr must say]. The field is always named after file and line.
const REFUSED: [string, string, RegExp][] = [
  [
    'parentheses nested 1,000 deep',
    customScenario({ m: `${'('.repeat(1000)}x${')'.repeat(1000)}` }),
    /case\.yaml:\d+: metrics\.m: expression nested more than 200 levels deep at column 201 /,
  ],
  [
    'a sum of 201 terms (a tree 201 levels high)',
    customScenario({ m: chain(201, '+') }),
    /case\.yaml:\d+: metrics\.m: expression nested more than 200 levels deep at column 400 .*split the formula into metrics/,
  ],
  [
    'a sum of 10,000 terms (a stack overflow in validate once)',
    customScenario({ m: chain(10_000, '+') }),
    /case\.yaml:\d+: metrics\.m: expression is 19,999 characters long, more than the limit of 10,000 at column 10001/,
  ],
  [
    'min() of 5,000 arguments',
    customScenario({ m: `min(${chain(5000, ',')})` }),
    /case\.yaml:\d+: metrics\.m: expression is 10,004 characters long, more than the limit of 10,000/,
  ],
  ['an unknown function', customScenario({ m: 'sqr(x) + 1' }), /case\.yaml:\d+: metrics\.m: unknown function `sqr` at column 1 \(did you mean `sqrt`\?\)/],
  ['an unknown name', customScenario({ m: 'x + z' }), /case\.yaml:\d+: metrics\.m: unknown name `z` at column 5/],
  ['a call with too few arguments', customScenario({ m: 'pow(x)' }), /case\.yaml:\d+: metrics\.m: `pow` needs 2 arguments, not 1 at column 1/],
  ['a division by zero in a constant part', customScenario({ m: 'x + 1/0' }), /case\.yaml:\d+: metrics\.m: this part reads no name and its value is infinity at column 6 \(a division by zero\)/],
  ['the logarithm of zero in a constant part', customScenario({ m: 'y * log(0)' }), /case\.yaml:\d+: metrics\.m: this part reads no name and its value is minus infinity at column 5/],
  ['the square root of -1 in a constant part', customScenario({ m: 'max(x, sqrt(-1))' }), /case\.yaml:\d+: metrics\.m: this part reads no name and its value is not a number \(NaN\) at column 8/],
  ['a constant part beyond f32', customScenario({ m: 'x + 1e30 * 1e30' }), /case\.yaml:\d+: metrics\.m: this part reads no name and its value is 1e\+60, beyond the f32 range/],
  ['a literal beyond f32', customScenario({ m: 'x + 1e39' }), /case\.yaml:\d+: metrics\.m: number `1e39` is beyond the f32 range .* at column 5/],
  ['JavaScript in an expression', customScenario({ m: 'x); process.exit(0); (x' }), /case\.yaml:\d+: metrics\.m: unexpected character `;` at column 3/],
  ['a right-to-left override character', customScenario({ m: 'x \u202e+ 1' }), /case\.yaml:\d+: metrics\.m: unexpected character `\u202e` at column 3/],
  ['metrics that use each other in a cycle', customScenario({ a: 'b + x', b: 'a * 2' }), /case\.yaml:\d+: metrics\.(a|b): metrics use each other in a cycle/],
  ['`__proto__` as a metric name', customScenario({ ['__proto__']: 'x * 2', m: '__proto__ + 1' }), /case\.yaml:7: metrics\.__proto__: `__proto__` is reserved/],
  ['`__proto__` as an input name', customScenario({ m: '__proto__ * 2' }, '__proto__: { uniform: [0, 1] }'), /case\.yaml:4: inputs\.__proto__: `__proto__` is reserved/],
  ['`toString` as a metric name', customScenario({ toString: 'x * 2' }), /case\.yaml:\d+: metrics\.toString: `toString` is not a usable metric name/],
  ['an expression that is a list', withMetrics('metrics:\n  m: [1, 2]\n'), /case\.yaml:\d+: metrics\.m: expected an expression as a string/],
  ['an empty metrics section beside inputs', withMetrics('metrics: {}\n'), /case\.yaml:6: metrics: expected at least one metric/],
  [
    'an empty metrics section beside the cost model',
    `${readFileSync(join(root, 'scenarios', 'h100-llama70b-fp8-owned.yaml'), 'utf8')}\nmetrics: {}\n`,
    /case\.yaml:\d+: metrics: expected at least one metric/,
  ],
];

describe('hostile expressions: refused with exit 2, the field and the column, no stack trace, no hang', () => {
  it.each(REFUSED)('%s: validate', (_, text, message) => {
    const dir = scenarioCase(text);
    const r = cli(dir, ['validate']);
    expectRefused(r, { message, maxSeconds: 5, dir, before: ['case.yaml'] });
    expect(r.stderr.match(/^cptsim: /gm)).toHaveLength(1);
  });

  // `--backend auto` takes the GPU engine where there is an adapter: nothing reaches a compiler.
  it.each(REFUSED)('%s: run', (_, text, message) => {
    const dir = scenarioCase(text);
    expectRefused(cli(dir, ['run'], ['--samples', '1000']), { message, maxSeconds: 8, dir, before: ['case.yaml'] });
  });

  it('quotes a megabyte-long expression as the stretch around the column, within a second', () => {
    const dir = scenarioCase(customScenario({ m: chain(500_000, '+') }));
    const r = cli(dir, ['validate']);
    expectRefused(r, { message: /metrics\.m: expression is 999,999 characters long/, maxSeconds: 5, dir, before: ['case.yaml'] });
    expect(r.stderr.length).toBeLessThan(600);
  });
});

// At the limits: 200 levels high, and 9,986 characters. Both once failed on the GPU engine
// ("maximum parser recursive depth reached", exit 1) after validate had accepted them.
const AT_LIMITS: [string, Record<string, string>, number][] = [
  // A sum of 200 positive terms in f32 is within 200 roundings of 2^-24 (relative) of the f64 sum.
  ['a sum of 200 terms', { m: chain(200, ' + ') }, 201 * 2 ** -24],
  // min only selects, and the inputs are exact in f32: the engines agree exactly.
  ['min() of 4,990 arguments', { m: `min(${chain(4989, ',')},y)` }, 0],
  ['`constructor` as an input and a metric name', { constructor: 'x * 2', m: 'constructor + x' }, 2 ** -23],
];

interface Summary {
  mean: number;
  p50: number;
  min: number;
  max: number;
}

function metricsOf(r: CliResult): Record<string, Summary> {
  expect(r.code, r.stderr.slice(0, 400)).toBe(0);
  return JSON.parse(r.stdout).cells[0].metrics;
}

describe('expressions at the limits run on both engines', () => {
  it.each(AT_LIMITS)('%s: the CPU engine', (_, metrics) => {
    const dir = scenarioCase(customScenario(metrics));
    expect(cli(dir, ['validate']).code).toBe(0);
    const r = cli(dir, ['run'], ['--backend', 'cpu', '--format', 'json']);
    const got = metricsOf(r);
    expect(Object.keys(got)).toEqual(Object.keys(metrics));
    // Each of these is at least x over x in [0, 1], and at most 200 of them.
    for (const s of Object.values(got)) expect(s.min > 0 && s.max <= 200 && s.min <= s.p50 && s.p50 <= s.max).toBe(true);
    // The process ends promptly too: V8 once took seconds at exit over a call of 4,990 arguments.
    expect(r.elapsedS).toBeLessThan(5);
  });

  it.for(AT_LIMITS)('%s: the GPU engine, as the CPU engine', async ([, metrics, relTol], ctx) => {
    if (!(await testAdapter('hostile/expr'))) return ctx.skip();
    const dir = scenarioCase(customScenario(metrics));
    const cpu = metricsOf(cli(dir, ['run'], ['--backend', 'cpu', '--format', 'json']));
    const gpu = metricsOf(cli(dir, ['run'], ['--backend', 'gpu', '--format', 'json']));
    expect(Object.keys(gpu)).toEqual(Object.keys(cpu));
    for (const [name, c] of Object.entries(cpu)) {
      const g = gpu[name]!;
      for (const stat of ['p50', 'min', 'max'] as const) {
        expect(Math.abs(g[stat] - c[stat]), `${name}.${stat}: gpu ${g[stat]}, cpu ${c[stat]}`).toBeLessThanOrEqual(relTol * Math.abs(c[stat]));
      }
    }
  });
});
