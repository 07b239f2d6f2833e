/**
 * shaders/philox.wgsl, shaders/qmc.wgsl and shaders/distributions.wgsl against their TypeScript
 * twins (every kind under the random, lhs and sobol schemes), on a real
 * WebGPU adapter through Dawn (the software adapter llvmpipe is enough). Without an adapter the
 * tests skip with a warning, unless CPTSIM_REQUIRE_GPU=1, when that is a failure.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWgsl, testAdapter } from './gpu-device.js';
import { globals } from 'webgpu';
import {
  encodeParams,
  keyFromSeed,
  qmcInput,
  philox4x32_10,
  quantile,
  sampleQuad,
  streamId,
  u01FromWord,
  type Dist,
  type SamplingScheme,
} from '../src/sampling/index.js';
import { PHILOX_KAT, TEST_DISTS } from './sampling-fixtures.js';

Object.assign(globalThis, globals);

const WORKGROUP_SIZE = 64;
const shaderSource = (name: string) => readFileSync(new URL(`../shaders/${name}`, import.meta.url), 'utf8');

/** Test bindings and entry points, appended to the shader files in the host's order. */
const HARNESS_WGSL = /* wgsl */ `
struct TestConfig {
  key: vec2<u32>,
  quads: u32,
  q_hi: u32,
  q_base: u32,
  entries: u32,
  pad0: u32,
  pad1: u32,
}
@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read_write> samples: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> config: TestConfig;
@group(0) @binding(3) var<storage, read> counters: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> words: array<vec4<u32>>;
@group(0) @binding(5) var<storage, read_write> uniforms: array<vec4<f32>>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn sample_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= config.quads * config.entries) {
    return;
  }
  dist_key = config.key;
  samples[i] = sample_param(i / config.quads, config.q_base + i % config.quads, config.q_hi);
}

@compute @workgroup_size(${WORKGROUP_SIZE})
fn philox_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&words)) {
    return;
  }
  let w = philox4x32_10(counters[2u * i], counters[2u * i + 1u].xy);
  words[i] = w;
  uniforms[i] = u01(w);
}
`;

let device: GPUDevice | undefined;
let module: GPUShaderModule | undefined;

beforeAll(async () => {
  const adapter = await testAdapter('sampling-wgsl');
  if (!adapter) return;
  device = await adapter.requestDevice();
  module = await compileWgsl(device, shaderSource('philox.wgsl') + shaderSource('qmc.wgsl') + shaderSource('distributions.wgsl') + HARNESS_WGSL);
});

afterAll(() => {
  device?.destroy();
  device = undefined;
});

