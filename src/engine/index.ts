/**
 * Engines: the GPU engine (WGSL on WebGPU) and the CPU reference engine, behind one interface.
 */
import { InputError, RuntimeError } from '../errors.js';
import { createCpuEngine } from './cpu/index.js';
import { createGpuEngine, findAdapter, listAdapters } from './gpu/index.js';
import type { Plan } from '../plan/index.js';
import type { PartialSums } from '../aggregate/index.js';
import type { Engine, RunRequest } from './types.js';

export * from './types.js';
export { createCpuEngine, runRange } from './cpu/index.js';
export { createGpuEngine, findAdapter, listAdapters };
export type { AdapterSummary } from './gpu/index.js';

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
  let engine: Engine;
  try {
    engine = await createGpuEngine({ adapter, ...(choice.onCompile ? { onCompile: choice.onCompile } : {}) });
  } catch (e) {
    // The device could not be opened or the kernel not built: the machine's fault, not the input's.
    if (choice.backend === 'gpu' || !(e instanceof RuntimeError)) throw e;
    const fallback = cpu();
    log(`the GPU engine could not start (${e.message}): using the CPU engine (${fallback.info.adapter})`);
    return fallback;
  }
  const why = plan ? engine.unsupported(plan) : null;
  if (why !== null && choice.backend === 'auto') {
    await engine.dispose();
    const fallback = cpu();
    log(`${why}: using the CPU engine (${fallback.info.adapter})`);
    return fallback;
  }
  if (choice.backend === 'auto') {
    log(`using GPU adapter: ${engine.info.adapter}${engine.info.software ? ' (a software adapter: it runs on the CPU)' : ''}`);
    return withFallback(engine, cpu, log);
  }
  return engine;
}

/**
 * `--backend auto`: the GPU engine until it fails for a reason of the machine's (a RuntimeError: a
 * lost device, a driver or adapter limit, a pipeline that cannot be built), then the CPU engine for
 * the failed run and every later one, said once on stderr. An InputError is the user's and is
 * passed on. Runs that completed on the GPU engine keep their results.
 */
export function withFallback(gpu: Engine, cpu: () => Engine, log: (message: string) => void): Engine {
  let current = gpu;
  let fellBack = false;
  return {
    get info() {
      return current.info;
    },
    unsupported: (plan: Plan) => current.unsupported(plan),
    async run(plan: Plan, request: RunRequest): Promise<PartialSums> {
      if (fellBack) return current.run(plan, request);
      try {
        return await current.run(plan, request);
      } catch (e) {
        if (!(e instanceof RuntimeError) || e instanceof InputError) throw e;
        fellBack = true;
        const failed = current;
        current = cpu();
        log(`the GPU engine failed (${e.message}): using the CPU engine (${current.info.adapter}) from here on`);
        await failed.dispose().catch(() => undefined);
        return current.run(plan, request);
      }
    },
    dispose: () => current.dispose(),
  };
}
