// mc.wgsl -- the Monte Carlo kernel: bindings, the entry point, and the workgroup reductions.
//
// Composed after philox.wgsl, distributions.wgsl (sample_param_k, reading `params`) and model.wgsl
// (model_eval4, reading `model_cfg`), and followed by a part the host generates
// (src/engine/gpu/custom.ts): the plan's metric expressions as `mc_custom4`, and the constants
// that size this kernel for them:
//   MC_CUSTOM: bool        the plan has metric expressions (false: the plain kernel, where every
//                          use below folds away)
//   MC_COST_MODEL: bool    the cost model runs (false for a model of the user's own: every
//                          sample is feasible)
//   MC_N_INPUTS: u32       slots per cell in the tables: N_SLOTS, plus the plan's own inputs
//   MC_N_XC: u32           length of the custom input vector (at least 1)
//   MC_N_COUT: u32         length of the custom metric vector (at least 1)
//   MC_N_RED: u32          metrics the reductions have room for (N_METRICS in the plain kernel)
//   MC_PAIR_WORDS: u32     words per (cell, metric) in the partials: 5 (sums, min, max, not finite)
//   fn mc_custom4(x, xc, out, cout)  evaluates the expressions for the four lanes of a quad
// Plan input s < N_SLOTS lives in x[s]; s >= N_SLOTS (the scenario's own input s - N_SLOTS) in
// xc[s - N_SLOTS]. Metric id m < N_METRICS is the model's out[m]; m >= N_METRICS is the custom
// metric cout[m - N_METRICS]. A value that is not finite in f32 (tested on its bits: NaN, or an
// overflow to infinity) is left out of its metric and counted in the pair's fifth partial word;
// exact mode writes it as NaN. The CPU engine leaves out the same values (|x| > F32_MAX).
//
// mc_main is the generic kernel: it reads the plan's random and swept inputs, distributions and
// metric ids from its tables at run time. Most plans run instead on an entry point generated for
// them (src/engine/gpu/specialise.ts, `mc_spec_main`, appended after this file) that does the
// same work, in the same order, with those facts written in as constants and the metric loops
// unrolled; it uses this file's bindings, workgroup arrays and helpers (mc_hist_bins_at,
// mc_lane_sum, mc_is_finite4, mc_reduce_write).
//
// Thread layout: one invocation per sample quad (samples 4q .. 4q+3; DESIGN.md "Determinism").
// A dispatch covers `n_quads` consecutive quads starting at the 64-bit quad index `quad_base`;
// workgroup w takes the `tiles * WG_SIZE` consecutive quads from w * tiles * WG_SIZE, in `tiles`
// rounds (round t, invocation i takes quad (w * tiles + t) * WG_SIZE + i). So each workgroup's
// partial sums one block of consecutive quads whatever the dispatch's size: the host keeps
// tiles * WG_SIZE at its block size and chunks on block boundaries, so that a run cut into other
// ranges sums the same blocks (src/engine/types.ts REDUCTION_BLOCK_SAMPLES).
// Per quad the invocation draws every random input once, straight into the input vector
// (sample_param: one Philox call per input and draw feeds all four samples; correlated inputs
// together through the Gaussian copula, mc_copula, when the params table has one), then for each cell
// of this pass sets the cell's swept inputs, evaluates the model once for the quad (model_eval4:
// the four samples are the lanes of vec4 values, so there is no loop over samples) and
// accumulates the plan's metrics:
// - partials (always): per (workgroup, cell, metric) the sum of (x - shift), the sum of
//   (x - shift)^2, min and max over feasible samples, reduced across the workgroup in
//   var<workgroup> memory (one tree for all metrics of a cell), after every tile when the pass
//   has several cells and once at the end when it has one; per (workgroup, cell) the counts of
//   feasible, infeasible and SLO-missing samples. The host adds the workgroups' partials in f64.
// - mode bit 0 (hist): atomicAdd of 1 into the (cell, metric) histogram bin of each feasible value
//   (bin formula: src/aggregate/types.ts HistSpec).
// - mode bit 1 (exact): every valid sample's metric values and flags (bit 0 feasible, bit 1 SLO
//   miss), for the host to compact.
//
// Bindings (group 0):
//   0 uniform  mc: McParams            sizes, offsets, key, the plan's metric ids
//   1 uniform  model_cfg: ModelConfig  (model.wgsl)
//   2 storage  params: array<u32>      the distribution table (src/sampling/encode.ts)
//   3 storage  tables: array<u32>      cell constants, random slots, per-(cell, metric) shift and bins
//   4 storage  partials: array<u32>    per-workgroup partials (f32 bit patterns and u32 counts)
//   5 storage  hist: array<atomic<u32>> HIST_STRIDE counts per (copy, cell of this pass, metric)
//   6 storage  exact_out: array<u32>   exact mode: values (f32 bits) then flags
//
// Table layouts (word offsets; "pair" = cell * n_metrics + m, with cell the plan's cell index):
//   tables[cell * MC_N_INPUTS + s]                 slot s's value in that cell (f32; random slots unused)
//   tables[mc.random_table + r]                    slot of random input r (entry r of params)
//   tables[mc.swept_table + k]                     slot of swept input k
//   tables[mc.pair_table + 4 * pair + 0..3]        shift (f32), hist origin (f32: lo or log2(lo)),
//                                                  hist scale (f32: HIST_BINS / (hi - lo), in log2 when
//                                                  log), hist log flag (u32)
//   partials, per workgroup w, at w * (cells * n_metrics * P + cells * 3), P = MC_PAIR_WORDS:
//     [(c * n_metrics + m) * P + 0..3]            sum, sum of squares, min, max (f32) for local cell c
//     [(c * n_metrics + m) * P + 4]               (P = 5) feasible samples whose value was not finite (u32)
//     [cells * n_metrics * P + c * 3 + 0..2]      feasible, infeasible, SLO-miss counts (u32)
//   hist[k * cells * n_metrics * HIST_STRIDE + (c * n_metrics + m) * HIST_STRIDE + bin]
//                                                  local cell c, copy k = w mod mc.hist_copies (the
//                                                  host adds the copies)
//   exact_out[(c * n_metrics + m) * exact_stride + s], then flags at
//   exact_out[cells * n_metrics * exact_stride + c * exact_stride + s], s = 4 * (quad - quad_base) + lane.
//
// Limits: n_quads < 2^31 per dispatch; WG_SIZE a power of two with WG_SIZE * MC_N_RED * 16 bytes
// of workgroup memory (64 x 14 -> 14,336 bytes, under WebGPU's guaranteed 16,384; the host lowers
// WG_SIZE for a kernel with more metrics); n_metrics <= MC_N_RED <= 32.

