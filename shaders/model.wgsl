// model.wgsl -- the cost-per-token model of MODEL.md, four samples at a time (vec4 lanes), in f32.
//
// Provides
//   fn model_eval4(x: ptr<function, array<vec4<f32>, N_SLOTS>>, out: ptr<function, array<vec4<f32>, N_METRICS>>) -> vec4<u32>
//     the same for the four samples of a quad, one per lane (the Monte Carlo kernel's form);
//     an infeasible lane's metrics are unspecified there.
//   fn model_eval(x: ptr<function, array<f32, N_SLOTS>>, out: ptr<function, array<f32, N_METRICS>>) -> u32
//     x:   the sample's input vector, indexed by the SLOT_* constants below (src/model/slots.ts order).
//     out: the N_METRICS metric values, indexed by the METRIC_* constants (slots.ts METRICS order).
//     returns flags: MODEL_FEASIBLE (bit 0) when the model fits in memory, MODEL_SLO_MISS (bit 1)
//     when a feasible sample misses a stated SLO. An infeasible sample's metrics are all 0 and it
//     never misses an SLO. Metrics the configuration does not define (slots.ts metricsFor) are 0.
//   struct ModelConfig: the choices of slots.ts ModelConfig, as u32 in CONFIG_FIELDS order.
//   N_SLOTS, N_METRICS, SLOT_*, METRIC_*: the layout of slots.ts (test/gpu-layout.test.ts checks
//   that the two agree).
//   model_inter: the intermediates of slots.ts INTERMEDIATES (INTER_* indices) of the last
//   model_eval4 call, written only when the pipeline sets the override MODEL_FILL_INTER (a kernel
//   whose metric expressions read them); otherwise the compiler drops the writes. Lanes of an
//   infeasible sample, and the roofline ones in measured mode, are unspecified.
//
// Expects, declared by the file that holds the bindings (mc.wgsl, or a test harness):
//   var<uniform> model_cfg: ModelConfig;
//
// Follows the interpretation both engines share (the CPU reference is src/model/model.ts); where
// f32 needs another route to the same number it says so next to the code. Limits:
// - Products stay far below the f32 maximum (3.4e38) for any real system: the largest is the
//   prefill's 2 * I^2 * layers * heads * head_dim, about 1e18 at a million-token prompt.
// - Preconditions (the scenario loader checks them): kv_bytes_per_token > 0, experts_per_token <
//   experts for MoE models, and positive rates, counts, efficiencies and lifetimes.
// - No branch looks at a value that could be NaN: every test is on inputs or on quantities that
//   are finite under the preconditions.

const N_SLOTS: u32 = 58u;
const N_METRICS: u32 = 14u;
const MODEL_MAX_DRAFT_TOKENS: u32 = 8u;

const MODEL_FEASIBLE: u32 = 1u;
const MODEL_SLO_MISS: u32 = 2u;

