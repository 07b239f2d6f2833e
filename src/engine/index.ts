/**
 * Engines: the GPU engine (WGSL on WebGPU) and the CPU reference engine, behind one interface.
 */
import { RuntimeError } from '../errors.js';
import { createCpuEngine } from './cpu/index.js';
import { createGpuEngine, findAdapter, listAdapters } from './gpu/index.js';
import type { Plan } from '../plan/types.js';
import type { Engine } from './types.js';

export * from './types.js';
export { createCpuEngine, runRange } from './cpu/index.js';
export { createGpuEngine, findAdapter, listAdapters };

export type Backend = 'auto' | 'gpu' | 'cpu';

export interface EngineChoice {
  backend: Backend;
  /** CPU worker threads (default: all cores). */
  threads?: number;
  /** Where the choice is told to the user (stderr in the CLI). */
  log?: (message: string) => void;
  /** Told before the GPU engine compiles a kernel (see GpuEngineOptions.onCompile). */
  onCompile?: (what: string) => void;
}

/**
 * `gpu` needs an adapter (RuntimeError with an install hint otherwise); `auto` prefers one and
 * falls back to the CPU engine, saying which it took: also when the GPU engine cannot run `plan`.
 */
export async function createEngine(choice: EngineChoice, plan?: Plan): Promise<Engine> {
  const log = choice.log ?? (() => {});
  const cpu = () => createCpuEngine(choice.threads === undefined ? {} : { threads: choice.threads });
  if (choice.backend === 'cpu') return cpu();
  const adapter = await findAdapter();
  if (!adapter) {
    if (choice.backend === 'gpu') {
      throw new RuntimeError(
        'no WebGPU adapter found. Install a Vulkan driver (on Debian/Ubuntu: ' +
          '`apt-get install mesa-vulkan-drivers libvulkan1`, Mesa 24 or newer; on Debian 12 from bookworm-backports), ' +
          'or run with --backend cpu',
      );
    }
    const engine = cpu();
    log(`no GPU adapter found: using the CPU engine (${engine.info.adapter})`);
    return engine;
  }
  const engine = await createGpuEngine({ adapter, ...(choice.onCompile ? { onCompile: choice.onCompile } : {}) });
  const why = plan ? engine.unsupported(plan) : null;
  if (why !== null && choice.backend === 'auto') {
    await engine.dispose();
    const fallback = cpu();
    log(`${why}: using the CPU engine (${fallback.info.adapter})`);
    return fallback;
  }
  if (choice.backend === 'auto') {
    log(`using GPU adapter: ${engine.info.adapter}${engine.info.software ? ' (a software adapter: it runs on the CPU)' : ''}`);
  }
  return engine;
}
