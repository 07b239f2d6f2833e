#!/usr/bin/env node
/**
 * The `cptsim` command: parses flags, calls the library, prints. Errors are printed once, here,
 * without a stack trace unless --debug; exit codes are DESIGN.md's (0 ok, 1 runtime, 2 bad input).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  evaluateFidelity,
  breakeven,
  breakevenVariable,
  checkResume,
  compare,
  checkExactMemory,
  converge,
  checkConvergence,
  parseUntilCondition,
  DEFAULT_MAX_SAMPLES,
  type ConvergedResult,
  type UntilCondition,
  explainPlan,
  formatPart,
  loadValidationSet,
  mergeParts,
  parsePart,
  parseShard,
  gatherComparison,
  gatherReport,
  planOfCell,
  resultOfPart,
  runShard,
  rankCorrelation,
  simulate,
  sobolAnalysis,
  tornado,
  MIN_RANK_SAMPLES,
  RANK_DEFAULT_MAX_SAMPLES,
  rankSampleCount,
  SOBOL_DEFAULT_SAMPLES,
  type PartDocument,
  type RunResult,
  type ShardSpec,
  type StatisticName,
} from './analysis/index.js';
import { distributions, QUANTILE_KEYS, type Distribution } from './aggregate/index.js';
import { createEngine, listAdapters, type Backend, type Engine } from './engine/index.js';
import { CptsimError, InputError } from './errors.js';
import { checkOutput, writeFileOutputSync, writeOutput, type OutputTarget } from './output.js';
import { flagshipScenario, packageVersion, validationSet } from './paths.js';
import { buildPlan, cellCount, cellPoint, selectMetrics, type Plan } from './plan/index.js';
import {
  formatBreakevenJson,
  formatBreakevenText,
  formatCompareJson,
  formatCompareTable,
  formatCdfCsv,
  formatDistributionJson,
  formatHistCsv,
  formatExplainJson,
  formatExplainTable,
  formatFidelityJson,
  formatFidelityTable,
  formatRankTable,
  formatReportHtml,
  formatRunCsv,
  formatRunJson,
  formatRunTable,
  formatConvergence,
  convergenceSummary,
  formatSensitivityJson,
  formatSobolTable,
  formatSweepMatrix,
  formatTornadoTable,
  formatValidation,
  Progress,
  type ProgressTask,
  rankSpec,
  renderSvg,
  runChartSpec,
  sobolSpec,
  tornadoSpec,
  nonFiniteWarnings,
  formatDevicesJson,
  formatDevicesTable,
} from './report/index.js';
import { loadScenario, type Scenario } from './scenario/index.js';
import { MAX_SAMPLES, type SamplingScheme } from './sampling/index.js';

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

/** Fewer bootstrap resamples than this give intervals that are mostly noise. */
const MIN_BOOTSTRAP = 10;

function parseBootstrap(text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < MIN_BOOTSTRAP || n > 100_000) {
    throw new InvalidArgumentError(`expected a whole number of resamples from ${MIN_BOOTSTRAP} to 100000 (fewer give no usable interval), got "${text}"`);
  }
  return n;
}

function parseCount(text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return n;
}

function parseShardFlag(text: string): ShardSpec {
  const shard = parseShard(text);
  if (!shard) throw new InvalidArgumentError(`expected k/N with whole numbers 0 <= k < N <= 1000000 (e.g. 0/8 for the first of 8 shards), got "${text}"`);
  return shard;
}

/** `--until metric.stat=width`, repeatable: every condition must hold. */
function parseUntil(text: string, previous: UntilCondition[] | undefined): UntilCondition[] {
  const c = parseUntilCondition(text);
  if ('error' in c) throw new InvalidArgumentError(c.error);
  return [...(previous ?? []), c];
}

function parseSeconds(text: string): number {
  const s = Number(text);
  if (!Number.isFinite(s) || s < 0) throw new InvalidArgumentError(`expected a number of seconds >= 0, got "${text}"`);
  return s;
}



/** A file's text, or an InputError (exit 2) saying why it cannot be read. */
function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError([{ path: '', message: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }], file);
  }
}

interface SimOptions {
  samples?: number;
  seed?: string;
  sampling?: SamplingScheme;
  backend: Backend;
  threads?: number;
}

/** --quiet: no progress and no notes on stderr (errors still print). Set by main. */
let quiet = false;

/** The progress display in use, whose line a note must clear first. */
let shown: Progress | null = null;

function say(message: string): void {
  if (quiet) return;
  shown?.clear();
  process.stderr.write(`cptsim: ${message}\n`);
}

/** More worker threads than cores only compete for them, each with its own memory. */
function warnThreads(threads: number | undefined): void {
  const cores = availableParallelism();
  if (threads !== undefined && threads > cores) {
    say(`warning: --threads ${threads} is more than the ${cores} cores of this machine; the extra threads only compete for them and each holds its own memory`);
  }
}

