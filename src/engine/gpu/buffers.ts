/**
 * The GPU engine's device buffers: GrowableBuffer (a buffer recreated larger when a run needs
 * more, never past the binding limits) and the set of buffers one chunk in flight uses (Slot).
 */
import { RuntimeError } from '../../errors.js';
import { dawnGlobals } from './device.js';
import { MC_PARAMS_BYTES } from './layout.js';

/** Bytes a buffer or a binding of `bytes` takes: a multiple of 16, at least 16. */
export function paddedBytes(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/**
 * A buffer that grows (by recreating it) when a run needs more than it has. A buffer that is
 * bound to the kernel (`bound`) never grows past the storage binding limit, headroom included,
 * and is bound for the bytes a chunk uses (bindRange), not as a whole.
 */
export class GrowableBuffer {
  buffer: GPUBuffer | null = null;
  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    private readonly label: string,
    private readonly bound: boolean,
  ) {}
  /** Returns a buffer of at least `bytes` (rounded up to a multiple of 16, at least 16). */
  ensure(bytes: number): GPUBuffer {
    const need = paddedBytes(bytes);
    if (need > this.maxSize) {
      // The callers size their work to the limits (cellsPerPass, chunkQuadsFor, unsupported), so
      // this is a bug, reported before the device would reject the binding.
      throw new RuntimeError(`${this.label} would need ${need} bytes, more than the device's limit of ${this.maxSize}`);
    }
    if (!this.buffer || this.buffer.size < need) {
      this.buffer?.destroy();
      // Some headroom, so that a slightly larger next chunk does not reallocate.
      const size = Math.max(need, Math.min(Math.ceil((need * 1.25) / 16) * 16, this.maxSize));
      this.buffer = this.device.createBuffer({ size, usage: this.usage, label: this.label });
    }
    return this.buffer;
  }
  /** The binding of the first `bytes` of the buffer (ensure(bytes) first). */
  bindRange(bytes: number): GPUBufferBinding {
    return { buffer: this.buffer!, offset: 0, size: paddedBytes(bytes) };
  }
  get maxSize(): number {
    const limits = this.device.limits;
    return this.bound ? Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize) : limits.maxBufferSize;
  }
  destroy(): void {
    this.buffer?.destroy();
    this.buffer = null;
  }
}

/** The buffers of one chunk in flight. */
export interface Slot {
  uniform: GPUBuffer;
  partials: GrowableBuffer;
  partialsRead: GrowableBuffer;
  exact: GrowableBuffer;
  exactRead: GrowableBuffer;
}

/** The buffers of chunk slot `i` (the engine alternates two). */
export function createSlot(device: GPUDevice, i: number): Slot {
  const U = dawnGlobals.GPUBufferUsage;
  return {
    uniform: device.createBuffer({ size: MC_PARAMS_BYTES, usage: U.UNIFORM | U.COPY_DST, label: `cptsim mc ${i}` }),
    partials: new GrowableBuffer(device, U.STORAGE | U.COPY_SRC, `cptsim partials ${i}`, true),
    partialsRead: new GrowableBuffer(device, U.MAP_READ | U.COPY_DST, `cptsim partials readback ${i}`, false),
    exact: new GrowableBuffer(device, U.STORAGE | U.COPY_SRC, `cptsim exact ${i}`, true),
    exactRead: new GrowableBuffer(device, U.MAP_READ | U.COPY_DST, `cptsim exact readback ${i}`, false),
  };
}
