/** Random numbers and distributions: the public face of src/sampling. */
export type { Dist, DistKind } from './dist.js';
export { philox4x32_10, keyFromSeed, streamId, uniformQuad, u01FromWord, UNIFORM_BITS } from './philox.js';
export {
  sampleQuad,
  samplePreparedQuad,
  prepareDist,
  preparedOf,
  DIST_KIND,
  DIST_PARAMS,
  GAMMA_TRIES,
} from './sample.js';
export type { PreparedDist } from './sample.js';
export { quantile, median, mean, variance, betaParamsOf } from './stats.js';
export { encodeParams, PARAM_ENTRY_WORDS } from './encode.js';
export { erfc, normCdf, invNorm } from './special.js';