/** Checks --out before any work: the destination to write to, or undefined for stdout. */
function outputOf(out: string | undefined, scenario: string | undefined): OutputTarget | undefined {
  return out === undefined ? undefined : checkOutput(out, [scenario ?? flagshipScenario()]);
}

/** Writes the result to stdout, or to the checked --out destination. */
async function emit(text: string, out: OutputTarget | undefined): Promise<void> {
  if (out) await writeOutput(out, text);
  else process.stdout.write(text);
}

async function planFrom(file: string | undefined, opts: { samples?: number; seed?: string; sampling?: SamplingScheme }): Promise<Plan> {
  return (await scenarioPlanFrom(file, opts)).plan;
}

async function scenarioPlanFrom(file: string | undefined, opts: { samples?: number; seed?: string; sampling?: SamplingScheme }): Promise<{ scenario: Scenario; plan: Plan }> {
  let path = file;
  if (!path) {
    path = flagshipScenario();
    say(`no scenario given: running the flagship example ${path}`);
    say(`copy it to start your own: cp ${path} my-scenario.yaml`);
  }
  const scenario = await loadScenario(path);
  const plan = buildPlan(scenario, {
    ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.sampling !== undefined ? { sampling: opts.sampling } : {}),
  });
  return { scenario, plan };
}

/** `--probability-below metric=x[,x...]`, repeatable: thresholds by metric. */
function parseBelow(text: string, previous: Record<string, number[]> | undefined): Record<string, number[]> {
  const m = /^([^=\s]+)=(.+)$/.exec(text.trim());
  const xs = m ? m[2]!.split(',').map((t) => Number(t.trim().replace(/_/g, ''))) : [];
  if (!m || xs.length === 0 || !xs.every(Number.isFinite)) {
    throw new InvalidArgumentError(`expected <metric>=<x>[,<x>...] (e.g. cost_per_mtok_output=1,1.5), got "${text}"`);
  }
  const out = { ...(previous ?? {}) };
  out[m[1]!] = [...(out[m[1]!] ?? []), ...xs];
  return out;
}

function parseCdfPoints(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2 || n > 10000) throw new InvalidArgumentError(`expected a whole number of CDF points from 2 to 10000, got "${text}"`);
  return n;
}

/**
 * Plans for analyses that pair samples across scenarios: every scenario on one seed, sample count
 * and sampling scheme (the flags', else the first file's), so that they share random numbers.
 */
async function pairedPlans(files: readonly string[], opts: { samples?: number; seed?: string; sampling?: SamplingScheme }): Promise<Plan[]> {
  const scenarios = [];
  for (const f of files) scenarios.push(await loadScenario(f));
  const first = scenarios[0]!;
  const seed = opts.seed ?? first.seed;
  const samples = opts.samples ?? first.samples;
  const sampling = opts.sampling ?? first.sampling;
  if (opts.seed === undefined && scenarios.some((s) => s.seed !== first.seed)) say(`every scenario runs on the seed of ${files[0]} ("${seed}"), so that they share random numbers`);
  if (opts.samples === undefined && scenarios.some((s) => s.samples !== first.samples)) say(`every scenario runs ${samples.toLocaleString('en-US')} samples (from ${files[0]})`);
  return scenarios.map((s) => buildPlan(s, { seed, samples, sampling }));
}

/** An engine that can run every plan: with --backend auto, the CPU engine when the GPU engine cannot run one of them. */
async function engineForAll(opts: SimOptions, plans: readonly Plan[]): Promise<Engine> {
  const engine = await createEngine({ backend: opts.backend, ...(opts.threads ? { threads: opts.threads } : {}), log: say }, plans[0]);
  const why = plans.map((p) => engine.unsupported(p)).find((w) => w !== null);
  if (why && opts.backend === 'auto') {
    await engine.dispose();
    say(`${why}: using the CPU engine`);
    return createEngine({ backend: 'cpu', ...(opts.threads ? { threads: opts.threads } : {}) });
  }
  return engine;
}

function parseNumber(text: string): number {
  const x = Number(text.replace(/_/g, ''));
  if (text.trim() === '' || !Number.isFinite(x)) throw new InvalidArgumentError(`expected a number, got "${text}"`);
  return x;
}

function parseProbability(text: string): number {
  const x = Number(text);
  if (!(x > 0 && x < 1)) throw new InvalidArgumentError(`expected a probability strictly between 0 and 1, got "${text}"`);
  return x;
}

function parseRange(text: string): [number, number] {
  const parts = text.split(',').map((t) => Number(t.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! < parts[1]!)) {
    throw new InvalidArgumentError(`expected lo,hi with lo < hi (e.g. 0.2,1), got "${text}"`);
  }
  return [parts[0]!, parts[1]!];
}

function parseMetricList(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...text.split(',').map((m) => m.trim()).filter((m) => m !== '')];
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

