/**
 * Numeric fields: a plain number, a distribution in any of its spellings, or a sweep, resolved
 * to the plan's Dist (src/sampling/dist.ts) or a list of sweep values.
 */

import type { Dist } from '../sampling/index.js';
import type { SourceNode } from './source.js';
import { describeNode } from './source.js';
import type { Issues } from './issues.js';
import { closest, didYouMean } from '../suggest.js';

/** A field's value before sampling: one distribution, or the values of a sweep axis. */
export type NumericSpec = { kind: 'dist'; dist: Dist } | { kind: 'sweep'; values: number[] };

export interface NumericValue {
  spec: NumericSpec;
  /** Where the value's own keys live, for messages about its bounds: `serving.utilization.uniform`. */
  where: string;
  line: number | undefined;
}

/** The standard normal's 0.95 quantile, Phi^-1(0.95): p5 and p95 sit this many sigmas from mu. */
export const Z95 = 1.6448536269514722;

export const DIST_KINDS = ['uniform', 'normal', 'lognormal', 'triangular', 'pert', 'beta', 'discrete'] as const;
const VALUE_KEYS = [...DIST_KINDS, 'sweep'] as const;

/** Steps allowed in `{sweep: {from, to, steps}}`: enough for any chart, small enough to stay a sweep. */
export const MAX_SWEEP_STEPS = 10_000;

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
const SHORTHAND = new RegExp(`^\\s*(${NUMBER})\\s+to\\s+(${NUMBER})\\s*$`);

const WRONG_TYPE = 'expected a number, a distribution or a sweep';

/** A lognormal whose 5th and 95th percentiles are p5 and p95. */
export function lognormalFromP5P95(p5: number, p95: number): Dist {
  return { kind: 'lognormal', mu: (Math.log(p5) + Math.log(p95)) / 2, sigma: (Math.log(p95) - Math.log(p5)) / (2 * Z95) };
}

function lineOf(node: SourceNode): number | undefined {
  return node.line;
}

/** A finite number, or an issue and undefined. */
function readNumber(node: SourceNode | undefined, path: string, issues: Issues, parentLine?: number): number | undefined {
  if (node === undefined) {
    issues.add(path, 'is missing', parentLine);
    return undefined;
  }
  if (node.kind === 'scalar' && typeof node.value === 'number') {
    if (Number.isFinite(node.value)) return node.value;
    issues.add(path, `expected a finite number, got ${describeNode(node)}`, node.line);
    return undefined;
  }
  issues.add(path, `expected a number, got ${describeNode(node)}`, lineOf(node));
  return undefined;
}

/** A list of exactly `names.length` numbers, e.g. `[min, mode, max]`. */
function readTuple(node: SourceNode, path: string, names: string[], issues: Issues): number[] | undefined {
  if (node.kind !== 'seq' || node.items.length !== names.length) {
    issues.add(path, `expected a list [${names.join(', ')}], got ${describeNode(node)}${node.kind === 'seq' ? ` of ${node.items.length}` : ''}`, node.line);
    return undefined;
  }
  const values = node.items.map((it, i) => readNumber(it, `${path}[${i}]`, issues));
  return values.every((v) => v !== undefined) ? (values as number[]) : undefined;
}

/** A mapping with the given required and optional keys; unknown keys are issues. */
function readRecord(
  node: SourceNode,
  path: string,
  required: string[],
  optional: string[],
  issues: Issues,
): Record<string, SourceNode> | undefined {
  if (node.kind !== 'map') {
    issues.add(path, `expected a mapping {${[...required, ...optional.map((k) => `${k}?`)].join(', ')}}, got ${describeNode(node)}`, node.line);
    return undefined;
  }
  const known = [...required, ...optional];
  // No prototype: a key is present only when the file wrote it.
  const out: Record<string, SourceNode> = Object.create(null) as Record<string, SourceNode>;
  const meant = new Set<string>();
  let ok = true;
  for (const e of node.entries) {
    if (!known.includes(e.key)) {
      issues.add(`${path}.${e.key}`, `unknown key${didYouMean(e.key, known)} (expected ${known.join(', ')})`, e.line);
      const c = closest(e.key, known);
      if (c !== undefined) meant.add(c);
      ok = false;
    } else out[e.key] = e.value;
  }
  for (const k of required) {
    // A misspelt key is reported once, not also as missing.
    if (!Object.hasOwn(out, k) && !meant.has(k)) {
      issues.add(`${path}.${k}`, 'is missing', node.line);
      ok = false;
    }
  }
  return ok ? out : undefined;
}

