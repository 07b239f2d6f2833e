/**
 * `cptsim fidelity`: the model against published serving measurements. A validation set is a
 * YAML file of cases (scenarios/validation/measurements.yaml is the shipped one); each case is a
 * small scenario, merged over the file's `base`, plus what a publisher measured for it. Every
 * case runs on the CPU engine at one fixed seed, with the efficiencies it leaves to the defaults
 * drawn from their uncertainty ranges (DEFAULT_UNCERTAINTY), and its P10 / P50 / P90 is set
 * against the measurement: the ratio P50 / measured, and whether the measurement falls inside
 * the P10-P90 band. See docs/model.md "Calibration".
 */
import { createCpuEngine } from '../engine/index.js';
import type { Engine } from '../engine/index.js';
import { InputError, type Issue } from '../errors.js';
import { SLOT_DEFS, type SlotName } from '../model/index.js';
import { buildPlan, type Plan } from '../plan/index.js';
import { streamId } from '../sampling/index.js';
import {
  DEFAULT_UNCERTAINTY,
  parseScenario,
  parseSource,
  readInputFile,
  type Scenario,
  type SourceNode,
} from '../scenario/index.js';
import { didYouMean } from '../suggest.js';
import { simulate } from './simulate.js';

/** What a case's throughput measurement is: colocated capacity, or a decode pool's own rate. */
export type ThroughputQuantity = 'output_tokens_per_s_per_gpu' | 'decode_tokens_per_s_per_gpu';
/** What a case's latency measurement is: the time per output token, or to the first token. */
export type LatencyQuantity = 'tpot_ms' | 'ttft_s';

export interface Measurement<Q extends string> {
  quantity: Q;
  /** Per GPU for throughputs (a total given with `gpus` is divided here). */
  value: number;
}

export interface FidelityCase {
  id: string;
  publisher: string;
  source: string;
  engine: string;
  setup: string;
  assumptions: string;
  /** 1-based line of the case in the file. */
  line: number | undefined;
  scenario: Scenario;
  throughput: Measurement<ThroughputQuantity> | undefined;
  latency: Measurement<LatencyQuantity> | undefined;
}

export interface ValidationSet {
  file: string;
  description: string | undefined;
  cases: FidelityCase[];
}

/** The issue's Done-when thresholds (docs/model.md "Calibration"). */
export const FIDELITY_TARGETS = {
  /** Median |ln(predicted / measured)| at most ln 1.2: typically within 20%. */
  median_abs_log_ratio: Math.log(1.2),
  /** Worst |ln(predicted / measured)| at most ln 1.6: no case off by more than 1.6x. */
  worst_abs_log_ratio: Math.log(1.6),
  /** At least 80% of measurements inside the predicted P10-P90 band. */
  in_band_share: 0.8,
} as const;

/** Samples per case and the seed: enough for P10/P90 to within about 1% of the band's width. */
export const FIDELITY_SAMPLES = 4096;
export const FIDELITY_SEED = 'fidelity';

/** The custom metric a decode-rate case adds, reading the model's intermediate. */
const DECODE_METRIC = 'decode_rate_per_gpu';

const ROOT_KEYS = ['description', 'base', 'cases'] as const;
const CASE_KEYS = ['id', 'publisher', 'source', 'engine', 'setup', 'assumptions', 'scenario', 'measured'] as const;
const MEASURED_KEYS = [
  'output_tokens_per_s_per_gpu',
  'output_tokens_per_s',
  'gpus',
  'decode_tokens_per_s_per_gpu',
  'tpot_ms',
  'ttft_s',
] as const;
const ID_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

// ---------------------------------------------------------------- reading the file

function entry(node: SourceNode, key: string): SourceNode | undefined {
  return node.kind === 'map' ? node.entries.find((e) => e.key === key)?.value : undefined;
}

function entryLine(node: SourceNode, key: string): number | undefined {
  return node.kind === 'map' ? (node.entries.find((e) => e.key === key)?.line ?? node.line) : node.line;
}

/** Plain values of a source tree (for merging and handing to the scenario loader). */
function toPlain(node: SourceNode): unknown {
  if (node.kind === 'map') return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
  if (node.kind === 'seq') return node.items.map(toPlain);
  return node.value;
}

