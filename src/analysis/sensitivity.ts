/**
 * Which inputs drive a metric: tornado swings, Sobol indices (first order and total), and rank
 * correlations. Every method runs the plan's own engine as a black box; runs share the seed, so
 * they share their random numbers wherever they do not deliberately differ.
 */
import seedrandom from 'seedrandom';
import { sortedQuantile, type PartialSums, type Stats } from '../aggregate/index.js';
import type { Engine } from '../engine/index.js';
import { InputError } from '../errors.js';
import { cellCount, cellDists, planCopula, type Plan, type PlanInput } from '../plan/index.js';
import { CopulaSampler, prepareDist, qmcInput, quantile, samplePreparedQuad, streamId } from '../sampling/index.js';
import { simulate } from './simulate.js';

/** The plan of one sweep cell: swept inputs become constants, and there are no axes. */
export function planOfCell(plan: Plan, cell: number): Plan {
  if (cell < 0 || cell >= cellCount(plan)) {
    throw new InputError([{ path: '--cell', message: `expected a cell from 0 to ${cellCount(plan) - 1}, got ${cell}` }]);
  }
  const dists = cellDists(plan, cell);
  return {
    ...plan,
    axes: [],
    inputs: plan.inputs.map((inp, i) => ({ ...inp, dist: dists[i]!, sweepAxis: null })),
  };
}

/** The inputs a sensitivity analysis varies: every uncertain (random, not swept) one. */
export function uncertainInputs(plan: Plan): PlanInput[] {
  return plan.inputs.filter((inp) => inp.sweepAxis === null && inp.dist.kind !== 'const');
}

function withInput(plan: Plan, slot: number, change: Partial<PlanInput> & object): Plan {
  return { ...plan, inputs: plan.inputs.map((inp) => (inp.slot === slot ? { ...inp, ...change } : inp)) };
}

function requireMetric(plan: Plan, metric: string): void {
  if (!(plan.metrics as readonly string[]).includes(metric)) {
    throw new InputError([{ path: '--metric', message: `expected one of ${plan.metrics.join(', ')}, got "${metric}"` }]);
  }
}

function requireUncertain(plan: Plan): PlanInput[] {
  const inputs = uncertainInputs(plan);
  if (inputs.length === 0) {
    throw new InputError([{ path: '', message: 'the scenario has no uncertain inputs: nothing to rank' }]);
  }
  return inputs;
}

// ---------------------------------------------------------------------------------------------
// Tornado

export type StatisticName = keyof Stats;

export interface TornadoBar {
  path: string;
  /** The input's 10th and 90th percentiles. */
  p10_value: number;
  p90_value: number;
  /** The metric's statistic with the input fixed there, all other inputs sampled. */
  at_p10: number;
  at_p90: number;
  swing: number;
}

export interface TornadoResult {
  method: 'tornado';
  scenario: string;
  metric: string;
  statistic: StatisticName;
  samples: number;
  point: Record<string, number>;
  base: number;
  inputs: TornadoBar[];
}