override WG_SIZE: u32 = 64u;

const HIST_BINS: u32 = 4096u;
const HIST_STRIDE: u32 = 4098u;
const MC_MODE_HIST: u32 = 1u;
const MC_MODE_EXACT: u32 = 2u;
/** Identity of min and max: the largest finite f32. */
const MC_F32_MAX: f32 = 0x1.fffffep+127f;

struct McParams {
  quad_base: vec2<u32>,     // (lo, hi) 64-bit index of the dispatch's first quad
  n_quads: u32,             // quads in this dispatch
  first_lane: u32,          // first valid sample of the first quad (0..3)
  last_lane_end: u32,       // one past the last valid sample of the last quad (1..4)
  tiles: u32,               // rounds of the workgroup stride loop
  cell_first: u32,          // the plan's index of this pass's first cell
  cells: u32,               // cells in this pass
  n_metrics: u32,           // metrics of the plan
  n_random: u32,            // random inputs (entries of params)
  mode: u32,                // MC_MODE_* bits
  exact_stride: u32,        // exact mode: words per (cell, metric) row, 4 * n_quads
  key: vec2<u32>,           // Philox key of the run
  pair_table: u32,
  random_table: u32,
  swept_table: u32,
  n_swept: u32,             // swept inputs: constant within a cell
  hist_copies: u32,         // copies of the pass's histograms, a power of two (see hist below)
  metric_ids: array<vec4<u32>, 8>,  // the plan's metrics as METRIC_* ids, 4 per vec4 (32 at most)
}

@group(0) @binding(0) var<uniform> mc: McParams;
@group(0) @binding(1) var<uniform> model_cfg: ModelConfig;
@group(0) @binding(2) var<storage, read> params: array<u32>;
@group(0) @binding(3) var<storage, read> tables: array<u32>;
@group(0) @binding(4) var<storage, read_write> partials: array<u32>;
@group(0) @binding(5) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> exact_out: array<u32>;