// Input slots (src/model/slots.ts SLOT_DEFS order).
const SLOT_PEAK_TFLOPS: u32 = 0u;
const SLOT_HBM_GB: u32 = 1u;
const SLOT_HBM_TB_PER_S: u32 = 2u;
const SLOT_IT_POWER_KW_PER_GPU: u32 = 3u;
const SLOT_PARAMS_TOTAL: u32 = 4u;
const SLOT_PARAMS_ACTIVE: u32 = 5u;
const SLOT_LAYERS: u32 = 6u;
const SLOT_HEADS: u32 = 7u;
const SLOT_KV_HEADS: u32 = 8u;
const SLOT_HEAD_DIM: u32 = 9u;
const SLOT_EXPERTS: u32 = 10u;
const SLOT_EXPERTS_PER_TOKEN: u32 = 11u;
const SLOT_KV_LORA_RANK: u32 = 12u;
const SLOT_QK_ROPE_HEAD_DIM: u32 = 13u;
const SLOT_WEIGHT_BITS: u32 = 14u;
const SLOT_KV_BITS: u32 = 15u;
const SLOT_INPUT_TOKENS: u32 = 16u;
const SLOT_OUTPUT_TOKENS: u32 = 17u;
const SLOT_PREFIX_CACHE_HIT_RATE: u32 = 18u;
const SLOT_GPUS_PER_REPLICA: u32 = 19u;
const SLOT_BATCH_SIZE: u32 = 20u;
const SLOT_UTILIZATION: u32 = 21u;
const SLOT_MFU_PREFILL: u32 = 22u;
const SLOT_MFU_DECODE: u32 = 23u;
const SLOT_MBU_DECODE: u32 = 24u;
const SLOT_STEP_OVERHEAD_MS: u32 = 25u;
const SLOT_HBM_USABLE_FRACTION: u32 = 26u;
const SLOT_DRAFT_TOKENS: u32 = 27u;
const SLOT_ACCEPTANCE_RATE: u32 = 28u;
const SLOT_DRAFT_COST_RATIO: u32 = 29u;
const SLOT_ACCEPTANCE_P1: u32 = 30u;
const SLOT_ACCEPTANCE_P2: u32 = 31u;
const SLOT_ACCEPTANCE_P3: u32 = 32u;
const SLOT_ACCEPTANCE_P4: u32 = 33u;
const SLOT_ACCEPTANCE_P5: u32 = 34u;
const SLOT_ACCEPTANCE_P6: u32 = 35u;
const SLOT_ACCEPTANCE_P7: u32 = 36u;
const SLOT_ACCEPTANCE_P8: u32 = 37u;
const SLOT_PREFILL_GPUS: u32 = 38u;
const SLOT_DISAGG_MFU_PREFILL: u32 = 39u;
const SLOT_SLO_MIN_TOKENS_PER_S_PER_USER: u32 = 40u;
const SLOT_SLO_MAX_TTFT_S: u32 = 41u;
const SLOT_MEASURED_OUTPUT_TOKENS_PER_S_PER_GPU: u32 = 42u;
const SLOT_MEASURED_TOKENS_PER_S_PER_USER: u32 = 43u;
const SLOT_MEASURED_TTFT_S: u32 = 44u;
const SLOT_CAPEX_USD_PER_GPU: u32 = 45u;
const SLOT_LIFE_YEARS: u32 = 46u;
const SLOT_COST_OF_CAPITAL: u32 = 47u;
const SLOT_RESIDUAL_FRACTION: u32 = 48u;
const SLOT_MAINTENANCE_FRACTION_PER_YEAR: u32 = 49u;
const SLOT_OPEX_USD_PER_GPU_YEAR: u32 = 50u;
const SLOT_COLOCATION_USD_PER_KW_MONTH: u32 = 51u;
const SLOT_FACILITY_CAPEX_USD_PER_MW: u32 = 52u;
const SLOT_FACILITY_LIFE_YEARS: u32 = 53u;
const SLOT_PUE: u32 = 54u;
const SLOT_POWER_PRICE_USD_PER_KWH: u32 = 55u;
const SLOT_IDLE_POWER_FRACTION: u32 = 56u;
const SLOT_CLOUD_USD_PER_GPU_HOUR: u32 = 57u;

