import { describe, expect, it } from 'vitest';
import { DIST_KIND, PARAM_ENTRY_WORDS, encodeParams, prepareDist, type Dist } from '../src/sampling/index.js';

describe('encodeParams: the GPU parameter table layout', () => {
  const dists: Dist[] = [
    { kind: 'uniform', min: 2, max: 5 },
    { kind: 'discrete', values: [8, 16, 32], weights: [1, 1, 2] },
    { kind: 'pert', min: 0.35, mode: 0.6, max: 0.85 },
    { kind: 'discrete', values: [1.5, 2.5], weights: [3, 1] },
  ];
  const ids = [11, 0xffffffff, 33, 44];
  const table = encodeParams(dists, ids);
  const f32 = new Float32Array(table.buffer);

  it('has one 12-word entry per distribution, then 2 words per discrete value', () => {
    expect(PARAM_ENTRY_WORDS).toBe(12);
    expect(table.length).toBe(4 * 12 + 2 * 3 + 2 * 2);
  });

  it('entries hold kind, stream id and the prepared constants as f32', () => {
    dists.forEach((dist, e) => {
      const prep = prepareDist(dist);
      expect(table[12 * e]).toBe(prep.kind);
      expect(table[12 * e + 1]).toBe(ids[e]);
      for (let k = 0; k < 8; k++) expect(f32[12 * e + 4 + k]).toBe(Math.fround(prep.p[k]!));
    });
    expect(table[2 * 12]).toBe(DIST_KIND.beta); // PERT is sampled as a beta
  });

  it('discrete entries point at their values and cumulative weights (last exactly 1)', () => {
    const aux1 = table[12 + 2]!;
    expect(aux1).toBe(48);
    expect(table[12 + 3]).toBe(3);
    expect(Array.from(f32.subarray(aux1, aux1 + 6))).toEqual([8, 16, 32, 0.25, 0.5, 1]);
    const aux2 = table[36 + 2]!;
    expect(aux2).toBe(54);
    expect(Array.from(f32.subarray(aux2, aux2 + 4))).toEqual([1.5, 2.5, 0.75, 1]);
    expect(table[2]).toBe(0); // non-discrete: no aux data
  });

  it('rejects mismatched lengths and constants beyond f32 range', () => {
    expect(() => encodeParams(dists, [1])).toThrow(RangeError);
    expect(() => encodeParams([{ kind: 'lognormal', mu: 100, sigma: 1 }], [1])).toThrow(/f32 range/);
  });
});
