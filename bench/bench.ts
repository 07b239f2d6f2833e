/**
 * Benchmark: the GPU engine, the CPU engine on all cores and a vectorized NumPy peer
 * (bench/peer_numpy.py), side by side in one invocation. Three sections:
 *
 * - flagship: one scenario at --samples (default 2^23) with histogram quantiles, each engine in
 *   this process; the NumPy peer on the same plan. A speed is samples x cells over the run's
 *   `elapsed_s` (simulate: pilot, engine calls and every summary), the median of --repeat runs
 *   after a warm-up run.
 * - sweep: scenarios/h100-llama70b-sweep.yaml (100 cells) at --sweep-samples (default 1e6) per
 *   cell, and
 * - exact: the flagship at --samples with `--quantiles exact`,
 *   both as whole `cptsim run ... --format json` processes: wall time from spawn to exit (Node
 *   start, scenario, device, run, summaries, JSON out), the run's own elapsed_s, and the process's
 *   peak resident memory (bench/rss-probe.ts). Run --long-repeat times (default 1), median taken.
 *
 *   npm run bench -- [--json] [--samples N] [--repeat R] [--scenario FILE] [--engines gpu,cpu,numpy]
 *                    [--sections flagship,sweep,exact] [--sweep-samples N] [--long-repeat R]
 *
 * The peer is also a third implementation of the model: its quantiles must agree with the
 * engines' within Monte Carlo error (it draws its own random numbers).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { simulate, type RunResult } from '../src/analysis/index.js';
import { createCpuEngine, createGpuEngine, findAdapter, type Engine } from '../src/engine/index.js';
import { flagshipScenario, packageRoot } from '../src/paths.js';
import { buildPlan, type Plan } from '../src/plan/index.js';
import { loadScenario } from '../src/scenario/index.js';
import { readOptions } from './args.js';

interface Args {
  json: boolean;
  samples: number;
  repeat: number;
  scenario: string;
  engines: string[];
  sections: string[];
  sweepSamples: number;
  longRepeat: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    json: false,
    samples: 2 ** 23,
    repeat: 3,
    scenario: flagshipScenario(),
    engines: ['gpu', 'cpu', 'numpy'],
    sections: ['flagship', 'sweep', 'exact'],
    sweepSamples: 1_000_000,
    longRepeat: 1,
  };
  readOptions(argv, {
    flags: { '--json': () => (args.json = true) },
    options: {
      '--samples': (v) => (args.samples = Number(v)),
      '--repeat': (v) => (args.repeat = Number(v)),
      '--scenario': (v) => (args.scenario = v),
      '--engines': (v) => (args.engines = v.split(',')),
      '--sections': (v) => (args.sections = v.split(',')),
      '--sweep-samples': (v) => (args.sweepSamples = Number(v)),
      '--long-repeat': (v) => (args.longRepeat = Number(v)),
    },
  });
  for (const s of args.sections) if (!['flagship', 'sweep', 'exact'].includes(s)) throw new Error(`--sections: unknown section ${s}`);
  if (!Number.isInteger(args.sweepSamples) || args.sweepSamples < 1) throw new Error('--sweep-samples: expected a positive integer');
  if (!Number.isInteger(args.longRepeat) || args.longRepeat < 1) throw new Error('--long-repeat: expected a positive integer');
  if (!Number.isInteger(args.samples) || args.samples < 1) throw new Error('--samples: expected a positive integer');
  if (!Number.isInteger(args.repeat) || args.repeat < 1) throw new Error('--repeat: expected a positive integer');
  return args;
}

interface EngineFigures {
  samples_per_s: number;
  elapsed_s: number;
  adapter?: string;
  software?: boolean;
  threads?: number;
  p10?: number;
  p50?: number;
  p90?: number;
  note?: string;
}

const METRIC = 'cost_per_mtok_output';

/** The line bench/rss-probe.ts writes at a child's exit. */
const PEAK_RSS_TAG = 'cptsim-bench-peak-rss-kib';

/** A whole `cptsim run` process, timed from outside. */
interface ProcessFigures {
  /** Spawn to exit. */
  wall_s: number;
  /** The run's own elapsed_s and samples_per_s (samples x cells / elapsed_s). */
  elapsed_s: number;
  samples_per_s: number;
  /** Samples x cells / wall_s. */
  evaluations_per_wall_s: number;
  peak_rss_kib: number;
  adapter: string;
}

