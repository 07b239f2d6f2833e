/**
 * The CPU engine: the reference implementation of the Monte Carlo, on worker threads. Each thread
 * takes a contiguous range of sample indices; their partials merge in index order, so results do
 * not depend on the number of threads.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { mergePartials } from '../../aggregate/index.js';
import { RuntimeError } from '../../errors.js';
import type { Plan } from '../../plan/types.js';
import type { Engine, Partial, RunRequest } from '../types.js';
import { runRange } from './run-range.js';

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
  | { type: 'done'; partial: Partial }
  | { type: 'error'; message: string };

export function createCpuEngine(options: CpuEngineOptions = {}): Engine {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  let workers: Worker[] = [];

  const runOn = (worker: Worker, plan: Plan, req: Omit<RunRequest, 'onProgress'>, progress: (done: number) => void) =>
    new Promise<Partial>((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.type === 'progress') return progress(m.done);
        worker.off('message', onMessage);
        worker.off('error', onError);
        if (m.type === 'done') resolve(m.partial);
        else reject(new RuntimeError(`CPU engine: ${m.message}`));
      };
      const onError = (e: Error) => {
        worker.off('message', onMessage);
        reject(new RuntimeError(`CPU engine worker failed: ${e.message}`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.postMessage({ plan, req });
    });

  return {
    info: { kind: 'cpu', adapter: `${threads} thread${threads > 1 ? 's' : ''}`, software: false, threads },

    unsupported: () => null,

    async run(plan: Plan, request: RunRequest): Promise<Partial> {
      const { onProgress, ...req } = request;
      // Small ranges are not worth a thread hop.
      if (threads === 1 || req.count < 4096 * threads) {
        return runRange(plan, req, onProgress);
      }
      if (workers.length === 0) {
        const path = workerPath();
        workers = Array.from({ length: threads }, () => new Worker(path));
      }
      // Contiguous, quad-aligned ranges, one per thread.
      const quads = Math.ceil(req.count / 4);
      const per = Math.ceil(quads / threads) * 4;
      const done = new Array<number>(threads).fill(0);
      const jobs = workers.map((w, t) => {
        const start = req.start + Math.min(req.count, t * per);
        const end = req.start + Math.min(req.count, (t + 1) * per);
        return runOn(w, plan, { ...req, start, count: end - start }, (d) => {
          done[t] = d;
          onProgress?.(done.reduce((a, b) => a + b, 0));
        });
      });
      const parts = await Promise.all(jobs);
      return parts.reduce((a, b) => mergePartials(a, b));
    },

    async dispose(): Promise<void> {
      const ws = workers;
      workers = [];
      await Promise.all(ws.map((w) => w.terminate()));
    },
  };
}
