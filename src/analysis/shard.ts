/**
 * A run split into shards, and shards merged back: `cptsim run --shard k/N` computes the sample
 * indices of shard k only and writes a part (the mergeable aggregates plus what identifies the
 * run); `cptsim merge` checks that the parts belong together and summarizes them as one run.
 *
 * A part is also a checkpoint: the same document with `complete: false` and `next`, the first
 * sample index not yet done. A run with a checkpoint goes in fixed chunks (checkpointChunk), so a
 * resumed run adds up exactly the same partials in the same order as one that was never stopped.
 *
 * Shard boundaries and checkpoint chunks fall on multiples of REDUCTION_BLOCK_SAMPLES, the blocks
 * the GPU engine sums in f32: so every engine adds the same per-block (CPU: per-sample) values in
 * the same sample order, sharded or not, and only the grouping of the f64 additions differs.
 *
 * What merges exactly: sample and infeasible counts, histogram counts, min and max, and therefore
 * histogram quantiles; exact-mode values (concatenated in sample order), and therefore exact
 * quantiles, means and sds. Histogram-mode means and sds come from f64 sums regrouped at the
 * shard boundaries: equal to an unsharded run's to within the f64 regrouping bound (README
 * "Running on a cluster"; well under 1e-12 relative at the sizes tested).
 */
import { createHash } from 'node:crypto';
import {
  DecodeError,
  emptyPartial,
  fromJsonValue,
  mergePartials,
  toJsonValue,
  type HistSpec,
  type PartialSums,
} from '../aggregate/index.js';
import { InputError } from '../errors.js';
import { REDUCTION_BLOCK_SAMPLES, type BackendInfo, type Engine } from '../engine/index.js';
import { cellCount, type Plan } from '../plan/index.js';
import { prepareRun, resultFromPartial, type RunResult, type RunShape, type SimulateOptions } from './simulate.js';
import { packageVersion } from '../paths.js';

/** Version of the part and checkpoint document layout (2: shard boundaries on reduction blocks). */
export const PART_FORMAT = 2;
/** Sample-cells per engine call in a checkpointed run (rounded to whole reduction blocks per cell). */
export const CHECKPOINT_CHUNK_SAMPLE_CELLS = 2 ** 20;
/** Shard boundaries and checkpoint chunks are multiples of this many samples. */
export const SHARD_ALIGN_SAMPLES = REDUCTION_BLOCK_SAMPLES;

export interface ShardSpec {
  /** 0-based shard index k. */
  index: number;
  /** Number of shards N. */
  count: number;
}

/**
 * Shard k of N: a contiguous range of sample indices, with B = SHARD_ALIGN_SAMPLES and
 * blocks = ceil(samples / B),
 *   start_k = min(samples, B * floor(k * blocks / N)),   end_k = start_{k+1}.
 * Boundaries fall on multiples of B (so on quads too: one Philox call feeds four samples) and the
 * N ranges cover 0 .. samples - 1 once each, in whole blocks but the last; when there are more
 * shards than blocks, some are empty.
 */
export function shardRange(samples: number, shard: ShardSpec): { start: number; end: number } {
  const blocks = Math.ceil(samples / SHARD_ALIGN_SAMPLES);
  const at = (k: number) => Math.min(samples, SHARD_ALIGN_SAMPLES * Math.floor((k * blocks) / shard.count));
  return { start: at(shard.index), end: at(shard.index + 1) };
}

/** Most shards of one run (keeps k * blocks within exact integers). */
export const MAX_SHARDS = 1_000_000;

/** `k/N` with 0 <= k < N <= MAX_SHARDS; null when `text` is not that. */
export function parseShard(text: string): ShardSpec | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || count > MAX_SHARDS || index >= count) return null;
  return { index, count };
}

/** The plan as canonical JSON text and its SHA-256: what "the same plan" means for parts. */
export function planSha256(plan: Plan): string {
  return createHash('sha256').update(JSON.stringify(toJsonValue(plan))).digest('hex');
}

/** A part of a sharded run, or a checkpoint of one (complete false). */
export interface PartDocument {
  cptsim_part: number;
  /** cptsim version that wrote it. */
  cptsim: string;
  scenario: string;
  /** SHA-256 of the scenario file's bytes. */
  scenario_sha256: string;
  /** SHA-256 of the plan (planSha256). */
  plan_sha256: string;
  seed: string;
  /** Samples per cell of the whole run. */
  samples: number;
  shard: { index: number; count: number; start: number; end: number };
  /** First sample index not yet done: `shard.end` when complete. */
  next: number;
  complete: boolean;
  backend: BackendInfo;
  /** Seconds of computing in this part (over every resumption). */
  elapsed_s: number;
  quantiles: 'exact' | 'hist';
  /** Samples per engine call (checkpointed runs; the whole shard otherwise). */
  chunk_samples: number;
  hist: HistSpec[] | null;
  plan: Plan;
  /** The samples [shard.start, next) aggregated; null before the first chunk. */
  partial: PartialSums | null;
}