// Intermediates (src/model/slots.ts INTERMEDIATES order).
const N_INTER: u32 = 19u;
const INTER_KV_BYTES_PER_TOKEN: u32 = 0u;
const INTER_KV_REPLICATION: u32 = 1u;
const INTER_SHARED_PARAMS: u32 = 2u;
const INTER_EXPERT_PARAMS: u32 = 3u;
const INTER_EXPERTS_TOUCHED: u32 = 4u;
const INTER_WEIGHT_BYTES: u32 = 5u;
const INTER_HBM_BYTES_USABLE: u32 = 6u;
const INTER_BATCH_MAX: u32 = 7u;
const INTER_T_STEP_S: u32 = 8u;
const INTER_T_CYCLE_S: u32 = 9u;
const INTER_SPEC_TOKENS_PER_STEP: u32 = 10u;
const INTER_T_PREFILL_S: u32 = 11u;
const INTER_T_REQUEST_S: u32 = 12u;
const INTER_CAPITAL_RECOVERY_FACTOR: u32 = 13u;
const INTER_CAPITAL_USD_PER_GPU_HOUR: u32 = 14u;
const INTER_MAINTENANCE_USD_PER_GPU_HOUR: u32 = 15u;
const INTER_OPEX_USD_PER_GPU_HOUR: u32 = 16u;
const INTER_ENERGY_USD_PER_GPU_HOUR: u32 = 17u;
const INTER_FACILITY_USD_PER_GPU_HOUR: u32 = 18u;

// Set by kernels whose metric expressions read intermediates; a constant false elsewhere, so the
// writes below cost nothing there.
override MODEL_FILL_INTER: bool = false;
var<private> model_inter: array<vec4<f32>, N_INTER>;

// Metrics (src/model/slots.ts METRICS order).
const METRIC_COST_PER_MTOK_OUTPUT: u32 = 0u;
const METRIC_COST_PER_MTOK_TOTAL: u32 = 1u;
const METRIC_COST_PER_MTOK_CAPITAL: u32 = 2u;
const METRIC_COST_PER_MTOK_ENERGY: u32 = 3u;
const METRIC_COST_PER_MTOK_FACILITY: u32 = 4u;
const METRIC_COST_PER_MTOK_OPEX: u32 = 5u;
const METRIC_OUTPUT_TOKENS_PER_S_PER_GPU: u32 = 6u;
const METRIC_OUTPUT_TOKENS_PER_S_PER_MW: u32 = 7u;
const METRIC_JOULES_PER_OUTPUT_TOKEN: u32 = 8u;
const METRIC_COST_USD_PER_GPU_HOUR: u32 = 9u;
const METRIC_TPOT_MS: u32 = 10u;
const METRIC_TOKENS_PER_S_PER_USER: u32 = 11u;
const METRIC_TTFT_S: u32 = 12u;
const METRIC_BATCH_EFFECTIVE: u32 = 13u;

// Unit conversions (definitions, not measurements).
const MODEL_HOURS_PER_YEAR: f32 = 8760.0;
const MODEL_SECONDS_PER_HOUR: f32 = 3600.0;
const MODEL_TOKENS_PER_MTOK: f32 = 1e6;
const MODEL_BYTES_PER_GB: f32 = 1e9;
const MODEL_BYTES_PER_TB: f32 = 1e12;
const MODEL_FLOPS_PER_TFLOP: f32 = 1e12;
/** Below this cost of capital the capital recovery factor is 1/n (avoids 0/0 at r = 0). */
const MODEL_MIN_RATE: f32 = 1e-6;

struct ModelConfig {
  throughput: u32,            // 0 roofline, 1 measured
  pricing: u32,               // 0 owned, 1 cloud
  attention: u32,             // 0 GQA, 1 MLA
  facility: u32,              // 0 none, 1 colocation, 2 owned facility
  speculative: u32,           // 0 none, 1 constant acceptance, 2 per position
  disaggregated: u32,         // 0 colocated, 1 disaggregated prefill
  slo_tokens_per_s_per_user: u32,
  slo_ttft: u32,
  measured_user_rate: u32,
  measured_ttft: u32,
}

// The model works on the four samples of a quad at once (vec4<f32> lanes): one thread evaluates
// a quad with no loop over lanes and no per-lane indexing, which is what lets a SIMD compiler
// (llvmpipe) and a GPU alike keep the arithmetic in registers. Choices of the configuration are
// uniform branches; anything that depends on a sample's values is a select().

