/**
 * A scenario's own inputs and metrics: the `inputs:` section (name -> number, distribution or
 * sweep) and the `metrics:` section (name -> expression over those inputs, the model's inputs,
 * its built-in metrics and intermediates, and the other custom metrics). With no model section
 * at all, the two make a model of the user's own.
 */

import { InputError } from '../errors.js';
import { ExprError, FUNCTION_NAMES, orderMetrics } from '../expr/index.js';
import { BASE_MODEL_CONFIG, INTERMEDIATES, METRICS, SLOT_DEFS, type ModelConfig } from '../model/index.js';
import { checkSampleCount, type SamplingScheme } from '../sampling/index.js';
import type { Issues } from './issues.js';
import type { RawScenario } from './schema.js';
import type { ScenarioCustom } from './types.js';

/**
 * The configuration a model of the user's own carries. The cost model never runs for it; the
 * GPU still reads a ModelConfig uniform, so it is a valid one (every choice 0).
 */
export const CUSTOM_MODEL_CONFIG: ModelConfig = { ...BASE_MODEL_CONFIG };

/** The sections of the cost model; a scenario with none of them and a `metrics:` section is a model of its own. */
export const MODEL_SECTIONS = ['accelerator', 'model', 'workload', 'serving', 'throughput', 'costs'] as const;

const SLOT_PATH_BY_NAME = new Map<string, string>(SLOT_DEFS.map((d) => [d.name, d.path]));
const METRIC_NAMES = new Set<string>(METRICS);
const INTERMEDIATE_NAMES = new Set<string>(INTERMEDIATES);
const FUNCTIONS = new Set<string>(FUNCTION_NAMES);

/** True when the file has custom sections and none of the cost model's. */
export function isCustomModel(raw: RawScenario): boolean {
  const present = (s: string): boolean => raw.sections.has(s) || raw.broken.has(s);
  return (present('metrics') || present('inputs')) && !MODEL_SECTIONS.some(present);
}

/** Why a custom name cannot be used, or undefined when it can. */
function clash(name: string): string | undefined {
  // Results are keyed by metric name, and JavaScript readers of the JSON (and the objects this
  // program builds) give that one key a meaning of its own.
  if (name === '__proto__') return 'is reserved in JavaScript objects, which hold the results; pick another name';
  const slotPath = SLOT_PATH_BY_NAME.get(name);
  if (slotPath !== undefined) return `is the name of a model input (${slotPath}); pick another name`;
  if (METRIC_NAMES.has(name)) return 'is the name of a built-in metric; pick another name';
  if (INTERMEDIATE_NAMES.has(name)) return 'is the name of a model intermediate (see cptsim explain); pick another name';
  if (FUNCTIONS.has(name)) return 'is the name of a function of the expression language; pick another name';
  return undefined;
}

/**
 * Checks the custom sections against `known` (the model's input names, built-in metrics and
 * intermediates the scenario's configuration defines; empty for a model of its own) and orders
 * the metrics. Problems go to `issues`; an expression's mistake keeps its ExprError (with the
 * column) so that a scenario with that one problem throws it.
 */
export function resolveCustom(raw: RawScenario, known: readonly string[], issues: Issues): ScenarioCustom {
  const inputs: ScenarioCustom['inputs'] = [];
  // Inputs whose value could not be read still count as names, so that expressions using them
  // are not reported as well; so do the names refused here.
  const inputNames = new Set<string>();
  const refused = new Set<string>();
  for (const path of raw.broken) if (path.startsWith('inputs.')) inputNames.add(path.slice('inputs.'.length));
  for (const [name, { value, order, line }] of raw.customInputs) {
    const why = clash(name);
    if (why) {
      issues.add(`inputs.${name}`, `\`${name}\` ${why}`, line);
      refused.add(name);
      continue;
    }
    inputNames.add(name);
    inputs.push({ name, input: { value, source: 'scenario', origin: `inputs.${name}`, order } });
  }

  // A Map, not an object: a metric may be called `__proto__` or `constructor`.
  const defs = new Map<string, string>();
  const fileOrder = new Map<string, number>();
  for (const [name, { text, line }] of raw.customMetrics) {
    const why = clash(name) ?? (inputNames.has(name) ? 'is also the name of an input (inputs:); pick another name' : undefined);
    if (why) {
      issues.add(`metrics.${name}`, `\`${name}\` ${why}`, line);
      refused.add(name);
      continue;
    }
    fileOrder.set(name, fileOrder.size);
    defs.set(name, text);
  }

  let metrics: ScenarioCustom['metrics'] = [];
  try {
    metrics = orderMetrics(defs, [...known, ...inputNames, ...refused], 'metrics').map((m) => ({
      name: m.name,
      expr: m.expr.text,
      order: fileOrder.get(m.name)!,
    }));
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    const name = e.path.slice('metrics.'.length);
    issues.addExprError(e, raw.customMetrics.get(name)?.line);
  }
  const metricsLine = raw.sections.get('metrics');
  const anyMetric = raw.customMetrics.size > 0 || [...raw.broken].some((p) => p.startsWith('metrics.'));
  if (raw.sections.has('metrics') && !anyMetric) {
    // An empty section is a slip (a model of its own would have nothing to compute); `metrics: {}`
    // beside a cost model is refused alike, as `metrics:` with nothing after it is.
    issues.add('metrics', 'expected at least one metric, e.g. margin: "price_per_mtok - cost_per_mtok_output", got an empty mapping; leave the section out if there are none', metricsLine);
  }
  if (raw.sections.has('inputs') && !raw.sections.has('metrics') && !raw.broken.has('metrics')) {
    issues.add('inputs', 'inputs are only used by metric expressions: add a metrics: section that reads them', raw.sections.get('inputs'));
  }
  return { inputs, metrics };
}

/**
 * The `sampling:` choice (default random), with the sample count it needs: a power of two for
 * sobol (src/sampling/qmc.ts checkSampleCount), a bounded count for lhs.
 */
export function resolveSampling(raw: RawScenario, samples: number, issues: Issues): SamplingScheme {
  const given = raw.strings.get('sampling');
  const scheme = (given?.value ?? 'random') as SamplingScheme;
  try {
    checkSampleCount(scheme, samples);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    for (const issue of e.issues) issues.add(issue.path, issue.message, raw.samplesLine ?? given?.line);
  }
  return scheme;
}