function checkOrdered(path: string, lo: number, hi: number, issues: Issues, line: number | undefined, what = 'bounds'): boolean {
  if (lo < hi) return true;
  issues.add(path, `the ${what} must be increasing (min < max), got ${lo} and ${hi}`, line);
  return false;
}

function parseDist(kind: string, node: SourceNode, path: string, issues: Issues): Dist | undefined {
  const before = issues.count;
  switch (kind) {
    case 'uniform': {
      const t = readTuple(node, path, ['min', 'max'], issues);
      if (!t) return undefined;
      const [min, max] = t as [number, number];
      return checkOrdered(path, min, max, issues, node.line) ? { kind: 'uniform', min, max } : undefined;
    }
    case 'triangular':
    case 'pert': {
      const t = readTuple(node, path, ['min', 'mode', 'max'], issues);
      if (!t) return undefined;
      const [min, mode, max] = t as [number, number, number];
      if (!checkOrdered(path, min, max, issues, node.line)) return undefined;
      if (mode < min || mode > max) {
        issues.add(path, `the mode ${mode} is outside [${min}, ${max}] (need min <= mode <= max)`, node.line);
        return undefined;
      }
      return { kind, min, mode, max };
    }
    case 'normal': {
      const r = readRecord(node, path, ['mean', 'sd'], ['min', 'max'], issues);
      if (!r) return undefined;
      const mean = readNumber(r['mean'], `${path}.mean`, issues);
      const sd = readNumber(r['sd'], `${path}.sd`, issues);
      const min = r['min'] ? readNumber(r['min'], `${path}.min`, issues) : -Infinity;
      const max = r['max'] ? readNumber(r['max'], `${path}.max`, issues) : Infinity;
      if (issues.count > before || mean === undefined || sd === undefined || min === undefined || max === undefined) return undefined;
      if (!(sd > 0)) {
        issues.add(`${path}.sd`, `expected a number > 0, got ${sd}`, r['sd']?.line);
        return undefined;
      }
      if (!checkOrdered(path, min, max, issues, node.line, 'truncation bounds')) return undefined;
      return { kind: 'normal', mean, sd, min, max };
    }
    case 'lognormal': {
      if (node.kind === 'map' && node.entries.some((e) => e.key === 'median' || e.key === 'gsd')) {
        const r = readRecord(node, path, ['median', 'gsd'], [], issues);
        if (!r) return undefined;
        const median = readNumber(r['median'], `${path}.median`, issues);
        const gsd = readNumber(r['gsd'], `${path}.gsd`, issues);
        if (median === undefined || gsd === undefined) return undefined;
        if (!(median > 0)) issues.add(`${path}.median`, `expected a number > 0, got ${median}`, r['median']?.line);
        // gsd is the geometric standard deviation exp(sigma): 1 would be no spread at all.
        if (!(gsd > 1)) issues.add(`${path}.gsd`, `expected a number > 1 (the geometric standard deviation), got ${gsd}`, r['gsd']?.line);
        if (issues.count > before) return undefined;
        return { kind: 'lognormal', mu: Math.log(median), sigma: Math.log(gsd) };
      }
      const r = readRecord(node, path, ['p5', 'p95'], [], issues);
      if (!r) return undefined;
      const p5 = readNumber(r['p5'], `${path}.p5`, issues);
      const p95 = readNumber(r['p95'], `${path}.p95`, issues);
      if (p5 === undefined || p95 === undefined) return undefined;
      return checkPercentiles(path, p5, p95, issues, node.line) ? lognormalFromP5P95(p5, p95) : undefined;
    }
    case 'beta': {
      const r = readRecord(node, path, ['alpha', 'beta', 'min', 'max'], [], issues);
      if (!r) return undefined;
      const alpha = readNumber(r['alpha'], `${path}.alpha`, issues);
      const beta = readNumber(r['beta'], `${path}.beta`, issues);
      const min = readNumber(r['min'], `${path}.min`, issues);
      const max = readNumber(r['max'], `${path}.max`, issues);
      if (alpha === undefined || beta === undefined || min === undefined || max === undefined) return undefined;
      if (!(alpha > 0)) issues.add(`${path}.alpha`, `expected a number > 0, got ${alpha}`, r['alpha']?.line);
      if (!(beta > 0)) issues.add(`${path}.beta`, `expected a number > 0, got ${beta}`, r['beta']?.line);
      checkOrdered(path, min, max, issues, node.line);
      return issues.count > before ? undefined : { kind: 'beta', alpha, beta, min, max };
    }
    case 'discrete': {
      const r = readRecord(node, path, ['values'], ['weights'], issues);
      if (!r) return undefined;
      const values = readList(r['values']!, `${path}.values`, issues);
      const weights = r['weights'] ? readList(r['weights'], `${path}.weights`, issues) : values?.map(() => 1);
      if (!values || !weights) return undefined;
      if (values.length !== weights.length) {
        issues.add(`${path}.weights`, `expected ${values.length} weights (one per value), got ${weights.length}`, r['weights']?.line);
        return undefined;
      }
      weights.forEach((w, i) => {
        if (!(w >= 0)) issues.add(`${path}.weights[${i}]`, `expected a number >= 0, got ${w}`, r['weights']?.line);
      });
      if (issues.count > before) return undefined;
      if (!(weights.reduce((a, b) => a + b, 0) > 0)) {
        issues.add(`${path}.weights`, 'the weights must have a positive sum', r['weights']?.line);
        return undefined;
      }
      return { kind: 'discrete', values, weights };
    }
    default:
      return undefined;
  }
}

