/**
 * Physical ranges of every numeric field, checked against the whole support of its value (every
 * value a distribution can draw, every value of a sweep). Nothing is clamped: a value outside its
 * range is an error the user must fix.
 */

import { MAX_DRAFT_TOKENS, type SlotName } from '../model/index.js';
import type { Issues } from './issues.js';
import type { NumericValue } from './numeric.js';
import { supportOf } from './numeric.js';

export interface Range {
  min: number;
  /** True when min itself is not allowed (`> 0` rather than `>= 0`). */
  minOpen: boolean;
  max: number;
  maxOpen: boolean;
}

const positive: Range = { min: 0, minOpen: true, max: Infinity, maxOpen: false };
const nonNegative: Range = { min: 0, minOpen: false, max: Infinity, maxOpen: false };
/** Shares of a whole that may be zero: hit rates, residual values, idle power, acceptance. */
const fraction: Range = { min: 0, minOpen: false, max: 1, maxOpen: false };
/** Efficiencies and utilization: zero would mean no work is ever done (and divides by zero). */
const efficiency: Range = { min: 0, minOpen: true, max: 1, maxOpen: false };
/** Counts of GPUs and ratios that are 1 at their smallest. */
const atLeastOne: Range = { min: 1, minOpen: false, max: Infinity, maxOpen: false };

/**
 * Money and time have physical ceilings too: a value far past any real one is a typo (an
 * exponent too many) or an attack, and past about 1e38 it leaves the f32 range of the GPU engine
 * (a cost of `inf`). Each ceiling is orders of magnitude above the largest real value, so that no
 * study is refused. Fields usually given as lognormals (unbounded above) have none.
 */
const upTo = (max: number): Range => ({ min: 0, minOpen: false, max, maxOpen: false });
const positiveUpTo = (max: number): Range => ({ min: 0, minOpen: true, max, maxOpen: false });

/** Extra fields that are not model inputs but are accepted and checked (catalog data). */
export type ExtraField = 'tdp_w';

export const RANGES: Record<SlotName | ExtraField, Range> = {
  peak_tflops: positive,
  hbm_gb: positive,
  hbm_tb_per_s: positive,
  // Power sits in denominators (tokens per MW, joules per token): a GPU that draws nothing is not one.
  it_power_kw_per_gpu: positive,
  tdp_w: positive,
  attention_tflops: positive,
  scale_up_gb_per_s: positive,
  // A domain of one GPU is a card with no scale-up fabric: every collective crosses scale-out links.
  scale_up_domain: atLeastOne,
  scale_out_gb_per_s: positive,
  collective_latency_us: nonNegative,
  params_total: positive,
  params_active: positive,
  layers: positive,
  hidden: positive,
  heads: positive,
  kv_heads: positive,
  head_dim: positive,
  // 1 is a dense model; MoE needs more than one expert.
  experts: { min: 1, minOpen: false, max: Infinity, maxOpen: false },
  experts_per_token: positive,
  kv_lora_rank: positive,
  qk_rope_head_dim: nonNegative,
  // Usual values are 16, 8 and 4; anything from just above 0 to 32 bits is accepted for studies
  // of other formats (e.g. 6-bit weights).
  weight_bits: { min: 0, minOpen: true, max: 32, maxOpen: false },
  kv_bits: { min: 0, minOpen: true, max: 32, maxOpen: false },
  input_tokens: positive,
  // Output tokens divide the request's cost: a request must produce at least some.
  output_tokens: positive,
  prefix_cache_hit_rate: fraction,
  gpus_per_replica: positive,
  batch_size: positive,
  utilization: efficiency,
  mfu_prefill: efficiency,
  mfu_decode: efficiency,
  mbu_decode: efficiency,
  step_overhead_ms: nonNegative,
  host_overhead_us_per_seq: nonNegative,
  hbm_usable_fraction: efficiency,
  tp: atLeastOne,
  ep: atLeastOne,
  dp_attention: atLeastOne,
  comm_overlap: fraction,
  // The busiest expert rank's load over the mean: 1 is perfect balance.
  expert_imbalance: atLeastOne,
  offload_hit_rate: fraction,
  offload_gb_per_s: positive,
  offload_capacity_gb: nonNegative,
  // Server DRAM and flash cost dollars per GB or less; 1e6 covers any memory ever sold.
  offload_capex_usd_per_gb: upTo(1e6),
  // 0 draft tokens is plain decoding (useful as the first value of a sweep); the model's loop has
  // room for MAX_DRAFT_TOKENS per-position acceptances.
  draft_tokens: { min: 0, minOpen: false, max: MAX_DRAFT_TOKENS, maxOpen: false },
  acceptance_rate: fraction,
  draft_cost_ratio: nonNegative,
  acceptance_p1: fraction,
  acceptance_p2: fraction,
  acceptance_p3: fraction,
  acceptance_p4: fraction,
  acceptance_p5: fraction,
  acceptance_p6: fraction,
  acceptance_p7: fraction,
  acceptance_p8: fraction,
  prefill_gpus: positive,
  disagg_mfu_prefill: efficiency,
  slo_min_tokens_per_s_per_user: positive,
  slo_max_ttft_s: positive,
  measured_output_tokens_per_s_per_gpu: positive,
  measured_tokens_per_s_per_user: positive,
  measured_ttft_s: positive,
  // A GPU costs tens of thousands of dollars (a GB200 NVL72 rack is about $3M for 72 GPUs): a
  // billion dollars per GPU is beyond any accelerator, and 1e308 once made every cost infinite.
  capex_usd_per_gpu: upTo(1e9),
  // Hardware is depreciated over a few years; a century covers any study of long lives.
  life_years: positiveUpTo(100),
  // At 100% a year the capital recovery factor stops meaning anything useful.
  cost_of_capital: { min: 0, minOpen: false, max: 1, maxOpen: true },
  residual_fraction: fraction,
  maintenance_fraction_per_year: fraction,
  // Yearly running costs of one GPU: at most its capex ceiling.
  opex_usd_per_gpu_year: upTo(1e9),
  // Colocation is about $100-300 per kW and month; a million is beyond any market.
  colocation_usd_per_kw_month: upTo(1e6),
  // Data centres cost about $10M per MW to build; a trillion per MW is beyond any building.
  facility_capex_usd_per_mw: upTo(1e12),
  facility_life_years: positiveUpTo(100),
  // Power usage effectiveness is total facility power over IT power: 1 at best.
  pue: { min: 1, minOpen: false, max: Infinity, maxOpen: false },
  // No ceiling: prices are given as lognormals ("0.05 to 0.15"), unbounded above. A value beyond
  // the f32 range still ends as a cost that is not finite, counted in non_finite.
  power_price_usd_per_kwh: nonNegative,
  idle_power_fraction: fraction,
  // No ceiling, as power_price_usd_per_kwh: often a lognormal.
  cloud_usd_per_gpu_hour: nonNegative,
  // The share of paid on-demand hours that are busy: zero would deliver nothing.
  autoscaling_efficiency: efficiency,
};

