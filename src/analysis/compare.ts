/**
 * `cptsim compare a.yaml b.yaml [...]`: scenarios run on common random numbers (one seed, the
 * same sample indices, each input path drawing the same uniforms in every scenario), so that the
 * difference B - A and the ratio B / A are taken sample by sample. With more than two scenarios,
 * each is compared with the first. Sweep cells pair up by point: when one scenario's axes are a
 * subset of the other's (same paths, same values), each cell of the larger grid pairs with the
 * cell of the smaller one at the same values.
 */
import { statsOfValues, type Stats } from '../aggregate/index.js';
import { InputError } from '../errors.js';
import type { BackendInfo, Engine } from '../engine/index.js';
import { cellCount, cellIndices, cellPoint, type Plan } from '../plan/index.js';
import { checkPairable, sampleValues } from './paired.js';
import { packageVersion } from '../paths.js';

export interface PairedMetric {
  /** Each scenario's own summary over its feasible samples (what `run` reports). */
  a: Stats;
  b: Stats;
  /** B - A per sample, over the samples feasible in both. */
  difference: Stats;
  /** B / A per sample, where A is not 0. */
  ratio: Stats;
  /** Share of paired samples with B strictly below A (ties count as not below), and its binomial standard error. */
  p_b_less_than_a: number;
  p_b_less_than_a_stderr: number;
  /** Samples feasible in both scenarios. */
  pairs: number;
}

export interface CompareCell {
  point: Record<string, number>;
  metrics: Record<string, PairedMetric>;
}

export interface Comparison {
  a: string;
  b: string;
  cells: CompareCell[];
}

export interface CompareResult {
  cptsim: string;
  scenarios: string[];
  seed: string;
  samples: number;
  sampling: string;
  backend: { kind: BackendInfo['kind']; adapter: string; software: boolean; threads?: number };
  elapsed_s: number;
  comparisons: Comparison[];
  /** With two scenarios and no sweep: the one comparison's metrics (comparisons[0].cells[0].metrics). */
  metrics?: Record<string, PairedMetric>;
}

export interface CompareOptions {
  /** Metric names to compare (default: every metric the scenarios share, in the first's order). */
  metrics?: readonly string[];
  /** The scenarios' files, for messages. */
  files?: readonly string[];
  onProgress?: (done: number, total: number) => void;
  now?: () => number;
}

/**
 * For a pair of plans, the grid the comparison's cells follow and, per cell of it, the cell of
 * each plan. One plan's axes must be among the other's, with the same values.
 */
export function pairCells(a: Plan, b: Plan, files: readonly [string, string]): { grid: Plan; cellsA: number[]; cellsB: number[] } {
  const within = (small: Plan, big: Plan): boolean =>
    small.axes.every((ax) => {
      const other = big.axes.find((x) => x.path === ax.path);
      return other !== undefined && other.values.length === ax.values.length && other.values.every((v, i) => v === ax.values[i]);
    });
  const [grid, other] = within(a, b) ? [b, a] : within(b, a) ? [a, b] : [undefined, undefined];
  if (!grid || !other) {
    const axes = (p: Plan): string => (p.axes.length ? p.axes.map((x) => `${x.path} [${x.values.join(', ')}]`).join(' x ') : 'nothing');
    throw new InputError([
      { path: '', message: `sweep cells pair up by point, so one scenario's sweep axes must be among the other's with the same values: ${files[0]} sweeps ${axes(a)}, ${files[1]} sweeps ${axes(b)}` },
    ]);
  }
  const n = cellCount(grid);
  const map: number[] = [];
  for (let c = 0; c < n; c++) {
    const idx = cellIndices(grid, c);
    // Row-major index of the same values in `other`'s grid.
    let k = 0;
    for (const ax of other.axes) {
      const g = grid.axes.findIndex((x) => x.path === ax.path);
      k = k * ax.values.length + idx[g]!;
    }
    map.push(k);
  }
  const identity = Array.from({ length: n }, (_, c) => c);
  return grid === b ? { grid, cellsA: map, cellsB: identity } : { grid, cellsA: identity, cellsB: map };
}