export interface TornadoOptions {
  metric: string;
  statistic: StatisticName;
  /** Samples done of all runs' samples: (1 + 2 inputs) runs of plan.samples. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * For each uncertain input, the statistic of the metric with that input at its P10 and at its
 * P90 and every other input sampled; bars sorted by swing, largest first.
 */
export async function tornado(plan: Plan, engine: Engine, opts: TornadoOptions): Promise<TornadoResult> {
  requireMetric(plan, opts.metric);
  const inputs = requireUncertain(plan);
  const runs = 1 + 2 * inputs.length;
  const n = plan.samples;
  let done = 0;
  const statOf = async (p: Plan) => {
    const before = done * n;
    const { result } = await simulate(p, engine, {
      ...(opts.onProgress ? { onProgress: (d: number) => opts.onProgress!(before + d, runs * n) } : {}),
    });
    done++;
    return result.cells[0]!.metrics[opts.metric]![opts.statistic];
  };
  const base = await statOf(plan);
  const bars: TornadoBar[] = [];
  for (const inp of inputs) {
    const lo = quantile(inp.dist, 0.1);
    const hi = quantile(inp.dist, 0.9);
    const atLo = await statOf(withInput(plan, inp.slot, { dist: { kind: 'const', value: lo } }));
    const atHi = await statOf(withInput(plan, inp.slot, { dist: { kind: 'const', value: hi } }));
    bars.push({ path: inp.path, p10_value: lo, p90_value: hi, at_p10: atLo, at_p90: atHi, swing: Math.abs(atHi - atLo) });
  }
  bars.sort((a, b) => b.swing - a.swing || a.path.localeCompare(b.path));
  return {
    method: 'tornado',
    scenario: plan.name,
    metric: opts.metric,
    statistic: opts.statistic,
    samples: plan.samples,
    point: {},
    base,
    inputs: bars,
  };
}

// ---------------------------------------------------------------------------------------------
// Sobol indices

export interface SobolIndex {
  first: number;
  total: number;
  first_ci: [number, number];
  total_ci: [number, number];
}

export interface SobolResult {
  method: 'sobol';
  scenario: string;
  samples: number;
  /** Model evaluations: samples x (inputs + 2). */
  evaluations: number;
  bootstrap: number;
  confidence: number;
  point: Record<string, number>;
  metrics: Record<string, Record<string, SobolIndex>>;
  /** Per metric, the samples used (those where every evaluation of the row was feasible and finite). */
  samples_used: Record<string, number>;
}

export interface SobolOptions {
  /** Base sample count N (default SOBOL_DEFAULT_SAMPLES). */
  samples?: number;
  bootstrap?: number;
  confidence?: number;
  /** Evaluations done of N (d + 2). */
  onProgress?: (done: number, total: number) => void;
}

/** Largest base sample count: (inputs + 2) exact runs of it are held in memory at once. */
export const SOBOL_MAX_SAMPLES = 2 ** 20;
/** Base sample count of a Sobol analysis when none is asked for: N (d + 2) evaluations, N = 2^14. */
export const SOBOL_DEFAULT_SAMPLES = 2 ** 14;

/** Rank correlations of fewer samples than this are too coarse to rank anything. */
export const MIN_RANK_SAMPLES = 100;
/** A rank analysis runs the scenario's own sample count, up to this many (one exact run in memory). */
export const RANK_DEFAULT_MAX_SAMPLES = 2 ** 18;

/**
 * The sample count of a rank analysis: `asked` (--samples), or the plan's own up to
 * RANK_DEFAULT_MAX_SAMPLES; an InputError below MIN_RANK_SAMPLES.
 */
export function rankSampleCount(plan: Plan, asked?: number): number {
  if (asked !== undefined && asked < MIN_RANK_SAMPLES) {
    throw new InputError([{ path: '--samples', message: `rank correlations need at least ${MIN_RANK_SAMPLES} samples, got ${asked}` }]);
  }
  const samples = asked ?? Math.min(plan.samples, RANK_DEFAULT_MAX_SAMPLES);
  if (samples < MIN_RANK_SAMPLES) {
    throw new InputError([{ path: '--samples', message: `rank correlations need at least ${MIN_RANK_SAMPLES} samples; the scenario has ${samples}, give --samples` }]);
  }
  return samples;
}

/**
 * Saltelli's estimator of the first-order index and Jansen's of the total index, for one input,
 * from model values on the sample matrices A, B and AB_i (A with input i taken from B):
 *   S_i  = mean(f_B (f_ABi - f_A)) / V          (Saltelli et al. 2010, Comput. Phys. Commun. 181, 259, eq. (b) of table 2)
 *   ST_i = mean((f_A - f_ABi)^2) / (2 V)        (Jansen 1999, Comput. Phys. Commun. 117, 35)
 * with V the variance of f over A and B together. `rows` selects the sample rows to use (with
 * repeats, for the bootstrap).
 */
export function sobolEstimate(
  fA: ArrayLike<number>,
  fB: ArrayLike<number>,
  fABi: ArrayLike<number>,
  rows: ArrayLike<number>,
): { first: number; total: number } {
  const n = rows.length;
  let s = 0;
  let ss = 0;
  for (let k = 0; k < n; k++) {
    const j = rows[k]!;
    s += fA[j]! + fB[j]!;
  }
  const mean = s / (2 * n);
  let first = 0;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const j = rows[k]!;
    const a = fA[j]!;
    const b = fB[j]!;
    const ab = fABi[j]!;
    ss += (a - mean) ** 2 + (b - mean) ** 2;
    first += b * (ab - a);
    total += (a - ab) ** 2;
  }
  const v = ss / (2 * n - 1);
  return { first: first / n / v, total: total / (2 * n) / v };
}