/** `>= 1`, `> 0`, `in [0, 1]`, `in (0, 1]`. */
export function describeRange(r: Range): string {
  if (r.max === Infinity) return `${r.minOpen ? '>' : '>='} ${r.min}`;
  return `in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;
}

function inRange(x: number, r: Range): boolean {
  return (r.minOpen ? x > r.min : x >= r.min) && (r.maxOpen ? x < r.max : x <= r.max);
}

/**
 * Checks a value's whole support against a range. Messages:
 * `costs.pue: expected a number >= 1, got 0.8` (a number),
 * `serving.utilization.uniform: the upper bound 1.2 is above the largest allowed value 1`.
 */
export function checkRange(path: string, value: NumericValue, range: Range, issues: Issues): void {
  const { spec } = value;
  const expected = `expected a number ${describeRange(range)}`;
  if (spec.kind === 'dist' && spec.dist.kind === 'const') {
    if (!inRange(spec.dist.value, range)) issues.add(path, `${expected}, got ${spec.dist.value}`, value.line);
    return;
  }
  if (spec.kind === 'sweep') {
    spec.values.forEach((v, i) => {
      if (!inRange(v, range)) issues.add(`${value.where}[${i}]`, `${expected}, got ${v}`, value.line);
    });
    return;
  }
  if (spec.dist.kind === 'discrete') {
    spec.dist.values.forEach((v, i) => {
      if (!inRange(v, range)) issues.add(`${value.where}.values[${i}]`, `${expected}, got ${v}`, value.line);
    });
    return;
  }
  const s = supportOf(spec);
  const where = value.where;
  if (spec.dist.kind === 'normal' && ((s.lo === -Infinity && range.min > -Infinity) || (s.hi === Infinity && range.max < Infinity))) {
    issues.add(where, `a normal is unbounded: give min/max so every draw is ${describeRange(range)}`, value.line);
    return;
  }
  if (spec.dist.kind === 'lognormal') {
    // A lognormal draws from (0, inf): fine above 0, wrong for bounded or >= 1 fields.
    if (range.max < Infinity) {
      issues.add(where, `a lognormal is unbounded above, but the largest allowed value is ${range.max}; use a bounded distribution (uniform, triangular, pert, beta)`, value.line);
    } else if (range.min > 0) {
      issues.add(where, `a lognormal takes values down to 0, below the smallest allowed value ${range.min}; use a bounded distribution (uniform, triangular, pert, beta)`, value.line);
    }
    return;
  }
  if (s.lo < range.min || (s.lo === range.min && range.minOpen && !s.loOpen)) {
    issues.add(where, s.lo < range.min
      ? `the lower bound ${s.lo} is below the smallest allowed value ${range.min}`
      : `the lower bound ${s.lo} must be above ${range.min} (${expected})`, value.line);
  }
  if (s.hi > range.max || (s.hi === range.max && range.maxOpen)) {
    issues.add(where, s.hi > range.max
      ? `the upper bound ${s.hi} is above the largest allowed value ${range.max}`
      : `the upper bound ${s.hi} must be below ${range.max} (${expected})`, value.line);
  }
}
