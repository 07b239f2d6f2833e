/**
 * The shape of a scenario file, and the first pass over it: every key known, every value of the
 * right type. The shape is built from src/model/slots.ts (each slot's path is a field), plus the
 * choices and descriptive fields that are not model inputs.
 */

import { MAX_DRAFT_TOKENS, SLOT_DEFS } from '../model/index.js';
import { MAX_SAMPLES, SAMPLING_SCHEMES } from '../sampling/index.js';
import { PRECISIONS } from './defaults.js';
import type { Issues } from './issues.js';
import type { NumericValue } from './numeric.js';
import { parseNumeric } from './numeric.js';
import type { SourceNode } from './source.js';
import { describeNode } from './source.js';
import { closest, didYouMean } from '../suggest.js';

export type Field =
  | { t: 'number' }
  | { t: 'string' }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'section'; fields: Record<string, Field> }
  | { t: 'numberList'; max: number }
  | { t: 'seed' }
  | { t: 'samples' }
  | { t: 'customInputs' }
  | { t: 'customMetrics' }
  | { t: 'probabilityBelow' }
  | { t: 'correlations' };

export const DEFAULT_SAMPLES = 1_000_000;

const NUMBER: Field = { t: 'number' };
const section = (fields: Record<string, Field>): Field => ({ t: 'section', fields });

function buildSchema(): Record<string, Field> {
  const top: Record<string, Field> = {
    name: { t: 'string' },
    description: { t: 'string' },
    seed: { t: 'seed' },
    samples: { t: 'samples' },
    sampling: { t: 'enum', values: SAMPLING_SCHEMES },
    // A scenario's own inputs (name -> numeric field) and metric expressions (name -> text).
    inputs: { t: 'customInputs' },
    metrics: { t: 'customMetrics' },
    // Thresholds to report P(metric <= x) for: metric name -> a number or a list of numbers.
    probability_below: { t: 'probabilityBelow' },
    // Rank correlations between uncertain inputs: a list of { between: [path, path], rank }.
    correlations: { t: 'correlations' },
  };
  const sectionAt = (parts: string[]): Record<string, Field> => {
    let fields = top;
    for (const p of parts) {
      fields[p] ??= section({});
      const f = fields[p]!;
      if (f.t !== 'section') throw new Error(`slot path clash at ${p}`);
      fields = f.fields;
    }
    return fields;
  };
  for (const def of SLOT_DEFS) {
    if (def.path.includes('[')) continue; // acceptance_by_position[i]: the list below
    const parts = def.path.split('.');
    const key = parts.pop()!;
    sectionAt(parts)[key] = NUMBER;
  }
  // Not model inputs: catalog references, choices and descriptive values.
  Object.assign(sectionAt(['accelerator']), {
    catalog: { t: 'string' },
    name: { t: 'string' },
    tdp_w: NUMBER,
    peak_tflops: section(Object.fromEntries(PRECISIONS.map((p) => [p, NUMBER]))),
  });
  Object.assign(sectionAt(['model']), {
    catalog: { t: 'string' },
    name: { t: 'string' },
    compute: { t: 'enum', values: PRECISIONS },
    attention: { t: 'enum', values: ['gqa', 'mla'] },
    // Precision of attention math (QK^T, PV); model.compute is that of the weight GEMMs.
    attention_compute: { t: 'enum', values: PRECISIONS },
  });
  // Fleet sizing (src/scenario/fleet.ts): numeric fields that are not model inputs.
  Object.assign(sectionAt(['workload', 'demand']), { output_tokens_per_day: NUMBER, requests_per_s_peak: NUMBER, peak_to_average: NUMBER });
  sectionAt(['site'])['power_mw'] = NUMBER;
  sectionAt(['serving', 'speculative'])['acceptance_by_position'] = { t: 'numberList', max: MAX_DRAFT_TOKENS };
  sectionAt(['throughput'])['mode'] = { t: 'enum', values: ['roofline', 'measured'] };
  // The serving engine, an entry of scenarios/catalog/engines.yaml: it sets the serving inputs it has figures for.
  sectionAt(['serving'])['engine'] = { t: 'string' };
  sectionAt(['costs'])['pricing'] = { t: 'enum', values: ['owned', 'cloud'] };
  sectionAt(['costs'])['billing'] = { t: 'enum', values: ['reserved', 'on_demand'] };
  return top;
}

