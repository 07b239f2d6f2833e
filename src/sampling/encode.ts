/**
 * The parameter table shaders/distributions.wgsl reads (`params: array<u32>`).
 *
 * Layout, all u32 words:
 *   header, PARAM_HEADER_WORDS (5) at words [0, 5):
 *     0  scheme      SCHEME_CODE of the run's sampling scheme (0 random, 1 lhs, 2 sobol)
 *     1  lastSample  n - 1 for the run's sample count n (samples 0 .. n-1 use the scheme; 0 for random)
 *     2  dirsOffset  sobol: absolute word index of the direction words (32 per dimension); else 0
 *     3  entries     number of entries
 *     4  copula      absolute word index of the copula block; 0 when no input is correlated
 *   entries, PARAM_ENTRY_WORDS (12) each, entry e at words [5 + 12e, 5 + 12e + 12):
 *     0  kind       DIST_KIND code (PERT arrives as beta)
 *     1  streamId   the input's random stream (3rd Philox counter word)
 *     2  auxOffset  absolute word index of the entry's extra data (0 when none)
 *     3  auxCount   number of extra items (discrete: values; beta: knots)
 *     4  qmcSeed    lhs/sobol: qmcSeed(key, streamId); else 0
 *     5  qmcDim     lhs/sobol: the entry's QMC dimension, its index e; else 0
 *     6..11         p0..p5 as f32 bit patterns: prepareDist's constants, rounded to f32
 *   then the extra data, in entry order: discrete: auxCount values (f32), then auxCount cumulative
 *   normalized weights (f32, the last exactly 1); beta/PERT: auxCount knots y_k (f32);
 *   then, for sobol, the direction words of dimensions 0 .. entries-1 (sobolDirections);
 *   then, with correlated inputs (src/sampling/copula.ts), the copula block at word c:
 *     c                          m, the number of correlated entries
 *     c + 1 + e                  per entry e: k + 1 when it is correlated input k, else 0
 *     c + 1 + entries + k        the entry of correlated input k
 *     c + 1 + entries + m + k (k + 1) / 2 + j   L[k][j] (f32), j <= k: the lower Cholesky factor
 *                                of the normal correlation matrix, row by row.
 */
import { RuntimeError } from '../errors.js';
import type { Copula } from './copula.js';
import type { Dist } from './dist.js';
import { checkSampleCount, checkSobolDims, qmcInput, sobolDirections, type SamplingSpec } from './qmc.js';
import { DIST_KIND, DIST_PARAMS, prepareDist, SCHEME_CODE } from './sample.js';

export const PARAM_HEADER_WORDS = 5;
export const PARAM_ENTRY_WORDS = 6 + DIST_PARAMS;
const F32_MAX = 3.4028234663852886e38;

/** What encodeParams needs to lay out a scheme: the SamplingSpec and the run's Philox key. */
export interface EncodeSampling extends SamplingSpec {
  key: readonly [number, number];
}

/**
 * Encodes one table entry per (dist, streamId) pair, in order; entry e is QMC dimension e. With
 * `sampling` left out (or scheme random) every input is plain Monte Carlo; with `copula`, its
 * entries are drawn through the Gaussian copula. Throws an InputError when the sample count does
 * not suit the scheme or a sobol run has more inputs than dimensions.
 */
export function encodeParams(
  dists: readonly Dist[],
  streamIds: readonly number[],
  sampling?: EncodeSampling,
  copula?: Copula | null,
): Uint32Array {
  if (dists.length !== streamIds.length) {
    throw new RangeError(`encodeParams: ${dists.length} distributions but ${streamIds.length} stream ids`);
  }
  const scheme = sampling?.scheme ?? 'random';
  if (sampling !== undefined && scheme !== 'random') {
    checkSampleCount(scheme, sampling.samples);
    if (scheme === 'sobol') checkSobolDims(dists.length);
  }
  const preps = dists.map((dist, e) =>
    sampling !== undefined && scheme !== 'random' ? prepareDist(dist, qmcInput(sampling, sampling.key, e, streamIds[e]!)) : prepareDist(dist),
  );
  let words = PARAM_HEADER_WORDS + preps.length * PARAM_ENTRY_WORDS;
  for (const prep of preps) words += 2 * prep.values.length + prep.knots.length;
  const dirsOffset = words;
  const dirs = scheme === 'sobol' && preps.length > 0 ? sobolDirections(preps.length) : new Uint32Array(0);
  words += dirs.length;
  const m = copula?.entries.length ?? 0;
  const copulaOffset = m > 0 ? words : 0;
  if (m > 0) words += 1 + preps.length + m + (m * (m + 1)) / 2;

  const table = new Uint32Array(words);
  const asF32 = new Float32Array(table.buffer);
  table[0] = SCHEME_CODE[scheme];
  table[1] = scheme === 'random' ? 0 : sampling!.samples - 1;
  table[2] = dirs.length > 0 ? dirsOffset : 0;
  table[3] = preps.length;
  table[4] = copulaOffset;
  table.set(dirs, dirsOffset);
  if (copula && m > 0) {
    const c = copulaOffset;
    table[c] = m;
    copula.entries.forEach((e, k) => {
      if (!(e >= 0 && e < preps.length)) throw new RangeError(`encodeParams: copula entry ${e} is not one of the ${preps.length} entries`);
      table[c + 1 + e] = k + 1;
      table[c + 1 + preps.length + k] = e;
      for (let j = 0; j <= k; j++) asF32[c + 1 + preps.length + m + (k * (k + 1)) / 2 + j] = copula.lower[k * m + j]!;
    });
  }
  let aux = PARAM_HEADER_WORDS + preps.length * PARAM_ENTRY_WORDS;
  preps.forEach((prep, e) => {
    const base = PARAM_HEADER_WORDS + e * PARAM_ENTRY_WORDS;
    table[base] = prep.kind;
    table[base + 1] = streamIds[e]! >>> 0;
    table[base + 4] = prep.seed;
    table[base + 5] = prep.dim;
    for (let k = 0; k < DIST_PARAMS; k++) {
      const x = prep.p[k]!;
      if (!(Math.abs(x) <= F32_MAX)) {
        throw new RuntimeError(
          `distribution ${e} (${dists[e]!.kind}): constant ${x} is outside the GPU's f32 range; use --backend cpu`,
        );
      }
      asF32[base + 6 + k] = x;
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
    } else if (prep.kind === DIST_KIND.beta) {
      table[base + 2] = aux;
      table[base + 3] = prep.knots.length;
      asF32.set(prep.knots, aux);
      aux += prep.knots.length;
    }
  });
  return table;
}