/** A deep merge of plain maps: `over` wins; lists and scalars are replaced whole. */
function merge(base: unknown, over: unknown): unknown {
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

/** The line of a dotted field path (`serving.parallelism.tp`, `x.list[1]`) inside a tree, if present. */
function lineOfPath(node: SourceNode | undefined, path: string): number | undefined {
  if (!node || path === '') return node?.line;
  let here: SourceNode | undefined = node;
  let line = node.line;
  for (const part of path.split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m || !here) return undefined;
    const key = m[1]!;
    if (here.kind !== 'map') return undefined;
    const e: { key: string; value: SourceNode; line: number | undefined } | undefined = here.entries.find((x) => x.key === key);
    if (!e) return undefined;
    line = e.line ?? line;
    here = e.value;
    for (const idx of m[2]!.match(/\d+/g) ?? []) {
      if (here.kind !== 'seq') return line;
      here = here.items[Number(idx)];
      if (!here) return line;
      line = here.line ?? line;
    }
  }
  return line;
}

function readString(node: SourceNode, key: string, path: string, issues: Issue[], what: string): string | undefined {
  const v = entry(node, key);
  if (v === undefined) {
    issues.push({ path: `${path}.${key}`, message: `is required: ${what}`, ...lineAt(entryLine(node, key)) });
    return undefined;
  }
  if (v.kind !== 'scalar' || typeof v.value !== 'string' || v.value.trim() === '') {
    issues.push({ path: `${path}.${key}`, message: `expected ${what} (a non-empty string)`, ...lineAt(v.line ?? entryLine(node, key)) });
    return undefined;
  }
  return v.value.trim();
}

function lineAt(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

function checkKeys(node: SourceNode, allowed: readonly string[], path: string, issues: Issue[]): void {
  if (node.kind !== 'map') return;
  for (const e of node.entries) {
    if (!allowed.includes(e.key)) {
      issues.push({
        path: path ? `${path}.${e.key}` : e.key,
        message: `unknown key${didYouMean(e.key, allowed) || `; expected one of ${allowed.join(', ')}`}`,
        ...lineAt(e.line),
      });
    }
  }
}

function readPositive(node: SourceNode, key: string, path: string, issues: Issue[]): number | undefined {
  const v = entry(node, key);
  if (v === undefined) return undefined;
  const value = v.kind === 'scalar' ? v.value : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    const got = v.kind === 'scalar' ? JSON.stringify(v.value) : v.kind === 'map' ? 'a mapping' : 'a list';
    issues.push({ path: `${path}.${key}`, message: `expected a positive number, got ${got}`, ...lineAt(v.line ?? entryLine(node, key)) });
    return undefined;
  }
  return value;
}

/** The measurements of one case, checked: one throughput and/or one latency. */
function readMeasured(node: SourceNode, path: string, issues: Issue[]) {
  const before = issues.length;
  checkKeys(node, MEASURED_KEYS, path, issues);
  const n = (k: (typeof MEASURED_KEYS)[number]) => readPositive(node, k, path, issues);
  const perGpu = n('output_tokens_per_s_per_gpu');
  const total = n('output_tokens_per_s');
  const gpus = n('gpus');
  const decode = n('decode_tokens_per_s_per_gpu');
  const tpot = n('tpot_ms');
  const ttft = n('ttft_s');
  const line = node.line;
  if (gpus !== undefined && !Number.isInteger(gpus)) {
    issues.push({ path: `${path}.gpus`, message: `expected a whole number of GPUs, got ${gpus}`, ...lineAt(entryLine(node, 'gpus')) });
  }
  if (total !== undefined && entry(node, 'gpus') === undefined) {
    issues.push({ path: `${path}.gpus`, message: 'is required with output_tokens_per_s (a total): the GPUs it was measured on', ...lineAt(line) });
  }
  if (gpus !== undefined && total === undefined) {
    issues.push({ path: `${path}.gpus`, message: 'is only used with output_tokens_per_s (a total over the GPUs)', ...lineAt(entryLine(node, 'gpus')) });
  }
  const throughputs = [perGpu, total, decode].filter((x) => x !== undefined).length;
  if (throughputs > 1) {
    issues.push({ path, message: 'expected one throughput: output_tokens_per_s_per_gpu, output_tokens_per_s (with gpus) or decode_tokens_per_s_per_gpu', ...lineAt(line) });
  }
  if (tpot !== undefined && ttft !== undefined) {
    issues.push({ path, message: 'expected one latency: tpot_ms or ttft_s', ...lineAt(line) });
  }
  if (node.kind === 'map' && node.entries.length === 0) {
    issues.push({ path, message: 'expected at least one measurement (a throughput or a latency)', ...lineAt(line) });
  }
  if (issues.length > before) return undefined;
  const throughput: Measurement<ThroughputQuantity> | undefined =
    perGpu !== undefined
      ? { quantity: 'output_tokens_per_s_per_gpu', value: perGpu }
      : total !== undefined && gpus !== undefined
        ? { quantity: 'output_tokens_per_s_per_gpu', value: total / gpus }
        : decode !== undefined
          ? { quantity: 'decode_tokens_per_s_per_gpu', value: decode }
          : undefined;
  const latency: Measurement<LatencyQuantity> | undefined =
    tpot !== undefined ? { quantity: 'tpot_ms', value: tpot } : ttft !== undefined ? { quantity: 'ttft_s', value: ttft } : undefined;
  if (!throughput && !latency) {
    issues.push({ path, message: 'expected at least one measurement (a throughput or a latency)', ...lineAt(line) });
    return undefined;
  }
  return { throughput, latency };
}