var<workgroup> red_sum: array<f32, WG_SIZE * MC_N_RED>;
var<workgroup> red_sq: array<f32, WG_SIZE * MC_N_RED>;
var<workgroup> red_min: array<f32, WG_SIZE * MC_N_RED>;
var<workgroup> red_max: array<f32, WG_SIZE * MC_N_RED>;
var<workgroup> red_counts: array<atomic<u32>, 3>;
var<workgroup> red_bad: array<atomic<u32>, MC_N_RED>;

// The first word of the histogram copy workgroup w adds into: workgroups take copies in turn, so
// that workgroups running at once rarely add into the same bins (on a CPU adapter, two cores
// adding into one cache line take turns owning it; on a GPU, many adds to one address serialise).
fn mc_hist_copy(w: u32, pairs: u32) -> u32 {
  return (w & (mc.hist_copies - 1u)) * pairs * HIST_STRIDE;
}

fn mc_metric_id(m: u32) -> u32 {
  return mc.metric_ids[m / 4u][m % 4u];
}

// The histogram bins of a quad's values for a (cell, metric) pair: 0 underflow, 1..HIST_BINS,
// HIST_BINS + 1 overflow. Non-positive values of a log histogram underflow, as log2 would send
// them there.
fn mc_hist_bins(pair: u32, v: vec4<f32>) -> vec4<u32> {
  let base = mc.pair_table + 4u * pair;
  return mc_hist_bins_at(bitcast<f32>(tables[base + 1u]), bitcast<f32>(tables[base + 2u]), tables[base + 3u] != 0u, v);
}

// The same with the pair's mapping given: origin, scale and the log flag of its pair-table row.
fn mc_hist_bins_at(origin: f32, scale: f32, is_log: bool, v: vec4<f32>) -> vec4<u32> {
  var t_bins: vec4<f32>;
  if (is_log) {
    // max() keeps log2's argument positive; the select sends v <= 0 below the range.
    t_bins = select(vec4<f32>(-1.0), (log2(max(v, vec4<f32>(1e-37))) - origin) * scale, v > vec4<f32>(0.0));
  } else {
    t_bins = (v - origin) * scale;
  }
  let inside = vec4<u32>(1u) + min(vec4<u32>(max(t_bins, vec4<f32>(0.0))), vec4<u32>(HIST_BINS - 1u));
  return select(select(vec4<u32>(0u), inside, t_bins >= vec4<f32>(0.0)), vec4<u32>(HIST_BINS + 1u),
    t_bins >= vec4<f32>(f32(HIST_BINS)));
}

// Adds lane values of one (cell, metric) to the invocation's running partial; `use` masks the
// feasible lanes of the quad.
fn mc_lane_sum(v: vec4<f32>, use_lane: vec4<bool>) -> f32 {
  return dot(select(vec4<f32>(0.0), v, use_lane), vec4<f32>(1.0));
}

// Lanes whose value is finite. A bit test: a compiler may assume x == x and fold a NaN test away.
fn mc_is_finite4(v: vec4<f32>) -> vec4<bool> {
  return (bitcast<vec4<u32>>(v) & vec4<u32>(0x7f800000u)) != vec4<u32>(0x7f800000u);
}

// Sets plan input s of all four lanes: a model slot, or one of the plan's own inputs.
fn mc_set_input(x: ptr<function, array<vec4<f32>, N_SLOTS>>, xc: ptr<function, array<vec4<f32>, MC_N_XC>>, s: u32, v: vec4<f32>) {
  if (MC_CUSTOM && s >= N_SLOTS) {
    (*xc)[s - N_SLOTS] = v;
  } else {
    (*x)[s] = v;
  }
}

// Reads plan input s of all four lanes (the counterpart of mc_set_input).
fn mc_get_input(x: ptr<function, array<vec4<f32>, N_SLOTS>>, xc: ptr<function, array<vec4<f32>, MC_N_XC>>, s: u32) -> vec4<f32> {
  if (MC_CUSTOM && s >= N_SLOTS) {
    return (*xc)[s - N_SLOTS];
  }
  return (*x)[s];
}

