/**
 * Adapter handling shared by the GPU test files: no adapter means a loud skip, or a failure when
 * CPTSIM_REQUIRE_GPU=1 (CI machines that must exercise the GPU path set it).
 */
import { createCpuEngine } from '../src/engine/cpu/index.js';
import { createGpuEngine, findAdapter } from '../src/engine/gpu/index.js';
import type { Engine } from '../src/engine/index.js';

export const requireGpu = process.env.CPTSIM_REQUIRE_GPU === '1';

/** The adapter, or null after a console warning (throws instead when a GPU is required). */
export async function testAdapter(file: string): Promise<GPUAdapter | null> {
  const adapter = await findAdapter();
  if (!adapter) {
    if (requireGpu) throw new Error(`${file}: CPTSIM_REQUIRE_GPU=1 but no WebGPU adapter was found`);
    console.warn(`SKIPPED ${file}: no WebGPU adapter on this machine (install mesa-vulkan-drivers for lavapipe)`);
  }
  return adapter;
}

export type EngineFactory = [name: string, make: () => Promise<Engine | null>];

/**
 * The engines a backend-agnostic suite runs against: the CPU engine in the calling thread and on
 * worker threads, and the GPU engine (null when there is no adapter; see testAdapter).
 */
export function testEngines(file: string, which: readonly ('cpu1' | 'cpu2' | 'gpu')[] = ['cpu1', 'cpu2', 'gpu']): EngineFactory[] {
  const all: Record<'cpu1' | 'cpu2' | 'gpu', EngineFactory> = {
    cpu1: ['cpu (1 thread)', async () => createCpuEngine({ threads: 1 })],
    cpu2: ['cpu (2 worker threads)', async () => createCpuEngine({ threads: 2 })],
    gpu: [
      'gpu',
      async () => {
        const adapter = await testAdapter(file);
        return adapter ? createGpuEngine({ adapter }) : null;
      },
    ],
  };
  return which.map((k) => all[k]);
}

/** Compiles a WGSL module, throwing with every compiler message when it does not compile. */
export async function compileWgsl(device: GPUDevice, code: string): Promise<GPUShaderModule> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  const scopeError = await device.popErrorScope();
  if (errors.length > 0 || scopeError) {
    throw new Error(
      `WGSL compilation failed:\n${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}${scopeError?.message ?? ''}`,
    );
  }
  return module;
}