/**
 * A case's scenario: `base` merged under the case's own fields, named after the case, with a
 * metric for the decode rate when that is what was measured. Its errors come back with the path
 * inside the validation file and the line of the field (in the case, else in `base`).
 */
function caseScenario(
  baseNode: SourceNode | undefined,
  caseNode: SourceNode,
  index: number,
  id: string,
  decode: boolean,
  file: string,
  issues: Issue[],
): Scenario | undefined {
  const own = entry(caseNode, 'scenario');
  const path = `cases[${index}].scenario`;
  if (!own || own.kind !== 'map') {
    issues.push({ path, message: own ? 'expected a mapping of scenario fields' : 'is required: the scenario fields of this case', ...lineAt(entryLine(caseNode, 'scenario')) });
    return undefined;
  }
  const merged = merge(baseNode ? toPlain(baseNode) : {}, toPlain(own)) as Record<string, unknown>;
  if (merged['name'] === undefined) merged['name'] = id;
  if (decode) merged['metrics'] = merge(merged['metrics'] ?? {}, { [DECODE_METRIC]: 'decode_tokens_per_s_per_gpu' });
  try {
    return parseScenario(JSON.stringify(merged), `${file}#${id}.json`);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    for (const issue of e.issues) {
      const inCase = lineOfPath(own, issue.path);
      const inBase = inCase === undefined ? lineOfPath(baseNode, issue.path) : undefined;
      const where = inCase !== undefined || inBase === undefined ? path : 'base';
      issues.push({
        path: issue.path ? `${where}.${issue.path}` : where,
        message: issue.message,
        ...lineAt(inCase ?? inBase ?? entryLine(caseNode, 'scenario')),
      });
    }
    return undefined;
  }
}

/**
 * Parses and checks a validation set. Every problem is reported together, each with the file,
 * its line and the field path (`cases[3].measured.tpot_ms`), as one InputError.
 */