/** Indices with bootstrap percentile intervals for every input of one metric. */
export function sobolIndicesFromValues(
  fA: ArrayLike<number>,
  fB: ArrayLike<number>,
  fAB: ArrayLike<number>[],
  bootstrap: number,
  confidence: number,
  seed: string,
): { indices: SobolIndex[]; used: number } {
  // Rows where every evaluation is a number (infeasible samples are NaN).
  const good: number[] = [];
  for (let j = 0; j < fA.length; j++) {
    let ok = Number.isFinite(fA[j]!) && Number.isFinite(fB[j]!);
    for (let i = 0; ok && i < fAB.length; i++) ok = Number.isFinite(fAB[i]![j]!);
    if (ok) good.push(j);
  }
  const rows = Int32Array.from(good);
  const rng = seedrandom(`${seed}#bootstrap`);
  const resamples = Array.from({ length: bootstrap }, () => Int32Array.from(rows, () => rows[Math.floor(rng() * rows.length)]!));
  const tail = (1 - confidence) / 2;
  const indices = fAB.map((fABi) => {
    const point = sobolEstimate(fA, fB, fABi, rows);
    const firsts: number[] = [];
    const totals: number[] = [];
    for (const r of resamples) {
      const e = sobolEstimate(fA, fB, fABi, r);
      firsts.push(e.first);
      totals.push(e.total);
    }
    firsts.sort((a, b) => a - b);
    totals.sort((a, b) => a - b);
    return {
      first: point.first,
      total: point.total,
      first_ci: [sortedQuantile(firsts, tail), sortedQuantile(firsts, 1 - tail)] as [number, number],
      total_ci: [sortedQuantile(totals, tail), sortedQuantile(totals, 1 - tail)] as [number, number],
    };
  });
  return { indices, used: rows.length };
}

/** The stream that stands in for matrix B: another stream of the same input. */
function streamB(inp: PlanInput): number {
  return streamId(`${inp.path}#sobol-B`);
}

/**
 * Sobol indices of every uncertain input for every metric: N (d + 2) evaluations on the engine
 * (A, B, and each AB_i), exact values kept per sample so that rows pair up.
 */
export async function sobolAnalysis(plan: Plan, engine: Engine, opts: SobolOptions): Promise<SobolResult> {
  const inputs = requireUncertain(plan);
  if (planCopula(plan, inputs) !== null) {
    // Sobol's variance decomposition (and the A/B stream swap that estimates it) holds for
    // independent inputs only; with dependent ones the indices no longer add up or mean a share.
    throw new InputError([
      {
        path: 'correlations',
        message: 'Sobol indices assume independent inputs, and this scenario correlates some (correlations:); use --method rank or --method tornado, or leave the correlations out',
      },
    ]);
  }
  const n = opts.samples ?? SOBOL_DEFAULT_SAMPLES;
  if (!Number.isInteger(n) || n < 16 || n > SOBOL_MAX_SAMPLES) {
    throw new InputError([{ path: '--samples', message: `expected a whole number of base samples from 16 to 2^20 for Sobol indices, got ${n}` }]);
  }
  const taken = new Set(plan.inputs.map((i) => i.streamId));
  for (const inp of inputs) {
    if (taken.has(streamB(inp))) throw new Error(`the B stream of ${inp.path} collides with another input's stream`);
  }
  const bootstrap = opts.bootstrap ?? 100;
  const confidence = opts.confidence ?? 0.95;
  const runs = inputs.length + 2;
  let done = 0;
  const valuesOf = async (p: Plan): Promise<Float32Array[]> => {
    const before = done * n;
    const part: PartialSums = await engine.run(
      { ...p, samples: n },
      {
        start: 0,
        count: n,
        mode: 'exact',
        keepInfeasible: true,
        ...(opts.onProgress ? { onProgress: (d: number) => opts.onProgress!(before + d, runs * n) } : {}),
      },
    );
    opts.onProgress?.(++done * n, runs * n);
    return part.values!;
  };
  const planB: Plan = { ...plan, inputs: plan.inputs.map((inp) => (inputs.includes(inp) ? { ...inp, streamId: streamB(inp) } : inp)) };
  const a = await valuesOf(plan);
  const b = await valuesOf(planB);
  const ab: Float32Array[][] = [];
  for (const inp of inputs) ab.push(await valuesOf(withInput(plan, inp.slot, { streamId: streamB(inp) })));

  const metrics: Record<string, Record<string, SobolIndex>> = {};
  const used: Record<string, number> = {};
  plan.metrics.forEach((m, k) => {
    const r = sobolIndicesFromValues(a[k]!, b[k]!, ab.map((x) => x[k]!), bootstrap, confidence, `${plan.seed}#${m}`);
    used[m] = r.used;
    metrics[m] = Object.fromEntries(inputs.map((inp, i) => [inp.path, r.indices[i]!]));
  });
  return {
    method: 'sobol',
    scenario: plan.name,
    samples: n,
    evaluations: n * runs,
    bootstrap,
    confidence,
    point: {},
    metrics,
    samples_used: used,
  };
}