// The correlated inputs of quad q (docs/model.md "Correlated inputs"): each input's slot first
// holds its normal score z_k, then, from the last input down (row k of z' = L z reads z_0 .. z_k,
// none of them overwritten yet), its value at z'_k. No scratch array, so no limit on their number.
fn mc_copula(x: ptr<function, array<vec4<f32>, N_SLOTS>>, xc: ptr<function, array<vec4<f32>, MC_N_XC>>, m: u32, q: u32, q_hi: u32) {
  for (var k = 0u; k < m; k++) {
    let e = dist_copula_entry(k);
    mc_set_input(x, xc, tables[mc.random_table + e], dist_copula_score(e, q, q_hi, mc.key));
  }
  for (var k1 = m; k1 > 0u; k1--) {
    let k = k1 - 1u;
    var z = vec4<f32>(0.0);
    for (var j = 0u; j <= k; j++) {
      z += dist_copula_lower(k, j) * mc_get_input(x, xc, tables[mc.random_table + dist_copula_entry(j)]);
    }
    let e = dist_copula_entry(k);
    mc_set_input(x, xc, tables[mc.random_table + e], dist_copula_value(e, z));
  }
}

@compute @workgroup_size(WG_SIZE)
fn mc_main(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  let n_metrics = mc.n_metrics;
  let cells = mc.cells;
  let pairs = cells * n_metrics;
  let out_base = wid.x * (pairs * MC_PAIR_WORDS + cells * 3u);
  let hist_on = (mc.mode & MC_MODE_HIST) != 0u;
  let exact_on = (mc.mode & MC_MODE_EXACT) != 0u;
  // With one cell in the pass, each invocation keeps its partial over all tiles and the
  // workgroup reduces once at the end; with several, it reduces each cell after each tile.
  let reduce_per_tile = cells > 1u;
  let hist_copy = mc_hist_copy(wid.x, pairs);

  var x: array<vec4<f32>, N_SLOTS>;
  var xc: array<vec4<f32>, MC_N_XC>;
  var out: array<vec4<f32>, N_METRICS>;
  var cout: array<vec4<f32>, MC_N_COUT>;
  var t_sum: array<f32, MC_N_RED>;
  var t_sq: array<f32, MC_N_RED>;
  var t_min: array<f32, MC_N_RED>;
  var t_max: array<f32, MC_N_RED>;
  var t_bad: array<u32, MC_N_RED>;
  var n_feasible = 0u;
  var n_infeasible = 0u;
  var n_slo_miss = 0u;
  mc_reset(&t_sum, &t_sq, &t_min, &t_max, &t_bad);
  // Correlated random inputs, drawn together by mc_copula (0: none, and no copula code runs).
  let n_correlated = dist_copula_count();
  // The constants of the first cell; each cell sets its swept inputs, each quad its random ones.
  for (var s = 0u; s < N_SLOTS; s++) {
    x[s] = vec4<f32>(bitcast<f32>(tables[mc.cell_first * MC_N_INPUTS + s]));
  }
  if (MC_CUSTOM) {
    for (var s = N_SLOTS; s < MC_N_INPUTS; s++) {
      xc[s - N_SLOTS] = vec4<f32>(bitcast<f32>(tables[mc.cell_first * MC_N_INPUTS + s]));
    }
  }

  for (var tile = 0u; tile < mc.tiles; tile++) {
    let rel = (wid.x * mc.tiles + tile) * WG_SIZE + lid;
    let has_quad = rel < mc.n_quads;
    // The quad's valid lanes: all four, but for the first and last quad of the dispatch.
    var lane_lo = 4u;
    var lane_hi = 0u;
    if (has_quad) {
      lane_lo = select(0u, mc.first_lane, rel == 0u);
      lane_hi = select(4u, mc.last_lane_end, rel + 1u == mc.n_quads);
      // The 64-bit quad index, with the carry of the low word.
      let q_lo = mc.quad_base.x + rel;
      let q_hi = mc.quad_base.y + select(0u, 1u, q_lo < rel);
      for (var r = 0u; r < mc.n_random; r++) {
        if (n_correlated == 0u || dist_copula_pos(r) == 0u) {
          mc_set_input(&x, &xc, tables[mc.random_table + r], sample_param_k(r, q_lo, q_hi, mc.key));
        }
      }
      if (n_correlated > 0u) {
        mc_copula(&x, &xc, n_correlated, q_lo, q_hi);
      }
    }
    let lanes = vec4<u32>(0u, 1u, 2u, 3u);
    let valid = (lanes >= vec4<u32>(lane_lo)) & (lanes < vec4<u32>(lane_hi));

    for (var c = 0u; c < cells; c++) {
      let cell = mc.cell_first + c;
      for (var k = 0u; k < mc.n_swept; k++) {
        let s = tables[mc.swept_table + k];
        mc_set_input(&x, &xc, s, vec4<f32>(bitcast<f32>(tables[cell * MC_N_INPUTS + s])));
      }
      var flags = vec4<u32>(MODEL_FEASIBLE);
      if (MC_COST_MODEL) {
        flags = model_eval4(&x, &out);
      }
      if (MC_CUSTOM) {
        mc_custom4(&x, &xc, &out, &cout);
      }
      let feasible = valid & ((flags & vec4<u32>(MODEL_FEASIBLE)) != vec4<u32>(0u));
      let slo_miss = feasible & ((flags & vec4<u32>(MODEL_SLO_MISS)) != vec4<u32>(0u));
      n_feasible += dot(select(vec4<u32>(0u), vec4<u32>(1u), feasible), vec4<u32>(1u));
      n_infeasible += dot(select(vec4<u32>(0u), vec4<u32>(1u), valid & !feasible), vec4<u32>(1u));
      n_slo_miss += dot(select(vec4<u32>(0u), vec4<u32>(1u), slo_miss), vec4<u32>(1u));
      let sample0 = 4u * rel;
      if (exact_on) {
        for (var lane = lane_lo; lane < lane_hi; lane++) {
          exact_out[pairs * mc.exact_stride + c * mc.exact_stride + sample0 + lane] = flags[lane];
        }
      }

      if (any(feasible)) {
        for (var m = 0u; m < n_metrics; m++) {
          let id = mc_metric_id(m);
          var v: vec4<f32>;
          var use_lane = feasible;
          if (MC_CUSTOM) {
            v = select(out[min(id, N_METRICS - 1u)], cout[min(id - min(id, N_METRICS), MC_N_COUT - 1u)], id >= N_METRICS);
          } else {
            v = out[id];
          }
          let finite = mc_is_finite4(v);
          use_lane = feasible & finite;
          t_bad[m] += dot(select(vec4<u32>(0u), vec4<u32>(1u), feasible & !finite), vec4<u32>(1u));
          let pair = cell * n_metrics + m;
          let d = v - bitcast<f32>(tables[mc.pair_table + 4u * pair]);
          t_sum[m] += mc_lane_sum(d, use_lane);
          t_sq[m] += mc_lane_sum(d * d, use_lane);
          let lo = select(vec4<f32>(MC_F32_MAX), v, use_lane);
          let hi = select(vec4<f32>(-MC_F32_MAX), v, use_lane);
          t_min[m] = min(t_min[m], min(min(lo.x, lo.y), min(lo.z, lo.w)));
          t_max[m] = max(t_max[m], max(max(hi.x, hi.y), max(hi.z, hi.w)));
          let local_pair = c * n_metrics + m;
          if (hist_on) {
            let row = hist_copy + local_pair * HIST_STRIDE;
            let bins = mc_hist_bins(pair, v);
            // Branch-free: an infeasible lane adds 0 (its bin is still a valid index).
            let ones = select(vec4<u32>(0u), vec4<u32>(1u), use_lane);
            atomicAdd(&hist[row + bins.x], ones.x);
            atomicAdd(&hist[row + bins.y], ones.y);
            atomicAdd(&hist[row + bins.z], ones.z);
            atomicAdd(&hist[row + bins.w], ones.w);
          }
          if (exact_on) {
            for (var lane = lane_lo; lane < lane_hi; lane++) {
              // A value that is not finite is written as NaN (the host's mark of "no value").
              exact_out[local_pair * mc.exact_stride + sample0 + lane] = select(0x7fc00000u, bitcast<u32>(v[lane]), finite[lane]);
            }
          }
        }
      }

      if (reduce_per_tile || tile + 1u == mc.tiles) {
        mc_reduce(lid, c, reduce_per_tile && tile > 0u, out_base, pairs, &t_sum, &t_sq, &t_min, &t_max, &t_bad, n_feasible, n_infeasible, n_slo_miss);
        mc_reset(&t_sum, &t_sq, &t_min, &t_max, &t_bad);
        n_feasible = 0u;
        n_infeasible = 0u;
        n_slo_miss = 0u;
      }
    }
  }
}

