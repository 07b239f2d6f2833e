/**
 * Finding a WebGPU adapter through Dawn for Node (the `webgpu` package) and describing it. The
 * only place that touches the native module's entry points.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { RuntimeError } from '../../errors.js';

export const NO_ADAPTER_HINT =
  "no WebGPU adapter found: install a Vulkan driver, e.g. Mesa's lavapipe (apt-get install mesa-vulkan-drivers libvulkan1)";

/** The WebGPU constants Dawn provides as values (the @webgpu/types globals are only types here). */
interface DawnGlobals {
  GPUBufferUsage: GPUBufferUsage;
  GPUMapMode: GPUMapMode;
  GPUShaderStage: GPUShaderStage;
}
export const dawnGlobals = globals as unknown as DawnGlobals;

let instance: GPU | undefined;

/**
 * Dawn's Vulkan loader wants XDG_RUNTIME_DIR; a bare container or CI runner often has none, and
 * then adapter discovery fails. A private folder under the temp dir stands in for it.
 */
function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR) return;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = join(tmpdir(), `cptsim-xdg-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  process.env.XDG_RUNTIME_DIR = dir;
}

/** The process's Dawn instance (one per process; created on first use). */
export function gpuInstance(): GPU {
  if (!instance) {
    ensureRuntimeDir();
    instance = create([]);
  }
  return instance;
}

/**
 * The adapter the GPU engine uses: Dawn's high-performance choice, or null when the machine has
 * no WebGPU-capable driver.
 */
export async function findAdapter(): Promise<GPUAdapter | null> {
  try {
    return await gpuInstance().requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    return null;
  }
}

export interface AdapterSummary {
  /** The driver's description, e.g. `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)` or the device name. */
  name: string;
  /** Dawn backend the adapter was found through, e.g. `vulkan`, `metal`, `d3d12`. */
  backend: string;
  vendor: string;
  architecture: string;
  device: string;
  /** A CPU rasterizer (llvmpipe/lavapipe, SwiftShader, WARP) or Dawn's fallback adapter. */
  software: boolean;
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
  };
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render|warp/i;

/** Describes an adapter for `cptsim devices` and for the engine's BackendInfo. */
export function describeAdapter(adapter: GPUAdapter, backend: string = defaultBackend()): AdapterSummary {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const l = adapter.limits;
  return {
    name: info.description || info.device || info.vendor || 'unknown adapter',
    backend,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    software: fallback || info.architecture === 'software' || SOFTWARE_NAMES.test(text),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  };
}

/** The backend Dawn picks by default on this platform. */
function defaultBackend(): string {
  if (process.platform === 'darwin') return 'metal';
  if (process.platform === 'win32') return 'd3d12';
  return 'vulkan';
}

/** Backends worth asking for adapters on this platform, in Dawn's order of preference. */
function platformBackends(): string[] {
  if (process.platform === 'darwin') return ['metal'];
  if (process.platform === 'win32') return ['d3d12', 'vulkan'];
  return ['vulkan'];
}

/**
 * Every adapter Dawn can reach, one entry per distinct device: each platform backend is asked
 * for its high-performance and low-power choice.
 */
export async function listAdapters(): Promise<AdapterSummary[]> {
  ensureRuntimeDir();
  const seen = new Set<string>();
  const found: AdapterSummary[] = [];
  for (const backend of platformBackends()) {
    let gpu: GPU;
    try {
      gpu = create([`backend=${backend}`]);
    } catch {
      continue;
    }
    for (const powerPreference of ['high-performance', 'low-power'] as const) {
      let adapter: GPUAdapter | null = null;
      try {
        adapter = await gpu.requestAdapter({ powerPreference });
      } catch {
        adapter = null;
      }
      if (!adapter) continue;
      const s = describeAdapter(adapter, backend);
      const id = `${backend}|${s.vendor}|${s.architecture}|${s.device}|${s.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      found.push(s);
    }
  }
  return found;
}

/** Fails with the install hint when there is no adapter. */
export async function requireAdapter(adapter?: GPUAdapter): Promise<GPUAdapter> {
  const a = adapter ?? (await findAdapter());
  if (!a) throw new RuntimeError(NO_ADAPTER_HINT);
  return a;
}

/** Limits the engine asks for: as large as the adapter allows, since the defaults are small. */
export function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  const l = adapter.limits;
  return {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
  };
}