/** Progress on stderr when it is a terminal and --quiet is not given. */
function progress(): Progress {
  shown = new Progress(process.stderr, { quiet });
  return shown;
}

/** The engine the options ask for; the GPU engine's kernel compilation shows on `p`. */
function engineFor(plan: Plan, opts: SimOptions, p: Progress): Promise<Engine> {
  return createEngine(
    { backend: opts.backend, ...(opts.threads ? { threads: opts.threads } : {}), log: say, onCompile: (what) => p.status(what) },
    plan,
  );
}

/**
 * Runs a command's work on its engine: however the work ends, the progress lines of `p` are
 * cleared and the engine is released, so that the process can exit.
 */
async function withEngine(engine: Engine, p: Progress, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } finally {
    p.clear();
    await engine.dispose();
  }
}

/** The text of a run in the format asked for. */
function formatRun(format: string, result: RunResult, dists: Distribution[], metric: string, matrix: StatisticName | undefined): string {
  switch (format) {
    case 'json':
      return formatRunJson(result);
    case 'csv':
      return formatRunCsv(result);
    case 'cdf':
      return formatCdfCsv(result, dists);
    case 'hist':
      return formatHistCsv(result, dists);
    case 'dist-json':
      return formatDistributionJson(result, dists);
    default: {
      const text = matrix ? formatSweepMatrix(result, metric, matrix) : formatRunTable(result, { metric });
      const convergence = (result as Partial<ConvergedResult>).convergence;
      return convergence ? `${text}\n${formatConvergence(convergence, result.cells)}\n` : text;
    }
  }
}