function checkPercentiles(path: string, p5: number, p95: number, issues: Issues, line: number | undefined): boolean {
  if (!(p5 > 0 && p95 > 0)) {
    issues.add(path, `a lognormal's percentiles must be > 0, got ${p5} and ${p95}`, line);
    return false;
  }
  if (!(p5 < p95)) {
    issues.add(path, `the 5th percentile ${p5} must be below the 95th ${p95}`, line);
    return false;
  }
  return true;
}

/** A non-empty list of finite numbers. */
function readList(node: SourceNode, path: string, issues: Issues): number[] | undefined {
  if (node.kind !== 'seq' || node.items.length === 0) {
    issues.add(path, `expected a non-empty list of numbers, got ${describeNode(node)}`, node.line);
    return undefined;
  }
  const values = node.items.map((it, i) => readNumber(it, `${path}[${i}]`, issues));
  return values.every((v) => v !== undefined) ? (values as number[]) : undefined;
}

function parseSweep(node: SourceNode, path: string, issues: Issues): number[] | undefined {
  if (node.kind === 'seq') return readList(node, path, issues);
  const r = readRecord(node, path, ['from', 'to', 'steps'], ['scale'], issues);
  if (!r) return undefined;
  const from = readNumber(r['from'], `${path}.from`, issues);
  const to = readNumber(r['to'], `${path}.to`, issues);
  const steps = readNumber(r['steps'], `${path}.steps`, issues);
  const scaleNode = r['scale'];
  let scale = 'linear';
  if (scaleNode) {
    if (scaleNode.kind === 'scalar' && (scaleNode.value === 'linear' || scaleNode.value === 'log')) scale = scaleNode.value;
    else issues.add(`${path}.scale`, `expected linear or log, got ${describeNode(scaleNode)}`, scaleNode.line);
  }
  if (from === undefined || to === undefined || steps === undefined) return undefined;
  if (!Number.isInteger(steps) || steps < 2 || steps > MAX_SWEEP_STEPS) {
    issues.add(`${path}.steps`, `expected an integer from 2 to ${MAX_SWEEP_STEPS} (the count of values, both ends included), got ${steps}`, r['steps']?.line);
    return undefined;
  }
  if (from === to) {
    issues.add(path, `from and to are both ${from}; a sweep needs two different ends`, node.line);
    return undefined;
  }
  // Steps computed in binary floating point carry noise (0.1 + 0.2 = 0.30000000000000004);
  // rounded to 12 significant digits they are the decimal values the user meant, and print so.
  // Only where that moves a value by a negligible part of a step, so that steps stay distinct.
  const clean = (x: number, step: number): number => {
    const c = Number(x.toPrecision(12));
    return Math.abs(c - x) <= 1e-6 * Math.abs(step) ? c : x;
  };
  if (scale === 'log') {
    if (!(from > 0 && to > 0)) {
      issues.add(path, `a log-scale sweep needs from and to > 0, got ${from} and ${to}`, node.line);
      return undefined;
    }
    const a = Math.log(from);
    const b = Math.log(to);
    // The ends are written exactly rather than through exp(log(x)), which can be off by an ulp.
    // The gap to the step below a value x is x * (1 - (from/to)^(1/(steps-1))).
    const below = Math.abs(1 - Math.exp((a - b) / (steps - 1)));
    return Array.from({ length: steps }, (_, i) => {
      if (i === 0) return from;
      if (i === steps - 1) return to;
      const x = Math.exp(a + ((b - a) * i) / (steps - 1));
      return clean(x, x * below);
    });
  }
  return Array.from({ length: steps }, (_, i) => (i === steps - 1 ? to : clean(from + ((to - from) * i) / (steps - 1), (to - from) / (steps - 1))));
}