// log(1 + x) for x > -1. The library log is only accurate to an absolute 2^-21 near 1 (WGSL spec,
// "Floating point accuracy"), far too coarse for a rate of a few percent, so small |x| uses the
// series log1p(x) = 2 atanh(s), s = x / (2 + x): |s| <= 1/3 for |x| <= 0.5 and the terms up to
// s^15 leave a truncation error below 1e-8 relative.
fn model_log1p(x: vec4<f32>) -> vec4<f32> {
  let s = x / (2.0 + x);
  let s2 = s * s;
  let poly = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0
    + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0)))))));
  return select(2.0 * s * poly, log(1.0 + x), abs(x) > vec4<f32>(0.5));
}

// exp(y) - 1, accurate for small |y| (the Taylor series through y^11 for |y| <= 0.5, in Horner
// form: truncation below 1e-9 relative), where exp(y) - 1 would cancel.
fn model_expm1(y: vec4<f32>) -> vec4<f32> {
  let series = 1.0 / 1.0 + y * (1.0 / 2.0 + y * (1.0 / 6.0 + y * (1.0 / 24.0 + y * (1.0 / 120.0 + y * (1.0 / 720.0 + y * (1.0 / 5040.0 + y * (1.0 / 40320.0 + y * (1.0 / 362880.0 + y * (1.0 / 3628800.0 + y * (1.0 / 39916800.0))))))))));
  return select(y * series, exp(y) - 1.0, abs(y) > vec4<f32>(0.5));
}

// Capital recovery factor r / (1 - (1 + r)^-n), and 1/n for r below MODEL_MIN_RATE. The
// denominator is -expm1(-n log1p(r)) so that small rates do not cancel in f32.
fn model_crf(rate: vec4<f32>, life_years: vec4<f32>) -> vec4<f32> {
  let annuity = rate / -model_expm1(-life_years * model_log1p(rate));
  return select(annuity, 1.0 / life_years, rate < vec4<f32>(MODEL_MIN_RATE));
}

// One decode (or verification) step over n tokens in flight, in seconds: the roofline maximum of
// memory time and compute time, plus the fixed step overhead. log_keep = log(1 - k_e/E) for MoE
// models (0 for dense ones, which read no experts).
struct ModelStep {
  moe: vec4<bool>,
  experts: vec4<f32>,
  log_keep: vec4<f32>,
  bytes_per_weight: vec4<f32>,
  shared_params: vec4<f32>,
  expert_params: vec4<f32>,
  kv_bytes_read: vec4<f32>,       // b * ctx * kv_bytes_per_token * kv_replication
  bytes_per_s: vec4<f32>,
  flops_per_token: vec4<f32>,     // 2 * params_active + 4 * ctx * layers * heads * head_dim
  flops_per_s: vec4<f32>,
  overhead_s: vec4<f32>,
}

fn model_step_s(st: ModelStep, n: vec4<f32>) -> vec4<f32> {
  // experts_touched(n) = E * (1 - (1 - k_e/E)^n) = -E * expm1(n * log1p(-k_e/E)).
  let touched = select(vec4<f32>(0.0), -st.experts * model_expm1(n * st.log_keep), st.moe);
  let memory_s = (st.bytes_per_weight * (st.shared_params + st.expert_params * touched) + st.kv_bytes_read)
    / st.bytes_per_s;
  let compute_s = st.flops_per_token * n / st.flops_per_s;
  return max(memory_s, compute_s) + st.overhead_s;
}