interface LongSection {
  scenario: string;
  samples: number;
  quantiles: string;
  repeat: number;
  engines: Record<string, ProcessFigures>;
  ratios: Record<string, number>;
}

/** Runs `cptsim run` in a child process and times it (see the file comment). */
function cliRun(scenario: string, samples: number, backend: string, flags: string[]): ProcessFigures | { error: string } {
  const root = packageRoot();
  const probe = pathToFileURL(join(root, 'dist', 'bench', 'rss-probe.js')).href;
  const argv = ['--import', probe, join(root, 'dist', 'src', 'cli.js'), 'run', scenario, '--samples', String(samples), '--backend', backend, '--format', 'json', ...flags];
  const t0 = performance.now();
  const p = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wall = (performance.now() - t0) / 1000;
  if (p.status !== 0) return { error: (p.stderr || p.error?.message || `exit ${p.status}`).trim().split('\n').pop()! };
  const rss = new RegExp(`${PEAK_RSS_TAG} (\\d+)`).exec(p.stderr);
  const r = JSON.parse(p.stdout) as RunResult;
  const evaluations = r.samples * r.cells.length;
  return {
    wall_s: wall,
    elapsed_s: r.elapsed_s,
    samples_per_s: r.samples_per_s,
    evaluations_per_wall_s: evaluations / wall,
    peak_rss_kib: rss ? Number(rss[1]) : NaN,
    adapter: r.backend.adapter,
  };
}

/** The run of median speed among `runs`. */
function medianRun<T extends { samples_per_s: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.samples_per_s - b.samples_per_s)[Math.floor((runs.length - 1) / 2)]!;
}

async function timedRuns(plan: Plan, engine: Engine, quantiles: 'exact' | 'hist', repeat: number): Promise<RunResult> {
  // A short warm-up compiles pipelines and starts threads outside the timed runs.
  await simulate({ ...plan, samples: 65536 }, engine, { quantiles });
  const runs: RunResult[] = [];
  for (let k = 0; k < repeat; k++) runs.push((await simulate(plan, engine, { quantiles })).result);
  return medianRun(runs);
}

