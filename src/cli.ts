#!/usr/bin/env node
/**
 * The `cptsim` command: parses flags, calls the library, prints. Errors are printed once, here,
 * without a stack trace unless --debug; exit codes are DESIGN.md's (0 ok, 1 runtime, 2 bad input).
 */
import { realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  checkExactMemory,
  explainPlan,
  planOfCell,
  rankCorrelation,
  simulate,
  sobolAnalysis,
  tornado,
  SOBOL_MAX_SAMPLES,
  type StatisticName,
} from './analysis/index.js';
import { QUANTILE_KEYS } from './aggregate/index.js';
import { createEngine, listAdapters, type Backend } from './engine/index.js';
import { CptsimError, InputError } from './errors.js';
import { flagshipScenario, packageVersion } from './paths.js';
import { buildPlan, cellCount, type Plan } from './plan/index.js';
import {
  formatExplainJson,
  formatExplainTable,
  formatRankTable,
  formatRunCsv,
  formatRunJson,
  formatRunTable,
  formatSensitivityJson,
  formatSobolTable,
  formatSweepMatrix,
  formatTornadoTable,
  nonFiniteWarnings,
} from './report/index.js';
import { cellPoint } from './plan/index.js';
import { loadScenario } from './scenario/index.js';
import type { SamplingScheme } from './sampling/index.js';

const MAX_SAMPLES = 2 ** 40;

function parseSamples(text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1 || n > MAX_SAMPLES) {
    throw new InvalidArgumentError(`expected a whole number of samples from 1 to 2^40 (e.g. 1000000 or 1e6), got "${text}"`);
  }
  return n;
}

function parseThreads(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new InvalidArgumentError(`expected a whole number of threads from 1 to 1024, got "${text}"`);
  return n;
}

const STATISTICS = ['mean', 'sd', 'stderr', 'min', 'max', ...QUANTILE_KEYS] as const;

function parseStatistic(text: string): StatisticName {
  if (!(STATISTICS as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`expected one of ${STATISTICS.join(', ')}, got "${text}"`);
  }
  return text as StatisticName;
}

function parseCount(text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return n;
}

interface SimOptions {
  samples?: number;
  seed?: string;
  sampling?: SamplingScheme;
  backend: Backend;
  threads?: number;
}

function say(message: string): void {
  process.stderr.write(`cptsim: ${message}\n`);
}

/** Writes to a file all at once (temporary file, then rename) or to stdout. */
function emit(text: string, out: string | undefined): void {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw new CptsimError(`cannot write ${out}: ${(e as Error).message}`, 1);
  }
}

async function planFrom(file: string | undefined, opts: { samples?: number; seed?: string; sampling?: SamplingScheme }): Promise<Plan> {
  let path = file;
  if (!path) {
    path = flagshipScenario();
    say(`no scenario given: running the flagship example ${path}`);
    say(`copy it to start your own: cp ${path} my-scenario.yaml`);
  }
  const scenario = await loadScenario(path);
  return buildPlan(scenario, {
    ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.sampling !== undefined ? { sampling: opts.sampling } : {}),
  });
}

/** The metric a table shows: the one asked for (checked), else the headline cost, else the first. */
function chooseMetric(plan: Plan, asked: string | undefined): string {
  const names = plan.metrics as readonly string[];
  if (asked !== undefined) {
    if (!names.includes(asked)) throw new InputError([{ path: '--metric', message: `expected one of ${names.join(', ')}, got "${asked}"` }]);
    return asked;
  }
  return names.includes('cost_per_mtok_output') ? 'cost_per_mtok_output' : names[0]!;
}

/** A one-line progress meter on stderr, only when stderr is a terminal. */
function progressMeter(unit = 'samples'): { update: (done: number, total: number) => void; end: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, end: () => {} };
  let last = 0;
  const t0 = performance.now();
  return {
    update(done, total) {
      const t = performance.now();
      if (t - last < 100 && done < total) return;
      last = t;
      const rate = done / Math.max((t - t0) / 1000, 1e-3);
      const speed = unit === 'samples' ? `  ${(rate / 1e6).toFixed(2)} M/s` : '';
      process.stderr.write(
        `\r  ${((100 * done) / total).toFixed(0).padStart(3)}%  ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} ${unit}${speed} `,
      );
    },
    end() {
      if (last) process.stderr.write('\r\x1b[2K');
    },
  };
}

function addSimulationOptions(cmd: Command): Command {
  return cmd
    .option('--samples <n>', 'samples per sweep cell (overrides the file)', parseSamples)
    .option('--seed <seed>', 'seed string (overrides the file)')
    .addOption(new Option('--backend <backend>', 'engine').choices(['auto', 'gpu', 'cpu']).default('auto'))
    .option('--threads <n>', 'CPU engine worker threads (default: all cores)', parseThreads)
    .addOption(
      new Option('--sampling <scheme>', 'random (Monte Carlo), lhs (Latin hypercube) or sobol (scrambled Sobol; samples a power of two); overrides the file').choices([
        'random',
        'lhs',
        'sobol',
      ]),
    );
}

