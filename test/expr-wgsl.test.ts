/**
 * compileWgsl against compileJs on a real WebGPU device through Dawn (the software adapter
 * llvmpipe is enough): the generated function runs over random inputs and must agree with the
 * f64 JavaScript function within f32 accuracy. Without an adapter the tests skip with a warning,
 * unless CPTSIM_REQUIRE_GPU=1, when that is a failure.
 */
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAdapter } from './gpu-device.js';
import { globals } from 'webgpu';
import type { NamedExpr } from '../src/expr/index.js';
import { compileJs, compileWgsl, exprHash, parseExpr } from '../src/expr/index.js';
import { limitCases } from './helpers/expr-limits.js';

Object.assign(globalThis, globals);

const WORKGROUP_SIZE = 64;

let device: GPUDevice | undefined;

beforeAll(async () => {
  const adapter = await testAdapter('expr-wgsl');
  if (!adapter) return;
  device = await adapter.requestDevice();
});

afterAll(() => {
  device?.destroy();
  device = undefined;
});

/** Pipelines by the hash of the generated source, as the engine will cache them. */
const pipelines = new Map<string, GPUComputePipeline>();

async function pipelineFor(gpuDevice: GPUDevice, exprs: readonly NamedExpr[], symbols: readonly string[]): Promise<GPUComputePipeline> {
  const n = symbols.length;
  const generated = compileWgsl(exprs, symbols, { fnName: 'user_metrics', arrayName: 'v' });
  const key = exprHash(generated);
  const cached = pipelines.get(key);
  if (cached) return cached;
  // The test's fixed kernel: one row of n values per invocation, evaluated in place.
  const harness = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> data: array<f32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.x;
  if (row >= arrayLength(&data) / ${n}u) {
    return;
  }
  var vals: array<f32, ${n}>;
  for (var i = 0u; i < ${n}u; i++) {
    vals[i] = data[row * ${n}u + i];
  }
  user_metrics(&vals);
  for (var i = 0u; i < ${n}u; i++) {
    data[row * ${n}u + i] = vals[i];
  }
}
`;
  gpuDevice.pushErrorScope('validation');
  const module = gpuDevice.createShaderModule({ code: generated + harness });
  const info = await module.getCompilationInfo();
  const pipeline = gpuDevice.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const scopeError = await gpuDevice.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0 || scopeError) {
    throw new Error(
      `generated WGSL failed to compile:\n${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}\n${scopeError?.message ?? ''}\n${generated}`,
    );
  }
  pipelines.set(key, pipeline);
  return pipeline;
}

/** Runs the expressions on the device over `rows` (each symbols.length long, row-major). */
async function runOnGpu(exprs: readonly NamedExpr[], symbols: readonly string[], rows: Float32Array): Promise<Float32Array> {
  const gpuDevice = device!;
  const pipeline = await pipelineFor(gpuDevice, exprs, symbols);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const data = gpuDevice.createBuffer({ size: rows.byteLength, usage });
  gpuDevice.queue.writeBuffer(data, 0, rows.buffer, rows.byteOffset, rows.byteLength);
  const staging = gpuDevice.createBuffer({ size: rows.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  gpuDevice.pushErrorScope('validation');
  const bindGroup = gpuDevice.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: data } }],
  });
  const encoder = gpuDevice.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.ceil(rows.length / symbols.length / WORKGROUP_SIZE));
  pass.end();
  encoder.copyBufferToBuffer(data, 0, staging, 0, rows.byteLength);
  gpuDevice.queue.submit([encoder.finish()]);
  const error = await gpuDevice.popErrorScope();
  if (error) throw new Error(`expr-wgsl dispatch: ${error.message}`);
  await staging.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  data.destroy();
  return out;
}

/** The same rows through compileJs in f64, from the f32 inputs the device saw. */
function runOnCpu(exprs: readonly NamedExpr[], symbols: readonly string[], rows: Float32Array): Float64Array {
  const f = compileJs(exprs, symbols);
  const n = symbols.length;
  const out = new Float64Array(rows.length);
  for (let r = 0; r < rows.length / n; r++) {
    const v = Float64Array.from(rows.subarray(r * n, (r + 1) * n));
    f(v);
    out.set(v, r * n);
  }
  return out;
}

const INPUTS = ['x', 'y', 'b', 'n', 'a'];
/** Input ranges: x positive, y and b signed, n a small integer (for negative bases), a an angle in (0, pi/2). */
function randomInputs(rng: () => number): number[] {
  return [0.5 + 3.5 * rng(), -3 + 6 * rng(), -8 + 16 * rng(), Math.floor(9 * rng()) - 4, 0.1 + 1.3 * rng()];
}

/**
 * Cases: name, expression, and `scale`, the size of the largest intermediate term over the input
 * ranges. f32 rounds each intermediate to about scale * 2^-24, so where terms cancel the error is
 * absolute, not relative: the acceptance is |gpu - js| <= 1e-5 * max(|js|, scale), i.e. 1e-5
 * relative (about 170 f32 ulps, room for the several-ulp error WGSL allows exp, log, pow and the
 * trigonometric functions) and the same fraction of the scale near zero.
 */
const CASES: [name: string, text: string, scale: number][] = [
  ['arith', 'x * y + b / x - 2.5', 30],
  ['neg_pow', '-x ^ 2 + y ^ 3', 43],
  ['chained', 'arith * 2 - neg_pow', 150], // reads two earlier results
  ['power', 'x ^ y', 0],
  ['int_power', 'pow(b, n)', 0],
  ['sqrt', 'sqrt(x)', 0],
  ['exp', 'exp(y)', 0],
  // WGSL's log has absolute error 2^-21 on [0.5, 2] (near its zero at 1): scale 1 covers it.
  ['log', 'log(x)', 1],
  ['log10', 'log10(x)', 1],
  ['sin', 'sin(y)', 1],
  ['cos', 'cos(y)', 1],
  ['tan', 'tan(a)', 1],
  ['rounding', 'floor(b) + ceil(y) + abs(b)', 20],
  ['minmax', 'min(x, y, b) + max(x, b)', 16],
  ['clamp', 'clamp(b, -1, y)', 8],
  ['logic', 'if(x > 2, y, b) + (x < y) + (y <= b) + (x >= 1) * 10 + (b == n) * 100 + (y != n) * 1000', 1000],
  ['folded', 'x + 2 ^ 10 / 3 - sqrt(16)', 400],
];

describe('compileWgsl on the device agrees with compileJs', () => {
  it('on every operator and function over 4096 random inputs, to 1e-5 relative', async (ctx) => {
    if (!device) return ctx.skip();
    const exprs = CASES.map(([name, text]) => ({ name, expr: parseExpr(text, `metrics.${name}`) }));
    const symbols = [...INPUTS, ...CASES.map(([name]) => name)];
    const n = symbols.length;
    const rowCount = 4096;
    const rng = seedrandom('cptsim-expr-wgsl');
    const rows = new Float32Array(rowCount * n);
    for (let r = 0; r < rowCount; r++) rows.set(randomInputs(rng), r * n);

    const gpuOut = await runOnGpu(exprs, symbols, rows);
    const cpuOut = runOnCpu(exprs, symbols, rows);
    const failures: string[] = [];
    CASES.forEach(([name, text, scale], c) => {
      const slot = INPUTS.length + c;
      for (let r = 0; r < rowCount; r++) {
        const g = gpuOut[r * n + slot]!;
        const j = cpuOut[r * n + slot]!;
        const err = Math.abs(g - j) / Math.max(Math.abs(j), scale, Number.MIN_VALUE);
        if (!(err <= 1e-5)) {
          const inputs = Array.from(rows.subarray(r * n, r * n + INPUTS.length)).join(', ');
          failures.push(`${name} (${text}) at [${inputs}]: gpu ${g}, js ${j}`);
          break;
        }
      }
    });
    expect(failures).toEqual([]);
  });

  it('on non-finite JavaScript results: NaN and infinities where JavaScript has them', async (ctx) => {
    if (!device) return ctx.skip();
    // [expression, x, y, expected JavaScript value]
    const special: [string, number, number, number][] = [
      ['sqrt(x)', -4, 0, NaN],
      ['log(x)', -1, 0, NaN],
      ['log(x)', 0, 0, -Infinity],
      ['log10(x)', -1, 0, NaN],
      ['pow(x, y)', -2, 0.5, NaN],
      ['pow(x, y)', -2, 3, -8],
      ['x ^ y', -2, -2, 0.25],
      ['pow(x, y)', 0, -1, Infinity],
      ['pow(x, y)', 0, 0, 1],
      ['pow(x, y)', 0, 2, 0],
      ['pow(x, y)', 3, 0, 1],
      ['x + 1 / 0', 1, 0, Infinity],
      ['x + 1 / 0 * 0', 1, 0, NaN],
      ['x + sqrt(-1)', 1, 0, NaN],
      ['x + log(0)', 1, 0, -Infinity],
    ];
    const exprs = special.map(([text], i) => ({ name: `s${i}`, expr: parseExpr(text) }));
    const symbols = ['x', 'y', ...exprs.map((e) => e.name)];
    const rows = new Float32Array(special.length * symbols.length);
    // Row i evaluates every expression; only expression i is checked on it.
    special.forEach(([, x, y], i) => rows.set([x, y], i * symbols.length));
    const gpuOut = await runOnGpu(exprs, symbols, rows);
    const cpuOut = runOnCpu(exprs, symbols, rows);
    const got = special.map(([text], i) => [text, gpuOut[i * symbols.length + 2 + i], cpuOut[i * symbols.length + 2 + i]]);
    // The values are exact in f32, so equality (NaN equal to NaN, as toEqual treats it) is exact.
    expect(got).toEqual(special.map(([text, , , expected]) => [text, expected, expected]));
  });

  it('compiles expressions at the parser limits (200 levels, 10,000 characters) and agrees exactly over small integers', async (ctx) => {
    if (!device) return ctx.skip();
    // Before deep subexpressions were bound to lets, Tint refused these: "maximum parser recursive depth reached".
    const cases = limitCases('n', 'b', 'y');
    const exprs = cases.map(([, text], i) => ({ name: `limit${i}`, expr: parseExpr(text) }));
    const symbols = [...INPUTS, ...exprs.map((e) => e.name)];
    const rng = seedrandom('cptsim-expr-limits');
    const rowCount = 256;
    const rows = new Float32Array(rowCount * symbols.length);
    for (let r = 0; r < rowCount; r++) rows.set(INPUTS.map(() => Math.floor(9 * rng()) - 4), r * symbols.length);
    const gpuOut = await runOnGpu(exprs, symbols, rows);
    const cpuOut = runOnCpu(exprs, symbols, rows);
    const disagree = cases.filter((_, c) => {
      for (let r = 0; r < rowCount; r++) {
        const at = r * symbols.length + INPUTS.length + c;
        if (!Object.is(gpuOut[at], cpuOut[at])) return true;
      }
      return false;
    });
    expect(disagree.map(([what]) => what)).toEqual([]);
  });

  it('overflows exp and pow to infinity past the f32 range, where WGSL leaves them undefined', async (ctx) => {
    if (!device) return ctx.skip();
    // llvmpipe once gave exp(1000) = 5.39e19. [expression, x, y, true value in f64]
    const cases: [string, number, number][] = [
      ['exp(x)', 1000, 0],
      ['exp(x)', 89, 0],
      ['exp(x * y)', 10, 9],
      ['pow(x, y)', 10, 39],
      ['x ^ y', 2, 128],
      ['pow(x, y)', -2, 129],
      ['x ^ y', 1e20, 2],
    ];
    const exprs = cases.map(([text], i) => ({ name: `o${i}`, expr: parseExpr(text) }));
    const symbols = ['x', 'y', ...exprs.map((e) => e.name)];
    const rows = new Float32Array(cases.length * symbols.length);
    cases.forEach(([, x, y], i) => rows.set([x, y], i * symbols.length));
    const gpuOut = await runOnGpu(exprs, symbols, rows);
    const cpuOut = runOnCpu(exprs, symbols, rows);
    const got = cases.map(([text], i) => [text, gpuOut[i * symbols.length + 2 + i]]);
    expect(got).toEqual(cases.map(([text, x, y]) => [text, Math.sign(Math.pow(x, y)) * Infinity]));
    // The f64 values are beyond F32_MAX (which the CPU engine counts as not finite), some finite.
    cases.forEach((_, i) => expect(Math.abs(cpuOut[i * symbols.length + 2 + i]!)).toBeGreaterThan(3.4028234663852886e38));
    // Just inside the range both stay finite and agree.
    const inside = [{ name: 'e', expr: parseExpr('exp(x) + pow(y, 127)') }];
    const near = await runOnGpu(inside, ['x', 'y', 'e'], new Float32Array([88, 2, 0]));
    expect(near[2]! / (Math.exp(88) + 2 ** 127)).toBeCloseTo(1, 4);
  });

  it('compiles constants beyond f32 and overflows them to infinity, where the f64 CPU side stays finite', async (ctx) => {
    if (!device) return ctx.skip();
    const exprs = [{ name: 'r', expr: parseExpr('x + 1e30 * 1e30 + 1e-45') }];
    const rows = new Float32Array([1, 0]);
    const gpuOut = await runOnGpu(exprs, ['x', 'r'], rows);
    expect(gpuOut[1]).toBe(Infinity);
    expect(runOnCpu(exprs, ['x', 'r'], rows)[1]).toBe(1 + 1e30 * 1e30 + 1e-45);
  });
});