function figures(r: RunResult): EngineFigures {
  const s = r.cells[0]!.metrics[METRIC]!;
  return { samples_per_s: r.samples_per_s, elapsed_s: r.elapsed_s, p10: s.p10, p50: s.p50, p90: s.p90 };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const plan = buildPlan(await loadScenario(args.scenario), { samples: args.samples });
  const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
  const engines: Record<string, EngineFigures> = {};
  const quantiles = args.samples <= 2 ** 21 ? 'exact' : 'hist';

  const flagship = args.sections.includes('flagship');
  if (flagship && args.engines.includes('gpu')) {
    const adapter = await findAdapter();
    if (!adapter) {
      log('no GPU adapter: the GPU engine is not measured');
    } else {
      const engine = await createGpuEngine({ adapter });
      try {
        const result = await timedRuns(plan, engine, quantiles, args.repeat);
        engines.gpu = { ...figures(result), adapter: engine.info.adapter, software: engine.info.software };
        log(`gpu: ${(result.samples_per_s / 1e6).toFixed(2)} M samples/s`);
      } finally {
        await engine.dispose();
      }
    }
  }
  if (flagship && args.engines.includes('cpu')) {
    const threads = availableParallelism();
    const engine = createCpuEngine({ threads });
    try {
      const result = await timedRuns(plan, engine, quantiles, args.repeat);
      engines.cpu = { ...figures(result), threads };
      log(`cpu: ${(result.samples_per_s / 1e6).toFixed(2)} M samples/s on ${threads} threads`);
    } finally {
      await engine.dispose();
    }
  }
  if (flagship && args.engines.includes('numpy')) {
    const dir = mkdtempSync(join(tmpdir(), 'cptsim-bench-'));
    try {
      const planFile = join(dir, 'plan.json');
      writeFileSync(planFile, JSON.stringify(plan));
      type PeerResult = {
        samples_per_s: number;
        elapsed_s: number;
        quantiles: Record<string, { p10: number; p50: number; p90: number }>;
      };
      const runs: PeerResult[] = [];
      for (let k = 0; k < args.repeat; k++) {
        const py = spawnSync('python3', [join(packageRoot(), 'bench', 'peer_numpy.py'), planFile, String(args.samples)], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        if (py.status !== 0) {
          log(`numpy peer failed: ${(py.stderr || py.error?.message || '').trim().split('\n').pop()}`);
          break;
        }
        runs.push(JSON.parse(py.stdout.trim().split('\n').pop()!) as PeerResult);
      }
      if (runs.length === args.repeat) {
        const r = medianRun(runs);
        const q = r.quantiles[METRIC]!;
        engines.numpy = { samples_per_s: r.samples_per_s, elapsed_s: r.elapsed_s, p10: q.p10, p50: q.p50, p90: q.p90 };
        log(`numpy: ${(r.samples_per_s / 1e6).toFixed(2)} M samples/s`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const ratios: Record<string, number> = {};
  const e = engines;
  if (e.gpu && e.cpu) ratios.gpu_over_cpu = e.gpu.samples_per_s / e.cpu.samples_per_s;
  if (e.gpu && e.numpy) ratios.gpu_over_numpy = e.gpu.samples_per_s / e.numpy.samples_per_s;
  if (e.cpu && e.numpy) ratios.cpu_over_numpy = e.cpu.samples_per_s / e.numpy.samples_per_s;

  // Agreement of the three implementations on the headline metric's quantiles.
  const agreement: Record<string, number> = {};
  const names = Object.keys(engines);
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = engines[names[i]!]!;
      const b = engines[names[j]!]!;
      agreement[`${names[i]}_vs_${names[j]}`] = Math.max(
        ...(['p10', 'p50', 'p90'] as const).map((k) => Math.abs(a[k]! / b[k]! - 1)),
      );
    }
  }

  const long = (section: 'sweep' | 'exact'): LongSection | undefined => {
    if (!args.sections.includes(section)) return undefined;
    const scenario = section === 'sweep' ? join(packageRoot(), 'scenarios', 'h100-llama70b-sweep.yaml') : args.scenario;
    const samples = section === 'sweep' ? args.sweepSamples : args.samples;
    const flags = section === 'sweep' ? ['--quantiles', 'hist'] : ['--quantiles', 'exact'];
    const figures: Record<string, ProcessFigures> = {};
    for (const engine of args.engines.filter((e) => e === 'gpu' || e === 'cpu')) {
      const runs: ProcessFigures[] = [];
      for (let k = 0; k < args.longRepeat; k++) {
        const r = cliRun(scenario, samples, engine, flags);
        if ('error' in r) {
          log(`${section} on ${engine}: ${r.error}`);
          break;
        }
        runs.push(r);
      }
      if (runs.length !== args.longRepeat) continue;
      const r = [...runs].sort((a, b) => a.wall_s - b.wall_s)[Math.floor((runs.length - 1) / 2)]!;
      figures[engine] = r;
      log(`${section} on ${engine}: ${r.wall_s.toFixed(1)} s wall, ${(r.peak_rss_kib / 1024).toFixed(0)} MiB peak`);
    }
    const ratios: Record<string, number> = {};
    if (figures.gpu && figures.cpu) ratios.cpu_wall_over_gpu_wall = figures.cpu.wall_s / figures.gpu.wall_s;
    return { scenario, samples, quantiles: flags[1]!, repeat: args.longRepeat, engines: figures, ratios };
  };
  const sweep = long('sweep');
  const exact = long('exact');

  const out = {
    scenario: plan.name,
    samples: args.samples,
    repeat: args.repeat,
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`,
    engines,
    ratios,
    quantile_agreement: { metric: METRIC, max_relative_difference_p10_p50_p90: agreement },
    ...(sweep ? { sweep } : {}),
    ...(exact ? { exact } : {}),
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else {
    for (const [k, v] of Object.entries(engines)) {
      process.stdout.write(`${k.padEnd(6)} ${(v.samples_per_s / 1e6).toFixed(2).padStart(8)} M samples/s  P50 ${v.p50?.toFixed(4)}\n`);
    }
    for (const [k, v] of Object.entries(ratios)) process.stdout.write(`${k}: ${v.toFixed(2)}x\n`);
    for (const [name, sec] of Object.entries({ sweep, exact })) {
      for (const [k, v] of Object.entries(sec?.engines ?? {})) {
        process.stdout.write(`${name} ${k.padEnd(4)} ${v.wall_s.toFixed(1).padStart(7)} s wall  ${v.elapsed_s.toFixed(1).padStart(7)} s elapsed_s  ${(v.peak_rss_kib / 1024).toFixed(0).padStart(6)} MiB peak\n`);
      }
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