/** The document as JSON text (lossless: see src/aggregate/serialize.ts). */
export function formatPart(doc: PartDocument): string {
  return JSON.stringify(toJsonValue(doc)) + '\n';
}

function bad(file: string, path: string, message: string): never {
  throw new InputError([{ path, message }], file);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads a part or checkpoint, checking its shape; InputErrors name `file` and the field. */
export function parsePart(text: string, file: string): PartDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    bad(file, '', `expected a cptsim part file (JSON), got text that is not JSON (${(e as Error).message})`);
  }
  if (!isObject(raw) || !('cptsim_part' in raw)) {
    bad(file, '', 'expected a cptsim part file (written by `cptsim run --shard k/N --out FILE`), got a JSON document without "cptsim_part"');
  }
  if (raw['cptsim_part'] !== PART_FORMAT) bad(file, 'cptsim_part', `expected part format ${PART_FORMAT}, got ${JSON.stringify(raw['cptsim_part'])}`);
  let doc: Record<string, unknown>;
  try {
    doc = fromJsonValue(raw) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof DecodeError) bad(file, e.path, e.message);
    throw e;
  }
  const str = (k: string) => typeof doc[k] === 'string' || bad(file, k, `expected a string, got ${JSON.stringify(doc[k])}`);
  const whole = (x: unknown, k: string) => (Number.isSafeInteger(x) && (x as number) >= 0) || bad(file, k, `expected a whole number, got ${JSON.stringify(x)}`);
  for (const k of ['cptsim', 'scenario', 'scenario_sha256', 'plan_sha256', 'seed']) str(k);
  whole(doc['samples'], 'samples');
  whole(doc['next'], 'next');
  whole(doc['chunk_samples'], 'chunk_samples');
  if (typeof doc['complete'] !== 'boolean') bad(file, 'complete', `expected true or false, got ${JSON.stringify(doc['complete'])}`);
  if (typeof doc['elapsed_s'] !== 'number') bad(file, 'elapsed_s', 'expected a number of seconds');
  if (doc['quantiles'] !== 'exact' && doc['quantiles'] !== 'hist') bad(file, 'quantiles', `expected "exact" or "hist", got ${JSON.stringify(doc['quantiles'])}`);
  const shard = doc['shard'];
  if (!isObject(shard)) bad(file, 'shard', 'expected { index, count, start, end }');
  for (const k of ['index', 'count', 'start', 'end']) whole(shard[k], `shard.${k}`);
  const { index, count, start, end } = shard as PartDocument['shard'];
  if (count < 1 || count > MAX_SHARDS || index >= count) bad(file, 'shard', `expected index < count <= ${MAX_SHARDS}, got shard ${index}/${count}`);
  const range = shardRange(doc['samples'] as number, { index, count });
  if (start !== range.start || end !== range.end) {
    bad(file, 'shard', `shard ${index}/${count} of ${doc['samples']} samples covers ${range.start} .. ${range.end}, the file says ${start} .. ${end}`);
  }
  const next = doc['next'] as number;
  if (next < start || next > end || (doc['complete'] === true) !== (next === end)) {
    bad(file, 'next', `expected ${doc['complete'] ? end : `a sample index from ${start} to ${end}`}, got ${next}`);
  }
  if (!isObject(doc['backend']) || (doc['backend']['kind'] !== 'cpu' && doc['backend']['kind'] !== 'gpu')) {
    bad(file, 'backend.kind', 'expected "cpu" or "gpu"');
  }
  const plan = doc['plan'];
  if (!isObject(plan) || !Array.isArray(plan['inputs']) || !Array.isArray(plan['metrics']) || !Array.isArray(plan['axes'])) {
    bad(file, 'plan', 'expected a plan with inputs, axes and metrics');
  }
  if (planSha256(plan as unknown as Plan) !== doc['plan_sha256']) bad(file, 'plan', 'does not match plan_sha256: the file was altered or damaged');
  if (plan['samples'] !== doc['samples'] || plan['seed'] !== doc['seed']) bad(file, 'plan', 'its samples or seed differ from the file\'s');
  const cells = cellCount(plan as unknown as Plan);
  const nm = (plan['metrics'] as unknown[]).length;
  const hist = doc['hist'];
  if (doc['quantiles'] === 'hist' ? !Array.isArray(hist) || hist.length !== cells * nm : hist !== null) {
    bad(file, 'hist', doc['quantiles'] === 'hist' ? `expected ${cells * nm} histogram specs` : 'expected null for an exact-quantile run');
  }
  const partial = doc['partial'];
  if (partial === null) {
    if (next !== start) bad(file, 'partial', `expected the aggregates of samples ${start} .. ${next}, got null`);
  } else {
    if (!isObject(partial) || partial['cells'] !== cells || partial['metrics'] !== nm || partial['samples'] !== next - start) {
      bad(file, 'partial', `expected the aggregates of ${next - start} samples x ${cells} cells x ${nm} metrics`);
    }
    for (const k of ['infeasible', 'sloMiss', 'count', 'sum', 'sumSq', 'shift', 'min', 'max']) {
      const a = partial[k];
      const len = k === 'infeasible' || k === 'sloMiss' ? cells : cells * nm;
      if (!(a instanceof Float64Array) || a.length !== len) bad(file, `partial.${k}`, `expected ${len} f64 values`);
    }
    if (doc['quantiles'] === 'hist' ? !(partial['hist'] instanceof Float64Array) || partial['values'] !== null : partial['hist'] !== null || !Array.isArray(partial['values'])) {
      bad(file, 'partial', `expected ${doc['quantiles'] === 'hist' ? 'histogram counts' : 'exact values'}, as its quantiles field says`);
    }
  }
  return doc as unknown as PartDocument;
}