export function parseValidationSet(text: string, file: string): ValidationSet {
  const root = parseSource(text, file);
  const issues: Issue[] = [];
  if (root.kind !== 'map') throw new InputError([{ path: '', message: 'expected a mapping with `cases:` (and optionally `description:` and `base:`)', ...lineAt(root.line) }], file);
  checkKeys(root, ROOT_KEYS, '', issues);
  const descNode = entry(root, 'description');
  let description: string | undefined;
  if (descNode !== undefined) {
    if (descNode.kind === 'scalar' && typeof descNode.value === 'string') description = descNode.value;
    else issues.push({ path: 'description', message: 'expected a string', ...lineAt(entryLine(root, 'description')) });
  }
  const baseNode = entry(root, 'base');
  if (baseNode !== undefined && baseNode.kind !== 'map') {
    issues.push({ path: 'base', message: 'expected a mapping of scenario fields shared by every case', ...lineAt(entryLine(root, 'base')) });
  }
  const casesNode = entry(root, 'cases');
  const cases: FidelityCase[] = [];
  if (casesNode === undefined) {
    issues.push({ path: 'cases', message: 'is required: a list of measured cases' });
  } else if (casesNode.kind !== 'seq' || casesNode.items.length === 0) {
    issues.push({ path: 'cases', message: 'expected a non-empty list of measured cases', ...lineAt(entryLine(root, 'cases')) });
  } else {
    const seen = new Map<string, number>();
    casesNode.items.forEach((node, i) => {
      const path = `cases[${i}]`;
      if (node.kind !== 'map') {
        issues.push({ path, message: 'expected a mapping (id, publisher, source, engine, setup, assumptions, scenario, measured)', ...lineAt(node.line) });
        return;
      }
      const before = issues.length;
      checkKeys(node, CASE_KEYS, path, issues);
      const id = readString(node, 'id', path, issues, 'a short unique name of lowercase letters, digits, dots, dashes');
      if (id !== undefined) {
        if (!ID_PATTERN.test(id)) {
          issues.push({ path: `${path}.id`, message: `expected lowercase letters, digits, dots, dashes and underscores, got ${JSON.stringify(id)}`, ...lineAt(entryLine(node, 'id')) });
        } else if (seen.has(id)) {
          issues.push({ path: `${path}.id`, message: `"${id}" is already the id of cases[${seen.get(id)}]`, ...lineAt(entryLine(node, 'id')) });
        } else seen.set(id, i);
      }
      const publisher = readString(node, 'publisher', path, issues, 'who published the measurement');
      const source = readString(node, 'source', path, issues, 'the URL of the publication');
      if (source !== undefined && !/^https?:\/\/\S+$/.test(source)) {
        issues.push({ path: `${path}.source`, message: `expected an http(s) URL, got ${JSON.stringify(source)}`, ...lineAt(entryLine(node, 'source')) });
      }
      const engine = readString(node, 'engine', path, issues, 'the serving engine and its version');
      const setup = readString(node, 'setup', path, issues, 'how it was measured (offline, concurrency, ...)');
      const assumptions = readString(node, 'assumptions', path, issues, 'what was assumed where the source is silent ("none" if nothing)');
      const measuredNode = entry(node, 'measured');
      let measured: ReturnType<typeof readMeasured>;
      if (measuredNode === undefined) {
        issues.push({ path: `${path}.measured`, message: 'is required: the measured throughput and/or latency', ...lineAt(node.line) });
      } else if (measuredNode.kind !== 'map') {
        issues.push({ path: `${path}.measured`, message: 'expected a mapping of measurements', ...lineAt(entryLine(node, 'measured')) });
      } else measured = readMeasured(measuredNode, `${path}.measured`, issues);
      const decode = measured?.throughput?.quantity === 'decode_tokens_per_s_per_gpu';
      const scenario = caseScenario(baseNode?.kind === 'map' ? baseNode : undefined, node, i, id ?? `case-${i}`, decode, file, issues);
      const swept = scenario ? Object.values(scenario.inputs).find((inp) => inp?.value.spec.kind === 'sweep') : undefined;
      if (swept) {
        issues.push({ path: `${path}.scenario.${swept.origin}`, message: 'expected one configuration: a validation case has no sweep axes', ...lineAt(lineOfPath(entry(node, 'scenario'), swept.origin) ?? node.line) });
      }
      if (scenario && scenario.throughputMode !== 'roofline') {
        issues.push({ path: `${path}.scenario.throughput.mode`, message: 'expected roofline: a validation case checks the model, measured mode has nothing to predict', ...lineAt(node.line) });
      }
      if (issues.length > before || !scenario || !measured) return;
      cases.push({
        id: id!,
        publisher: publisher!,
        source: source!,
        engine: engine!,
        setup: setup!,
        assumptions: assumptions!,
        line: node.line,
        scenario,
        throughput: measured.throughput,
        latency: measured.latency,
      });
    });
  }
  if (issues.length) {
    // A mistake in `base` comes back from every case that inherits it: say it once.
    const seen = new Set<string>();
    const unique = issues.filter((i) => {
      const k = `${i.line}\u0000${i.path}\u0000${i.message}`;
      return !seen.has(k) && seen.add(k);
    });
    const key = (line: number | undefined): number => line ?? Number.MAX_SAFE_INTEGER;
    throw new InputError(unique.sort((a, b) => key(a.line) - key(b.line)), file);
  }
  return { file, description, cases };
}

/** Reads a validation set; a missing or unreadable file is an InputError (exit 2). */
export async function loadValidationSet(path: string): Promise<ValidationSet> {
  return parseValidationSet(await readInputFile(path, 'the validation set'), path);
}

