/**
 * The GPU engine's run loop: shaders/mc.wgsl on a WebGPU device. Buffers are reused (and grown)
 * across runs and chunks (./buffers.ts), kernels built once per generated source (./kernels.ts),
 * chunks waited for by the pacer (./pacing.ts), per-sample words read back compacted or counted
 * by ./readback.ts; two chunks in flight, so that the host sums one chunk's partials (and, on a
 * software adapter, counts its histogram bins) while the device runs the next.
 *
 * A run goes: cells in passes (so that histograms and partials fit the binding limits), each pass
 * in chunks of at most `chunkQuads` quads (one dispatch each, its workgroup count under the
 * 65535 limit), each chunk's per-workgroup partials read back and added in f64. A workgroup sums
 * one block of REDUCTION_BLOCK_SAMPLES consecutive samples of its chunk in f32, so a range that
 * starts on a block boundary, in chunks of whole blocks, adds the same f32 block sums in the same
 * order wherever it is cut into runs (shards, checkpoint chunks). Histograms stay
 * on the device until the pass ends (or 2^31 samples, before a u32 bin could overflow); exact
 * values are read back per chunk and compacted to the feasible samples.
 *
 * Failures: shader compilation, validation and out-of-memory errors, uncaptured errors and device
 * loss all reject the run in flight with a RuntimeError; a PartialSums is only returned when every
 * chunk completed cleanly. Testing aid: the environment variable CPTSIM_GPU_FAULT forces a
 * failure, `device-lost` (the device is destroyed right after the first chunk is submitted) or
 * `shader` (every kernel is compiled with a syntax error, so creating the engine fails).
 */
import { emptyPartial, HIST_STRIDE, type PartialSums } from '../../aggregate/index.js';
import { CptsimError, RuntimeError } from '../../errors.js';
import type { Plan } from '../../plan/index.js';
import { REDUCTION_BLOCK_SAMPLES, type BackendInfo, type Engine, type RunRequest } from '../types.js';
import { createSlot, GrowableBuffer, paddedBytes, type Slot } from './buffers.js';
import { dawnGlobals, describeAdapter, requireAdapter, requiredLimits, type AdapterSummary } from './device.js';
import { KernelCache, kernelSpecFor, type Kernel, type KernelChoice } from './kernels.js';
import {
  MAX_PLAN_METRICS,
  MODE_BINS,
  MODE_EXACT,
  MODE_HIST,
  MODEL_CONFIG_BYTES,
  addPartials,
  encodeMcParams,
  encodeModelConfig,
  encodeTables,
  kernelPlan,
  partialWords,
  reshift,
  splitChunks,
  tableWords,
  type Chunk,
  type KernelPlan,
  type Sums,
} from './layout.js';
import { mapInBursts, Pacer } from './pacing.js';
import { compactExact, countBins } from './readback.js';

export interface GpuEngineOptions {
  /** The adapter to use (default: findAdapter()'s). */
  adapter?: GPUAdapter;
  /**
   * Quads (4 samples) per dispatch; by default a number of quad-cells by adapter kind, shared by
   * the pass's cells (a whole number of blocks, and enough of them to keep the device's threads
   * busy). Counts,
   * histograms and values do not depend on it; sums only to f64 rounding when it is a multiple of
   * REDUCTION_BLOCK_SAMPLES / 4, else to f32 rounding (other blocks).
   */
  chunkQuads?: number;
  /** Invocations per workgroup, a power of two (default 64). */
  workgroupSize?: number;
  /**
   * Upper bound on sweep cells per pass (default: what the binding limits allow, and on a
   * software adapter MAX_CELLS_PER_PASS_SOFTWARE); for tests.
   */
  maxCellsPerPass?: number;
  /** Samples a histogram collects on the device before it is read back (default 2^31); for tests. */
  histFlushSamples?: number;
  /**
   * Most copies of each histogram on the device (a power of two, default MAX_HIST_COPIES): the
   * workgroups of a dispatch add into the copies in turn, the host adds them up. Counts do not
   * depend on it.
   */
  histCopies?: number;
  /**
   * Count histogram bins on the host: a kernel generated per plan then writes each sample's bins
   * (16 bits a metric) instead of adding them into the device's histograms, and the host counts
   * them. Default: on a software adapter, where the device's memory is the host's and an atomic
   * add is the kernel's slowest operation (bench/RESULTS.md). Counts are the same either way.
   */
  hostHistograms?: boolean;
  /**
   * Told before a kernel is built (seconds on a software adapter): on the first run of each plan
   * that needs a kernel not built yet. For progress displays.
   */
  onCompile?: (what: string) => void;
  /**
   * 'auto' (default): a run of at least SPECIALISE_MIN_SAMPLE_CELLS runs on a kernel generated
   * for its plan where it can (./kernels.ts); 'specialised': every run where it can; 'generic':
   * every plan runs on the generic kernel. Results agree (test/gpu-specialise.test.ts).
   */
  kernel?: KernelChoice;
  /**
   * Use subgroup operations for the reductions where the adapter offers them (default true);
   * false: the barrier tree everywhere. Results agree within f32 summation error.
   */
  subgroups?: boolean;
  /**
   * Tiles a specialised kernel runs between two reductions of a sweep pass (SpecialiseOptions
   * tileGroup; default TILE_GROUP_SOFTWARE on a software adapter, 1 on a hardware one). Sums
   * agree within f32 summation error; counts and histograms are the same.
   */
  tileGroup?: number;
}

