/**
 * The GPU engine's pacer (src/engine/gpu/pacing.ts) on a fake clock: how long it sleeps for a
 * chunk after chunks of other sizes. No device needed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_SLEEP_MS, Pacer } from '../src/engine/gpu/pacing.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A chunk of `quads` queued now that the device finishes `ms` later, waited for by polling. */
function chunk(pacer: Pacer, quads: number, ms: number): void {
  const submitted = performance.now();
  vi.advanceTimersByTime(ms);
  pacer.observe(submitted, quads);
}

describe('Pacer', () => {
  it('takes the time per quad from a chunk it polled to the end of', () => {
    const pacer = new Pacer();
    chunk(pacer, 65_536, 100);
    const now = performance.now();
    expect(pacer.expectedEnd(now, 65_536) - now).toBeCloseTo(100, 6);
    expect(pacer.expectedEnd(now, 32_768) - now).toBeCloseTo(50, 6);
  });

  it('does not let the last, small chunk of a range stretch the wait for the next full one', () => {
    const pacer = new Pacer();
    chunk(pacer, 65_536, 100);
    // One quad that took the fixed cost of a dispatch and a map: 20 ms, or 1.3e6 ms a full chunk.
    chunk(pacer, 1, 20);
    const now = performance.now();
    expect(pacer.expectedEnd(now, 65_536) - now).toBeLessThanOrEqual(100);
    // A full chunk that took longer (the machine got busy) still raises the estimate.
    chunk(pacer, 65_536, 300);
    const later = performance.now();
    expect(pacer.expectedEnd(later, 65_536) - later).toBeCloseTo(300, 6);
  });

  it('sleeps at most MAX_SLEEP_MS for one chunk, whatever the estimate', async () => {
    const pacer = new Pacer();
    chunk(pacer, 1_000, 60_000);
    const t = pacer.expectedEnd(performance.now(), 1_000);
    let woke = false;
    const sleeping = pacer.sleepUntil(t).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(MAX_SLEEP_MS - 1);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(woke).toBe(true);
    expect(t - performance.now()).toBeGreaterThan(50_000);
  });
});