export const SCHEMA: Record<string, Field> = buildSchema();

/** What the first pass found, by dotted path. */
export interface RawScenario {
  strings: Map<string, { value: string; line: number | undefined }>;
  /** Numeric fields in file order (Map keeps insertion order); list items as `path[i]`. */
  numbers: Map<string, { value: NumericValue; order: number }>;
  /** Sections present (and their line): `serving.speculative`. */
  sections: Map<string, number | undefined>;
  /** Number lists present: their length and line. */
  lists: Map<string, { length: number; line: number | undefined }>;
  /** Paths whose value was unreadable: later "is required" messages for them would only repeat it. */
  broken: Set<string>;
  seed: string | undefined;
  samples: number | undefined;
  /** The `inputs:` section in file order: name -> value (those whose value was readable). */
  customInputs: Map<string, { value: NumericValue; order: number; line: number | undefined }>;
  /** The `metrics:` section in file order: name -> expression text. */
  customMetrics: Map<string, { text: string; line: number | undefined }>;
  /** Line of the `samples:` field, for messages about the count. */
  samplesLine: number | undefined;
  /** `probability_below:` in file order: metric name -> thresholds. */
  probabilityBelow: Map<string, { values: number[]; line: number | undefined }>;
  /** `correlations:` items that read well, with their index in the list and lines. */
  correlations: RawCorrelation[];
}

/** One `correlations:` item as the first pass reads it; the paths are checked against the inputs later. */
export interface RawCorrelation {
  index: number;
  between: [string, string];
  rank: number;
  line: number | undefined;
  betweenLine: number | undefined;
}

const CORRELATION_KEYS = ['between', 'rank'];