const FAULT_ENV = 'CPTSIM_GPU_FAULT';
const DEFAULT_WORKGROUP_SIZE = 64;
/**
 * Default quads per dispatch: on lavapipe (2 cores, ~1.5e6 samples/s) 2^14 quads are ~40 ms, so
 * progress comes often; on a datacenter GPU 2^24 quads (67M samples) keep the per-chunk costs
 * (a ~1 MB partial readback, its f64 sum on the host, the map round trip) small against compute.
 */
const CHUNK_QUADS_SOFTWARE = 1 << 17;
const CHUNK_QUADS_HARDWARE = 1 << 24;
/**
 * Fewest workgroups of a default chunk of a sweep pass (whose quad-cells are shared by many
 * cells): two cores of lavapipe take workgroups in turn, a datacenter GPU runs a thousand at once.
 */
const MIN_CHUNK_WORKGROUPS_SOFTWARE = 16;
const MIN_CHUNK_WORKGROUPS_HARDWARE = 1024;
/**
 * Most sweep cells per pass on a software adapter. Each cell's histograms take 14 x 16 KiB for
 * the flagship's metrics: on lavapipe a pass of 100 cells, whose samples add into all of them
 * in turn, ran the 100-cell sweep at 4.2 M cell-samples/s, passes of 1 to 10 cells at 5.3 to
 * 5.7 M/s (bench/RESULTS.md), although each pass draws its random inputs anew.
 */
const MAX_CELLS_PER_PASS_SOFTWARE = 8;
/**
 * Tiles between two reductions of a sweep pass on a software adapter: a workgroup's
 * BLOCK_QUADS / workgroup-size = 16 tiles, so a cell is reduced once per workgroup. lavapipe runs
 * a workgroup's invocations on one thread, and a reduction after every tile (two barriers and the
 * subgroup operations of every metric, per cell) took about 40% of a 100-cell sweep: 232 ns per
 * cell-sample with 1 tile a group, 163 with 4, 140 with 16 (bench/RESULTS.md).
 */
const TILE_GROUP_SOFTWARE = 16;
/** The kernel indexes a chunk's samples in u32 (4 * quads + lane). */
const MAX_CHUNK_QUADS = 1 << 28;
/** Quads per workgroup of a dispatch (its tiles); a chunk of q quads takes ceil(q / BLOCK_QUADS) workgroups. */
const BLOCK_QUADS = REDUCTION_BLOCK_SAMPLES / 4;
const MAX_WORKGROUPS_PER_DIMENSION = 65535;
/**
 * Chunks queued at once: the device runs one while the host adds up the one before and waits
 * for the next (on lavapipe, one at a time left its threads idle while the host worked).
 */
const MAX_INFLIGHT = 2;
/** Device memory the per-workgroup partials and the histograms may take. */
const PARTIAL_BUDGET_BYTES = 64 << 20;
const HIST_BUDGET_BYTES = 256 << 20;
/**
 * Copies of each histogram (bench/RESULTS.md, "histogram copies"): on lavapipe two cores adding
 * into one set of bins took 6x the time per add of one core alone, as each add waits for the
 * cache line the other core owns; with copies taken by workgroups in turn, the workgroups running
 * at once rarely share one. Copies past the first take at most HIST_COPIES_BUDGET_BYTES.
 */
