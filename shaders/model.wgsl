// model.wgsl -- the cost-per-token model of docs/model.md, four samples at a time (vec4 lanes), in f32.
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
//   (struct ModelConfig, N_SLOTS, N_METRICS, SLOT_*, METRIC_*, INTER_*: the generated prelude.)
//   model_inter: the intermediates of slots.ts INTERMEDIATES (INTER_* indices) of the last
//   model_eval4 call, written only when the pipeline sets the override MODEL_FILL_INTER (a kernel
//   whose metric expressions read them); otherwise the compiler drops the writes. Lanes of an
//   infeasible sample, and the roofline ones in measured mode, are unspecified.
//
// Expects, declared by the file that holds the bindings (mc.wgsl, or a test harness):
//   var<uniform> model_cfg: ModelConfig;
//
// Follows the interpretation both engines share (the CPU reference is src/model/evaluate.ts); where
// f32 needs another route to the same number it says so next to the code. Limits:
// - Products stay far below the f32 maximum (3.4e38) for any real system: the largest is the
//   prefill's 2 * I^2 * layers * heads * head_dim, about 1e18 at a million-token prompt.
// - Interconnect slots are 0 when every replica is one GPU (nothing to communicate): each
//   collective term is a select() on its rank count, so their 0/0 never reaches a result.
// - Preconditions (the scenario loader checks them): kv_bytes_per_token > 0, experts_per_token <
//   experts for MoE models, and positive rates, counts, efficiencies and lifetimes.
// - No branch looks at a value that could be NaN: every test is on inputs or on quantities that
//   are finite under the preconditions.

// The layout constants (N_SLOTS, N_METRICS, N_INTER, MODEL_MAX_DRAFT_TOKENS, SLOT_*, INTER_*,
// METRIC_*) and struct ModelConfig are generated from src/model/slots.ts and placed before this
// file (src/engine/gpu/prelude.ts).

const MODEL_FEASIBLE: u32 = 1u;
const MODEL_SLO_MISS: u32 = 2u;

// Set by kernels whose metric expressions read intermediates; a constant false elsewhere, so the
// writes below cost nothing there.
override MODEL_FILL_INTER: bool = false;
var<private> model_inter: array<vec4<f32>, N_INTER>;

// Unit conversions (definitions, not measurements).
const MODEL_HOURS_PER_YEAR: f32 = 8760.0;
const MODEL_SECONDS_PER_HOUR: f32 = 3600.0;
const MODEL_TOKENS_PER_MTOK: f32 = 1e6;
const MODEL_BYTES_PER_GB: f32 = 1e9;
const MODEL_BYTES_PER_TB: f32 = 1e12;
const MODEL_FLOPS_PER_TFLOP: f32 = 1e12;
/** Below this cost of capital the capital recovery factor is 1/n (avoids 0/0 at r = 0). */
const MODEL_MIN_RATE: f32 = 1e-6;
/** The most load the prefill queue is held at: 1 - 2^-20, exact in f32 (equations.ts MAX_QUEUE_LOAD). */
const MODEL_MAX_QUEUE_LOAD: f32 = 0.99999904632568359375;


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

// One forward step over n tokens in flight on the replica (docs/model.md "Time"), in seconds, on
// the busiest GPU: the roofline maximum of its memory time and compute time, plus the exposed
// communication and the fixed step overhead. log_keep = log(1 - k_e/E) for MoE models (0 for
// dense ones, which read no experts).
struct ModelStep {
  moe: vec4<bool>,
  experts: vec4<f32>,
  log_keep: vec4<f32>,
  imbalance: vec4<f32>,           // expert load of the busiest rank over the mean (1 for dense)
  shared_bytes: vec4<f32>,        // bytes_per_weight * shared_params / tp
  expert_bytes: vec4<f32>,        // bytes_per_weight * expert_params / g
  kv_bytes_read: vec4<f32>,       // (b / dp) * ctx * KV bytes per token per GPU
  bytes_per_s: vec4<f32>,         // hbm_tb_per_s * 1e12 * mbu_decode
  compute_per_token_s: vec4<f32>, // matrix and attention seconds per token in flight
  comm_fixed_s: vec4<f32>,        // collective latencies of a step
  comm_per_token_s: vec4<f32>,    // collective bandwidth seconds per token in flight
  exposed: vec4<f32>,             // 1 - comm_overlap
  overhead_s: vec4<f32>,
}