// An invocation's empty partials: zero sums and counts, min and max at the far ends.
fn mc_reset(
  t_sum: ptr<function, array<f32, MC_N_RED>>, t_sq: ptr<function, array<f32, MC_N_RED>>,
  t_min: ptr<function, array<f32, MC_N_RED>>, t_max: ptr<function, array<f32, MC_N_RED>>,
  t_bad: ptr<function, array<u32, MC_N_RED>>,
) {
  for (var m = 0u; m < mc.n_metrics; m++) {
    (*t_sum)[m] = 0.0;
    (*t_sq)[m] = 0.0;
    (*t_min)[m] = MC_F32_MAX;
    (*t_max)[m] = -MC_F32_MAX;
    (*t_bad)[m] = 0u;
  }
}

// Workgroup reduction of one cell's invocation partials (every metric in one tree), written to the
// workgroup's partial of that cell in `partials`, or added to it when `accumulate` (a later tile
// of the same dispatch). All invocations of the workgroup call it together.
fn mc_reduce(
  lid: u32, c: u32, accumulate: bool, out_base: u32, pairs: u32,
  t_sum: ptr<function, array<f32, MC_N_RED>>, t_sq: ptr<function, array<f32, MC_N_RED>>,
  t_min: ptr<function, array<f32, MC_N_RED>>, t_max: ptr<function, array<f32, MC_N_RED>>,
  t_bad: ptr<function, array<u32, MC_N_RED>>,
  n_feasible: u32, n_infeasible: u32, n_slo_miss: u32,
) {
  let n_metrics = mc.n_metrics;
  for (var m = 0u; m < n_metrics; m++) {
    let i = m * WG_SIZE + lid;
    red_sum[i] = (*t_sum)[m];
    red_sq[i] = (*t_sq)[m];
    red_min[i] = (*t_min)[m];
    red_max[i] = (*t_max)[m];
    if ((*t_bad)[m] != 0u) {
      atomicAdd(&red_bad[m], (*t_bad)[m]);
    }
  }
  atomicAdd(&red_counts[0], n_feasible);
  atomicAdd(&red_counts[1], n_infeasible);
  atomicAdd(&red_counts[2], n_slo_miss);
  workgroupBarrier();
  for (var stride = WG_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      for (var m = 0u; m < n_metrics; m++) {
        let i = m * WG_SIZE + lid;
        red_sum[i] += red_sum[i + stride];
        red_sq[i] += red_sq[i + stride];
        red_min[i] = min(red_min[i], red_min[i + stride]);
        red_max[i] = max(red_max[i], red_max[i + stride]);
      }
    }
    workgroupBarrier();
  }

  mc_reduce_write(lid, c, n_metrics, accumulate, out_base, pairs);
}