const MAX_HIST_COPIES = 16;
const HIST_COPIES_BUDGET_BYTES = 64 << 20;
/** Samples a histogram takes before it is read back: no bin can pass 2^32 - 1. */
const HIST_FLUSH_SAMPLES = 2 ** 31;

/** State of one run, shared by its chunks. */
interface RunState {
  kp: KernelPlan;
  kernel: Kernel;
  mode: number;
  /** Histogram bins are written per sample and counted on the host (MODE_BINS). */
  bins: boolean;
  sums: Sums;
  part: PartialSums;
  /** Exact mode: values written so far per cell. */
  exactFill: Int32Array | null;
  /** Exact mode: infeasible samples stay, as NaN (RunRequest.keepInfeasible). */
  keepInfeasible: boolean;
  pairTable: number;
  randomTable: number;
  sweptTable: number;
  key: readonly [number, number];
  /** The parameter and cell tables, as bound (the bytes this run wrote, not the whole buffer). */
  paramsBinding: GPUBufferBinding;
  tablesBinding: GPUBufferBinding;
}

interface PassState {
  cellFirst: number;
  cells: number;
  /** Copies of the pass's histograms on the device (a power of two; mc.wgsl's mc_hist_copy). */
  histCopies: number;
}

export async function createGpuEngine(options: GpuEngineOptions = {}): Promise<Engine> {
  const adapter = await requireAdapter(options.adapter);
  const summary = describeAdapter(adapter);
  let device: GPUDevice;
  try {
    // Subgroups, where the adapter offers them, for the specialised kernels' reductions.
    const requiredFeatures: GPUFeatureName[] = options.subgroups !== false && adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [];
    device = await adapter.requestDevice({ label: 'cptsim', requiredLimits: requiredLimits(adapter), requiredFeatures });
  } catch (e) {
    throw new RuntimeError(`cannot open the GPU device (${summary.name}): ${(e as Error).message}`);
  }
  const engine = new GpuEngine(device, summary, options);
  try {
    await engine.init();
  } catch (e) {
    await engine.dispose();
    throw e;
  }
  return engine;
}

class GpuEngine implements Engine {
  readonly info: BackendInfo;
  private device: GPUDevice | null;
  /** Kernels by the hash of their generated source (made by init()). */
  private kernels: KernelCache | null = null;
  private readonly kernelChoice: KernelChoice;
  /** The device has subgroups: specialised kernels reduce with them. */
  private readonly subgroups: boolean;
  private readonly tileGroup: number;
  private readonly workgroupSize: number;
  private readonly chunkQuads: number;
  /** Default chunks: chunkQuads is quad-cells, shared by a pass's cells, down to minChunkQuads. */
  private readonly chunkByCells: boolean;
  private readonly minChunkQuads: number;
  private readonly maxWorkgroups: number;
  private readonly fault: string | undefined;
  private readonly maxCellsPerPass: number;
  private readonly histFlushSamples: number;
  private readonly maxHistCopies: number;
  private readonly hostHistograms: boolean;
  private readonly onCompile: ((what: string) => void) | undefined;
  /** Pacers by kernel, for exact and histogram chunks (they cost differently per quad). */
  private readonly paces = new WeakMap<Kernel, { exact: Pacer; hist: Pacer }>();
  /** Set when the device is lost (or destroyed by dispose): every later run fails with it. */
  private lostMessage: string | null = null;
  /** The first uncaptured error of the run in flight. */
  private uncaptured: string | null = null;
  private disposed = false;
  /** Runs are serialized: they share the buffers. */
  private queue: Promise<unknown> = Promise.resolve();

  private configBuf: GPUBuffer | null = null;
  private params: GrowableBuffer;
  private tables: GrowableBuffer;
  private hist: GrowableBuffer;
  private histRead: GrowableBuffer;
  private dummy: GPUBuffer;
  private slots: Slot[];

