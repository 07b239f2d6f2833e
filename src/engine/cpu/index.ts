/**
 * The CPU engine: the reference implementation of the Monte Carlo, on worker threads. Each thread
 * takes a contiguous range of whole summation blocks (BLOCK_SAMPLES sample indices, aligned to
 * absolute indices); their partials merge in index order and their block sums are added in block
 * order, so results do not depend on the number of threads, to the last bit.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { mergePartials, type PartialSums } from '../../aggregate/index.js';
import { RuntimeError } from '../../errors.js';
import { cellCount, type Plan } from '../../plan/index.js';
import type { Engine, RunRequest } from '../types.js';
import { BLOCK_SAMPLES, runRange, type BlockSums } from './run-range.js';
import type { WorkerJob } from './worker.js';

export { runRange } from './run-range.js';

export interface CpuEngineOptions {
  /** Worker threads; 1 runs in the calling thread. Default: all cores. */
  threads?: number;
}

function workerPath(): string {
  const here = new URL(import.meta.url);
  // From the TypeScript sources (vitest), use the compiled worker: Node 20 cannot run .ts workers.
  const url = here.pathname.endsWith('.ts')
    ? new URL('../../../dist/src/engine/cpu/worker.js', here)
    : new URL('./worker.js', here);
  const path = fileURLToPath(url);
  if (!existsSync(path)) throw new RuntimeError(`the CPU engine's worker is missing (${path}): run \`npm run build\``);
  return path;
}

type WorkerMessage =
  | { type: 'progress'; done: number }
  | { type: 'done'; partial: PartialSums; blocks: BlockSums[]; filled?: Int32Array }
  | { type: 'error'; message: string };

export function createCpuEngine(options: CpuEngineOptions = {}): Engine {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  let workers: Worker[] = [];
  // Exact mode: two sets of arrays, per (cell, metric) the one the threads write an engine call's
  // values into, reused from call to call. A call lends its set (RunRequest.valueViews) until the
  // call after the next one: the next one writes into the other set.
  const shared: SharedArrayBuffer[][] = [[], []];
  // The set whose arrays the last call lent out as views, or -1.
  let lent = -1;

  const runOn = (worker: Worker, job: WorkerJob, progress: (done: number) => void) =>
    new Promise<{ partial: PartialSums; blocks: BlockSums[]; filled?: Int32Array }>((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.type === 'progress') return progress(m.done);
        worker.off('message', onMessage);
        worker.off('error', onError);
        if (m.type === 'done') resolve({ partial: m.partial, blocks: m.blocks, ...(m.filled ? { filled: m.filled } : {}) });
        else reject(new RuntimeError(`CPU engine: ${m.message}`));
      };
      const onError = (e: Error) => {
        worker.off('message', onMessage);
        reject(new RuntimeError(`CPU engine worker failed: ${e.message}`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.postMessage(job);
    });

  return {
    info: { kind: 'cpu', adapter: `${threads} thread${threads > 1 ? 's' : ''}`, software: false, threads },

    unsupported: () => null,

    async run(plan: Plan, request: RunRequest): Promise<PartialSums> {
      const { onProgress, valueViews, ...req } = request;
      // Small ranges are not worth a thread hop (their values are fresh arrays, never lent).
      if (threads === 1 || req.count < 4096 * threads) {
        lent = -1;
        return runRange(plan, req, onProgress);
      }
      if (workers.length === 0) {
        const path = workerPath();
        workers = Array.from({ length: threads }, () => new Worker(path));
      }
      // Contiguous ranges of whole summation blocks (BLOCK_SAMPLES, aligned to absolute sample
      // indices), one per thread; the block sums are added in block order, as one thread adds
      // them, so that the result does not depend on the thread count.
      const end = req.start + req.count;
      const firstBlock = Math.floor(req.start / BLOCK_SAMPLES);
      const blockCount = Math.ceil(end / BLOCK_SAMPLES) - firstBlock;
      const perThread = Math.ceil(blockCount / threads);
      const cut = (t: number) => Math.min(end, Math.max(req.start, (firstBlock + t * perThread) * BLOCK_SAMPLES));
      const done = new Array<number>(threads).fill(0);
      // Exact mode: the threads write their values straight into shared arrays, each from the
      // position of its first sample, instead of posting copies back to be concatenated.
      const pairs = cellCount(plan) * plan.metrics.length;
      let buffers: SharedArrayBuffer[] | null = null;
      if (req.mode === 'exact') {
        const set = lent === 0 ? 1 : 0;
        if (shared[set]!.length < pairs || shared[set]![0]!.byteLength < 4 * req.count) {
          shared[set] = Array.from({ length: pairs }, () => new SharedArrayBuffer(4 * req.count));
        }
        buffers = shared[set]!.slice(0, pairs);
        lent = valueViews ? set : -1;
      } else {
        lent = -1;
      }
      const jobs = workers.map((w, t) => {
        const start = cut(t);
        const stop = cut(t + 1);
        if (stop <= start) return null;
        const job: WorkerJob = { plan, req: { ...req, start, count: stop - start }, ...(buffers ? { exact: { buffers, offset: start - req.start } } : {}) };
        return runOn(w, job, (d) => {
          done[t] = d;
          onProgress?.(done.reduce((a, b) => a + b, 0));
        }).then((r) => ({ ...r, offset: start - req.start }));
      });
      const parts = (await Promise.all(jobs)).filter((p) => p !== null);
      const merged = parts.map((p) => p.partial).reduce((a, b) => mergePartials(a, b));
      if (buffers) {
        // Each thread's values sit where its range starts; close the gaps its infeasible samples
        // left, in thread (= sample) order.
        merged.values = buffers.map((buffer, i) => {
          const values = new Float32Array(buffer);
          let length = 0;
          for (const p of parts) {
            const n = p.filled![i]!;
            if (p.offset !== length) values.copyWithin(length, p.offset, p.offset + n);
            length += n;
          }
          // Lent: a view, valid until the call after the next one (valueViews). Else a copy of
          // the values' own size: the shared arrays are a later call's, and a worker thread that
          // seldom collects garbage would otherwise keep fresh ones alive.
          return valueViews ? values.subarray(0, length) : values.slice(0, length);
        });
      }
      merged.sum.fill(0);
      merged.sumSq.fill(0);
      for (const p of parts) {
        for (const b of p.blocks) {
          for (let i = 0; i < merged.sum.length; i++) {
            merged.sum[i]! += b.sum[i]!;
            merged.sumSq[i]! += b.sumSq[i]!;
          }
        }
      }
      return merged;
    },

    async dispose(): Promise<void> {
      const ws = workers;
      workers = [];
      shared[0] = [];
      shared[1] = [];
      lent = -1;
      await Promise.all(ws.map((w) => w.terminate()));
    },
  };
}