function storageBuffer(gpuDevice: GPUDevice, data: ArrayBufferView | number, usage = 0): GPUBuffer {
  const size = typeof data === 'number' ? data : data.byteLength;
  const buffer = gpuDevice.createBuffer({
    size: Math.max(16, Math.ceil(size / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | usage,
  });
  if (typeof data !== 'number') gpuDevice.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

async function readBack(gpuDevice: GPUDevice, source: GPUBuffer, byteLength: number): Promise<ArrayBuffer> {
  const staging = gpuDevice.createBuffer({ size: source.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = gpuDevice.createCommandEncoder();
  encoder.copyBufferToBuffer(source, 0, staging, 0, source.size);
  gpuDevice.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange(0, byteLength).slice(0);
  staging.unmap();
  staging.destroy();
  return copy;
}

async function runKernel(
  entryPoint: 'sample_main' | 'philox_main',
  bindings: Array<{ binding: number; buffer: GPUBuffer }>,
  invocations: number,
): Promise<void> {
  const gpuDevice = device!;
  gpuDevice.pushErrorScope('validation');
  const pipeline = gpuDevice.createComputePipeline({ layout: 'auto', compute: { module: module!, entryPoint } });
  const bindGroup = gpuDevice.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: bindings.map(({ binding, buffer }) => ({ binding, resource: { buffer } })),
  });
  const encoder = gpuDevice.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.ceil(invocations / WORKGROUP_SIZE));
  pass.end();
  gpuDevice.queue.submit([encoder.finish()]);
  const error = await gpuDevice.popErrorScope();
  if (error) throw new Error(`${entryPoint}: ${error.message}`);
}

/** GPU Philox words and uniforms for (counter, key) pairs. */
async function gpuPhilox(cases: Array<{ ctr: number[]; key: number[] }>): Promise<{ words: Uint32Array; uniforms: Float32Array }> {
  const gpuDevice = device!;
  const input = new Uint32Array(cases.length * 8);
  cases.forEach(({ ctr, key }, i) => {
    input.set(ctr, 8 * i);
    input.set(key, 8 * i + 4);
  });
  const counters = storageBuffer(gpuDevice, input);
  const words = storageBuffer(gpuDevice, cases.length * 16);
  const uniforms = storageBuffer(gpuDevice, cases.length * 16);
  await runKernel(
    'philox_main',
    [
      { binding: 3, buffer: counters },
      { binding: 4, buffer: words },
      { binding: 5, buffer: uniforms },
    ],
    cases.length,
  );
  const result = {
    words: new Uint32Array(await readBack(gpuDevice, words, cases.length * 16)),
    uniforms: new Float32Array(await readBack(gpuDevice, uniforms, cases.length * 16)),
  };
  for (const b of [counters, words, uniforms]) b.destroy();
  return result;
}

/** A sampling scheme with the run's sample count, for encodeParams and qmcInput. */
interface TestSampling {
  scheme: SamplingScheme;
  samples: number;
}

/** GPU samples: for each entry, quads qBase .. qBase+quads-1 at high word qHi. */
async function gpuSamples(
  dists: readonly Dist[],
  ids: number[],
  key: [number, number],
  quads: number,
  qBase: number,
  qHi: number,
  sampling?: TestSampling,
) {
  const gpuDevice = device!;
  const params = storageBuffer(gpuDevice, encodeParams(dists, ids, sampling && { ...sampling, key }));
  const samples = storageBuffer(gpuDevice, dists.length * quads * 16);
  const config = gpuDevice.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  gpuDevice.queue.writeBuffer(config, 0, new Uint32Array([key[0], key[1], quads, qHi, qBase, dists.length, 0, 0]));
  await runKernel(
    'sample_main',
    [
      { binding: 0, buffer: params },
      { binding: 1, buffer: samples },
      { binding: 2, buffer: config },
    ],
    dists.length * quads,
  );
  const values = new Float32Array(await readBack(gpuDevice, samples, dists.length * quads * 16));
  for (const b of [params, samples, config]) b.destroy();
  return values;
}

describe('philox.wgsl equals src/sampling/philox.ts bit for bit', () => {
  it('on the Random123 known-answer vectors and 4096 further counters and keys', async (ctx) => {
    if (!device) return ctx.skip();
    const cases = PHILOX_KAT.map(({ ctr, key }) => ({ ctr, key }));
    const key = keyFromSeed('wgsl-philox');
    for (let i = 0; i < 4096; i++) {
      // Counters as the engines form them, plus words with every bit pattern class mixed in.
      const q = i * 2654435761;
      cases.push({ ctr: [q >>> 0, Math.floor(q / 2 ** 32), (i * 0x9e3779b9) >>> 0, i & 7], key: [key[0], (key[1] ^ i) >>> 0] });
    }
    const { words, uniforms } = await gpuPhilox(cases);
    const expected = new Uint32Array(4);
    let wordMismatches = 0;
    let uniformMismatches = 0;
    cases.forEach(({ ctr, key: k }, i) => {
      philox4x32_10(ctr[0]!, ctr[1]!, ctr[2]!, ctr[3]!, k[0]!, k[1]!, expected);
      for (let j = 0; j < 4; j++) {
        if (words[4 * i + j] !== expected[j]) wordMismatches++;
        // u01 is exact in f32, so the GPU's uniform must equal the f64 one exactly.
        if (uniforms[4 * i + j] !== u01FromWord(expected[j]!)) uniformMismatches++;
      }
    });
    PHILOX_KAT.forEach(({ out }, i) => expect(Array.from(words.subarray(4 * i, 4 * i + 4))).toEqual(out));
    expect(wordMismatches).toBe(0);
    expect(uniformMismatches).toBe(0);
  });
});

describe('distributions.wgsl sample_param agrees with sampleQuad', () => {
  /**
   * Tolerance per sample: |gpu - cpu| <= 1e-4 |cpu| + 1e-6 scale, where scale is the
   * distribution's 0.1%..99.9% magnitude; the absolute term (100x below 1e-4 of the scale)
   * only matters for values near 0, where f32 rounding of the inputs (~6e-8 scale) makes any
   * relative bound meaningless. Every kind is now one f32 formula of the same uniform (bit-equal
   * in both engines), so no sample may miss: measured worst errors are ~1e-6 relative.
   */
  const RELATIVE = 1e-4;
  const QUADS = 4096;

  async function parityReport(key: [number, number], qBase: number, qHi: number, sampling?: TestSampling): Promise<string[]> {
    const dists = TEST_DISTS.map((t) => t.dist);
    const ids = TEST_DISTS.map((t) => streamId(`test.${t.name}`));
    const gpu = await gpuSamples(dists, ids, key, QUADS, qBase, qHi, sampling);
    const cpu = new Float64Array(4);
    const report: string[] = [];
    TEST_DISTS.forEach(({ name, dist }, e) => {
      const scale = Math.max(Math.abs(quantile(dist, 0.001)), Math.abs(quantile(dist, 0.999)));
      // Entry e is QMC dimension e, as encodeParams lays the table out.
      const qmc = sampling && qmcInput(sampling, key, e, ids[e]!);
      let misses = 0;
      let worst = 0;
      for (let i = 0; i < QUADS; i++) {
        sampleQuad(dist, key, ids[e]!, qHi * 2 ** 32 + qBase + i, cpu, qmc);
        for (let j = 0; j < 4; j++) {
          const g = gpu[4 * (e * QUADS + i) + j]!;
          const c = cpu[j]!;
          const err = Math.abs(g - c);
          // Discrete picks through f32 cumulative weights in both engines: exact.
          const ok = dist.kind === 'discrete' ? g === Math.fround(c) : err <= RELATIVE * Math.abs(c) + 1e-6 * scale;
          if (!ok) misses++;
          worst = Math.max(worst, err / Math.max(Math.abs(c), 1e-300));
        }
      }
      if (misses > 0) report.push(`${name}: ${misses} misses, worst relative error ${worst.toExponential(2)}`);
    });
    return report;
  }

  for (const [label, qBase, qHi] of [
    ['quads 0..4095', 0, 0],
    ['quads beyond 2^32 (q_hi = 3)', 0xfffff000, 3],
  ] as const) {
    it(`every kind, random scheme, ${label}`, async (ctx) => {
      if (!device) return ctx.skip();
      expect(await parityReport(keyFromSeed('wgsl-parity'), qBase, qHi)).toEqual([]);
    });
  }

  // n = 4 * QUADS covers every lane with the scheme; n = 4 * QUADS - 3 (lhs) leaves the last
  // quad's three padding lanes on the Philox uniform; quads from 2^30 on (sobol, n = 2^32) have
  // sample indices of 2^32 and beyond, which fall back too.
  for (const [scheme, samples, qBase] of [
    ['lhs', 4 * QUADS, 0],
    ['lhs', 4 * QUADS - 3, 0],
    ['sobol', 4 * QUADS, 0],
    ['sobol', 2 ** 32, 2 ** 30 - QUADS / 2],
  ] as const) {
    it(`every kind, ${scheme} scheme, n = ${samples}, quads ${qBase}..${qBase + QUADS - 1}`, async (ctx) => {
      if (!device) return ctx.skip();
      expect(await parityReport(keyFromSeed(`wgsl-${scheme}`), qBase, 0, { scheme, samples })).toEqual([]);
    });
  }
});