  constructor(device: GPUDevice, summary: AdapterSummary, options: GpuEngineOptions) {
    this.device = device;
    this.info = { kind: 'gpu', adapter: summary.name, software: summary.software };
    this.workgroupSize = options.workgroupSize ?? DEFAULT_WORKGROUP_SIZE;
    if (!Number.isInteger(this.workgroupSize) || this.workgroupSize < 1 || (this.workgroupSize & (this.workgroupSize - 1)) !== 0) {
      throw new RangeError(`workgroupSize must be a power of two, got ${this.workgroupSize}`);
    }
    if (this.workgroupSize > BLOCK_QUADS) throw new RangeError(`workgroupSize must be at most ${BLOCK_QUADS}, got ${this.workgroupSize}`);
    this.chunkQuads = Math.min(
      MAX_CHUNK_QUADS,
      Math.max(1, Math.floor(options.chunkQuads ?? (summary.software ? CHUNK_QUADS_SOFTWARE : CHUNK_QUADS_HARDWARE))),
    );
    this.chunkByCells = options.chunkQuads === undefined;
    this.minChunkQuads = (summary.software ? MIN_CHUNK_WORKGROUPS_SOFTWARE : MIN_CHUNK_WORKGROUPS_HARDWARE) * BLOCK_QUADS;
    this.maxWorkgroups = Math.min(MAX_WORKGROUPS_PER_DIMENSION, device.limits.maxComputeWorkgroupsPerDimension);
    this.fault = process.env[FAULT_ENV] || undefined;
    this.maxCellsPerPass = Math.max(1, Math.floor(options.maxCellsPerPass ?? (summary.software ? MAX_CELLS_PER_PASS_SOFTWARE : Infinity)));
    this.histFlushSamples = Math.min(HIST_FLUSH_SAMPLES, Math.max(1, Math.floor(options.histFlushSamples ?? HIST_FLUSH_SAMPLES)));
    const copies = options.histCopies ?? MAX_HIST_COPIES;
    if (!Number.isInteger(copies) || copies < 1 || (copies & (copies - 1)) !== 0) {
      throw new RangeError(`histCopies must be a power of two, got ${copies}`);
    }
    this.maxHistCopies = copies;
    this.hostHistograms = options.hostHistograms ?? summary.software;
    this.onCompile = options.onCompile;
    this.kernelChoice = options.kernel ?? 'auto';
    this.subgroups = device.features.has('subgroups');
    this.tileGroup = options.tileGroup ?? (summary.software ? TILE_GROUP_SOFTWARE : 1);
    if (!Number.isInteger(this.tileGroup) || this.tileGroup < 1) throw new RangeError(`tileGroup must be a positive integer, got ${this.tileGroup}`);

    const U = dawnGlobals.GPUBufferUsage;
    const storage = U.STORAGE | U.COPY_DST;
    this.params = new GrowableBuffer(device, storage, 'cptsim params', true);
    this.tables = new GrowableBuffer(device, storage, 'cptsim tables', true);
    this.hist = new GrowableBuffer(device, U.STORAGE | U.COPY_SRC | U.COPY_DST, 'cptsim hist', true);
    this.histRead = new GrowableBuffer(device, U.MAP_READ | U.COPY_DST, 'cptsim hist readback', false);
    this.dummy = device.createBuffer({ size: 16, usage: U.STORAGE, label: 'cptsim unused binding' });
    this.slots = [0, 1].map((i) => createSlot(device, i));

    void device.lost.then((info) => {
      if (!this.disposed && this.lostMessage === null) {
        this.lostMessage = `the GPU device was lost (${info.reason}): ${info.message}`;
      }
    });
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.uncaptured ??= ev.error.message;
    };
  }

  /** Creates the kernel cache and checks that the shader sources compile (once per engine). */
  async init(): Promise<void> {
    const device = this.live();
    this.kernels = new KernelCache(device, {
      workgroupSize: this.workgroupSize,
      faultShader: this.fault === 'shader',
      ...(this.onCompile ? { onCompile: this.onCompile } : {}),
    });
    this.configBuf = device.createBuffer({
      size: MODEL_CONFIG_BYTES,
      usage: dawnGlobals.GPUBufferUsage.UNIFORM | dawnGlobals.GPUBufferUsage.COPY_DST,
      label: 'cptsim model config',
    });
    await this.kernels.check();
  }

  /**
   * Sweeps of any size run in passes of cells, and sample counts in chunks, each sized to the
   * device's limits; what cannot be split is the metric list (the uniform block has room for
   * MAX_PLAN_METRICS) and the parameter and cell tables, which every dispatch binds whole.
   */
  unsupported(plan: Plan): string | null {
    const metrics = plan.metrics.length;
    if (metrics > MAX_PLAN_METRICS) return `the GPU engine takes at most ${MAX_PLAN_METRICS} metrics per run, this plan has ${metrics}`;
    const limit = this.live().limits;
    const maxBinding = Math.min(limit.maxStorageBufferBindingSize, limit.maxBufferSize);
    const kp = kernelPlan(plan);
    const tableBytes = paddedBytes(tableWords(kp) * 4);
    if (tableBytes > maxBinding) {
      return (
        `the GPU engine binds the table of all ${kp.cells.toLocaleString('en-US')} sweep cells at once, ` +
        `${mib(tableBytes)}, more than this device's storage binding limit of ${mib(maxBinding)}`
      );
    }
    const paramBytes = paddedBytes(kp.params.byteLength);
    if (paramBytes > maxBinding) return `the GPU engine's parameter table would take ${mib(paramBytes)}, more than this device's storage binding limit of ${mib(maxBinding)}`;
    return null;
  }

  run(plan: Plan, request: RunRequest): Promise<PartialSums> {
    const job = this.queue.then(() => this.runNow(plan, request));
    this.queue = job.catch(() => undefined);
    return job;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.queue;
    this.disposed = true;
    const device = this.device;
    this.device = null;
    this.kernels?.clear();
    this.kernels = null;
    if (device) {
      device.onuncapturederror = null;
      device.destroy();
    }
    this.slots = [];
    this.configBuf = null;
  }

  /** The device, or the reason there is none. */
  private live(): GPUDevice {
    if (this.disposed || !this.device) throw new RuntimeError('the GPU engine has been disposed');
    if (this.lostMessage !== null) throw new RuntimeError(this.lostMessage);
    return this.device;
  }

  private checkHealthy(): void {
    this.live();
    if (this.uncaptured !== null) throw new RuntimeError(`GPU error: ${this.uncaptured}`);
  }

  private async runNow(plan: Plan, request: RunRequest): Promise<PartialSums> {
    this.live();
    this.uncaptured = null;
    try {
      return await this.runChecked(plan, request);
    } catch (e) {
      // Leave no buffer mapped or half-written behind: the next run reallocates.
      for (const s of this.slots) {
        s.partialsRead.destroy();
        s.exactRead.destroy();
      }
      this.histRead.destroy();
      if (e instanceof CptsimError) throw e;
      if (this.lostMessage !== null) throw new RuntimeError(this.lostMessage);
      throw new RuntimeError(`GPU engine: ${(e as Error).message}`);
    }
  }

  private async runChecked(plan: Plan, request: RunRequest): Promise<PartialSums> {
    this.live();
    const kp = kernelPlan(plan);
    const { cells, metrics } = kp;
    const pairs = cells * metrics;
    const why = this.unsupported(plan);
    if (why !== null) throw new RuntimeError(`${why}; use --backend cpu (or --backend auto, which falls back to it)`);
    const kernel = await this.kernels!.get(kernelSpecFor(plan, kp, this.kernelChoice, { subgroups: this.subgroups, tileGroup: this.tileGroup }));
    const device = this.live();
    if (request.mode === 'hist' && (!request.hist || request.hist.length !== pairs)) {
      throw new RangeError(`hist mode needs ${pairs} histogram specs`);
    }
    const shift = request.shift ? Float64Array.from(request.shift) : new Float64Array(pairs);
    const part = emptyPartial(cells, metrics, request.mode, shift);
    part.samples = request.count;
    if (request.count <= 0) return part;

    const tables = encodeTables(plan, kp, shift, request.mode === 'hist' ? request.hist : undefined);
    const queue = device.queue;
    queue.writeBuffer(this.params.ensure(kp.params.byteLength), 0, kp.params);
    queue.writeBuffer(this.tables.ensure(tables.words.byteLength), 0, tables.words);
    const paramsBinding = this.params.bindRange(kp.params.byteLength);
    const tablesBinding = this.tables.bindRange(tables.words.byteLength);
    queue.writeBuffer(this.configBuf!, 0, encodeModelConfig(plan.config));

    const exact = request.mode === 'exact';
    const bins = !exact && this.hostHistograms && kernel.specialised;
    if (exact) part.values = Array.from({ length: pairs }, () => new Float32Array(request.count));
    const state: RunState = {
      kp,
      kernel,
      mode: exact ? MODE_EXACT : bins ? MODE_BINS : MODE_HIST,
      bins,
      sums: part,
      part,
      exactFill: exact ? new Int32Array(cells) : null,
      keepInfeasible: request.keepInfeasible === true,
      pairTable: tables.pairTable,
      randomTable: tables.randomTable,
      sweptTable: tables.sweptTable,
      key: plan.key,
      paramsBinding,
      tablesBinding,
    };

    // The device's histograms: histogram mode, unless the host counts the bins.
    const deviceHist = !exact && !bins;
    const passCells = this.cellsPerPass(metrics, !deviceHist, kernel.pairWords);
    let workDone = 0;
    for (let cellFirst = 0; cellFirst < cells; cellFirst += passCells) {
      const passCellCount = Math.min(passCells, cells - cellFirst);
      const copyBytes = passCellCount * metrics * HIST_STRIDE * 4;
      const chunkQuads = this.chunkQuadsFor(exact, bins, passCellCount, metrics, kernel);
      const pass: PassState = { cellFirst, cells: passCellCount, histCopies: deviceHist ? this.histCopiesFor(copyBytes, chunkQuads, request.count) : 1 };
      const histBytes = pass.histCopies * copyBytes;
      if (deviceHist) {
        const enc = device.createCommandEncoder();
        enc.clearBuffer(this.hist.ensure(histBytes), 0, histBytes);
        queue.submit([enc.finish()]);
      }
      const chunks = splitChunks(request.start, request.count, chunkQuads);
      // At most two chunks in flight, one per slot; they settle in submission order.
      const inflight: { done: Promise<void>; samples: number }[] = [];
      const settleOldest = async () => {
        const f = inflight.shift()!;
        await f.done;
        workDone += f.samples * pass.cells;
        request.onProgress?.(Math.floor(workDone / cells));
      };
      let sinceFlush = 0;
      for (let j = 0; j < chunks.length; j++) {
        const chunk = chunks[j]!;
        if (deviceHist && sinceFlush > 0 && sinceFlush + chunk.samples > this.histFlushSamples) {
          while (inflight.length > 0) await settleOldest();
          await this.flushHist(state, pass, true);
          sinceFlush = 0;
        }
        if (inflight.length === MAX_INFLIGHT) await settleOldest();
        const done = this.submitChunk(state, pass, chunk, this.slots[j % 2]!, inflight.at(-1)?.done ?? Promise.resolve());
        // Handled here so that a failure of a later chunk is not reported as unhandled while an
        // earlier one is awaited; the failure itself surfaces when this chunk is settled.
        done.catch(() => undefined);
        inflight.push({ done, samples: chunk.samples });
        sinceFlush += chunk.samples;
        if (j === 0 && this.fault === 'device-lost') {
          this.lostMessage = `the GPU device was lost (destroyed by ${FAULT_ENV}=device-lost)`;
          device.destroy();
        }
      }
      while (inflight.length > 0) await settleOldest();
      if (deviceHist) await this.flushHist(state, pass, false);
    }
    this.checkHealthy();

    reshift(part, shift);
    if (part.values && state.exactFill) {
      const fill = state.exactFill;
      part.values = part.values.map((v, i) => {
        const kept = fill[Math.floor(i / metrics)]!;
        return kept === v.length ? v : v.slice(0, kept);
      });
    }
    return part;
  }

  /**
   * Copies of a pass's histograms: MAX_HIST_COPIES (or the engine's option), fewer when the
   * copies past the first would pass HIST_COPIES_BUDGET_BYTES or the device's binding limit, or
   * when a chunk has fewer workgroups than copies.
   */
  private histCopiesFor(copyBytes: number, chunkQuads: number, samples: number): number {
    const maxBinding = this.live().limits.maxStorageBufferBindingSize;
    const workgroups = Math.ceil(Math.min(chunkQuads, Math.ceil(samples / 4) + 1) / BLOCK_QUADS);
    let copies = this.maxHistCopies;
    while (copies > 1 && ((copies - 1) * copyBytes > HIST_COPIES_BUDGET_BYTES || copies * copyBytes > maxBinding || copies > workgroups)) {
      copies /= 2;
    }
    return copies;
  }

  /**
   * Cells per pass: the histograms (or the per-sample words of exact values and host-counted
   * bins: `perSample`), and one workgroup's partial must fit.
   */
  private cellsPerPass(metrics: number, perSample: boolean, pairWords: number): number {
    const maxBinding = this.live().limits.maxStorageBufferBindingSize;
    let n = Math.floor(Math.min(maxBinding, PARTIAL_BUDGET_BYTES) / (partialWords(1, metrics, pairWords) * 4));
    if (perSample) n = Math.min(n, Math.floor(maxBinding / ((metrics + 1) * 16)));
    else n = Math.min(n, Math.floor(Math.min(maxBinding, HIST_BUDGET_BYTES) / (metrics * HIST_STRIDE * 4)));
    return Math.max(1, Math.min(n, this.maxCellsPerPass));
  }

  /**
   * Quads per dispatch: the engine's chunk size (by default shared by the pass's cells, in whole
   * blocks), less when its workgroups (one per block) or, in exact mode, its values would not
   * fit; a limit of the device's is rounded down to whole blocks, so that the chunks of a
   * block-aligned range stay block-aligned.
   */
  private chunkQuadsFor(exact: boolean, bins: boolean, cells: number, metrics: number, kernel: Kernel): number {
    const byBudget = Math.floor(PARTIAL_BUDGET_BYTES / (partialWords(cells, metrics, kernel.pairWords) * 4));
    let limit = Math.max(1, Math.min(this.maxWorkgroups, byBudget)) * quadsPerWorkgroup(exact, kernel);
    if (exact || bins) {
      const maxBinding = this.live().limits.maxStorageBufferBindingSize;
      const byBinding = Math.floor(maxBinding / (exact ? cells * (metrics + 1) * 16 : cells * metrics * 8));
      limit = Math.min(limit, byBinding >= BLOCK_QUADS ? byBinding - (byBinding % BLOCK_QUADS) : Math.max(1, byBinding));
    }
    let quads = this.chunkQuads;
    if (this.chunkByCells && cells > 1) {
      const shared = Math.floor(this.chunkQuads / cells / BLOCK_QUADS) * BLOCK_QUADS;
      quads = Math.min(this.chunkQuads, Math.max(this.minChunkQuads, shared));
    }
    return Math.min(quads, limit);
  }

  /**
   * One workgroup per block of quadsPerWorkgroup quads of the chunk, whose tiles step through it
   * (shaders/mc.wgsl); a chunk of less than that takes one workgroup and only the tiles it fills
   * (tiles past the chunk's end would add zeros and change nothing).
   */
  private workgroupsFor(chunk: Chunk, exact: boolean, kernel: Kernel): { workgroups: number; tiles: number } {
    const block = quadsPerWorkgroup(exact, kernel);
    const workgroups = Math.ceil(chunk.nQuads / block);
    const tiles = Math.min(block / kernel.workgroupSize, Math.ceil(chunk.nQuads / kernel.workgroupSize));
    return { workgroups, tiles };
  }

  /** Encodes and submits one chunk; the promise settles when its results are added in. */
  private submitChunk(state: RunState, pass: PassState, chunk: Chunk, slot: Slot, before: Promise<void>): Promise<void> {
    const device = this.live();
    const { metrics } = state.kp;
    const { kernel } = state;
    const exact = state.mode === MODE_EXACT;
    const { bins } = state;
    const { workgroups, tiles } = this.workgroupsFor(chunk, exact, kernel);
    // Words per (cell, metric) row of exact_out: a value per sample, or a 16-bit bin per sample.
    const exactStride = exact ? 4 * chunk.nQuads : bins ? 2 * chunk.nQuads : 0;
    device.queue.writeBuffer(
      slot.uniform,
      0,
      encodeMcParams({
        quadBase: chunk.quadStart,
        nQuads: chunk.nQuads,
        firstLane: chunk.firstLane,
        lastLaneEnd: chunk.lastLaneEnd,
        tiles,
        cellFirst: pass.cellFirst,
        cells: pass.cells,
        metrics,
        random: state.kp.randomSlots.length,
        mode: state.mode,
        exactStride,
        key: state.key,
        pairTable: state.pairTable,
        randomTable: state.randomTable,
        sweptTable: state.sweptTable,
        swept: state.kp.sweptSlots.length,
        histCopies: pass.histCopies,
        metricIds: state.kp.metricIds,
      }),
    );
    const partialBytes = workgroups * partialWords(pass.cells, metrics, kernel.pairWords) * 4;
    const exactBytes = (exact ? pass.cells * (metrics + 1) : pass.cells * metrics) * exactStride * 4;
    const perSample = exactBytes > 0;
    const partials = slot.partials.ensure(partialBytes);
    const partialsRead = slot.partialsRead.ensure(partialBytes);
    const exactBuf = perSample ? slot.exact.ensure(exactBytes) : this.dummy;
    const exactRead = perSample ? slot.exactRead.ensure(exactBytes) : null;
    const bindGroup = device.createBindGroup({
      layout: this.kernels!.layout,
      entries: [
        { binding: 0, resource: { buffer: slot.uniform } },
        { binding: 1, resource: { buffer: this.configBuf! } },
        { binding: 2, resource: state.paramsBinding },
        { binding: 3, resource: state.tablesBinding },
        { binding: 4, resource: slot.partials.bindRange(partialBytes) },
        { binding: 5, resource: perSample ? { buffer: this.dummy } : this.hist.bindRange(pass.histCopies * pass.cells * metrics * HIST_STRIDE * 4) },
        { binding: 6, resource: perSample ? slot.exact.bindRange(exactBytes) : { buffer: this.dummy } },
      ],
    });

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder({ label: 'cptsim chunk' });
    const pass_ = enc.beginComputePass();
    pass_.setPipeline(kernel.pipeline);
    pass_.setBindGroup(0, bindGroup);
    pass_.dispatchWorkgroups(workgroups);
    pass_.end();
    enc.copyBufferToBuffer(partials, 0, partialsRead, 0, partialBytes);
    if (exactRead) enc.copyBufferToBuffer(exactBuf, 0, exactRead, 0, exactBytes);
    device.queue.submit([enc.finish()]);
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();

    let paces = this.paces.get(kernel);
    if (!paces) this.paces.set(kernel, (paces = { exact: new Pacer(), hist: new Pacer() }));
    const pace = exact ? paces.exact : paces.hist;
    const quads = chunk.nQuads * pass.cells;
    const submitted = performance.now();
    return (async () => {
      // The chunk before this one is waited for first (the queue runs them in order).
      await before.catch(() => undefined);
      await pace.sleepUntil(pace.expectedEnd(submitted, quads));
      const [errV, errM] = await Promise.all([validation, oom]);
      const err = errV ?? errM;
      if (err) throw new RuntimeError(`GPU error: ${err.message}`);
      // The partials are copied last in the chunk: once they map, the chunk is done.
      await mapInBursts(partialsRead, partialBytes, pace.pollGapMs(quads));
      pace.observe(submitted, quads);
      if (exactRead) await exactRead.mapAsync(dawnGlobals.GPUMapMode.READ, 0, exactBytes);
      this.checkHealthy();
      try {
        const words = new Uint32Array(partialsRead.getMappedRange(0, partialBytes));
        addPartials(state.sums, words, workgroups, pass.cellFirst, pass.cells, metrics, kernel.pairWords);
        if (exactRead) {
          const ex = new Uint32Array(exactRead.getMappedRange(0, exactBytes));
          const rows = { cellFirst: pass.cellFirst, cells: pass.cells, metrics, stride: exactStride, chunk };
          if (bins) countBins(state.part.hist!, rows, ex);
          else compactExact({ values: state.part.values!, fill: state.exactFill!, keepInfeasible: state.keepInfeasible }, rows, ex);
        }
      } finally {
        partialsRead.unmap();
        exactRead?.unmap();
      }
    })();
  }

  /** Adds the pass's device histograms (every copy) into the PartialSums, and clears them when more follow. */
  private async flushHist(state: RunState, pass: PassState, clear: boolean): Promise<void> {
    const device = this.live();
    const { metrics } = state.kp;
    const copyWords = pass.cells * metrics * HIST_STRIDE;
    const bytes = pass.histCopies * copyWords * 4;
    const read = this.histRead.ensure(bytes);
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(this.hist.buffer!, 0, read, 0, bytes);
    if (clear) enc.clearBuffer(this.hist.buffer!, 0, bytes);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(dawnGlobals.GPUMapMode.READ, 0, bytes);
    this.checkHealthy();
    try {
      const counts = new Uint32Array(read.getMappedRange(0, bytes));
      const hist = state.part.hist!;
      const offset = pass.cellFirst * metrics * HIST_STRIDE;
      for (let k = 0; k < pass.histCopies; k++) {
        const copy = counts.subarray(k * copyWords, (k + 1) * copyWords);
        for (let i = 0; i < copyWords; i++) hist[offset + i]! += copy[i]!;
      }
    } finally {
      read.unmap();
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: 1 })} MiB`;
}

/**
 * Quads one workgroup takes: a reduction block in histogram mode, whose sums become the means and
 * sds; one tile in exact mode, whose means and sds come from the values (so its partial sums need
 * no fixed blocks, and a chunk that the binding limit keeps small still spreads over many
 * workgroups).
 */
function quadsPerWorkgroup(exact: boolean, kernel: Kernel): number {
  return exact ? kernel.workgroupSize : BLOCK_QUADS;
}
