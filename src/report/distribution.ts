/**
 * Distribution export (`run --format cdf|hist|dist-json`): each metric's CDF and histogram per
 * cell, for plotting in other tools. The summary statistics stay in `--format json`.
 */
import type { Distribution } from '../aggregate/index.js';
import type { RunResult } from '../analysis/index.js';
import { csvField } from './format.js';

/** Distributions in the order of `result.cells` x the cell's metrics (simulate's partial order). */
function eachDistribution(r: RunResult, dists: Distribution[], visit: (c: number, metric: string, d: Distribution) => void): void {
  let i = 0;
  r.cells.forEach((cell, c) => {
    for (const metric of Object.keys(cell.metrics)) {
      const d = dists[i++];
      if (!d) throw new Error(`no distribution for cell ${c}, metric ${metric}`);
      visit(c, metric, d);
    }
  });
  if (i !== dists.length) throw new Error(`${dists.length} distributions for ${i} (cell, metric) pairs`);
}

/** CSV: one row per (cell, metric, probability): the value at or below which that fraction lies. */
export function formatCdfCsv(r: RunResult, dists: Distribution[]): string {
  const axes = Object.keys(r.cells[0]?.point ?? {});
  const lines = [['cell', ...axes, 'metric', 'p', 'value'].map(csvField).join(',')];
  eachDistribution(r, dists, (c, metric, d) => {
    const point = axes.map((a) => r.cells[c]!.point[a]!);
    for (const { p, x } of d.cdf) lines.push([c, ...point, metric, p, x].map(csvField).join(','));
  });
  return lines.join('\n') + '\n';
}

/** CSV: one row per (cell, metric, bin): its edges, count and the fraction of values in it. */
export function formatHistCsv(r: RunResult, dists: Distribution[]): string {
  const axes = Object.keys(r.cells[0]?.point ?? {});
  const lines = [['cell', ...axes, 'metric', 'lo', 'hi', 'count', 'fraction'].map(csvField).join(',')];
  eachDistribution(r, dists, (c, metric, d) => {
    const point = axes.map((a) => r.cells[c]!.point[a]!);
    for (const b of d.bins) lines.push([c, ...point, metric, b.lo, b.hi, b.count, d.count ? b.count / d.count : 0].map(csvField).join(','));
  });
  return lines.join('\n') + '\n';
}

/** JSON: the run's header fields, then per cell and metric `{ count, min, max, log, source, bins, cdf }`. */
export function formatDistributionJson(r: RunResult, dists: Distribution[]): string {
  const cells = r.cells.map((cell) => ({ point: cell.point, samples: cell.samples, infeasible_fraction: cell.infeasible_fraction, metrics: {} as Record<string, Distribution> }));
  eachDistribution(r, dists, (c, metric, d) => (cells[c]!.metrics[metric] = d));
  const { cptsim, scenario, seed, samples, backend, quantiles } = r;
  return JSON.stringify({ cptsim, scenario, seed, samples, backend, quantiles, cells }, null, 2) + '\n';
}
