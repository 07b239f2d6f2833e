/**
 * The GPU engine's kernels: which kernel a plan runs on, building it, and the pipeline cache.
 *
 * A run of at least SPECIALISE_MIN_SAMPLE_CELLS sample-cells runs on a kernel specialised for its
 * plan (./specialise.ts: its inputs, distributions and metrics written into the source) composed
 * with the generated part for its metric expressions (./custom.ts). A smaller run, a plan that
 * cannot be specialised (./specialise.ts says when), or an engine made with `kernel: 'generic'`,
 * runs on the generic kernel, mc.wgsl's `mc_main`, which reads the same
 * facts from its tables. Pipelines are cached by the hash of the generated source and the entry
 * point. Every kernel shares one bind group layout (mc.wgsl's bindings).
 */
import { RuntimeError } from '../../errors.js';
import { exprHash } from '../../expr/index.js';
import { cellCount, customLayout, type Plan } from '../../plan/index.js';
import { customKernel, PLAIN_KERNEL, plainKernel, type KernelSpec } from './custom.js';
import { dawnGlobals } from './device.js';
import type { KernelPlan } from './layout.js';
import { mcShaderSource } from './shaders.js';
import { specialisedKernel, type SpecialiseOptions } from './specialise.js';

/** A compiled kernel and the layout facts the host needs for it. */
export interface Kernel {
  pipeline: GPUComputePipeline;
  workgroupSize: number;
  pairWords: number;
  /** Built from a plan-specialised source (else the generic kernel). */
  specialised: boolean;
}

/**
 * Which kernels an engine uses: 'auto', specialised per plan for runs of at least
 * SPECIALISE_MIN_SAMPLE_CELLS (the default); 'specialised', wherever the plan allows; 'generic',
 * never.
 */
export type KernelChoice = 'auto' | 'specialised' | 'generic';

/**
 * Sample-cells (a plan's samples times its cells, the whole run's, so every shard, chunk and the
 * pilot of a run choose alike) from which 'auto' specialises. A generated kernel is a new shader
 * for every plan: on the software adapter compiling one takes about 5 s of CPU against about 0.1
 * to 0.2 us saved per sample-cell (bench/RESULTS.md), so it pays from some 2^25 sample-cells
 * there; a real GPU compiles in well under a second. 2^22 keeps small runs (tests, explain-sized
 * runs, a scenario tried by hand) on the generic kernel, whose compiled form the driver caches
 * across processes, and gives every benchmark-sized run the specialised one.
 */
export const SPECIALISE_MIN_SAMPLE_CELLS = 2 ** 22;

/** Workgroup memory of mc.wgsl: four f32 reduction arrays, the three counts and the per-metric not-finite counts. */
export function workgroupBytes(workgroupSize: number, reductionMetrics: number): number {
  return workgroupSize * reductionMetrics * 16 + 16 + reductionMetrics * 4;
}

/**
 * The generated part of the kernel a plan runs on; `options` shape a specialised kernel
 * (SpecialiseOptions: subgroups when the device has the feature, tiles a reduction).
 */
export function kernelSpecFor(plan: Plan, kp: KernelPlan, choice: KernelChoice, options: SpecialiseOptions = {}): KernelSpec {
  const layout = customLayout(plan);
  if (choice === 'specialised' || (choice === 'auto' && plan.samples * cellCount(plan) >= SPECIALISE_MIN_SAMPLE_CELLS)) {
    const base = layout ? customKernel(layout, kp.metrics) : plainKernel(kp.metrics);
    const spec = specialisedKernel(plan, kp, base, options);
    if (spec) return spec;
  }
  return layout ? customKernel(layout, kp.metrics) : PLAIN_KERNEL;
}

export interface KernelCacheOptions {
  workgroupSize: number;
  /** Appends a syntax error to every source (CPTSIM_GPU_FAULT=shader). */
  faultShader: boolean;
  onCompile?: (what: string) => void;
}

export class KernelCache {
  private kernels = new Map<string, Promise<Kernel>>();
  readonly layout: GPUBindGroupLayout;

