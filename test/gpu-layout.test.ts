/**
 * The GPU engine's host-side layout, without a device: the WGSL constant blocks agree with
 * src/model/slots.ts, the uniform and tables encode as mc.wgsl reads them, sample ranges split
 * into chunks that cover each sample once, and the f64 re-centring of sums is exact algebra.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COUNT_WORDS,
  PAIR_WORDS,
  addPartials,
  encodeMcParams,
  encodeModelConfig,
  encodeTables,
  kernelPlan,
  partialWords,
  reshift,
  splitChunks,
} from '../src/engine/gpu/layout.js';
import { MC_SHADER_FILES, composeShaders, shaderDir } from '../src/engine/gpu/shaders.js';
import { HIST_BINS, HIST_STRIDE, emptyPartial, histMapping } from '../src/aggregate/index.js';
import { CONFIG_FIELDS, INTERMEDIATES, MAX_DRAFT_TOKENS, METRICS, SLOT_COUNT, SLOT_DEFS, SLOT } from '../src/model/index.js';
import { makePlan } from './gpu-plans.js';

const wgsl = (file: string) => readFileSync(join(shaderDir(), file), 'utf8');

/** `const NAME: u32 = 12u;` declarations of a WGSL source whose name starts with `prefix`. */
function u32Consts(source: string, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of source.matchAll(/^const\s+([A-Z0-9_]+)\s*:\s*u32\s*=\s*(\d+)u\s*;/gm)) {
    if (m[1]!.startsWith(prefix)) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('model.wgsl layout matches src/model/slots.ts', () => {
  // model.wgsl as the kernel sees it: its generated prelude, then the file.
  const model = composeShaders(['model.wgsl']);

  it('leaves the layout constants to the generated prelude (one declaration each)', () => {
    const file = wgsl('model.wgsl');
    expect(u32Consts(file, 'SLOT_').size + u32Consts(file, 'METRIC_').size + u32Consts(file, 'INTER_').size).toBe(0);
    expect(file).not.toMatch(/^struct ModelConfig/m);
  });

  it('declares one SLOT_<NAME> per slot, with the slot index of slots.ts, and no others', () => {
    const consts = u32Consts(model, 'SLOT_');
    const expected = new Map(SLOT_DEFS.map((d, i) => [`SLOT_${d.name.toUpperCase()}`, i]));
    expect(consts).toEqual(expected);
  });

  it('declares one METRIC_<NAME> per metric, in METRICS order, and no others', () => {
    const consts = u32Consts(model, 'METRIC_');
    expect(consts).toEqual(new Map(METRICS.map((m, i) => [`METRIC_${m.toUpperCase()}`, i])));
  });

  it('declares one INTER_<NAME> per intermediate, in INTERMEDIATES order, and no others', () => {
    const consts = u32Consts(model, 'INTER_');
    expect(consts).toEqual(new Map(INTERMEDIATES.map((m, i) => [`INTER_${m.toUpperCase()}`, i])));
  });

  it('sizes its arrays and draft loop like slots.ts', () => {
    const consts = u32Consts(model, '');
    expect(consts.get('N_SLOTS')).toBe(SLOT_COUNT);
    expect(consts.get('N_METRICS')).toBe(METRICS.length);
    expect(consts.get('N_INTER')).toBe(INTERMEDIATES.length);
    expect(consts.get('MODEL_MAX_DRAFT_TOKENS')).toBe(MAX_DRAFT_TOKENS);
  });

  it('lays out ModelConfig with one u32 per CONFIG_FIELDS entry, in that order', () => {
    const body = /struct ModelConfig \{([^}]*)\}/.exec(model)![1]!;
    const fields = [...body.matchAll(/^\s*([a-z_0-9]+)\s*:\s*u32/gm)].map((m) => m[1]);
    const snake = CONFIG_FIELDS.map((f) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    expect(fields).toEqual(snake);
  });
});

describe('mc.wgsl constants match the host', () => {
  it('uses the histogram shape of src/aggregate/types.ts', () => {
    const consts = u32Consts(wgsl('mc.wgsl'), 'HIST_');
    expect(consts.get('HIST_BINS')).toBe(HIST_BINS);
    expect(consts.get('HIST_STRIDE')).toBe(HIST_STRIDE);
  });

  it('composes from files that exist, sampling first', () => {
    expect(MC_SHADER_FILES[MC_SHADER_FILES.length - 1]).toBe('mc.wgsl');
    for (const f of MC_SHADER_FILES) expect(wgsl(f).length).toBeGreaterThan(0);
  });
});

describe('encodeMcParams and encodeModelConfig', () => {
  it('splits the 64-bit quad index into low and high words and places every field', () => {
    const q = 3 * 2 ** 32 + 17;
    const u = encodeMcParams({
      quadBase: q,
      nQuads: 100,
      firstLane: 2,
      lastLaneEnd: 3,
      tiles: 5,
      cellFirst: 7,
      cells: 11,
      metrics: 13,
      random: 4,
      mode: 1,
      exactStride: 400,
      key: [0xdeadbeef, 0x01234567],
      pairTable: 999,
      randomTable: 888,
      sweptTable: 777,
      swept: 2,
      histCopies: 8,
      metricIds: [0, 6, 13],
    });
    // metric_ids (array<vec4<u32>>) starts at the next 16-byte boundary, word 20.
    expect(Array.from(u.subarray(0, 23))).toEqual([17, 3, 100, 2, 3, 5, 7, 11, 13, 4, 1, 400, 0xdeadbeef, 0x01234567, 999, 888, 777, 2, 8, 0, 0, 6, 13]);
    expect(u.byteLength).toBe(208);
  });

  it('rejects more metrics than the uniform block holds', () => {
    const base = { quadBase: 0, nQuads: 1, firstLane: 0, lastLaneEnd: 4, tiles: 1, cellFirst: 0, cells: 1, metrics: 33, random: 0, mode: 1, exactStride: 0, key: [0, 0] as const, pairTable: 0, randomTable: 0, sweptTable: 0, swept: 0, histCopies: 1 };
    expect(() => encodeMcParams({ ...base, metricIds: new Array(33).fill(0) })).toThrow(RangeError);
  });

  it('writes the config fields in CONFIG_FIELDS order', () => {
    const cfg = { throughput: 1, pricing: 1, attention: 1, facility: 2, speculative: 2, disaggregated: 1, sloTokensPerSPerUser: 1, sloTtft: 0, measuredUserRate: 1, measuredTtft: 0, attentionPeak: 1, kvOffload: 1, billing: 1 } as const;
    expect(Array.from(encodeModelConfig(cfg).subarray(0, CONFIG_FIELDS.length))).toEqual(CONFIG_FIELDS.map((f) => cfg[f]));
  });
});

describe('encodeTables', () => {
  it('puts each cell its constants and swept values, lists the random slots, and shifts per (cell, metric)', () => {
    const plan = makePlan({
      dists: { pue: { kind: 'uniform', min: 1.1, max: 1.4 } },
      sweeps: [{ slot: 'batch_size', values: [8, 16] }, { slot: 'hbm_gb', values: [80, 141, 192] }],
      metrics: ['cost_per_mtok_output', 'tpot_ms'],
    });
    const kp = kernelPlan(plan);
    expect(kp.cells).toBe(6);
    expect(kp.randomSlots).toEqual([SLOT.pue]);
    const shift = Float64Array.from({ length: 12 }, (_, i) => i + 0.5);
    const t = encodeTables(plan, kp, shift, undefined);
    const f = new Float32Array(t.words.buffer);
    // Row-major cells: the last axis varies fastest.
    const cellValue = (c: number, slot: number) => f[c * SLOT_COUNT + slot];
    expect([0, 1, 2, 3, 4, 5].map((c) => cellValue(c, SLOT.batch_size))).toEqual([8, 8, 8, 16, 16, 16]);
    expect([0, 1, 2, 3, 4, 5].map((c) => cellValue(c, SLOT.hbm_gb))).toEqual([80, 141, 192, 80, 141, 192]);
    expect(cellValue(4, SLOT.layers)).toBe(80);
    expect(cellValue(4, SLOT.pue)).toBe(0);
    expect(t.words[t.randomTable]).toBe(SLOT.pue);
    for (let i = 0; i < 12; i++) expect(f[t.pairTable + 4 * i]).toBe(i + 0.5);
  });
});

describe('histMapping', () => {
  it('maps lo to bin position 0 and hi to HIST_BINS, in log2 for log histograms', () => {
    for (const spec of [{ lo: 2, hi: 10, log: false }, { lo: 0.01, hi: 100, log: true }]) {
      const h = histMapping(spec, 0);
      const pos = (x: number) => ((spec.log ? Math.log2(x) : x) - h.origin) * h.scale;
      expect(pos(spec.lo)).toBeCloseTo(0, 9);
      // Relative 1e-12: the f64 arithmetic of one subtraction and one product.
      expect(Math.abs(pos(spec.hi) - HIST_BINS)).toBeLessThan(1e-12 * HIST_BINS);
    }
  });

  it('rejects empty or reversed ranges and non-positive log bounds', () => {
    expect(() => histMapping({ lo: 1, hi: 1, log: false }, 3)).toThrow(/histogram 3/);
    expect(() => histMapping({ lo: 2, hi: 1, log: false }, 0)).toThrow(RangeError);
    expect(() => histMapping({ lo: 0, hi: 1, log: true }, 0)).toThrow(RangeError);
  });
});

describe('splitChunks', () => {
  const cases: [number, number, number][] = [
    [0, 1, 1],
    [0, 4, 1],
    [3, 1, 5],
    [5, 1003, 7],
    [2, 10, 1],
    [4 * 2 ** 32 - 6, 20, 2],
    [123, 100000, 1 << 14],
  ];
  it.each(cases)('covers samples [%i, +%i) once each, in order, with chunks of at most %i quads', (start, count, cq) => {
    const chunks = splitChunks(start, count, cq);
    const covered: number[] = [];
    for (const ch of chunks) {
      expect(ch.nQuads).toBeGreaterThan(0);
      expect(ch.nQuads).toBeLessThanOrEqual(cq);
      let n = 0;
      for (let s = ch.firstLane; s < 4 * ch.nQuads - (4 - ch.lastLaneEnd); s++, n++) covered.push(4 * ch.quadStart + s);
      expect(n).toBe(ch.samples);
    }
    expect(covered.length).toBe(count);
    expect(covered[0]).toBe(start);
    expect(covered.every((s, i) => s === start + i)).toBe(true);
  });

  it('returns no chunk for an empty range', () => {
    expect(splitChunks(10, 0, 4)).toEqual([]);
  });
});

describe('addPartials', () => {
  it('adds counts and sums over workgroups, and skips the min/max of workgroups without feasible samples', () => {
    const cells = 2;
    const metrics = 1;
    const stride = partialWords(cells, metrics);
    const words = new Uint32Array(2 * stride);
    const f = new Float32Array(words.buffer);
    const countAt = (w: number, c: number) => w * stride + cells * metrics * PAIR_WORDS + c * COUNT_WORDS;
    // Workgroup 0: cell 0 has 3 feasible values summing to 6 (squares 14), min 1, max 3.
    f.set([6, 14, 1, 3], 0);
    words.set([3, 1, 2], countAt(0, 0));
    // Workgroup 1: cell 0 has none feasible (identities), cell 1 has one value 5.
    f.set([0, 0, 3.4e38, -3.4e38], stride);
    words.set([0, 4, 0], countAt(1, 0));
    f.set([5, 25, 5, 5], stride + PAIR_WORDS);
    words.set([1, 0, 1], countAt(1, 1));
    const sums = emptyPartial(3, metrics, 'hist');
    addPartials(sums, words, 2, 1, cells, metrics);
    expect(Array.from(sums.count)).toEqual([0, 3, 1]);
    expect(Array.from(sums.infeasible)).toEqual([0, 5, 0]);
    expect(Array.from(sums.sloMiss)).toEqual([0, 2, 1]);
    expect(Array.from(sums.sum)).toEqual([0, 6, 5]);
    expect(Array.from(sums.sumSq)).toEqual([0, 14, 25]);
    expect(Array.from(sums.min)).toEqual([Infinity, 1, 5]);
    expect(Array.from(sums.max)).toEqual([-Infinity, 3, 5]);
  });
});

describe('reshift', () => {
  it('turns sums about fround(shift) into sums about the f64 shift', () => {
    const xs = [0.1, 0.7, 1.3, 2.9, 0.33];
    const shift = Float64Array.of(1 / 3);
    const s32 = Math.fround(shift[0]!);
    const sums = emptyPartial(1, 1, 'hist');
    sums.count[0] = xs.length;
    sums.sum[0] = xs.reduce((a, x) => a + (x - s32), 0);
    sums.sumSq[0] = xs.reduce((a, x) => a + (x - s32) ** 2, 0);
    reshift(sums, shift);
    // Relative 1e-14: a few f64 roundings of sums of size ~10.
    expect(sums.sum[0]).toBeCloseTo(xs.reduce((a, x) => a + (x - shift[0]!), 0), 14);
    expect(sums.sumSq[0]).toBeCloseTo(xs.reduce((a, x) => a + (x - shift[0]!) ** 2, 0), 13);
  });
});