/** The paired summary of one metric in one cell. */
export function pairedMetric(a: Float32Array, b: Float32Array): PairedMetric {
  const n = a.length;
  const diff = new Float64Array(n);
  const ratio = new Float64Array(n);
  let pairs = 0;
  let below = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== x || y !== y) {
      diff[i] = NaN;
      ratio[i] = NaN;
      continue;
    }
    pairs++;
    if (y < x) below++;
    diff[i] = y - x;
    ratio[i] = x !== 0 ? y / x : NaN;
  }
  const p = pairs ? below / pairs : NaN;
  const strip = ({ count: _c, ...s }: Stats & { count: number }): Stats => s;
  return {
    a: strip(statsOfValues(a)),
    b: strip(statsOfValues(b)),
    difference: strip(statsOfValues(diff)),
    ratio: strip(statsOfValues(ratio)),
    p_b_less_than_a: p,
    p_b_less_than_a_stderr: pairs ? Math.sqrt((p * (1 - p)) / pairs) : NaN,
    pairs,
  };
}

/** The metrics to compare: those asked for (each in every scenario), else every shared one. */
export function comparedMetrics(plans: readonly Plan[], asked: readonly string[] | undefined, files: readonly string[]): string[] {
  const shared = plans[0]!.metrics.filter((m) => plans.every((p) => p.metrics.includes(m)));
  if (asked && asked.length) {
    for (const m of asked) {
      const i = plans.findIndex((p) => !p.metrics.includes(m));
      if (i >= 0) {
        throw new InputError([{ path: '--metric', message: `${files[i] ?? plans[i]!.name} has no metric "${m}" (it has ${plans[i]!.metrics.join(', ')})` }]);
      }
    }
    return [...asked];
  }
  if (!shared.length) throw new InputError([{ path: '', message: `the scenarios have no metric in common (${files.join(', ')})` }]);
  return shared;
}

export async function compare(plans: readonly Plan[], engine: Engine, options: CompareOptions = {}): Promise<CompareResult> {
  if (plans.length < 2) throw new InputError([{ path: '', message: 'compare needs at least two scenarios' }]);
  const now = options.now ?? (() => performance.now() / 1000);
  const t0 = now();
  const files = options.files ?? plans.map((p) => p.name);
  checkPairable(plans, files, 'compare');
  const metrics = comparedMetrics(plans, options.metrics, files);

  // Every scenario runs once; its values serve every pair it is in.
  const total = plans.reduce((s, p) => s + p.samples, 0);
  let before = 0;
  const values: Float32Array[][][] = [];
  for (const plan of plans) {
    const idx = metrics.map((m) => plan.metrics.indexOf(m));
    values.push(await sampleValues(plan, engine, idx, (d) => options.onProgress?.(before + d, total)));
    before += plan.samples;
  }

  const a = plans[0]!;
  const comparisons: Comparison[] = plans.slice(1).map((b, j) => {
    const { grid, cellsA, cellsB } = pairCells(a, b, [files[0]!, files[j + 1]!]);
    const cells: CompareCell[] = cellsA.map((ca, c) => ({
      point: cellPoint(grid, c),
      metrics: Object.fromEntries(metrics.map((m, k) => [m, pairedMetric(values[0]![ca]![k]!, values[j + 1]![cellsB[c]!]![k]!)])),
    }));
    return { a: a.name, b: b.name, cells };
  });
  const result: CompareResult = {
    cptsim: packageVersion(),
    scenarios: plans.map((p) => p.name),
    seed: a.seed,
    samples: a.samples,
    sampling: a.sampling ?? 'random',
    backend: { ...engine.info },
    elapsed_s: Math.max(now() - t0, 0),
    comparisons,
  };
  if (comparisons.length === 1 && comparisons[0]!.cells.length === 1) result.metrics = comparisons[0]!.cells[0]!.metrics;
  return result;
}
