/**
 * The parameter table shaders/distributions.wgsl reads (`params: array<u32>`).
 *
 * Layout, all u32 words:
 *   entries, PARAM_ENTRY_WORDS (12) each, entry e at words [12e, 12e + 12):
 *     0  kind       DIST_KIND code (PERT arrives as beta)
 *     1  streamId   the input's random stream (3rd Philox counter word)
 *     2  auxOffset  absolute word index of the entry's extra data (0 when none)
 *     3  auxCount   number of extra items (discrete: number of values)
 *     4..11         p0..p7 as f32 bit patterns: prepareDist's constants, rounded to f32
 *   then the extra data, discrete only: auxCount values (f32), then auxCount cumulative
 *   normalized weights (f32, the last exactly 1).
 */
import { RuntimeError } from '../errors.js';
import type { Dist } from './dist.js';
import { DIST_KIND, DIST_PARAMS, prepareDist } from './sample.js';

export const PARAM_ENTRY_WORDS = 4 + DIST_PARAMS;
const F32_MAX = 3.4028234663852886e38;

/** Encodes one table entry per (dist, streamId) pair, in order. */
export function encodeParams(dists: readonly Dist[], streamIds: readonly number[]): Uint32Array {
  if (dists.length !== streamIds.length) {
    throw new RangeError(`encodeParams: ${dists.length} distributions but ${streamIds.length} stream ids`);
  }
  const preps = dists.map(prepareDist);
  let words = preps.length * PARAM_ENTRY_WORDS;
  for (const prep of preps) words += 2 * prep.values.length;
  const table = new Uint32Array(words);
  const asF32 = new Float32Array(table.buffer);
  let aux = preps.length * PARAM_ENTRY_WORDS;
  preps.forEach((prep, e) => {
    const base = e * PARAM_ENTRY_WORDS;
    table[base] = prep.kind;
    table[base + 1] = streamIds[e]! >>> 0;
    for (let k = 0; k < DIST_PARAMS; k++) {
      const x = prep.p[k]!;
      if (!(Math.abs(x) <= F32_MAX)) {
        throw new RuntimeError(
          `distribution ${e} (${dists[e]!.kind}): constant ${x} is outside the GPU's f32 range; use --backend cpu`,
        );
      }
      asF32[base + 4 + k] = x;
    }
    if (prep.kind === DIST_KIND.discrete) {
      const n = prep.values.length;
      table[base + 2] = aux;
      table[base + 3] = n;
      for (let j = 0; j < n; j++) {
        asF32[aux + j] = prep.values[j]!;
        asF32[aux + n + j] = prep.cumWeights[j]!;
      }
      aux += 2 * n;
    }
  });
  return table;
}
