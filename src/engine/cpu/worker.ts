/** Worker thread of the CPU engine: runs one sample range per message and posts its Partial. */
import { parentPort } from 'node:worker_threads';
import type { Plan } from '../../plan/types.js';
import { runRange, type BlockSums, type RangeRequest } from './run-range.js';

export interface WorkerJob {
  plan: Plan;
  req: RangeRequest;
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
    }, blocks);
    parentPort!.postMessage({ type: 'done', partial, blocks });
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