// ---------------------------------------------------------------- evaluating

/**
 * Defaults to evaluate with, replacing the shipped ones for every input a case leaves to the
 * defaults. `values` are point values (the medians); `uncertainty` gives each uncertain input's
 * log-scale standard deviation sigma: the input is drawn lognormal with median v, so ln(v) +- sigma
 * holds 68% of it and the band is symmetric in ratio. Used to fit the defaults; the shipped ones
 * are DEFAULTS and DEFAULT_UNCERTAINTY.
 */
export interface FidelityDefaults {
  values?: Partial<Record<SlotName, number>>;
  uncertainty?: Partial<Record<SlotName, number>>;
}

/** The case's scenario with the defaults it relies on replaced as `defaults` says. */
export function withDefaults(scenario: Scenario, defaults: FidelityDefaults = {}): Scenario {
  const uncertainty = defaults.uncertainty ?? DEFAULT_UNCERTAINTY;
  const inputs = { ...scenario.inputs };
  for (const def of SLOT_DEFS) {
    const slot = def.name;
    const input = inputs[slot];
    if (!input || input.source !== 'default' || input.value.spec.kind !== 'dist' || input.value.spec.dist.kind !== 'const') continue;
    const v = defaults.values?.[slot] ?? input.value.spec.dist.value;
    const sigma = uncertainty[slot];
    const dist =
      sigma !== undefined && sigma > 0 && v > 0
        ? { kind: 'lognormal' as const, mu: Math.log(v), sigma }
        : { kind: 'const' as const, value: v };
    inputs[slot] = { ...input, value: { ...input.value, spec: { kind: 'dist', dist } } };
  }
  return { ...scenario, inputs };
}

export interface Comparison<Q extends string> {
  quantity: Q;
  measured: number;
  p10: number;
  p50: number;
  p90: number;
  /** Predicted (P50) over measured. */
  ratio: number;
  /** ln(ratio): positive when the model predicts more (faster throughput, longer latency). */
  log_ratio: number;
  /** The measurement lies within the predicted P10-P90 band. */
  in_band: boolean;
}

export interface CaseResult {
  id: string;
  publisher: string;
  source: string;
  accelerator: string;
  model: string;
  gpus_per_replica: number;
  /** Share of samples whose model does not fit in memory (left out of the quantiles). */
  infeasible_fraction: number;
  throughput: Comparison<ThroughputQuantity> | undefined;
  latency: Comparison<LatencyQuantity> | undefined;
  /** Why a measurement could not be compared (every sample infeasible). */
  problem?: string;
}

export interface FidelitySummary {
  /** Measurements compared. */
  cases: number;
  median_abs_log_ratio: number;
  worst_abs_log_ratio: number;
  /** The case with the worst ratio. */
  worst_case: string;
  in_band_share: number;
  /** Targets met: median, worst and in-band share within FIDELITY_TARGETS. */
  meets_targets: boolean;
}

export interface FidelityResult {
  file: string;
  samples: number;
  seed: string;
  cases: CaseResult[];
  summary: { throughput: FidelitySummary | null; latency: FidelitySummary | null };
  targets: typeof FIDELITY_TARGETS;
}

