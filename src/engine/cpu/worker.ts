/** Worker thread of the CPU engine: runs one sample range per message and posts its PartialSums. */
import { parentPort } from 'node:worker_threads';
import type { Plan } from '../../plan/index.js';
import { runRange, type BlockSums, type RangeRequest } from './run-range.js';

export interface WorkerJob {
  plan: Plan;
  req: RangeRequest;
  /**
   * Exact mode: per (cell, metric) the shared buffer of the whole engine call's values, and where
   * this range's values start in it (the values are written there, not posted back).
   */
  exact?: { buffers: SharedArrayBuffer[]; offset: number };
}

parentPort!.on('message', (job: WorkerJob) => {
  try {
    let last = 0;
    const blocks: BlockSums[] = [];
    const partial = runRange(job.plan, job.req, (done) => {
      // Progress at most every ~1% of the range, to keep messages cheap.
      if (done - last >= job.req.count / 100) {
        last = done;
        parentPort!.postMessage({ type: 'progress', done });
      }
    }, blocks, job.exact ? { values: job.exact.buffers.map((b) => new Float32Array(b)), offset: job.exact.offset } : undefined);
    const { filled, ...rest } = partial;
    parentPort!.postMessage({ type: 'done', partial: rest, blocks, filled });
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