/**
 * Reads a numeric field at `path`. Returns undefined (after adding issues) when it is not one.
 * `allowSweep` is false for catalog data, which describes hardware, not a study.
 */
export function parseNumeric(node: SourceNode, path: string, issues: Issues, allowSweep = true): NumericValue | undefined {
  if (node.kind === 'scalar') {
    if (typeof node.value === 'number') {
      if (!Number.isFinite(node.value)) {
        issues.add(path, `expected a finite number, got ${describeNode(node)}`, node.line);
        return undefined;
      }
      return { spec: { kind: 'dist', dist: { kind: 'const', value: node.value } }, where: path, line: node.line };
    }
    if (typeof node.value === 'string') {
      const m = SHORTHAND.exec(node.value);
      if (m) {
        const p5 = Number(m[1]);
        const p95 = Number(m[2]);
        if (!checkPercentiles(path, p5, p95, issues, node.line)) return undefined;
        return { spec: { kind: 'dist', dist: lognormalFromP5P95(p5, p95) }, where: path, line: node.line };
      }
    }
    issues.add(path, `${WRONG_TYPE}, got ${describeNode(node)}`, node.line);
    return undefined;
  }
  if (node.kind === 'seq') {
    issues.add(path, `${WRONG_TYPE}, got ${describeNode(node)} (a sweep is written {sweep: [...]})`, node.line);
    return undefined;
  }
  const allowed: readonly string[] = allowSweep ? VALUE_KEYS : DIST_KINDS;
  if (node.entries.length !== 1) {
    issues.add(path, `${WRONG_TYPE}: a distribution or sweep has exactly one key (one of ${allowed.join(', ')}), got ${node.entries.length === 0 ? 'none' : node.entries.map((e) => e.key).join(', ')}`, node.line);
    return undefined;
  }
  const entry = node.entries[0]!;
  const where = `${path}.${entry.key}`;
  if (entry.key === 'sweep' && allowSweep) {
    const values = parseSweep(entry.value, where, issues);
    return values ? { spec: { kind: 'sweep', values }, where, line: entry.line } : undefined;
  }
  if (!(DIST_KINDS as readonly string[]).includes(entry.key)) {
    const what = entry.key === 'sweep' ? 'a sweep is not allowed here' : `unknown distribution \`${entry.key}\`${didYouMean(entry.key, allowed)}`;
    issues.add(path, `${what} (expected one of ${allowed.join(', ')})`, entry.line);
    return undefined;
  }
  const dist = parseDist(entry.key, entry.value, where, issues);
  return dist ? { spec: { kind: 'dist', dist }, where, line: entry.line } : undefined;
}

/** The closed or open interval a value can take, for range checks. */
export interface Support {
  lo: number;
  hi: number;
  /** True when lo itself is never drawn (a lognormal's 0). */
  loOpen: boolean;
}

export function supportOf(spec: NumericSpec): Support {
  if (spec.kind === 'sweep') return { lo: Math.min(...spec.values), hi: Math.max(...spec.values), loOpen: false };
  const d = spec.dist;
  switch (d.kind) {
    case 'const':
      return { lo: d.value, hi: d.value, loOpen: false };
    case 'lognormal':
      return { lo: 0, hi: Infinity, loOpen: true };
    case 'discrete':
      return { lo: Math.min(...d.values), hi: Math.max(...d.values), loOpen: false };
    default:
      return { lo: d.min, hi: d.max, loOpen: false };
  }
}

/** The value used where a single number is needed (defaults copied from a constant field). */
export function constantOf(spec: NumericSpec): number | undefined {
  return spec.kind === 'dist' && spec.dist.kind === 'const' ? spec.dist.value : undefined;
}