export function readStructure(root: SourceNode, issues: Issues): RawScenario {
  const raw: RawScenario = {
    strings: new Map(),
    numbers: new Map(),
    sections: new Map(),
    lists: new Map(),
    broken: new Set(),
    seed: undefined,
    samples: undefined,
    customInputs: new Map(),
    customMetrics: new Map(),
    samplesLine: undefined,
    probabilityBelow: new Map(),
    correlations: [],
  };
  if (root.kind !== 'map') {
    issues.add('', `expected a mapping of sections (name, accelerator, model, workload, serving, throughput, costs) at the top level, got ${describeNode(root)}`, root.line);
    return raw;
  }
  let order = 0;
  const fail = (path: string, message: string, line: number | undefined): void => {
    issues.add(path, message, line);
    raw.broken.add(path);
  };

  const walk = (node: SourceNode, fields: Record<string, Field>, prefix: string): void => {
    if (node.kind !== 'map') return;
    const known = Object.keys(fields);
    for (const { key, value, line } of node.entries) {
      const path = prefix ? `${prefix}.${key}` : key;
      // Own keys only: `constructor` or `__proto__` in a file must not find Object.prototype's.
      const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (!field) {
        // With a likely intended key, name it; otherwise list the keys this place accepts.
        const meant = closest(key, known);
        fail(path, meant !== undefined ? `unknown key${didYouMean(key, known)}` : `unknown key (expected one of ${known.join(', ')})`, line);
        // A misspelling of a required key must not also be reported as that key missing.
        if (meant !== undefined) raw.broken.add(prefix ? `${prefix}.${meant}` : meant);
        continue;
      }
      const scalar = value.kind === 'scalar' ? value.value : undefined;
      switch (field.t) {
        case 'number': {
          const before = issues.count;
          const v = parseNumeric(value, path, issues);
          if (v) raw.numbers.set(path, { value: v, order: order++ });
          else if (issues.count > before) raw.broken.add(path);
          break;
        }
        case 'string':
          if (typeof scalar === 'string' && scalar.trim() !== '') raw.strings.set(path, { value: scalar, line });
          else fail(path, `expected a non-empty string, got ${describeNode(value)}`, line);
          break;
        case 'enum':
          if (typeof scalar === 'string' && field.values.includes(scalar)) raw.strings.set(path, { value: scalar, line });
          else {
            const hint = typeof scalar === 'string' ? didYouMean(scalar, field.values) : '';
            fail(path, `expected one of ${field.values.join(', ')}, got ${describeNode(value)}${hint}`, line);
          }
          break;
        case 'seed':
          if ((typeof scalar === 'string' && scalar !== '') || (typeof scalar === 'number' && Number.isFinite(scalar))) {
            raw.seed = String(scalar);
          } else fail(path, `expected a string or a number, got ${describeNode(value)}`, line);
          break;
        case 'samples':
          raw.samplesLine = line;
          if (typeof scalar === 'number' && Number.isInteger(scalar) && scalar >= 1 && scalar <= MAX_SAMPLES) raw.samples = scalar;
          else fail(path, `expected a positive integer no larger than 2^40, got ${describeNode(value)}`, line);
          break;
        case 'customInputs':
          if (value.kind !== 'map') {
            fail(path, `expected a mapping of input names to numbers, distributions or sweeps, got ${describeNode(value)}`, line);
            break;
          }
          raw.sections.set(path, line);
          for (const e of value.entries) {
            const p = `${path}.${e.key}`;
            if (!checkCustomName(e.key, p, 'input', issues, e.line)) {
              raw.broken.add(p);
              continue;
            }
            const before = issues.count;
            const v = parseNumeric(e.value, p, issues);
            if (v) raw.customInputs.set(e.key, { value: v, order: order++, line: e.line });
            else if (issues.count > before) raw.broken.add(p);
          }
          break;
        case 'customMetrics':
          if (value.kind !== 'map') {
            fail(path, `expected a mapping of metric names to expressions, e.g. margin: "price_per_mtok - cost_per_mtok_output", got ${describeNode(value)}`, line);
            break;
          }
          raw.sections.set(path, line);
          for (const e of value.entries) {
            const p = `${path}.${e.key}`;
            if (!checkCustomName(e.key, p, 'metric', issues, e.line)) {
              raw.broken.add(p);
              continue;
            }
            const text = e.value.kind === 'scalar' ? e.value.value : undefined;
            if (typeof text === 'string' && text.trim() !== '') raw.customMetrics.set(e.key, { text, line: e.line });
            else {
              fail(p, `expected an expression as a string, e.g. "price_per_mtok - cost_per_mtok_output", got ${describeNode(e.value)}`, e.line);
            }
          }
          break;
        case 'probabilityBelow':
          if (value.kind !== 'map') {
            fail(path, `expected a mapping of metric names to thresholds, e.g. cost_per_mtok_output: [1.0, 1.5], got ${describeNode(value)}`, line);
            break;
          }
          for (const e of value.entries) {
            const items = e.value.kind === 'seq' ? e.value.items : [e.value];
            const values = items.map((i) => (i.kind === 'scalar' ? i.value : undefined));
            if (items.length === 0 || !values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) {
              fail(`${path}.${e.key}`, `expected a number or a list of numbers (thresholds of the metric), got ${describeNode(e.value)}`, e.line);
            } else raw.probabilityBelow.set(e.key, { values, line: e.line });
          }
          break;
        case 'correlations':
          readCorrelations(value, path, line, raw, fail);
          break;
        case 'section':
          if (value.kind !== 'map') {
            fail(path, `expected a mapping of ${Object.keys(field.fields).join(', ')}, got ${describeNode(value)}`, line);
          } else {
            raw.sections.set(path, line);
            walk(value, field.fields, path);
          }
          break;
        case 'numberList':
          if (value.kind !== 'seq' || value.items.length === 0 || value.items.length > field.max) {
            fail(path, `expected a list of 1 to ${field.max} values (one per draft position), got ${describeNode(value)}${value.kind === 'seq' ? ` of ${value.items.length}` : ''}`, line);
            break;
          }
          raw.lists.set(path, { length: value.items.length, line });
          value.items.forEach((item, i) => {
            const p = `${path}[${i}]`;
            const before = issues.count;
            const v = parseNumeric(item, p, issues);
            if (v) raw.numbers.set(p, { value: v, order: order++ });
            else if (issues.count > before) raw.broken.add(p);
          });
          break;
      }
    }
  };
  walk(root, SCHEMA, '');
  return raw;
}