export interface ShardRunOptions {
  shard: ShardSpec;
  /** SHA-256 of the scenario file's bytes. */
  scenarioSha256: string;
  quantiles?: SimulateOptions['quantiles'];
  /** Continue from this checkpoint (checked with checkResume first). */
  resume?: PartDocument;
  /** Called after each chunk with the state so far (a checkpointed run goes in fixed chunks). */
  onCheckpoint?: (doc: PartDocument) => void;
  onProgress?: (doneSamples: number, totalSamples: number) => void;
  now?: () => number;
}

/** Samples per engine call of a checkpointed run of `plan`: fixed by the plan alone, whole blocks. */
export function checkpointChunk(plan: Plan): number {
  const B = SHARD_ALIGN_SAMPLES;
  return Math.max(B, B * Math.floor(CHECKPOINT_CHUNK_SAMPLE_CELLS / cellCount(plan) / B));
}

/**
 * Why `doc` cannot be resumed by a run of `plan` on `backend` (an InputError naming `file`), or
 * nothing when it can.
 */
export function checkResume(doc: PartDocument, file: string, plan: Plan, shard: ShardSpec, backend: BackendInfo): void {
  const version = packageVersion();
  const want = (path: string, expected: string, got: string) =>
    bad(file, path, `this checkpoint is of a different run: expected ${expected} (this run's), got ${got}; delete it to start over`);
  if (doc.cptsim !== version) want('cptsim', `version ${version}`, doc.cptsim);
  if (doc.plan_sha256 !== planSha256(plan)) want('plan_sha256', 'the same scenario, samples, seed and sampling', 'a different plan');
  if (doc.shard.index !== shard.index || doc.shard.count !== shard.count) {
    want('shard', `shard ${shard.index}/${shard.count}`, `${doc.shard.index}/${doc.shard.count}`);
  }
  if (doc.backend.kind !== backend.kind) want('backend.kind', `the ${backend.kind} engine`, `the ${doc.backend.kind} engine (resume with --backend ${doc.backend.kind})`);
}

/**
 * Runs shard `shard` of `plan` and returns its part. With `onCheckpoint` the shard goes in fixed
 * chunks and the state is handed over after each; with `resume` it starts where that left off.
 */
export async function runShard(plan: Plan, engine: Engine, options: ShardRunOptions): Promise<PartDocument> {
  const now = options.now ?? (() => performance.now() / 1000);
  const t0 = now();
  const { start, end } = shardRange(plan.samples, options.shard);
  const resume = options.resume;
  const shape: RunShape = resume
    ? { mode: resume.quantiles, hist: resume.hist, shift: resume.quantiles === 'hist' ? resume.partial?.shift : undefined }
    : await prepareRun(plan, engine, options.quantiles);
  if (resume && resume.quantiles === 'hist' && !shape.shift) {
    // A checkpoint written before its first chunk holds no shift: take the pilot's again.
    shape.shift = (await prepareRun(plan, engine, 'hist')).shift;
  }
  const chunk = resume ? resume.chunk_samples : options.onCheckpoint ? checkpointChunk(plan) : Math.max(4, end - start);
  const doc: PartDocument = resume
    ? { ...resume, backend: { ...engine.info } }
    : {
        cptsim_part: PART_FORMAT,
        cptsim: packageVersion(),
        scenario: plan.name,
        scenario_sha256: options.scenarioSha256,
        plan_sha256: planSha256(plan),
        seed: plan.seed,
        samples: plan.samples,
        shard: { ...options.shard, start, end },
        next: start,
        complete: start === end,
        backend: { ...engine.info },
        elapsed_s: 0,
        quantiles: shape.mode,
        chunk_samples: chunk,
        hist: shape.hist,
        plan,
        partial: null,
      };
  const elapsedBefore = doc.elapsed_s;
  const total = end - start;
  while (doc.next < end) {
    const from = doc.next;
    const count = Math.min(chunk, end - from);
    const part = await engine.run(plan, {
      start: from,
      count,
      mode: shape.mode,
      ...(shape.hist ? { hist: shape.hist } : {}),
      ...(shape.shift ? { shift: shape.shift } : {}),
      onProgress: (done) => options.onProgress?.(from - start + done, total),
    });
    doc.partial = doc.partial ? mergePartials(doc.partial, part) : part;
    doc.next = from + count;
    doc.complete = doc.next === end;
    doc.elapsed_s = elapsedBefore + (now() - t0);
    options.onProgress?.(doc.next - start, total);
    if (!doc.complete) options.onCheckpoint?.(doc);
  }
  if (!doc.partial) {
    // An empty shard (more shards than blocks of samples): zero aggregates.
    doc.partial = emptyPartial(cellCount(plan), plan.metrics.length, shape.mode, shape.shift);
  }
  doc.elapsed_s = elapsedBefore + (now() - t0);
  return doc;
}

