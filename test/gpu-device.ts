/**
 * Adapter handling shared by the GPU test files: no adapter means a loud skip, or a failure when
 * CPTSIM_REQUIRE_GPU=1 (CI machines that must exercise the GPU path set it).
 */
import { findAdapter } from '../src/engine/gpu/index.js';

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