function addSimulationOptions(cmd: Command, samplesHelp = 'samples per sweep cell (overrides the file)'): Command {
  return cmd
    .option('--samples <n>', samplesHelp, parseSamples)
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
    .option('--quiet', 'no progress and no notes on stderr (errors still print)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  addSimulationOptions(
    prog
      .command('run')
      .description('run a scenario (the flagship example when no file is given) and summarize its metrics')
      .argument('[scenario]', 'scenario file (.yaml, .yml or .json)'),
  )
    .addOption(
      new Option('--format <format>', 'output format: a summary (table, json, csv) or each metric\'s distribution (cdf, hist: CSV; dist-json: both as JSON)')
        .choices(['table', 'json', 'csv', 'cdf', 'hist', 'dist-json'])
        .default('table'),
    )
    .option('--out <file>', 'write the result to a file instead of stdout')
    .addOption(
      new Option('--quantiles <method>', 'exact (sort every value) or hist (fine histograms); auto picks by size')
        .choices(['auto', 'exact', 'hist'])
        .default('auto'),
    )
    .option(
      '--metrics <names>',
      'compute and report only these metrics, comma-separated or repeated (default: every metric of the scenario); fewer metrics are less work for the engine',
      parseMetricList,
    )
    .option('--metric <name>', 'metric shown per cell in the table of a sweep and drawn by --chart; one of --metrics when both are given, it does not narrow the run itself (default: cost_per_mtok_output, or the first metric)')
    .option('--matrix <statistic>', 'print a two-axis sweep as a matrix of this statistic (e.g. p90) of --metric', parseStatistic)
    .option('--probability-below <metric=x,...>', 'report P(metric <= x) with its Monte Carlo error for each x (repeatable; adds to probability_below: in the file)', parseBelow)
    .option('--cdf <n>', 'add n points of every metric\'s CDF to the JSON result', parseCdfPoints)
    .option('--until <metric.stat=width>', 'sample in doubling rounds until the 95% interval of the statistic (mean, p1 ... p99) is at most this relative half-width, e.g. cost_per_mtok_output.p50=0.005 or =0.5% (repeatable: every condition, in every sweep cell)', parseUntil)
    .option('--max-samples <n>', `with --until: samples per cell not to pass (default ${DEFAULT_MAX_SAMPLES.toLocaleString('en-US')}, or the first round when larger)`, parseSamples)
    .option('--shard <k/N>', 'compute only shard k of N (sample indices split in N contiguous ranges) and write a part file for `cptsim merge`', parseShardFlag)
    .option('--checkpoint <file>', 'save the state of the run to this file now and then (atomically), for --resume after a crash or kill')
    .option('--checkpoint-every <seconds>', 'least time between checkpoint writes', parseSeconds, 60)
    .option('--resume', 'continue from the --checkpoint file when it exists (start from the beginning when it does not)')
    .option('--chart <file.svg>', 'also draw a chart as SVG: histogram and CDF of --metric (no sweep), its heatmap (two axes), the cost-speed frontier (batch-size sweep) or its band (one axis)')
    .action(
      async (
        file: string | undefined,
        opts: SimOptions & {
          format: string;
          out?: string;
          quantiles: 'auto' | 'exact' | 'hist';
          metrics?: string[];
          metric?: string;
          matrix?: StatisticName;
          probabilityBelow?: Record<string, number[]>;
          cdf?: number;
          until?: UntilCondition[];
          maxSamples?: number;
          shard?: ShardSpec;
          checkpoint?: string;
          checkpointEvery: number;
          resume?: boolean;
          chart?: string;
        },
        cmd: Command,
      ) => {
        if (opts.matrix && opts.format !== 'table') {
          throw new InputError([
            { path: '--matrix', message: `is a table; it cannot be written as --format ${opts.format} (which holds every statistic of every cell already)` },
          ]);
        }
        if (opts.maxSamples !== undefined && !opts.until) throw new InputError([{ path: '--max-samples', message: 'is the bound of a convergence run: it needs --until' }]);
        if (opts.until && (opts.shard || opts.checkpoint)) {
          throw new InputError([
            { path: '--until', message: `a convergence run needs every sample of each round in one process: it cannot be combined with ${opts.shard ? '--shard' : '--checkpoint'}; run it whole, or give --samples instead` },
          ]);
        }
        if (opts.resume && !opts.checkpoint) throw new InputError([{ path: '--resume', message: 'needs --checkpoint FILE (the checkpoint to continue from)' }]);
        if (opts.shard && cmd.getOptionValueSource('format') === 'cli' && opts.format !== 'json') {
          throw new InputError([{ path: '--format', message: `--shard writes a part file (JSON) for \`cptsim merge\`; format the merged result instead, got --format ${opts.format}` }]);
        }
        if (opts.shard && opts.matrix) throw new InputError([{ path: '--matrix', message: 'applies to the merged result: give it to `cptsim merge`, not to a shard' }]);
        if (opts.checkpoint && !opts.resume && existsSync(opts.checkpoint)) {
          throw new InputError([{ path: '--checkpoint', message: 'the file exists: pass --resume to continue from it, or delete it to start over' }], opts.checkpoint);
        }
        const out = outputOf(opts.out, file);
        const checkpointOut = opts.checkpoint !== undefined ? outputOf(opts.checkpoint, file) : undefined;
        if (checkpointOut && checkpointOut.kind !== 'file') {
          throw new InputError([{ path: '--checkpoint', message: 'must be a regular file (it is replaced atomically as the run goes on)' }], opts.checkpoint);
        }
        warnThreads(opts.threads);
        const { scenario, plan: whole } = await scenarioPlanFrom(file, opts);
        // --metrics narrows the plan itself: the engines aggregate only those metrics.
        const plan = opts.metrics ? selectMetrics(whole, opts.metrics) : whole;
        const notListed = (flag: string, name: string) =>
          new InputError([{ path: flag, message: `metric "${name}" is not among --metrics (${plan.metrics.join(', ')}): add it there` }]);
        if (opts.metric !== undefined) chooseMetric(whole, opts.metric);
        if (opts.metric !== undefined && !plan.metrics.includes(opts.metric)) throw notListed('--metric', opts.metric);
        const metric = chooseMetric(plan, opts.metric);
        for (const c of opts.until ?? []) if (whole.metrics.includes(c.metric) && !plan.metrics.includes(c.metric)) throw notListed('--until', c.metric);
        // The file's probability_below of a metric left out by --metrics is left out with it.
        const below: Record<string, number[]> = Object.fromEntries(
          Object.entries(scenario.probabilityBelow).filter(([k]) => plan.metrics.includes(k)).map(([k, v]) => [k, [...v]]),
        );
        for (const [name, xs] of Object.entries(opts.probabilityBelow ?? {})) {
          if (!whole.metrics.includes(name)) {
            throw new InputError([{ path: '--probability-below', message: `unknown metric "${name}" (this scenario's metrics: ${whole.metrics.join(', ')})` }]);
          }
          if (!plan.metrics.includes(name)) throw notListed('--probability-below', name);
          below[name] = [...new Set([...(below[name] ?? []), ...xs])];
        }
        if (opts.matrix && plan.axes.length !== 2) {
          throw new InputError([{ path: '--matrix', message: `needs a scenario with exactly two sweep axes, this one has ${plan.axes.length}` }]);
        }
        if ((opts.shard || checkpointOut) && (Object.keys(below).length > 0 || opts.cdf !== undefined)) {
          throw new InputError([
            { path: opts.shard ? '--shard' : '--checkpoint', message: 'exceedance probabilities and CDF points (probability_below, --probability-below, --cdf) are not kept in part files yet: run without it for them' },
          ]);
        }
        if (opts.chart !== undefined && plan.axes.length > 2) {
          throw new InputError([{ path: '--chart', message: `draws scenarios with at most two sweep axes, this one has ${plan.axes.length}` }]);
        }
        const distributionFormat = ['cdf', 'hist', 'dist-json'].includes(opts.format);
        if ((opts.shard || checkpointOut) && (opts.chart !== undefined || distributionFormat)) {
          throw new InputError([{ path: opts.shard ? '--shard' : '--checkpoint', message: 'charts and distribution formats come from the whole run: draw them from an unsharded run' }]);
        }
        const chartOut = opts.chart !== undefined ? outputOf(opts.chart, file) : undefined;
        // Before an engine is started: refusing takes no time.
        let maxSamples: number | undefined;
        if (opts.until) {
          maxSamples = opts.maxSamples ?? Math.max(DEFAULT_MAX_SAMPLES, plan.samples);
          checkConvergence(plan, { conditions: opts.until, maxSamples, quantiles: opts.quantiles, exactValues: chartOut !== undefined || distributionFormat ? 'keep' : 'auto' });
        } else {
          // Exact runs keep every value for charts and distribution formats, and in part files.
          checkExactMemory(plan, opts.quantiles, undefined, chartOut !== undefined || distributionFormat || opts.shard !== undefined || checkpointOut !== undefined ? 'keep' : 'auto');
        }
        const p = progress();
        const engine = await engineFor(plan, opts, p);
        let meter = p.task('run', { evaluationsPerUnit: cellCount(plan) });
        await withEngine(engine, p, async () => {
          if (!opts.shard && !checkpointOut) {
            const simulateOptions = {
              quantiles: opts.quantiles,
              onProgress: (d: number, t: number) => meter.update(d, t),
              probabilityBelow: below,
              ...(opts.cdf !== undefined ? { cdfPoints: opts.cdf } : {}),
              // Charts and distribution formats read every value of an exact run.
              exactValues: chartOut !== undefined || distributionFormat ? ('keep' as const) : ('auto' as const),
            };
            const { result, partial, hist } = opts.until
              ? await converge(plan, engine, {
                  ...simulateOptions,
                  conditions: opts.until,
                  ...(maxSamples !== undefined ? { maxSamples } : {}),
                  onRound: (k, n, of) => {
                    meter.end();
                    meter = p.task(`round ${k} of at most ${of}`, { evaluationsPerUnit: cellCount(plan) });
                    meter.update(0, n);
                  },
                })
              : await simulate(plan, engine, simulateOptions);
            meter.end();
            for (const warning of nonFiniteWarnings(result)) say(warning);
            const convergence = (result as Partial<ConvergedResult>).convergence;
            if (convergence && !convergence.converged) say(`warning: ${convergenceSummary(convergence)}`);
            else if (convergence && !['table', 'json'].includes(opts.format)) say(convergenceSummary(convergence));
            const dists = chartOut !== undefined || distributionFormat ? distributions(partial, hist) : [];
            const chart = chartOut !== undefined ? runChartSpec(result, dists, metric, opts.matrix ?? 'p50') : null;
            const text = formatRun(opts.format, result, dists, metric, opts.matrix);
            if (chart && chartOut) await emit(await renderSvg(chart), chartOut);
            await emit(text, out);
            return;
          }
          const shard = opts.shard ?? { index: 0, count: 1 };
          const checkpoint = opts.checkpoint;
          let resume: PartDocument | undefined;
          if (checkpoint && opts.resume) {
            if (existsSync(checkpoint)) {
              resume = parsePart(readInput(checkpoint), checkpoint);
              checkResume(resume, checkpoint, plan, shard, engine.info);
              say(`resuming from ${checkpoint}: samples ${resume.shard.start} .. ${resume.next} of ${resume.shard.start} .. ${resume.shard.end} done`);
            } else {
              say(`no checkpoint at ${checkpoint} yet: starting from the beginning`);
            }
          }
          let lastWrite = performance.now() / 1000;
          const doc = await runShard(plan, engine, {
            shard,
            scenarioSha256: createHash('sha256').update(readFileSync(file ?? flagshipScenario())).digest('hex'),
            quantiles: opts.quantiles,
            ...(resume ? { resume } : {}),
            ...(checkpointOut
              ? {
                  onCheckpoint: (state: PartDocument) => {
                    const t = performance.now() / 1000;
                    if (t - lastWrite < opts.checkpointEvery) return;
                    writeFileOutputSync(checkpointOut, formatPart(state));
                    lastWrite = t;
                  },
                }
              : {}),
            onProgress: (d, t) => meter.update(d, t),
          });
          meter.end();
          if (!opts.shard) {
            const result = resultOfPart(doc);
            for (const warning of nonFiniteWarnings(result)) say(warning);
            await emit(formatRun(opts.format, result, [], metric, opts.matrix), out);
          } else {
            await emit(formatPart(doc), out);
          }
          // The result is out: the checkpoint has served its purpose.
          if (checkpoint && existsSync(checkpoint)) unlinkSync(checkpoint);
        });
      },
    );

  prog
    .command('merge')
    .description('merge the part files of a sharded run (`cptsim run --shard k/N`) into the result of the whole run')
    .argument('<parts...>', 'part files, one per shard, in any order')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--out <file>', 'write the result to a file instead of stdout')
    .option('--metric <name>', 'metric shown per cell in the table of a sweep (default: cost_per_mtok_output, or the first metric)')
    .option('--matrix <statistic>', 'print a two-axis sweep as a matrix of this statistic (e.g. p90) of --metric', parseStatistic)
    .action(async (files: string[], opts: { format: string; out?: string; metric?: string; matrix?: StatisticName }) => {
      if (opts.matrix && opts.format !== 'table') {
        throw new InputError([
          { path: '--matrix', message: `is a table; it cannot be written as --format ${opts.format} (which holds every statistic of every cell already)` },
        ]);
      }
      const out = opts.out === undefined ? undefined : checkOutput(opts.out, files);
      const parts = files.map((f) => ({ file: f, doc: parsePart(readInput(f), f) }));
      const result = mergeParts(parts);
      for (const warning of nonFiniteWarnings(result)) say(warning);
      const plan = parts[0]!.doc.plan;
      const metric = chooseMetric(plan, opts.metric);
      if (opts.matrix && plan.axes.length !== 2) {
        throw new InputError([{ path: '--matrix', message: `needs a scenario with exactly two sweep axes, this one has ${plan.axes.length}` }]);
      }
      await emit(formatRun(opts.format, result, [], metric, opts.matrix), out);
    });

  addSimulationOptions(
    prog
      .command('compare')
      .description('compare scenarios on common random numbers: per-sample difference B - A, ratio B / A and P(B < A), each against the first')
      .argument('<scenarios...>', 'two or more scenario files; each is compared with the first'),
  )
    .option('--metric <names>', 'metrics to compare, comma-separated or repeated (default: every metric the scenarios share)', parseMetricList)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <file>', 'write the result to a file instead of stdout')
    .action(async (files: string[], opts: SimOptions & { metric?: string[]; format: string; out?: string }) => {
      if (files.length < 2) throw new InputError([{ path: '<scenarios>', message: `compare needs at least two scenario files, got ${files.length}` }]);
      const out = outputOf(opts.out, files[0]);
      for (const f of files.slice(1)) if (opts.out !== undefined) checkOutput(opts.out, [f]);
      warnThreads(opts.threads);
      const plans = await pairedPlans(files, opts);
      const engine = await engineForAll(opts, plans);
      const p = progress();
      const meter = p.task('run');
      await withEngine(engine, p, async () => {
        const r = await compare(plans, engine, {
          files,
          ...(opts.metric ? { metrics: opts.metric } : {}),
          onProgress: (d, t) => meter.update(d, t),
        });
        meter.end();
        await emit(opts.format === 'json' ? formatCompareJson(r) : formatCompareTable(r), out);
      });
    });

  addSimulationOptions(
    prog
      .command('breakeven')
      .description('the value of one input at which P(metric <= target) reaches a probability, or at which the scenario is as likely as another to give the lower metric')
      .argument('<scenario>', 'scenario file'),
  )
    .requiredOption('--vary <path>', 'the input to solve for, by its path in the file (e.g. serving.utilization)')
    .option('--metric <name>', 'the metric (default: cost_per_mtok_output, or the first metric)')
    .option('--target <value>', 'the metric value: solve P(metric <= target) = probability', parseNumber)
    .option('--probability <p>', 'the probability to reach (default 0.5)', parseProbability)
    .option('--versus <scenario>', 'another scenario: solve P(metric < that of the other) = probability, on common random numbers')
    .option('--range <lo,hi>', 'search only inside [lo, hi] (default: the input\'s valid range)', parseRange)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <file>', 'write the result to a file instead of stdout')
    .action(
      async (
        file: string,
        opts: SimOptions & { vary: string; metric?: string; target?: number; probability?: number; versus?: string; range?: [number, number]; format: string; out?: string },
      ) => {
        if (opts.versus !== undefined && opts.target !== undefined) {
          throw new InputError([{ path: '--target', message: 'give either --target (a metric value to reach) or --versus (a scenario to break even with), not both' }]);
        }
        if (opts.versus === undefined && opts.target === undefined) {
          throw new InputError([{ path: '--target', message: 'is required (the metric value to reach), unless --versus names a scenario to break even with' }]);
        }
        const files = opts.versus !== undefined ? [file, opts.versus] : [file];
        const out = outputOf(opts.out, file);
        if (opts.versus !== undefined && opts.out !== undefined) checkOutput(opts.out, [opts.versus]);
        warnThreads(opts.threads);
        const plans = await pairedPlans(files, opts);
        const scenario = await loadScenario(file);
        const plan = plans[0]!;
        const variable = breakevenVariable(scenario, plan, opts.vary);
        const metric = chooseMetric(plan, opts.metric);
        const engine = await engineForAll(opts, plans);
        const p = progress();
        const meter = p.task('evaluations', { unit: 'evaluations' });
        await withEngine(engine, p, async () => {
          const r = await breakeven(plan, variable, engine, {
            metric,
            files,
            ...(opts.target !== undefined ? { target: opts.target } : {}),
            ...(opts.probability !== undefined ? { probability: opts.probability } : {}),
            ...(plans[1] ? { versus: plans[1] } : {}),
            ...(opts.range ? { range: opts.range } : {}),
            onProgress: (d) => meter.update(d, Math.max(d, 24)),
          });
          meter.end();
          await emit(opts.format === 'json' ? formatBreakevenJson(r) : formatBreakevenText(r), out);
        });
      },
    );

  prog
    .command('explain')
    .description('evaluate a scenario once per sweep cell with every input at its median, showing every intermediate quantity')
    .argument('[scenario]', 'scenario file (the flagship example when omitted)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (file: string | undefined, opts: { format: string; out?: string }) => {
      const out = outputOf(opts.out, file);
      const plan = await planFrom(file, {});
      const e = explainPlan(plan);
      await emit(opts.format === 'json' ? formatExplainJson(e) : formatExplainTable(e), out);
    });

  prog
    .command('validate')
    .description('check scenario files and report what they contain; exit 2 on the first bad one')
    .argument('<scenario...>', 'scenario files')
    .action(async (files: string[]) => {
      for (const file of files) {
        const scenario = await loadScenario(file);
        process.stdout.write(formatValidation(file, scenario, buildPlan(scenario)));
      }
    });

  addSimulationOptions(
    prog
      .command('sensitivity')
      .description('which uncertain inputs drive a metric: tornado swings, Sobol indices or rank correlations')
      .argument('[scenario]', 'scenario file (the flagship example when omitted)'),
    'base sample count: per run for tornado (default: the file\'s) and rank (default: the file\'s, at most ' +
      `2^${Math.log2(RANK_DEFAULT_MAX_SAMPLES)}; at least ${MIN_RANK_SAMPLES}), N of the N (d + 2) evaluations for sobol ` +
      `(default 2^${Math.log2(SOBOL_DEFAULT_SAMPLES)})`,
  )
    .addOption(new Option('--method <method>', 'analysis').choices(['tornado', 'sobol', 'rank']).default('tornado'))
    .option('--metric <name>', 'metric to rank inputs for (default: cost_per_mtok_output, or the first metric); JSON of sobol and rank covers every metric')
    .option('--statistic <name>', 'tornado: the statistic of the metric (mean, p10, p50, p90, ...)', parseStatistic, 'p50')
    .option('--bootstrap <n>', `sobol: bootstrap resamples for the confidence intervals (at least ${MIN_BOOTSTRAP})`, parseBootstrap, 100)
    .option('--cell <k>', 'for a swept scenario: the sweep cell to analyse (row-major index)', parseCount, 0)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <file>', 'write the result to a file instead of stdout')
    .option('--chart <file.svg>', 'also draw the result as SVG: tornado bars, Sobol indices with their intervals, or rank correlations of --metric')
    .action(
      async (
        file: string | undefined,
        opts: SimOptions & {
          method: 'tornado' | 'sobol' | 'rank';
          metric?: string;
          statistic: StatisticName;
          bootstrap: number;
          cell: number;
          format: string;
          out?: string;
          chart?: string;
        },
      ) => {
        const out = outputOf(opts.out, file);
        const chartOut = opts.chart !== undefined ? outputOf(opts.chart, file) : undefined;
        warnThreads(opts.threads);
        // --samples is the base sample count of the analysis, not the scenario's.
        const full = await planFrom(file, {
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          ...(opts.sampling !== undefined ? { sampling: opts.sampling } : {}),
        });
        const plan = planOfCell(full, opts.cell);
        const point = cellPoint(full, opts.cell);
        if (full.axes.length) say(`analysing sweep cell ${opts.cell} (${Object.entries(point).map(([k, v]) => `${k} = ${v}`).join(', ')})`);
        const metric = chooseMetric(plan, opts.metric);
        const p = progress();
        const engine = await engineFor(plan, opts, p);
        const meter = p.task(opts.method === 'rank' ? 'rank correlation' : opts.method);
        await withEngine(engine, p, async () => {
          let text: string;
          let chart: string | null = null;
          if (opts.method === 'tornado') {
            const samples = opts.samples ?? plan.samples;
            const r = await tornado({ ...plan, samples }, engine, {
              metric,
              statistic: opts.statistic,
              onProgress: (d, t) => meter.update(d, t),
            });
            r.point = point;
            text = opts.format === 'json' ? formatSensitivityJson(r) : formatTornadoTable(r);
            if (opts.chart !== undefined) chart = await renderSvg(tornadoSpec(r));
          } else if (opts.method === 'sobol') {
            const r = await sobolAnalysis(plan, engine, {
              ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
              bootstrap: opts.bootstrap,
              onProgress: (d, t) => meter.update(d, t),
            });
            r.point = point;
            text = opts.format === 'json' ? formatSensitivityJson(r) : formatSobolTable(r, metric);
            if (opts.chart !== undefined) chart = await renderSvg(sobolSpec(r, metric));
          } else {
            const r = await rankCorrelation(plan, engine, rankSampleCount(plan, opts.samples), (d, t) => meter.update(d, t));
            r.point = point;
            text = opts.format === 'json' ? formatSensitivityJson(r) : formatRankTable(r, metric);
            if (opts.chart !== undefined) chart = await renderSvg(rankSpec(r, metric));
          }
          meter.end();
          if (chart !== null && chartOut) await emit(chart, chartOut);
          await emit(text, out);
        });
      },
    );

  addSimulationOptions(
    prog
      .command('report')
      .description('one self-contained HTML page: inputs, summary, charts, the explain breakdown at the medians, and how the numbers were made')
      .argument('[scenario]', 'scenario file (the flagship example when omitted)'),
  )
    .option('--out <file.html>', 'write the report to this file (default: stdout)')
    .option('--compare <scenario>', 'add a compare view: this scenario (A) against another (B) on common random numbers')
    .option('--metric <name>', 'metric the charts show (default: cost_per_mtok_output, or the first metric)')
    .addOption(
      new Option('--quantiles <method>', 'exact (sort every value) or hist (fine histograms); auto picks by size')
        .choices(['auto', 'exact', 'hist'])
        .default('auto'),
    )
    .action(async (file: string | undefined, opts: SimOptions & { out?: string; compare?: string; metric?: string; quantiles: 'auto' | 'exact' | 'hist' }) => {
      const path = file ?? flagshipScenario();
      const out = outputOf(opts.out, path);
      if (opts.out !== undefined && opts.compare !== undefined) checkOutput(opts.out, [opts.compare]);
      warnThreads(opts.threads);
      // With --compare both scenarios run on the first one's seed and sample count.
      const [plan, other] = opts.compare !== undefined ? await pairedPlans([path, opts.compare], opts) : [await planFrom(file, opts)];
      if (!plan) throw new InputError([{ path: '', message: 'no scenario' }], path);
      const metric = chooseMetric(plan, opts.metric);
      const p = progress();
      const engine = await engineFor(plan, opts, p);
      const meter = p.task('run', { evaluationsPerUnit: cellCount(plan) });
      // Made when the rank run starts, so that its rate counts its own time only.
      const rank: { meter: ProgressTask | null } = { meter: null };
      await withEngine(engine, p, async () => {
        const data = await gatherReport(plan, engine, {
          metric,
          quantiles: opts.quantiles,
          onProgress: (d, t) => meter.update(d, t),
          onRankProgress: (d, t) => {
            meter.end();
            (rank.meter ??= p.task('rank correlation')).update(d, t);
          },
        });
        rank.meter?.end();
        if (other) {
          const cm = p.task('compare');
          data.comparison = await gatherComparison(plan, other, engine, metric, [path, opts.compare!], (d, t) => cm.update(d, t));
          cm.end();
        }
        p.status('drawing the charts');
        const html = await formatReportHtml(data, { file: path, text: readFileSync(path, 'utf8') });
        meter.end();
        await emit(html, out);
      });
    });

  prog
    .command('fidelity')
    .description('check the model against published serving measurements (the shipped validation set when no file is given)')
    .argument('[file]', 'validation set (.yaml or .json): cases of scenario fields plus what was measured')
    .option('--samples <n>', 'samples per case (default 4096)', parseSamples)
    .option('--seed <seed>', 'seed string (default "fidelity")')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('--out <file>', 'write the result to a file instead of stdout')
    .action(async (file: string | undefined, opts: { samples?: number; seed?: string; format: string; out?: string }) => {
      const setFile = file ?? validationSet();
      const out = outputOf(opts.out, setFile);
      const set = await loadValidationSet(setFile);
      const meter = progress().task('cases', { unit: 'cases' });
      try {
        const r = await evaluateFidelity(set, {
          ...(opts.samples !== undefined ? { samples: opts.samples } : {}),
          ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
          onCase: (d, t) => meter.update(d, t),
        });
        meter.end();
        await emit(opts.format === 'json' ? formatFidelityJson(r) : formatFidelityTable(r), out);
      } finally {
        meter.end();
      }
    });

  prog
    .command('devices')
    .description('list the WebGPU adapters this machine offers')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: { format: string }) => {
      const adapters = await listAdapters();
      process.stdout.write(opts.format === 'json' ? formatDevicesJson(adapters) : formatDevicesTable(adapters));
    });

  return prog;
}

export async function main(argv: string[]): Promise<number> {
  const prog = program();
  const debug = argv.includes('--debug');
  quiet = argv.includes('--quiet');
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
  // A reader that stops early (`cptsim run ... | head`) closes the pipe: stop quietly, as Unix
  // tools do, rather than fail on the write.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
