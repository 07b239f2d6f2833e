/**
 * Pacing of the GPU engine's chunks on the host: when to wait for a chunk, and how to ask Dawn
 * whether it is done without taking CPU from the device (on a software adapter they share the
 * cores). Owns the Pacer (time per quad, expected end of the chunk in flight) and mapInBursts.
 */
import { dawnGlobals } from './device.js';

/** Waiting for a chunk past its expected end: ask Dawn for this long, then pause this long. */
const POLL_BURST_MS = 1;
const POLL_GAP_MS = 3;
/** Longest sleep while waiting for a chunk (the estimate it rests on may be stale). */
const MAX_PACE_SLEEP_MS = 200;

/**
 * Waits for chunks without polling. Dawn for Node polls for completion for as long as a promise
 * of its own (mapAsync, popErrorScope) is pending, and on a software adapter that polling takes
 * CPU from the very threads that run the shader (on lavapipe, a chunk waited for that way took
 * 1.5x as long as one waited for by sleeping). So the engine sleeps until a chunk should nearly be
 * done, from the measured time per quad, and then asks Dawn in short bursts (mapInBursts).
 */
export class Pacer {
  msPerQuad = 0;
  expectedEnd = 0;
  private woke = 0;

  async sleepUntil(t: number): Promise<void> {
    // Wake early (polling the last stretch costs little; oversleeping idles the device), and
    // never sleep long on an estimate that may be stale.
    const ms = Math.min((t - performance.now()) * 0.85, MAX_PACE_SLEEP_MS);
    if (ms > 1) await new Promise((resolve) => setTimeout(resolve, ms));
    this.woke = performance.now();
  }

  /** Records a chunk of `quads` that ended now; it started at its submission or when the one before ended. */
  observe(started: number, quads: number): void {
    const end = performance.now();
    const took = (end - started) / quads;
    if (this.msPerQuad > 0 && end - this.woke < 0.5) {
      // Done before we woke: the true time is below the time slept. Aim well under it, so that
      // the next chunk is still running when we wake, and is measured.
      this.msPerQuad = Math.min(this.msPerQuad, (this.woke - started) / quads) * 0.75;
    } else {
      // Still running when we woke: we polled to its end, so `took` is its time.
      this.msPerQuad = took;
    }
    this.expectedEnd = end;
  }
}

/**
 * Maps a buffer for reading, asking Dawn in short bursts: a pending map keeps Dawn polling, so a
 * map still pending after POLL_BURST_MS is withdrawn (unmap() aborts it) and asked again after
 * POLL_GAP_MS. A map that fails for another reason (a lost device) rejects as usual.
 */
export async function mapInBursts(buffer: GPUBuffer, bytes: number): Promise<void> {
  const sleep = (ms: number) => new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), ms));
  for (;;) {
    let withdrawn = false;
    const mapped = buffer.mapAsync(dawnGlobals.GPUMapMode.READ, 0, bytes).then(
      () => 'mapped' as const,
      (e: unknown) => {
        if (withdrawn) return 'withdrawn' as const;
        throw e;
      },
    );
    const first = await Promise.race([mapped, sleep(POLL_BURST_MS)]);
    if (first === 'mapped') return;
    withdrawn = true;
    buffer.unmap();
    // Mapped just before the unmap: ask again at once, it will be quick.
    if ((await mapped) === 'mapped') continue;
    await sleep(POLL_GAP_MS);
  }
}

