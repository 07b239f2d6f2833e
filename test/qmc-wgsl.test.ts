/**
 * shaders/qmc.wgsl against src/sampling/qmc.ts on a real WebGPU adapter through Dawn (the software
 * adapter llvmpipe is enough): Sobol points, Owen scrambling and both uniforms must agree bit for
 * bit. Without an adapter the tests skip with a warning, unless CPTSIM_REQUIRE_GPU=1, when that is
 * a failure.
 */
import { readFileSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileWgsl, testAdapter } from './gpu-device.js';
import { globals } from 'webgpu';
import {
  LHS_MAX_SAMPLES,
  lhsUniform,
  owenScramble,
  SOBOL_MAX_DIMS,
  sobolDirections,
  sobolPoint,
  sobolUniform,
} from '../src/sampling/qmc.js';

Object.assign(globalThis, globals);

const WORKGROUP_SIZE = 64;
const shaderSource = (name: string) => readFileSync(new URL(`../shaders/${name}`, import.meta.url), 'utf8');

/** Test bindings and the entry point, appended after qmc.wgsl (which declares no bindings). */
const HARNESS_WGSL = /* wgsl */ `
// The direction words at offset 0 of \`params\` (the engines put them in the table's tail).
@group(0) @binding(0) var<storage, read> params: array<u32>;
// Per case: (index, dim, seed, n), (jitter, x, 0, 0).
@group(0) @binding(1) var<storage, read> cases: array<vec4<u32>>;
// Per case: (sobol_point, owen_scramble(x, seed), bits of sobol_u01, bits of lhs_u01).
@group(0) @binding(2) var<storage, read_write> results: array<vec4<u32>>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn qmc_main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&results)) {
    return;
  }
  let a = cases[2u * i];
  let b = cases[2u * i + 1u];
  results[i] = vec4<u32>(
    sobol_point(a.x, a.y, 0u),
    owen_scramble(b.y, a.z),
    bitcast<u32>(sobol_u01(a.x, a.y, a.z, 0u)),
    bitcast<u32>(lhs_u01(a.x % a.w, a.y, a.w, a.z, b.x)),
  );
}
`;

let device: GPUDevice | undefined;
let module: GPUShaderModule | undefined;

beforeAll(async () => {
  const adapter = await testAdapter('qmc-wgsl');
  if (!adapter) return;
  device = await adapter.requestDevice();
  module = await compileWgsl(device, shaderSource('qmc.wgsl') + HARNESS_WGSL);
});

afterAll(() => {
  device?.destroy();
  device = undefined;
});

/** Runs qmc_main over the cases (2 vec4<u32> each) and returns the results (4 u32 each). */
async function runCases(gpuDevice: GPUDevice, dirs: Uint32Array, cases: Uint32Array): Promise<Uint32Array> {
  const count = cases.length / 8;
  const storage = (data: Uint32Array) => {
    const buffer = gpuDevice.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    gpuDevice.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  };
  const dirsBuffer = storage(dirs);
  const casesBuffer = storage(cases);
  const resultsBuffer = gpuDevice.createBuffer({ size: count * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const staging = gpuDevice.createBuffer({ size: count * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  gpuDevice.pushErrorScope('validation');
  const pipeline = gpuDevice.createComputePipeline({ layout: 'auto', compute: { module: module!, entryPoint: 'qmc_main' } });
  const bindGroup = gpuDevice.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [dirsBuffer, casesBuffer, resultsBuffer].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const encoder = gpuDevice.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.ceil(count / WORKGROUP_SIZE));
  pass.end();
  encoder.copyBufferToBuffer(resultsBuffer, 0, staging, 0, count * 16);
  gpuDevice.queue.submit([encoder.finish()]);
  const error = await gpuDevice.popErrorScope();
  if (error) throw new Error(`qmc_main: ${error.message}`);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Uint32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  for (const buffer of [dirsBuffer, casesBuffer, resultsBuffer, staging]) buffer.destroy();
  return out;
}

/** Test cases: random ones plus the edges (index 0 and 2^32 - 1, n = 1, 2, 3, 2^24 - 1, 2^24, jitter 0 and 2^32 - 1). */
function makeCases(count: number): Uint32Array {
  const rng = seedrandom('qmc-wgsl-cases');
  const word = () => rng.int32() >>> 0;
  const edgesN = [1, 2, 3, 1000, LHS_MAX_SAMPLES - 1, LHS_MAX_SAMPLES];
  const edgesIndex = [0, 1, 0xffffffff, 0x80000000];
  const edgesJitter = [0, 0xffffffff, 0xff, 0x100];
  const cases = new Uint32Array(count * 8);
  for (let c = 0; c < count; c++) {
    const index = c < 64 ? edgesIndex[c % edgesIndex.length]! : word();
    const dim = c < 64 ? c % SOBOL_MAX_DIMS : word() % SOBOL_MAX_DIMS;
    // n: mostly small (the usual sample counts), sometimes anywhere up to 2^24.
    const n = c < 64 ? edgesN[c % edgesN.length]! : c % 2 === 0 ? 1 + (word() % 5000) : 1 + (word() % LHS_MAX_SAMPLES);
    const jitter = c < 64 ? edgesJitter[(c >> 2) % edgesJitter.length]! : word();
    cases.set([index, dim, word(), n, jitter, word(), 0, 0], 8 * c);
  }
  return cases;
}

describe('shaders/qmc.wgsl matches src/sampling/qmc.ts bit for bit', () => {
  it('in sobol_point, owen_scramble, sobol_u01 and lhs_u01 over 8192 cases', async (ctx) => {
    if (!device) {
      ctx.skip();
      return;
    }
    const dirs = sobolDirections(SOBOL_MAX_DIMS);
    const count = 8192;
    const cases = makeCases(count);
    const gpuResults = await runCases(device, dirs, cases);

    const expected = new Uint32Array(count * 4);
    const asFloat = new Float32Array(expected.buffer);
    for (let c = 0; c < count; c++) {
      const [index, dim, seed, n, jitter, x] = cases.subarray(8 * c, 8 * c + 6) as unknown as number[];
      const sobolU = sobolUniform(index!, dim!, seed!, dirs);
      const lhsU = lhsUniform(index! % n!, dim!, n!, seed!, jitter!);
      // Both must already be f32 values, or the bit comparison below would hide a rounding.
      if (Math.fround(sobolU) !== sobolU || Math.fround(lhsU) !== lhsU) throw new Error(`case ${c}: not exact in f32`);
      expected[4 * c] = sobolPoint(index!, dim!, dirs);
      expected[4 * c + 1] = owenScramble(x!, seed!);
      asFloat[4 * c + 2] = sobolU;
      asFloat[4 * c + 3] = lhsU;
    }
    const names = ['sobol_point', 'owen_scramble', 'sobol_u01', 'lhs_u01'];
    const mismatches: string[] = [];
    for (let i = 0; i < expected.length && mismatches.length < 10; i++) {
      if (gpuResults[i] !== expected[i]) {
        const c = i >> 2;
        mismatches.push(`case ${c} ${names[i & 3]} (${Array.from(cases.subarray(8 * c, 8 * c + 6)).join(', ')}): gpu ${gpuResults[i]} cpu ${expected[i]}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