/** The run result of a complete single-shard part (shard 0/1): what `cptsim run` prints. */
export function resultOfPart(doc: PartDocument): RunResult {
  return mergeParts([{ file: '(run)', doc }]);
}

const sameSpecs = (a: HistSpec[] | null, b: HistSpec[] | null) =>
  JSON.stringify(a) === JSON.stringify(b);

const sameArray = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

/**
 * Merges the parts of one sharded run into the result the unsharded run gives. Refuses (an
 * InputError naming the files) parts of different runs, unfinished checkpoints, a shard given
 * twice and missing shards.
 */
export function mergeParts(parts: { file: string; doc: PartDocument }[]): RunResult {
  if (parts.length === 0) throw new InputError([{ path: '', message: 'expected at least one part file' }]);
  const first = parts[0]!;
  const a = first.doc;
  for (const { file, doc } of parts) {
    if (!doc.complete) {
      bad(file, 'complete', `is an unfinished checkpoint of shard ${doc.shard.index}/${doc.shard.count} (done up to sample ${doc.next} of ${doc.shard.start} .. ${doc.shard.end}): finish it with --resume first`);
    }
    const differ = (what: string, x: unknown, y: unknown) => {
      if (x !== y) {
        bad(file, what, `differs from ${first.file} (${JSON.stringify(y)} there, ${JSON.stringify(x)} here): parts of different runs cannot be merged`);
      }
    };
    differ('cptsim', doc.cptsim, a.cptsim);
    differ('scenario_sha256', doc.scenario_sha256, a.scenario_sha256);
    differ('seed', doc.seed, a.seed);
    differ('samples', doc.samples, a.samples);
    differ('plan_sha256', doc.plan_sha256, a.plan_sha256);
    differ('shard.count', doc.shard.count, a.shard.count);
    differ('quantiles', doc.quantiles, a.quantiles);
    differ('backend.kind', doc.backend.kind, a.backend.kind);
    if (!sameSpecs(doc.hist, a.hist) || !sameArray(doc.partial!.shift, a.partial!.shift)) {
      bad(file, 'hist', `its histogram bins or sum shifts differ from ${first.file}'s (pilots on different devices?): parts of different runs cannot be merged`);
    }
  }
  const byIndex = new Map<number, { file: string; doc: PartDocument }>();
  for (const p of parts) {
    const seen = byIndex.get(p.doc.shard.index);
    if (seen) bad(p.file, 'shard', `is shard ${p.doc.shard.index}/${p.doc.shard.count} again (also in ${seen.file})`);
    byIndex.set(p.doc.shard.index, p);
  }
  const n = a.shard.count;
  const missing: string[] = [];
  for (let k = 0; k < n; k++) if (!byIndex.has(k)) missing.push(`${k}/${n}`);
  if (missing.length) {
    const list = missing.length > 10 ? `${missing.slice(0, 10).join(', ')} and ${missing.length - 10} more` : missing.join(', ');
    throw new InputError([{ path: '', message: `missing shard${missing.length > 1 ? 's' : ''} ${list} (got ${parts.length} of ${n} parts: ${parts.map((p) => p.file).join(', ')})` }]);
  }
  // Shards in index order: exact values then concatenate in sample order.
  let partial: PartialSums | null = null;
  let elapsed = 0;
  for (let k = 0; k < n; k++) {
    const doc = byIndex.get(k)!.doc;
    partial = partial ? mergePartials(partial, doc.partial!) : doc.partial!;
    elapsed += doc.elapsed_s;
  }
  partial!.samples = a.samples;
  return resultFromPartial(a.plan, partial!, a.hist, a.backend, a.cptsim, Math.max(elapsed, 1e-9));
}
