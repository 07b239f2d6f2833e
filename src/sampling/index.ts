/** Random numbers, distributions and sampling schemes: the public face of src/sampling. */
export type { Dist, DistKind } from './dist.js';
export { philox4x32_10, keyFromSeed, streamId, uniformQuad, u01FromWord, UNIFORM_BITS, MAX_SAMPLES } from './philox.js';
export {
  sampleQuad,
  samplePreparedQuad,
  prepareDist,
  preparedOf,
  transformUniform,
  transformPair,
  uniformPreparedQuad,
  betaKnots,
  DIST_KIND,
  DIST_PARAMS,
  SCHEME_CODE,
  BETA_KNOTS_PER_LOGIT,
  BETA_TABLE_HALF,
  BETA_LOGIT_U_MAX,
  BETA_LOGIT_X_MAX,
} from './sample.js';
export type { PreparedDist } from './sample.js';
export {
  SAMPLING_SCHEMES,
  SOBOL_MAX_DIMS,
  LHS_MAX_SAMPLES,
  checkSampleCount,
  checkSobolDims,
  qmcInput,
  qmcSeed,
  sobolDirections,
  sobolUniform,
  lhsUniform,
} from './qmc.js';
export type { SamplingScheme, SamplingSpec, QmcInput } from './qmc.js';
export { quantile, median, mean, variance, betaParamsOf } from './stats.js';
export { encodeParams, PARAM_ENTRY_WORDS, PARAM_HEADER_WORDS } from './encode.js';
export type { EncodeSampling } from './encode.js';
export { erfc, normCdf, invNorm } from './special.js';
export {
  COPULA_U_MIN,
  PIVOT_TOLERANCE,
  CopulaSampler,
  choleskyPsd,
  impossibleCorrelations,
  normalCorrelationMatrix,
  normalToSpearman,
  spearmanToNormal,
} from './copula.js';
export type { Copula, RankCorrelation } from './copula.js';