/** Names of a scenario's own inputs and metrics: they become identifiers of the expression language. */
export const CUSTOM_NAME = /^[a-z_][a-z0-9_]*$/;

function checkCustomName(name: string, path: string, what: 'input' | 'metric', issues: Issues, line: number | undefined): boolean {
  if (CUSTOM_NAME.test(name)) return true;
  issues.add(path, `\`${name}\` is not a usable ${what} name: use lowercase letters, digits and _, not starting with a digit`, line);
  return false;
}

/**
 * `correlations:`: a list of `{ between: [path, path], rank: r }`, r a Spearman rank correlation
 * in [-1, 1]. Shapes and numbers are checked here; the paths, against the scenario's uncertain
 * inputs, in src/scenario/correlations.ts.
 */
function readCorrelations(
  value: SourceNode,
  path: string,
  line: number | undefined,
  raw: RawScenario,
  fail: (path: string, message: string, line: number | undefined) => void,
): void {
  if (value.kind !== 'seq') {
    fail(path, `expected a list of { between: [input path, input path], rank: r }, e.g. - { between: [costs.capex_usd_per_gpu, costs.life_years], rank: -0.5 }, got ${describeNode(value)}`, line);
    return;
  }
  raw.sections.set(path, line);
  value.items.forEach((item, index) => {
    const at = `${path}[${index}]`;
    const itemLine = item.line ?? line;
    if (item.kind !== 'map') {
      fail(at, `expected { between: [input path, input path], rank: r }, got ${describeNode(item)}`, itemLine);
      return;
    }
    let between: [string, string] | undefined;
    let betweenLine: number | undefined;
    let rank: number | undefined;
    let ok = true;
    for (const e of item.entries) {
      if (!CORRELATION_KEYS.includes(e.key)) {
        fail(`${at}.${e.key}`, `unknown key${didYouMean(e.key, CORRELATION_KEYS) || ' (expected between and rank)'}`, e.line);
        ok = false;
      } else if (e.key === 'between') {
        const items = e.value.kind === 'seq' ? e.value.items : [];
        const paths = items.map((i) => (i.kind === 'scalar' ? i.value : undefined));
        if (items.length !== 2 || !paths.every((p): p is string => typeof p === 'string' && p.trim() !== '')) {
          fail(`${at}.between`, `expected a list of two input paths, e.g. [costs.capex_usd_per_gpu, costs.life_years], got ${describeNode(e.value)}${e.value.kind === 'seq' ? ` of ${items.length}` : ''}`, e.line);
          ok = false;
        } else {
          between = [paths[0]!.trim(), paths[1]!.trim()];
          betweenLine = e.line;
        }
      } else {
        const r = e.value.kind === 'scalar' ? e.value.value : undefined;
        if (typeof r !== 'number' || !Number.isFinite(r) || Math.abs(r) > 1) {
          fail(`${at}.rank`, `expected a Spearman rank correlation from -1 to 1, got ${describeNode(e.value)}`, e.line);
          ok = false;
        } else rank = r;
      }
    }
    if (!ok) return;
    if (between === undefined || rank === undefined) {
      fail(at, `needs ${between === undefined ? 'between: [input path, input path]' : 'rank: a Spearman rank correlation from -1 to 1'}`, itemLine);
      return;
    }
    raw.correlations.push({ index, between, rank, line: itemLine, betweenLine });
  });
}