// ---------------------------------------------------------------------------------------------
// Rank correlation

export interface RankResult {
  method: 'rank';
  scenario: string;
  samples: number;
  point: Record<string, number>;
  /** Per metric, Spearman's rank correlation of each uncertain input with it (feasible samples). */
  metrics: Record<string, Record<string, number>>;
}

/** Average ranks (ties share their mean rank), 0-based. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => values[i]! - values[j]!);
  const r = new Float64Array(n);
  for (let k = 0; k < n; ) {
    let e = k;
    while (e + 1 < n && values[order[e + 1]!] === values[order[k]!]) e++;
    const avg = (k + e) / 2;
    for (let t = k; t <= e; t++) r[order[t]!] = avg;
    k = e + 1;
  }
  return r;
}

/** Spearman's rho: Pearson's correlation of the ranks. NaN when either side is constant. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const rx = ranks(x);
  const ry = ranks(y);
  const n = rx.length;
  const mean = (n - 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mean;
    const dy = ry[i]! - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/**
 * The inputs' values of samples [0, n), drawn again on the host exactly as the engines draw them
 * (the streams are a pure function of seed, input and sample index).
 */
export function inputSamples(plan: Plan, inp: PlanInput, n: number): Float64Array {
  const out = new Float64Array(n);
  const quad = new Float64Array(4);
  // Under lhs or sobol the input is dimension r of the design, r its place among the random inputs.
  const scheme = plan.sampling ?? 'random';
  const random = uncertainInputs(plan);
  const r = random.indexOf(inp);
  const prepOf = (i: PlanInput, dim: number) =>
    prepareDist(i.dist, scheme === 'random' ? undefined : qmcInput({ scheme, samples: plan.samples }, plan.key, dim, i.streamId));
  const copula = planCopula(plan, random);
  const k = copula ? copula.entries.indexOf(r) : -1;
  if (copula && k >= 0) {
    // A correlated input: drawn with its partners through the copula, as the engines draw it.
    const sampler = new CopulaSampler(
      copula.entries.map((e) => prepOf(random[e]!, e)),
      copula.entries.map((e) => random[e]!.streamId),
      copula.lower,
    );
    const all = new Float64Array(4 * copula.entries.length);
    for (let q = 0; q * 4 < n; q++) {
      sampler.quad(plan.key, q, all);
      for (let j = 0; j < 4 && 4 * q + j < n; j++) out[4 * q + j] = all[4 * k + j]!;
    }
    return out;
  }
  const prep = prepOf(inp, r);
  for (let q = 0; q * 4 < n; q++) {
    samplePreparedQuad(prep, plan.key, inp.streamId, q, quad);
    for (let j = 0; j < 4 && 4 * q + j < n; j++) out[4 * q + j] = quad[j]!;
  }
  return out;
}

/** Spearman rank correlation of every uncertain input with every metric, over one run's samples. */
export async function rankCorrelation(
  plan: Plan,
  engine: Engine,
  samples: number,
  onProgress?: (done: number, total: number) => void,
): Promise<RankResult> {
  const inputs = requireUncertain(plan);
  const run = { ...plan, samples };
  const part = await engine.run(run, {
    start: 0,
    count: samples,
    mode: 'exact',
    keepInfeasible: true,
    ...(onProgress ? { onProgress: (done: number) => onProgress(done, samples) } : {}),
  });
  onProgress?.(samples, samples);
  const xs = inputs.map((inp) => inputSamples(run, inp, samples));
  const metrics: Record<string, Record<string, number>> = {};
  plan.metrics.forEach((m, k) => {
    const y = part.values![k]!;
    const keep: number[] = [];
    for (let j = 0; j < samples; j++) if (Number.isFinite(y[j]!)) keep.push(j);
    const yk = Float64Array.from(keep, (j) => y[j]!);
    const entries = inputs.map((inp, i) => [inp.path, spearman(Float64Array.from(keep, (j) => xs[i]![j]!), yk)] as const);
    entries.sort((p, q) => Math.abs(q[1]) - Math.abs(p[1]) || p[0].localeCompare(q[0]));
    metrics[m] = Object.fromEntries(entries);
  });
  return { method: 'rank', scenario: plan.name, samples, point: {}, metrics };
}


