/** PartialSums sums, merging, histograms, quantiles and summaries: the public face of src/aggregate. */
export { HIST_BINS, HIST_STRIDE, F32_MAX, type HistSpec, type PartialSums } from './types.js';
export { emptyPartial, mergePartials, PartialMerger, histBin, histMapping, binOf, binEdge, type HistMapping } from './partial.js';
export {
  QUANTILES,
  QUANTILE_KEYS,
  sortedQuantile,
  histQuantile,
  summarize,
  statsOfValues,
  histSpecsFromPilot,
  shiftsFromPilot,
  type QuantileKey,
  type Stats,
  type MetricSummary,
} from './summary.js';
export {
  probabilityBelowExact,
  probabilityBelowCounted,
  probabilityBelowHist,
  cdfExact,
  cdfProbabilities,
  cdfHist,
  sortedFinite,
  type ProbabilityBelow,
  type CdfPoints,
} from './exceedance.js';
export {
  orderStatistics,
  quantileRanks,
  sortedView,
  StreamingOrderStatistics,
  streamingBytesPerPair,
  COLLECT_AT_MOST,
  type OrderStatistics,
  type ExactDigest,
} from './select.js';
export { toJsonValue, fromJsonValue, DecodeError } from './serialize.js';
export {
  distributions,
  distributionOfValues,
  spansDecades,
  COARSE_BINS,
  CDF_POINTS,
  LOG_SPAN_RATIO,
  type Distribution,
  type HistogramBin,
} from './distribution.js';