// experts_touched(n) = E * (1 - (1 - k_e/E)^n) = -E * expm1(n * log1p(-k_e/E)); 0 for dense lanes.
fn model_experts_touched(st: ModelStep, n: vec4<f32>) -> vec4<f32> {
  return select(vec4<f32>(0.0), -st.experts * model_expm1(n * st.log_keep), st.moe);
}

fn model_step_s(st: ModelStep, n: vec4<f32>) -> vec4<f32> {
  let busiest = min(model_experts_touched(st, n) * st.imbalance, st.experts);
  let memory_s = (st.shared_bytes + st.expert_bytes * busiest + st.kv_bytes_read) / st.bytes_per_s;
  let compute_s = st.compute_per_token_s * n;
  return max(memory_s, compute_s) + st.exposed * (st.comm_fixed_s + st.comm_per_token_s * n) + st.overhead_s;
}

// A ring all-reduce over r GPUs (docs/model.md "Communication"): seconds per byte of the message,
// 2 (r - 1) / r over the scale-up link inside the domain and the scale-out link beyond it; 0 for
// one GPU.
fn model_allreduce_per_byte(r: vec4<f32>, domain: vec4<f32>, up: vec4<f32>, out: vec4<f32>) -> vec4<f32> {
  let link = select(out, up, r <= domain);
  return select(vec4<f32>(0.0), 2.0 * (r - 1.0) / r / link, r > vec4<f32>(1.0));
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
    let experts = (*x)[SLOT_EXPERTS];
    let moe = experts > vec4<f32>(1.0);
    let one = vec4<f32>(1.0);

    // Parallel layout: a field given as 0 takes the engines' default (docs/model.md "Parallelism").
    let tp_given = (*x)[SLOT_TP];
    let dp_given = (*x)[SLOT_DP_ATTENTION];
    var tp_default = one;
    if (cfg.attention == 0u) {
      tp_default = gpus;
    }
    let tp = select(select(tp_default, gpus / dp_given, dp_given > zero), tp_given, tp_given > zero);
    let dp = gpus / tp;
    let ep_given = (*x)[SLOT_EP];
    let ep = select(one, select(gpus, ep_given, ep_given > zero), moe);

    var kv_bytes_per_token: vec4<f32>;
    var kv_replication: vec4<f32>;
    if (cfg.attention == 0u) {
      let kv_heads = (*x)[SLOT_KV_HEADS];
      kv_bytes_per_token = 2.0 * layers * kv_heads * head_dim * bytes_per_kv;
      kv_replication = max(one, tp / kv_heads);
    } else {
      kv_bytes_per_token = layers * ((*x)[SLOT_KV_LORA_RANK] + (*x)[SLOT_QK_ROPE_HEAD_DIM]) * bytes_per_kv;
      kv_replication = tp;
    }

    // MoE split. Dense lanes divide by 1 instead of experts - per_token and read no experts.
    let per_token = (*x)[SLOT_EXPERTS_PER_TOKEN];
    let moe_shared = (experts * params_active - per_token * params_total) / select(one, experts - per_token, moe);
    let shared_params = select(params_total, moe_shared, moe);
    let per_expert = select(zero, (params_total - shared_params) / max(experts, one), moe);

    // Memory per GPU: the batch the KV cache leaves room for. A lane without room for one
    // sequence is infeasible; it goes on with a batch of 1 so that its arithmetic stays finite.
    let weight_bytes = params_total * bytes_per_weight;
    let weight_bytes_gpu = bytes_per_weight * (shared_params / tp + (params_total - shared_params) / gpus);
    let usable_bytes_gpu = (*x)[SLOT_HBM_GB] * MODEL_BYTES_PER_GB * (*x)[SLOT_HBM_USABLE_FRACTION];
    let kv_per_token_gpu = kv_bytes_per_token * kv_replication / tp;
    let kv_seq_gpu = (input_tokens + output_tokens) * kv_per_token_gpu;
    let batch_max = dp * floor((usable_bytes_gpu - weight_bytes_gpu) / kv_seq_gpu);
    feasible = batch_max >= one;
    let b = min((*x)[SLOT_BATCH_SIZE], select(one, batch_max, feasible));
    batch_effective = b;

    let peak_flops_per_gpu = (*x)[SLOT_PEAK_TFLOPS] * MODEL_FLOPS_PER_TFLOP;
    var attention_peak_per_gpu = peak_flops_per_gpu;
    if (cfg.attention_peak == 1u) {
      attention_peak_per_gpu = (*x)[SLOT_ATTENTION_TFLOPS] * MODEL_FLOPS_PER_TFLOP;
    }
    let ctx_tokens = input_tokens + output_tokens / 2.0;
    let mfu_decode = (*x)[SLOT_MFU_DECODE];
    var attention_flops_per_token: vec4<f32>;
    if (cfg.attention == 0u) {
      attention_flops_per_token = 4.0 * ctx_tokens * layers * heads * head_dim;
    } else {
      // Absorbed MLA: every head scores the latent plus its RoPE key and sums latents.
      attention_flops_per_token = 2.0 * ctx_tokens * layers * heads
        * (2.0 * (*x)[SLOT_KV_LORA_RANK] + (*x)[SLOT_QK_ROPE_HEAD_DIM]);
    }

    var st: ModelStep;
    st.moe = moe;
    st.experts = experts;
    st.log_keep = select(zero, model_log1p(-per_token / max(experts, one)), moe);
    st.imbalance = select(one, (*x)[SLOT_EXPERT_IMBALANCE], moe);
    st.shared_bytes = bytes_per_weight * shared_params / tp;
    st.expert_bytes = bytes_per_weight * per_expert / gpus;
    st.kv_bytes_read = (b / dp) * ctx_tokens * kv_per_token_gpu;
    st.bytes_per_s = (*x)[SLOT_HBM_TB_PER_S] * MODEL_BYTES_PER_TB * (*x)[SLOT_MBU_DECODE];
    st.compute_per_token_s = 2.0 * (shared_params + per_expert * per_token * st.imbalance) / (gpus * peak_flops_per_gpu * mfu_decode)
      + attention_flops_per_token / (gpus * attention_peak_per_gpu * mfu_decode);
    st.exposed = 1.0 - (*x)[SLOT_COMM_OVERLAP];
    st.overhead_s = (*x)[SLOT_STEP_OVERHEAD_MS] / 1000.0
      + (*x)[SLOT_HOST_OVERHEAD_US_PER_SEQ] * 1e-6 * b / dp;

    // Communication per step as fixed + per-token seconds (docs/model.md "Communication"): an
    // all-reduce over the attention group per layer; then a second one for a dense model, or for
    // an MoE model a dispatch and a combine all-to-all over the ep groups (each GPU sending its
    // tokens once per chosen expert, times the imbalance) and an all-reduce over the g / ep GPUs
    // that slice each expert.
    let domain = (*x)[SLOT_SCALE_UP_DOMAIN];
    let up = (*x)[SLOT_SCALE_UP_GB_PER_S] * 1e9;
    let out_link = (*x)[SLOT_SCALE_OUT_GB_PER_S] * 1e9;
    let latency_s = (*x)[SLOT_COLLECTIVE_LATENCY_US] * 1e-6;
    let act_bytes = (*x)[SLOT_HIDDEN] * 2.0; // bf16 activations (equations.ts ACTIVATION_BYTES)
    let tp_latency = select(zero, latency_s, tp > one);
    let tp_per_token = model_allreduce_per_byte(tp, domain, up, out_link) * act_bytes / dp;
    var ffn_fixed = tp_latency;
    var ffn_per_token = tp_per_token;
    if (any(moe)) {
      let slice = gpus / ep;
      let inside = (min(ep, domain) - 1.0) / ep;
      let outside = max(zero, ep - domain) / ep;
      let a2a_per_byte = inside / up + select(zero, outside / out_link, outside > zero);
      let a2a_on = ep > one;
      let moe_fixed = select(zero, 2.0 * latency_s, a2a_on) + select(zero, latency_s, slice > one);
      let moe_per_token = select(zero, 2.0 * per_token * act_bytes * st.imbalance * a2a_per_byte / gpus, a2a_on)
        + model_allreduce_per_byte(slice, domain, up, out_link) * act_bytes / ep;
      // A dense lane of a mixed quad keeps the second all-reduce.
      ffn_fixed = select(tp_latency, moe_fixed, moe);
      ffn_per_token = select(tp_per_token, moe_per_token, moe);
    }
    let comm_fixed = tp_latency + ffn_fixed;
    let comm_per_token = tp_per_token + ffn_per_token;
    st.comm_fixed_s = comm_fixed * layers;
    st.comm_per_token_s = comm_per_token * layers;

    let step_s = model_step_s(st, b);
    var cycle_s = step_s;
    var tokens_per_step = one;
    if (cfg.speculative != 0u) {
      let k = clamp(floor((*x)[SLOT_DRAFT_TOKENS]), zero, vec4<f32>(f32(MODEL_MAX_DRAFT_TOKENS)));
      let k_max = u32(max(max(k.x, k.y), max(k.z, k.w)));
      if (k_max > 0u) {
        // 1 + sum_{i<=k} prod_{j<=i} p_j as a running product (Leviathan et al. 2023,
        // arXiv:2211.17192), which stays exact at an acceptance of 1 where the closed form is 0/0.
        var p_all_accepted = one;
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

    // Prefill of one request: the prompt tokens neither in the GPU's prefix cache nor in the
    // offload tier; those in the tier are loaded at its bandwidth.
    var offload_hit = zero;
    var offload_load_s = zero;
    if (cfg.kv_offload == 1u) {
      offload_hit = (*x)[SLOT_OFFLOAD_HIT_RATE];
      offload_load_s = offload_hit * input_tokens * kv_per_token_gpu / ((*x)[SLOT_OFFLOAD_GB_PER_S] * 1e9);
    }
    let computed = 1.0 - (*x)[SLOT_PREFIX_CACHE_HIT_RATE] - offload_hit;
    let prefill_matrix_flops = computed * 2.0 * params_active * input_tokens;
    let prefill_attention_flops = computed * 2.0 * input_tokens * input_tokens * layers * heads * head_dim;
    let prefill_comm_s = st.exposed * (st.comm_fixed_s + st.comm_per_token_s * computed * input_tokens);
    let decode_replica_s = output_tokens * cycle_s / (b * tokens_per_step);
    let decode_token_s = cycle_s / tokens_per_step;
    var prefill_s: vec4<f32>;
    var load: vec4<f32>;
    var itl_s: vec4<f32>;
    if (cfg.disaggregated == 1u) {
      let prefill_gpus = (*x)[SLOT_PREFILL_GPUS];
      let mfu = (*x)[SLOT_DISAGG_MFU_PREFILL];
      prefill_s = prefill_matrix_flops / (prefill_gpus * peak_flops_per_gpu * mfu)
        + prefill_attention_flops / (prefill_gpus * attention_peak_per_gpu * mfu) + prefill_comm_s;
      tokens_per_s_per_gpu = output_tokens / (prefill_gpus * prefill_s + gpus * decode_replica_s);
      // The prefill pool is sized to the demand at capacity: its load is the utilization.
      load = utilization;
      itl_s = decode_token_s;
    } else {
      let mfu = (*x)[SLOT_MFU_PREFILL];
      prefill_s = prefill_matrix_flops / (gpus * peak_flops_per_gpu * mfu)
        + prefill_attention_flops / (gpus * attention_peak_per_gpu * mfu) + prefill_comm_s;
      tokens_per_s_per_gpu = output_tokens / ((prefill_s + decode_replica_s) * gpus);
      // Requests arrive at u / t_request; each holds the replica's prefill for prefill_s.
      load = utilization * prefill_s / (prefill_s + decode_replica_s);
      itl_s = decode_token_s + (b - 1.0) * prefill_s / output_tokens;
    }
    // M/D/1 wait (Pollaczek-Khinchine), the load held at MODEL_MAX_QUEUE_LOAD.
    let rho = min(load, vec4<f32>(MODEL_MAX_QUEUE_LOAD));
    let queue_s = rho * prefill_s / (2.0 * (1.0 - rho));
    ttft_s = prefill_s + offload_load_s + queue_s;
    tpot_ms = 1000.0 * itl_s;
    user_tokens_per_s = 1.0 / itl_s;
    if (MODEL_FILL_INTER) {
      model_inter[INTER_KV_BYTES_PER_TOKEN] = kv_bytes_per_token;
      model_inter[INTER_KV_REPLICATION] = kv_replication;
      model_inter[INTER_SHARED_PARAMS] = shared_params;
      model_inter[INTER_EXPERT_PARAMS] = per_expert;
      model_inter[INTER_EXPERTS_TOUCHED] = model_experts_touched(st, b);
      model_inter[INTER_WEIGHT_BYTES] = weight_bytes;
      model_inter[INTER_HBM_BYTES_USABLE] = usable_bytes_gpu;
      model_inter[INTER_BATCH_MAX] = batch_max;
      model_inter[INTER_T_STEP_S] = step_s;
      model_inter[INTER_T_CYCLE_S] = cycle_s;
      model_inter[INTER_SPEC_TOKENS_PER_STEP] = tokens_per_step;
      model_inter[INTER_T_PREFILL_S] = prefill_s;
      // As explain has it: the prefill plus the replica's decode time per request.
      model_inter[INTER_T_REQUEST_S] = prefill_s + decode_replica_s;
      model_inter[INTER_TP_EFFECTIVE] = tp;
      model_inter[INTER_EP_EFFECTIVE] = ep;
      model_inter[INTER_DP_ATTENTION_EFFECTIVE] = dp;
      model_inter[INTER_WEIGHT_BYTES_PER_GPU] = weight_bytes_gpu;
      model_inter[INTER_KV_BYTES_PER_SEQ_PER_GPU] = kv_seq_gpu;
      model_inter[INTER_ATTENTION_FLOPS_PER_TOKEN] = attention_flops_per_token;
      let comm_step_s = st.comm_fixed_s + st.comm_per_token_s * b;
      model_inter[INTER_T_COMM_S] = comm_step_s;
      model_inter[INTER_COMM_SHARE] = st.exposed * comm_step_s / step_s;
      model_inter[INTER_T_DECODE_TOKEN_S] = decode_token_s;
      model_inter[INTER_QUEUE_WAIT_S] = queue_s;
      model_inter[INTER_T_OFFLOAD_LOAD_S] = offload_load_s;
      model_inter[INTER_DECODE_TOKENS_PER_S_PER_GPU] = b * tokens_per_step / (gpus * cycle_s);
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
    // An owned offload tier is bought with the GPU: its capex joins the GPU's.
    var capex_usd = (*x)[SLOT_CAPEX_USD_PER_GPU];
    if (cfg.kv_offload == 1u) {
      capex_usd += (*x)[SLOT_OFFLOAD_CAPACITY_GB] * (*x)[SLOT_OFFLOAD_CAPEX_USD_PER_GB];
    }
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
  // The share of paid GPU-hours that deliver tokens: the utilization when every hour is paid,
  // the autoscaling efficiency when cloud GPUs are billed on demand (docs/model.md "Cost per GPU-hour").
  var busy = utilization;
  if (cfg.pricing == 1u && cfg.billing == 1u) {
    busy = (*x)[SLOT_AUTOSCALING_EFFICIENCY];
  }
  let usd_per_h_to_per_mtok = MODEL_TOKENS_PER_MTOK / (tokens_per_s_per_gpu * busy * MODEL_SECONDS_PER_HOUR);
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