// The model for the four samples of a quad. Returns each lane's flags (MODEL_FEASIBLE,
// MODEL_SLO_MISS); an infeasible lane's metrics are unspecified.
fn model_eval4(x: ptr<function, array<vec4<f32>, N_SLOTS>>, out: ptr<function, array<vec4<f32>, N_METRICS>>) -> vec4<u32> {
  let cfg = model_cfg;
  let utilization = (*x)[SLOT_UTILIZATION];
  let it_power_kw = (*x)[SLOT_IT_POWER_KW_PER_GPU];
  let pue = (*x)[SLOT_PUE];
  let input_tokens = (*x)[SLOT_INPUT_TOKENS];
  let output_tokens = (*x)[SLOT_OUTPUT_TOKENS];
  let zero = vec4<f32>(0.0);

  // ---- Throughput and latency.
  var tokens_per_s_per_gpu: vec4<f32>;
  var tpot_ms = zero;
  var user_tokens_per_s = zero;
  var ttft_s = zero;
  var batch_effective = zero;
  var has_user_rate = true;
  var has_ttft = true;
  var feasible = vec4<bool>(true);

  if (cfg.throughput == 1u) {
    tokens_per_s_per_gpu = (*x)[SLOT_MEASURED_OUTPUT_TOKENS_PER_S_PER_GPU];
    has_user_rate = cfg.measured_user_rate == 1u;
    has_ttft = cfg.measured_ttft == 1u;
    if (has_user_rate) {
      user_tokens_per_s = (*x)[SLOT_MEASURED_TOKENS_PER_S_PER_USER];
      tpot_ms = 1000.0 / user_tokens_per_s;
    }
    if (has_ttft) {
      ttft_s = (*x)[SLOT_MEASURED_TTFT_S];
    }
  } else {
    let gpus = (*x)[SLOT_GPUS_PER_REPLICA];
    let layers = (*x)[SLOT_LAYERS];
    let heads = (*x)[SLOT_HEADS];
    let head_dim = (*x)[SLOT_HEAD_DIM];
    let params_total = (*x)[SLOT_PARAMS_TOTAL];
    let params_active = (*x)[SLOT_PARAMS_ACTIVE];
    let bytes_per_weight = (*x)[SLOT_WEIGHT_BITS] / 8.0;
    let bytes_per_kv = (*x)[SLOT_KV_BITS] / 8.0;

    var kv_bytes_per_token: vec4<f32>;
    var kv_replication = vec4<f32>(1.0);
    if (cfg.attention == 0u) {
      let kv_heads = (*x)[SLOT_KV_HEADS];
      kv_bytes_per_token = 2.0 * layers * kv_heads * head_dim * bytes_per_kv;
      kv_replication = max(vec4<f32>(1.0), gpus / kv_heads);
    } else {
      kv_bytes_per_token = layers * ((*x)[SLOT_KV_LORA_RANK] + (*x)[SLOT_QK_ROPE_HEAD_DIM]) * bytes_per_kv;
    }

    // Memory: the batch the KV cache leaves room for. A lane without room for one sequence is
    // infeasible; it goes on with a batch of 1 so that its arithmetic stays finite.
    let weight_bytes = params_total * bytes_per_weight;
    let usable_bytes = gpus * (*x)[SLOT_HBM_GB] * MODEL_BYTES_PER_GB * (*x)[SLOT_HBM_USABLE_FRACTION];
    let kv_bytes_per_seq = kv_bytes_per_token * kv_replication;
    let batch_max = floor((usable_bytes - weight_bytes) / ((input_tokens + output_tokens) * kv_bytes_per_seq));
    feasible = batch_max >= vec4<f32>(1.0);
    let b = min((*x)[SLOT_BATCH_SIZE], select(vec4<f32>(1.0), batch_max, feasible));
    batch_effective = b;

    var st: ModelStep;
    let experts = (*x)[SLOT_EXPERTS];
    let per_token = (*x)[SLOT_EXPERTS_PER_TOKEN];
    st.moe = experts > vec4<f32>(1.0);
    st.experts = experts;
    // Dense lanes divide by 1 instead of experts - per_token and read no experts.
    let moe_shared = (experts * params_active - per_token * params_total) / select(vec4<f32>(1.0), experts - per_token, st.moe);
    st.shared_params = select(params_total, moe_shared, st.moe);
    st.expert_params = select(zero, (params_total - st.shared_params) / max(experts, vec4<f32>(1.0)), st.moe);
    st.log_keep = select(zero, model_log1p(-per_token / max(experts, vec4<f32>(1.0))), st.moe);
    let peak_flops_per_gpu = (*x)[SLOT_PEAK_TFLOPS] * MODEL_FLOPS_PER_TFLOP;
    let ctx_tokens = input_tokens + output_tokens / 2.0;
    st.bytes_per_weight = bytes_per_weight;
    st.kv_bytes_read = b * ctx_tokens * kv_bytes_per_seq;
    st.bytes_per_s = gpus * (*x)[SLOT_HBM_TB_PER_S] * MODEL_BYTES_PER_TB * (*x)[SLOT_MBU_DECODE];
    st.flops_per_s = gpus * peak_flops_per_gpu * (*x)[SLOT_MFU_DECODE];
    st.flops_per_token = 2.0 * params_active + 4.0 * ctx_tokens * layers * heads * head_dim;
    st.overhead_s = (*x)[SLOT_STEP_OVERHEAD_MS] / 1000.0;

    let step_s = model_step_s(st, b);
    var cycle_s = step_s;
    var tokens_per_step = vec4<f32>(1.0);
    if (cfg.speculative != 0u) {
      let k = clamp(floor((*x)[SLOT_DRAFT_TOKENS]), zero, vec4<f32>(f32(MODEL_MAX_DRAFT_TOKENS)));
      let k_max = u32(max(max(k.x, k.y), max(k.z, k.w)));
      if (k_max > 0u) {
        // 1 + sum_{i<=k} prod_{j<=i} p_j as a running product (Leviathan et al. 2023,
        // arXiv:2211.17192), which stays exact at an acceptance of 1 where the closed form is 0/0.
        var p_all_accepted = vec4<f32>(1.0);
        for (var i = 0u; i < k_max; i++) {
          var p = (*x)[SLOT_ACCEPTANCE_RATE];
          if (cfg.speculative == 2u) {
            p = (*x)[SLOT_ACCEPTANCE_P1 + i];
          }
          let drafted = vec4<f32>(f32(i)) < k;
          p_all_accepted = select(p_all_accepted, p_all_accepted * p, drafted);
          tokens_per_step += select(zero, p_all_accepted, drafted);
        }
        // Verification over b (k + 1) tokens, plus k draft steps at c times a decode step; with
        // k = 0 this is the plain step.
        cycle_s = model_step_s(st, b * (k + 1.0)) + k * (*x)[SLOT_DRAFT_COST_RATIO] * step_s;
      }
    }

    let prefill_flops = (1.0 - (*x)[SLOT_PREFIX_CACHE_HIT_RATE])
      * (2.0 * params_active * input_tokens + 2.0 * input_tokens * input_tokens * layers * heads * head_dim);
    let decode_replica_s = output_tokens * cycle_s / (b * tokens_per_step);
    if (cfg.disaggregated == 1u) {
      let prefill_gpus = (*x)[SLOT_PREFILL_GPUS];
      ttft_s = prefill_flops / (prefill_gpus * peak_flops_per_gpu * (*x)[SLOT_DISAGG_MFU_PREFILL]);
      tokens_per_s_per_gpu = output_tokens / (prefill_gpus * ttft_s + gpus * decode_replica_s);
    } else {
      ttft_s = prefill_flops / (gpus * peak_flops_per_gpu * (*x)[SLOT_MFU_PREFILL]);
      tokens_per_s_per_gpu = output_tokens / ((ttft_s + decode_replica_s) * gpus);
    }
    tpot_ms = 1000.0 * cycle_s / tokens_per_step;
    user_tokens_per_s = 1000.0 / tpot_ms;
    if (MODEL_FILL_INTER) {
      model_inter[INTER_KV_BYTES_PER_TOKEN] = kv_bytes_per_token;
      model_inter[INTER_KV_REPLICATION] = kv_replication;
      model_inter[INTER_SHARED_PARAMS] = st.shared_params;
      model_inter[INTER_EXPERT_PARAMS] = st.expert_params;
      model_inter[INTER_EXPERTS_TOUCHED] = select(zero, -st.experts * model_expm1(b * st.log_keep), st.moe);
      model_inter[INTER_WEIGHT_BYTES] = weight_bytes;
      model_inter[INTER_HBM_BYTES_USABLE] = usable_bytes;
      model_inter[INTER_BATCH_MAX] = batch_max;
      model_inter[INTER_T_STEP_S] = step_s;
      model_inter[INTER_T_CYCLE_S] = cycle_s;
      model_inter[INTER_SPEC_TOKENS_PER_STEP] = tokens_per_step;
      model_inter[INTER_T_PREFILL_S] = ttft_s;
      // As explain has it: the prefill plus the replica's decode time per request.
      model_inter[INTER_T_REQUEST_S] = ttft_s + decode_replica_s;
    }
  }

  // ---- Cost per GPU-hour.
  var capital_usd_per_h = zero;
  var maintenance_usd_per_h = zero;
  var opex_usd_per_h = zero;
  var energy_usd_per_h = zero;
  var facility_usd_per_h = zero;
  var cost_usd_per_h: vec4<f32>;
  var crf = zero;
  if (cfg.pricing == 0u) {
    let capex_usd = (*x)[SLOT_CAPEX_USD_PER_GPU];
    let rate = (*x)[SLOT_COST_OF_CAPITAL];
    let life_years = (*x)[SLOT_LIFE_YEARS];
    // (1 + r)^-n through log1p, as accurate as the crf beside it.
    let discount = exp(-life_years * model_log1p(rate));
    crf = model_crf(rate, life_years);
    capital_usd_per_h = capex_usd * (1.0 - (*x)[SLOT_RESIDUAL_FRACTION] * discount) * crf / MODEL_HOURS_PER_YEAR;
    maintenance_usd_per_h = (*x)[SLOT_MAINTENANCE_FRACTION_PER_YEAR] * capex_usd / MODEL_HOURS_PER_YEAR;
    opex_usd_per_h = (*x)[SLOT_OPEX_USD_PER_GPU_YEAR] / MODEL_HOURS_PER_YEAR;
    let idle = (*x)[SLOT_IDLE_POWER_FRACTION];
    energy_usd_per_h = it_power_kw * (idle + (1.0 - idle) * utilization) * pue * (*x)[SLOT_POWER_PRICE_USD_PER_KWH];
    if (cfg.facility == 1u) {
      facility_usd_per_h = it_power_kw * (*x)[SLOT_COLOCATION_USD_PER_KW_MONTH] * 12.0 / MODEL_HOURS_PER_YEAR;
    } else if (cfg.facility == 2u) {
      facility_usd_per_h = it_power_kw * pue / 1000.0 * (*x)[SLOT_FACILITY_CAPEX_USD_PER_MW]
        * model_crf(rate, (*x)[SLOT_FACILITY_LIFE_YEARS]) / MODEL_HOURS_PER_YEAR;
    }
    cost_usd_per_h = capital_usd_per_h + maintenance_usd_per_h + opex_usd_per_h + energy_usd_per_h
      + facility_usd_per_h;
  } else {
    // Renting is an operating expense: the whole price is the opex share.
    cost_usd_per_h = (*x)[SLOT_CLOUD_USD_PER_GPU_HOUR];
    opex_usd_per_h = cost_usd_per_h;
  }
  if (MODEL_FILL_INTER) {
    model_inter[INTER_CAPITAL_RECOVERY_FACTOR] = crf;
    model_inter[INTER_CAPITAL_USD_PER_GPU_HOUR] = capital_usd_per_h;
    model_inter[INTER_MAINTENANCE_USD_PER_GPU_HOUR] = maintenance_usd_per_h;
    model_inter[INTER_OPEX_USD_PER_GPU_HOUR] = opex_usd_per_h;
    model_inter[INTER_ENERGY_USD_PER_GPU_HOUR] = energy_usd_per_h;
    model_inter[INTER_FACILITY_USD_PER_GPU_HOUR] = facility_usd_per_h;
  }

  // ---- Metrics. A share is component / (tokens per GPU-hour), which equals component / cost *
  // cost_per_mtok_output without the 0/0 of a zero cost.
  let usd_per_h_to_per_mtok = MODEL_TOKENS_PER_MTOK / (tokens_per_s_per_gpu * utilization * MODEL_SECONDS_PER_HOUR);
  let cost_per_mtok_output = cost_usd_per_h * usd_per_h_to_per_mtok;
  let facility_kw = it_power_kw * pue;
  (*out)[METRIC_COST_PER_MTOK_OUTPUT] = cost_per_mtok_output;
  (*out)[METRIC_COST_PER_MTOK_TOTAL] = cost_per_mtok_output * output_tokens / (input_tokens + output_tokens);
  (*out)[METRIC_COST_PER_MTOK_CAPITAL] = capital_usd_per_h * usd_per_h_to_per_mtok;
  (*out)[METRIC_COST_PER_MTOK_ENERGY] = energy_usd_per_h * usd_per_h_to_per_mtok;
  (*out)[METRIC_COST_PER_MTOK_FACILITY] = facility_usd_per_h * usd_per_h_to_per_mtok;
  (*out)[METRIC_COST_PER_MTOK_OPEX] = (maintenance_usd_per_h + opex_usd_per_h) * usd_per_h_to_per_mtok;
  (*out)[METRIC_OUTPUT_TOKENS_PER_S_PER_GPU] = tokens_per_s_per_gpu;
  (*out)[METRIC_OUTPUT_TOKENS_PER_S_PER_MW] = tokens_per_s_per_gpu * 1000.0 / facility_kw;
  (*out)[METRIC_JOULES_PER_OUTPUT_TOKEN] = facility_kw * 1000.0 / tokens_per_s_per_gpu;
  (*out)[METRIC_COST_USD_PER_GPU_HOUR] = cost_usd_per_h;
  (*out)[METRIC_TPOT_MS] = tpot_ms;
  (*out)[METRIC_TOKENS_PER_S_PER_USER] = user_tokens_per_s;
  (*out)[METRIC_TTFT_S] = ttft_s;
  (*out)[METRIC_BATCH_EFFECTIVE] = batch_effective;

  var misses = vec4<bool>(false);
  if (cfg.slo_tokens_per_s_per_user == 1u && has_user_rate) {
    misses = misses | (user_tokens_per_s < (*x)[SLOT_SLO_MIN_TOKENS_PER_S_PER_USER]);
  }
  if (cfg.slo_ttft == 1u && has_ttft) {
    misses = misses | (ttft_s > (*x)[SLOT_SLO_MAX_TTFT_S]);
  }
  let ok = vec4<u32>(MODEL_FEASIBLE);
  return select(vec4<u32>(0u), select(ok, ok | vec4<u32>(MODEL_SLO_MISS), misses), feasible);
}

// One sample (a quad with every lane alike): for tests and any per-sample caller. An infeasible
// sample's metrics are all 0.
fn model_eval(x: ptr<function, array<f32, N_SLOTS>>, out: ptr<function, array<f32, N_METRICS>>) -> u32 {
  var x4: array<vec4<f32>, N_SLOTS>;
  for (var s = 0u; s < N_SLOTS; s++) {
    x4[s] = vec4<f32>((*x)[s]);
  }
  var out4: array<vec4<f32>, N_METRICS>;
  let flags = model_eval4(&x4, &out4)[0];
  for (var m = 0u; m < N_METRICS; m++) {
    (*out)[m] = select(0.0, out4[m][0], (flags & MODEL_FEASIBLE) != 0u);
  }
  return flags;
}
