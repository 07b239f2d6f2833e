/**
 * Pacing of the GPU engine's chunks on the host: when to wait for a chunk, and how to ask Dawn
 * whether it is done without taking CPU from the device (on a software adapter they share the
 * cores). Owns the Pacer (time per quad, expected end of the chunk in flight) and mapInBursts.
 */
import { dawnGlobals } from './device.js';

/**
 * Waiting for a chunk past its expected end: ask Dawn for POLL_BURST_MS, then pause a tenth of
 * the chunk's expected time, within these bounds.
 */
const POLL_BURST_MS = 1;
const MIN_POLL_GAP_MS = 3;
const MAX_POLL_GAP_MS = 50;
/**
 * The longest one sleep for a chunk: an estimate too high (the device slower for a while, a time
 * per quad taken in a busy moment) costs at most this before the chunk is polled for in bursts,
 * which take POLL_BURST_MS of every gap of at most MAX_POLL_GAP_MS.
 */
export const MAX_SLEEP_MS = 1000;

/**
 * Waits for chunks without polling. Dawn for Node polls for completion for as long as a promise
 * of its own (mapAsync, popErrorScope) is pending, and on a software adapter that polling takes
 * CPU from the very threads that run the shader (on lavapipe, a chunk waited for that way took
 * 1.5x as long as one waited for by sleeping). So the engine sleeps until a chunk should be done,
 * from the measured time per quad, and then asks Dawn in short bursts (mapInBursts). The engine
 * keeps the next chunk queued behind the one it waits for, so waking late idles nothing.
 *
 * A Pacer serves one kernel in one mode (the time per quad is the kernel's): its first chunk is
 * waited for by polling, and measures.
 */
export class Pacer {
  msPerQuad = 0;
  /** When the last chunk waited for ended (as far as the host saw). */
  private lastEnd = 0;
  private woke = 0;
  /** The most quads of a chunk measured so far. */
  private measuredQuads = 0;

  /**
   * When a chunk of `quads` queued at `submitted` should end, asked once the chunk before it has
   * been waited for: it started when it was queued or when that one ended, whichever was later.
   */
  expectedEnd(submitted: number, quads: number): number {
    return Math.max(submitted, this.lastEnd) + this.msPerQuad * quads;
  }

  /** Sleeps until `t`, or for MAX_SLEEP_MS if that is sooner. */
  async sleepUntil(t: number): Promise<void> {
    const ms = Math.min(t - performance.now(), MAX_SLEEP_MS);
    if (ms > 1) await new Promise((resolve) => setTimeout(resolve, ms));
    this.woke = performance.now();
  }

  /** Pause between two polling bursts for a chunk of `quads`: a tenth of its expected time. */
  pollGapMs(quads: number): number {
    return Math.min(MAX_POLL_GAP_MS, Math.max(MIN_POLL_GAP_MS, (this.msPerQuad * quads) / 10));
  }

  /** Records that a chunk of `quads`, queued at `submitted`, ended now. */
  observe(submitted: number, quads: number): void {
    const end = performance.now();
    // It started when it was queued or when the chunk before it ended, whichever came later.
    const started = Math.max(submitted, this.lastEnd);
    if (this.msPerQuad > 0 && end - this.woke < 0.5) {
      // Done before we woke: the true time is below the time slept. Aim well under it, so that
      // the next chunk is still running when we wake, and is measured.
      this.msPerQuad = Math.min(this.msPerQuad, (this.woke - started) / quads) * 0.75;
    } else {
      // Still running when we woke: we polled to its end, so this is its time. A chunk smaller
      // than one measured before (the last of a range: a few quads) takes mostly the fixed time of
      // a dispatch and a map, which per quad would make the next full chunk's wait minutes long:
      // it may lower the time per quad, not raise it.
      const measured = (end - started) / quads;
      this.msPerQuad = quads >= this.measuredQuads ? measured : Math.min(this.msPerQuad, measured);
      this.measuredQuads = Math.max(this.measuredQuads, quads);
    }
    this.lastEnd = end;
  }
}

/**
 * Maps a buffer for reading, asking Dawn in short bursts: a pending map keeps Dawn polling, so a
 * map still pending after POLL_BURST_MS is withdrawn (unmap() aborts it) and asked again after
 * `gapMs`. A map that fails for another reason (a lost device) rejects as usual.
 */
export async function mapInBursts(buffer: GPUBuffer, bytes: number, gapMs = MIN_POLL_GAP_MS): Promise<void> {
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
    await sleep(gapMs);
  }
}