  constructor(
    private readonly device: GPUDevice,
    private readonly options: KernelCacheOptions,
  ) {
    const COMPUTE = dawnGlobals.GPUShaderStage.COMPUTE;
    const entries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform' } },
      { binding: 1, visibility: COMPUTE, buffer: { type: 'uniform' } },
      { binding: 2, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
      { binding: 3, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
      { binding: 4, visibility: COMPUTE, buffer: { type: 'storage' } },
      { binding: 5, visibility: COMPUTE, buffer: { type: 'storage' } },
      { binding: 6, visibility: COMPUTE, buffer: { type: 'storage' } },
    ];
    this.layout = device.createBindGroupLayout({ entries, label: 'cptsim mc' });
  }

  /**
   * Checks that the fixed sources compile (with the plain generated part), without building a
   * pipeline: a broken shader file fails when the engine is created, not on its first run.
   */
  async check(): Promise<void> {
    const limit = this.device.limits.maxComputeWorkgroupStorageSize;
    const bytes = workgroupBytes(this.options.workgroupSize, PLAIN_KERNEL.reductionMetrics);
    if (bytes > limit) {
      throw new RuntimeError(`workgroup size ${this.options.workgroupSize} needs ${bytes} bytes of workgroup memory; the device has ${limit}`);
    }
    await this.compile(PLAIN_KERNEL);
  }

  /** The kernel of a generated part: from the cache, or built now. */
  get(spec: KernelSpec): Promise<Kernel> {
    const key = `${spec.entryPoint ?? 'mc_main'} ${(spec.enable ?? []).join(',')} ${exprHash(spec.source)}`;
    let k = this.kernels.get(key);
    if (!k) {
      k = this.build(spec);
      // A kernel that failed to build is not cached: the error is reported to the run that asked.
      k.catch(() => this.kernels.delete(key));
      this.kernels.set(key, k);
    }
    return k;
  }

  clear(): void {
    this.kernels.clear();
  }

  private async compile(spec: KernelSpec): Promise<GPUShaderModule> {
    const device = this.device;
    let code = (spec.enable ?? []).map((e) => `enable ${e};\n`).join('') + mcShaderSource(spec.source);
    if (this.options.faultShader) code += '\nfn cptsim_forced_fault( {\n';
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code, label: 'cptsim mc' });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    const scopeError = await device.popErrorScope();
    if (errors.length > 0 || scopeError) {
      const text = errors.length > 0 ? errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ') : scopeError!.message;
      throw new RuntimeError(`the GPU kernel failed to compile: ${text}`);
    }
    return module;
  }

  private async build(spec: KernelSpec): Promise<Kernel> {
    const device = this.device;
    // A kernel with more metrics than the plain one may need smaller workgroups to fit its
    // reduction arrays in workgroup memory.
    let workgroupSize = this.options.workgroupSize;
    const limit = device.limits.maxComputeWorkgroupStorageSize;
    while (workgroupSize > 1 && workgroupBytes(workgroupSize, spec.reductionMetrics) > limit) workgroupSize /= 2;
    if (workgroupBytes(workgroupSize, spec.reductionMetrics) > limit) {
      throw new RuntimeError(`a kernel of ${spec.reductionMetrics} metrics does not fit the device's ${limit} bytes of workgroup memory`);
    }
    const specialised = spec.entryPoint !== undefined;
    this.options.onCompile?.(
      specialised
        ? 'compiling the GPU kernel for this scenario'
        : spec === PLAIN_KERNEL
          ? 'compiling the GPU kernel'
          : "compiling the GPU kernel for the scenario's metric expressions",
    );
    const module = await this.compile(spec);
    const constants: Record<string, number> = { WG_SIZE: workgroupSize };
    if (spec.fillIntermediates) constants['MODEL_FILL_INTER'] = 1;
    try {
      const pipeline = await device.createComputePipelineAsync({
        label: 'cptsim mc',
        layout: device.createPipelineLayout({ bindGroupLayouts: [this.layout] }),
        compute: { module, entryPoint: spec.entryPoint ?? 'mc_main', constants },
      });
      return { pipeline, workgroupSize, pairWords: spec.pairWords, specialised };
    } catch (e) {
      throw new RuntimeError(`the GPU kernel failed to build: ${(e as Error).message}`);
    }
  }
}
