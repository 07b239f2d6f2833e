/**
 * Memory benchmark: does a run's peak memory stay flat as the sample count grows? Runs the CLI
 * (`cptsim run SCENARIO --samples N --format json`) as a child process once per sample count and
 * records its peak resident set size, measured by the child itself at exit (bench/peak-rss.ts,
 * preloaded with `node --import`: /proc/self/status VmHWM, and getrusage's maxRSS).
 *
 *   node dist/bench/memory.js [--samples 5e7,1e9] [--scenario FILE] [--backend gpu|cpu|auto]
 *                             [--quantiles auto|hist|exact] [--threads N]
 *
 * Defaults: the flagship scenario, 5e7 and 1e9 samples, the GPU engine, `--quantiles auto` (which
 * picks histograms above 2^21 sample-cells, so both runs stream). Prints JSON: per run the peak
 * RSS in MiB, wall time, samples/s and the quantile method; then the ratio of the largest run's
 * peak to the smallest's against the ratio of their sample counts. Exits 1 when a run fails.
 * On the GPU engine over a software adapter (lavapipe) the device's buffers are host memory, so
 * the figure covers them too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../src/analysis/index.js';
import { flagshipScenario, packageRoot, packageVersion } from '../src/paths.js';
import { readOptions } from './args.js';

interface Args {
  samples: number[];
  scenario: string;
  backend: string;
  quantiles: string;
  threads: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { samples: [5e7, 1e9], scenario: flagshipScenario(), backend: 'gpu', quantiles: 'auto', threads: null };
  readOptions(argv, {
    options: {
      '--samples': (v) => (args.samples = v.split(',').map(Number)),
      '--scenario': (v) => (args.scenario = v),
      '--backend': (v) => (args.backend = v),
      '--quantiles': (v) => (args.quantiles = v),
      '--threads': (v) => (args.threads = v),
    },
  });
  if (args.samples.length === 0 || !args.samples.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    throw new Error('--samples: expected a comma-separated list of positive integers');
  }
  return args;
}

interface RunFigures {
  samples: number;
  peak_rss_mib: number;
  /** getrusage's figure, for comparison (the same on Linux). */
  max_rss_mib: number;
  wall_s: number;
  samples_per_s: number;
  quantiles: string;
  adapter: string;
}

function runOnce(args: Args, samples: number, dir: string): RunFigures {
  const rssFile = join(dir, `rss-${samples}.json`);
  const cli = join(packageRoot(), 'dist', 'src', 'cli.js');
  const probe = join(packageRoot(), 'dist', 'bench', 'peak-rss.js');
  const argv = ['--import', probe, cli, 'run', args.scenario, '--samples', String(samples), '--backend', args.backend];
  argv.push('--quantiles', args.quantiles, '--format', 'json', '--quiet');
  if (args.threads) argv.push('--threads', args.threads);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, {
    encoding: 'utf8',
    env: { ...process.env, CPTSIM_PEAK_RSS_FILE: rssFile },
    maxBuffer: 256 << 20,
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`cptsim run --samples ${samples} exited ${r.status}: ${r.stderr.trim()}`);
  const result = JSON.parse(r.stdout) as RunResult;
  const rss = JSON.parse(readFileSync(rssFile, 'utf8')) as { vm_hwm_kib: number | null; max_rss_kib: number };
  return {
    samples,
    peak_rss_mib: (rss.vm_hwm_kib ?? rss.max_rss_kib) / 1024,
    max_rss_mib: rss.max_rss_kib / 1024,
    wall_s: wall,
    samples_per_s: samples / wall,
    quantiles: result.quantiles.method,
    adapter: result.backend.adapter,
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'cptsim-memory-'));
  try {
    const runs = [...args.samples].sort((a, b) => a - b).map((n) => {
      process.stderr.write(`memory: ${n.toExponential(2)} samples ...\n`);
      const f = runOnce(args, n, dir);
      process.stderr.write(`memory: ${n.toExponential(2)} samples: peak ${f.peak_rss_mib.toFixed(1)} MiB in ${f.wall_s.toFixed(1)} s\n`);
      return f;
    });
    const first = runs[0]!;
    const last = runs[runs.length - 1]!;
    const out = {
      cptsim: packageVersion(),
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gib: totalmem() / 2 ** 30, node: process.version },
      scenario: args.scenario,
      backend: args.backend,
      quantiles: args.quantiles,
      runs,
      samples_ratio: last.samples / first.samples,
      peak_ratio: last.peak_rss_mib / first.peak_rss_mib,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`memory: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
