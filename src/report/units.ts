/** Units and number formats of metrics and inputs, for chart axes and report tables. */

export interface Unit {
  /** Axis title: the quantity and its unit. */
  title: string;
  /** d3-format specifier for axis labels and tooltips. */
  format: string;
  dollars: boolean;
}

/** Dollars: three significant digits, thousands separated ("$0.975", "$1,230"). */
export const DOLLAR_FORMAT = '$,.3~r';
const NUMBER_FORMAT = ',.3~r';

const METRIC_UNITS: Record<string, [string, boolean]> = {
  cost_per_mtok_output: ['cost per million output tokens ($)', true],
  cost_per_mtok_total: ['cost per million tokens, input and output ($)', true],
  cost_per_mtok_capital: ['capital per million output tokens ($)', true],
  cost_per_mtok_energy: ['energy per million output tokens ($)', true],
  cost_per_mtok_facility: ['facility per million output tokens ($)', true],
  cost_per_mtok_opex: ['opex per million output tokens ($)', true],
  output_tokens_per_s_per_gpu: ['output tokens per second per GPU (tokens/s)', false],
  output_tokens_per_s_per_mw: ['output tokens per second per MW (tokens/s/MW)', false],
  joules_per_output_token: ['energy per output token (J)', false],
  cost_usd_per_gpu_hour: ['cost per GPU-hour ($/h)', true],
  tpot_ms: ['time per output token (ms)', false],
  tokens_per_s_per_user: ['tokens per second per user (tokens/s)', false],
  ttft_s: ['time to first token (s)', false],
  batch_effective: ['effective batch (sequences)', false],
};

/**
 * A metric's axis title and format. A scenario's own metric has no known unit: its name is the
 * title, in dollars when the name says so (`usd`, `cost`, `price`, `margin`).
 */
export function metricUnit(metric: string): Unit {
  const known = METRIC_UNITS[metric];
  if (known) return { title: known[0], format: known[1] ? DOLLAR_FORMAT : NUMBER_FORMAT, dollars: known[1] };
  const dollars = /(^|_)(usd|cost|price|margin)(_|$)/.test(metric) && !/fraction|ratio/.test(metric);
  return { title: dollars ? `${metric} ($)` : metric, format: dollars ? DOLLAR_FORMAT : NUMBER_FORMAT, dollars };
}

/** The last part of a field path, for compact labels: `serving.batch_size` -> `batch_size`. */
export function shortName(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

/** The unit alone, as the axis title ends with it in parentheses ("$", "tokens/s"); empty when unknown. */
export function unitSymbol(metric: string): string {
  return /\(([^()]*)\)$/.exec(metricUnit(metric).title)?.[1] ?? '';
}