export function program(): Command {
  const prog = new Command('cptsim')
    .description('Cost per delivered token of AI inference infrastructure, as Monte Carlo distributions')
    .version(packageVersion())
    .option('--debug', 'print stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  addSimulationOptions(
    prog
      .command('run')
      .description('run a scenario (the flagship example when no file is given) and summarize its metrics')
      .argument('[scenario]', 'scenario file (.yaml, .yml or .json)'),
  )
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--out <file>', 'write the result to a file instead of stdout')
    .addOption(
      new Option('--quantiles <method>', 'exact (sort every value) or hist (fine histograms); auto picks by size')
        .choices(['auto', 'exact', 'hist'])
        .default('auto'),
    )
    .option('--metric <name>', 'metric shown per cell in the table of a sweep (default: cost_per_mtok_output, or the first metric)')
    .option('--matrix <statistic>', 'print a two-axis sweep as a matrix of this statistic (e.g. p90) of --metric', parseStatistic)
    .action(async (file: string | undefined, opts: SimOptions & { format: string; out?: string; quantiles: 'auto' | 'exact' | 'hist'; metric?: string; matrix?: StatisticName }) => {
      const plan = await planFrom(file, opts);
      const metric = chooseMetric(plan, opts.metric);
      if (opts.matrix && plan.axes.length !== 2) {
        throw new InputError([{ path: '--matrix', message: `needs a scenario with exactly two sweep axes, this one has ${plan.axes.length}` }]);
      }
      // Before an engine is started: refusing takes no time.
      checkExactMemory(plan, opts.quantiles);
      const engine = await createEngine({ backend: opts.backend, ...(opts.threads ? { threads: opts.threads } : {}), log: say }, plan);
      const meter = progressMeter();
      try {
        const { result } = await simulate(plan, engine, packageVersion(), {
          quantiles: opts.quantiles,
          onProgress: (d, t) => meter.update(d, t),
        });
        meter.end();
        for (const warning of nonFiniteWarnings(result)) say(warning);
        const text =
          opts.format === 'json'
            ? formatRunJson(result)
            : opts.format === 'csv'
              ? formatRunCsv(result)
              : opts.matrix
                ? formatSweepMatrix(result, metric, opts.matrix)
                : formatRunTable(result, { metric });
        emit(text, opts.out);
      } finally {
        meter.end();
        await engine.dispose();
      }
    });

  prog
    .command('explain')
    .description('evaluate a scenario once per sweep cell with every input at its median, showing every intermediate quantity')
    .argument('[scenario]', 'scenario file (the flagship example when omitted)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (file: string | undefined, opts: { format: string; out?: string }) => {
      const plan = await planFrom(file, {});
      const e = explainPlan(plan);
      emit(opts.format === 'json' ? formatExplainJson(e) : formatExplainTable(e), opts.out);
    });

  prog
    .command('validate')
    .description('check scenario files and report what they contain; exit 2 on the first bad one')
    .argument('<scenario...>', 'scenario files')
    .action(async (files: string[]) => {
      for (const file of files) {
        const plan = buildPlan(await loadScenario(file));
        const uncertain = plan.inputs.filter((i) => i.sweepAxis === null && i.dist.kind !== 'const');
        const defaults = plan.inputs.filter((i) => i.source === 'default' && !(i.dist.kind === 'const' && i.dist.value === 0));
        process.stdout.write(
          `ok ${file}: "${plan.name}", ${uncertain.length} uncertain input${uncertain.length === 1 ? '' : 's'}, ` +
            `${plan.axes.length} sweep ax${plan.axes.length === 1 ? 'is' : 'es'} (${cellCount(plan)} cell${cellCount(plan) === 1 ? '' : 's'}), ` +
            `${plan.samples.toLocaleString('en-US')} samples\n`,
        );
        if (defaults.length) {
          process.stdout.write(
            `  defaults used: ${defaults.map((d) => `${d.path} = ${d.dist.kind === 'const' ? d.dist.value : d.dist.kind}`).join(', ')}\n`,
          );
        }
      }
    });

  addSimulationOptions(
    prog
      .command('sensitivity')
      .description('which uncertain inputs drive a metric: tornado swings, Sobol indices or rank correlations')
      .argument('[scenario]', 'scenario file (the flagship example when omitted)'),
  )
    .addOption(new Option('--method <method>', 'analysis').choices(['tornado', 'sobol', 'rank']).default('tornado'))
    .option('--metric <name>', 'metric to rank inputs for (default: cost_per_mtok_output, or the first metric); JSON of sobol and rank covers every metric')
    .option('--statistic <name>', 'tornado: the statistic of the metric (mean, p10, p50, p90, ...)', parseStatistic, 'p50')
    .option('--bootstrap <n>', 'sobol: bootstrap resamples for the confidence intervals', parseCount, 100)
    .option('--cell <k>', 'for a swept scenario: the sweep cell to analyse (row-major index)', parseCount, 0)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <file>', 'write the result to a file instead of stdout')
    .action(
      async (
        file: string | undefined,
        opts: SimOptions & { method: 'tornado' | 'sobol' | 'rank'; metric?: string; statistic: StatisticName; bootstrap: number; cell: number; format: string; out?: string },
      ) => {
        // --samples is the base sample count of the analysis, not the scenario's.
        const full = await planFrom(file, {
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(opts.sampling !== undefined ? { sampling: opts.sampling } : {}),
        });
        const plan = planOfCell(full, opts.cell);
        const point = cellPoint(full, opts.cell);
        if (full.axes.length) say(`analysing sweep cell ${opts.cell} (${Object.entries(point).map(([k, v]) => `${k} = ${v}`).join(', ')})`);
        const metric = chooseMetric(plan, opts.metric);
        const engine = await createEngine({ backend: opts.backend, ...(opts.threads ? { threads: opts.threads } : {}), log: say }, plan);
        const meter = progressMeter('runs');
        try {
          let text: string;
          if (opts.method === 'tornado') {
            const samples = opts.samples ?? plan.samples;
            const r = await tornado({ ...plan, samples }, engine, packageVersion(), {
              metric,
              statistic: opts.statistic,
              onProgress: (d, t) => meter.update(d, t),
            });
            r.point = point;
            text = opts.format === 'json' ? formatSensitivityJson(r) : formatTornadoTable(r);
          } else if (opts.method === 'sobol') {
            const samples = opts.samples ?? 2 ** 14;
            if (samples > SOBOL_MAX_SAMPLES) {
              throw new InputError([{ path: '--samples', message: `at most 2^20 base samples for Sobol indices, got ${samples}` }]);
            }
            const r = await sobolAnalysis(plan, engine, { samples, bootstrap: opts.bootstrap, onProgress: (d, t) => meter.update(d, t) });
            r.point = point;
            text = opts.format === 'json' ? formatSensitivityJson(r) : formatSobolTable(r, metric);
          } else {
            const samples = opts.samples ?? Math.min(plan.samples, 2 ** 18);
            const r = await rankCorrelation(plan, engine, samples);
            r.point = point;
            text = opts.format === 'json' ? formatSensitivityJson(r) : formatRankTable(r, metric);
          }
          meter.end();
          emit(text, opts.out);
        } finally {
          meter.end();
          await engine.dispose();
        }
      },
    );

  prog
    .command('devices')
    .description('list the WebGPU adapters this machine offers')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: { format: string }) => {
      const adapters = await listAdapters();
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify(adapters, null, 2) + '\n');
        return;
      }
      if (adapters.length === 0) {
        process.stdout.write('no WebGPU adapter found (install a Vulkan driver, e.g. mesa-vulkan-drivers); the CPU engine will be used\n');
        return;
      }
      const mib = (b: number) => `${Math.round(b / 2 ** 20).toLocaleString('en-US')} MiB`;
      for (const a of adapters) {
        process.stdout.write(
          [
            `${a.name}${a.software ? ' (software adapter)' : ''}`,
            `  backend ${a.backend}, vendor ${a.vendor || '-'}, architecture ${a.architecture || '-'}`,
            `  storage binding ${mib(a.limits.maxStorageBufferBindingSize)}, buffer ${mib(a.limits.maxBufferSize)}, ` +
              `workgroup memory ${a.limits.maxComputeWorkgroupStorageSize.toLocaleString('en-US')} B, ` +
              `${a.limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup, ` +
              `${a.limits.maxComputeWorkgroupsPerDimension.toLocaleString('en-US')} workgroups per dimension`,
          ].join('\n') + '\n',
        );
      }
    });

  return prog;
}

export async function main(argv: string[]): Promise<number> {
  const prog = program();
  const debug = argv.includes('--debug');
  try {
    await prog.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are exits with code 0; everything else commander raises is a usage error.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
    }
    if (e instanceof CptsimError) {
      process.stderr.write(`cptsim: ${e.message}\n`);
      if (debug) process.stderr.write(`${e.stack}\n`);
      return e.exitCode;
    }
    process.stderr.write(`cptsim: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (debug) process.stderr.write(`${(e as Error)?.stack}\n`);
    else process.stderr.write('cptsim: run again with --debug for details\n');
    return 1;
  }
}

/** True when this file is the program being run (also through npm's bin symlink), not an import. */
function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(arg)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