export interface FidelityOptions {
  samples?: number;
  seed?: string;
  defaults?: FidelityDefaults;
  /** The engine to run on (default: the CPU engine on the calling thread). */
  engine?: Engine;
  /** Called after each case. */
  onCase?: (done: number, total: number) => void;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median and worst |ln ratio| and the in-band share over a list of comparisons. */
export function summarize(list: { id: string; log_ratio: number; in_band: boolean }[]): FidelitySummary | null {
  if (list.length === 0) return null;
  const abs = list.map((c) => Math.abs(c.log_ratio));
  const worstIndex = abs.reduce((best, x, i) => (x > abs[best]! ? i : best), 0);
  const med = median(abs);
  const worst = abs[worstIndex]!;
  const share = list.filter((c) => c.in_band).length / list.length;
  return {
    cases: list.length,
    median_abs_log_ratio: med,
    worst_abs_log_ratio: worst,
    worst_case: list[worstIndex]!.id,
    in_band_share: share,
    meets_targets:
      med <= FIDELITY_TARGETS.median_abs_log_ratio && worst <= FIDELITY_TARGETS.worst_abs_log_ratio && share >= FIDELITY_TARGETS.in_band_share,
  };
}

function compare<Q extends string>(m: Measurement<Q>, stats: { p10: number; p50: number; p90: number }): Comparison<Q> {
  const ratio = stats.p50 / m.value;
  return {
    quantity: m.quantity,
    measured: m.value,
    p10: stats.p10,
    p50: stats.p50,
    p90: stats.p90,
    ratio,
    log_ratio: Math.log(ratio),
    in_band: m.value >= stats.p10 && m.value <= stats.p90,
  };
}

/** The random stream the uncertain default efficiencies share. */
const EFFICIENCY_STREAM = streamId('fidelity.efficiency');

/**
 * The plan of a case with the default efficiencies drawn as one factor: every input that
 * `withDefaults` made uncertain reads the same random stream, so they move together (an engine
 * that is slow at its GEMMs is slow at its memory reads too) and the prediction is monotone in
 * that one draw. Its P50 is then the prediction at the defaults themselves, and the P10-P90 band
 * is the defaults' uncertainty carried through the model.
 */
function casePlan(c: FidelityCase, defaults: FidelityDefaults | undefined, samples: number, seed: string): Plan {
  const plan = buildPlan(withDefaults(c.scenario, defaults), { samples, seed });
  const uncertain = new Set(Object.keys(defaults?.uncertainty ?? DEFAULT_UNCERTAINTY));
  const inputs = plan.inputs.map((inp) => {
    const slot = SLOT_DEFS[inp.slot]?.name;
    return slot && uncertain.has(slot) && inp.source === 'default' && inp.dist.kind !== 'const' ? { ...inp, streamId: EFFICIENCY_STREAM } : inp;
  });
  return { ...plan, inputs };
}

/** Runs every case of a set on the CPU engine at one seed and compares it with its measurements. */
export async function evaluateFidelity(set: ValidationSet, options: FidelityOptions = {}): Promise<FidelityResult> {
  const samples = options.samples ?? FIDELITY_SAMPLES;
  const seed = options.seed ?? FIDELITY_SEED;
  const engine = options.engine ?? createCpuEngine({ threads: 1 });
  const results: CaseResult[] = [];
  try {
    for (const [i, c] of set.cases.entries()) {
      const plan = casePlan(c, options.defaults, samples, seed);
      // Exact quantiles up to 2^21 samples (the default 4096 is far below), histograms above.
      const { result } = await simulate(plan, engine, { quantiles: 'auto' });
      const cell = result.cells[0]!;
      const g = c.scenario.inputs.gpus_per_replica?.value.spec;
      const r: CaseResult = {
        id: c.id,
        publisher: c.publisher,
        source: c.source,
        accelerator: c.scenario.accelerator.catalog ?? c.scenario.accelerator.name ?? '',
        model: c.scenario.model.catalog ?? c.scenario.model.name ?? '',
        gpus_per_replica: g?.kind === 'dist' && g.dist.kind === 'const' ? g.dist.value : NaN,
        infeasible_fraction: cell.infeasible_fraction,
        throughput: undefined,
        latency: undefined,
      };
      if (cell.infeasible_fraction >= 1) {
        r.problem = 'the model does not fit in memory in any sample';
      } else {
        if (c.throughput) {
          const metric = c.throughput.quantity === 'decode_tokens_per_s_per_gpu' ? DECODE_METRIC : c.throughput.quantity;
          r.throughput = compare(c.throughput, cell.metrics[metric]!);
        }
        if (c.latency) r.latency = compare(c.latency, cell.metrics[c.latency.quantity]!);
      }
      results.push(r);
      options.onCase?.(i + 1, set.cases.length);
    }
  } finally {
    if (!options.engine) await engine.dispose();
  }
  const pick = (k: 'throughput' | 'latency') =>
    results.flatMap((r) => {
      const c = r[k];
      if (c) return [{ id: r.id, log_ratio: c.log_ratio, in_band: c.in_band }];
      // A measurement the model cannot reach at all counts as a miss, infinitely far off.
      const asked = set.cases.find((x) => x.id === r.id)?.[k];
      return asked && r.problem ? [{ id: r.id, log_ratio: Infinity, in_band: false }] : [];
    });
  return {
    file: set.file,
    samples,
    seed,
    cases: results,
    summary: { throughput: summarize(pick('throughput')), latency: summarize(pick('latency')) },
    targets: FIDELITY_TARGETS,
  };
}