// The end of a workgroup reduction: the tree's results (red_* at index m * WG_SIZE) and the
// counters written to the workgroup's partial of local cell c, or added to it when `accumulate`.
// All invocations of the workgroup call it together.
fn mc_reduce_write(lid: u32, c: u32, n_metrics: u32, accumulate: bool, out_base: u32, pairs: u32) {
  // Invocation m < n_metrics writes metric m's partial.
  if (lid < n_metrics) {
    let i = lid * WG_SIZE;
    let o = out_base + (c * n_metrics + lid) * MC_PAIR_WORDS;
    var s1 = red_sum[i];
    var s2 = red_sq[i];
    var lo = red_min[i];
    var hi = red_max[i];
    if (accumulate) {
      s1 += bitcast<f32>(partials[o]);
      s2 += bitcast<f32>(partials[o + 1u]);
      lo = min(lo, bitcast<f32>(partials[o + 2u]));
      hi = max(hi, bitcast<f32>(partials[o + 3u]));
    }
    partials[o] = bitcast<u32>(s1);
    partials[o + 1u] = bitcast<u32>(s2);
    partials[o + 2u] = bitcast<u32>(lo);
    partials[o + 3u] = bitcast<u32>(hi);
    var bad = atomicExchange(&red_bad[lid], 0u);
    if (accumulate) {
      bad += partials[o + 4u];
    }
    partials[o + 4u] = bad;
  }
  if (lid == 0u) {
    let o = out_base + pairs * MC_PAIR_WORDS + c * 3u;
    for (var k = 0u; k < 3u; k++) {
      var n = atomicExchange(&red_counts[k], 0u);
      if (accumulate) {
        n += partials[o + k];
      }
      partials[o + k] = n;
    }
  }
  // The next reduction reuses the workgroup arrays and counters.
  workgroupBarrier();
}
