// mc.wgsl -- the Monte Carlo kernel: bindings, the entry point, and the workgroup reductions.
//
// Composed after philox.wgsl, distributions.wgsl (sample_param_k, reading `params`) and model.wgsl
// (model_eval, reading `model_cfg`); src/engine/gpu/shaders.ts puts them together.
//
// Thread layout: one invocation per sample quad (samples 4q .. 4q+3; DESIGN.md "Determinism").
// A dispatch covers `n_quads` consecutive quads starting at the 64-bit quad index `quad_base`;
// its workgroups stride over them in `tiles` rounds (round t, workgroup w, invocation i takes quad
// (t * num_workgroups + w) * WG_SIZE + i), so the number of workgroups, and with it the size of the
// per-workgroup output, is the host's choice and stays below the 65535 dispatch limit.
// Per quad the invocation draws every random input once (sample_param: one Philox call per input
// and draw feeds all four samples), then for each cell of this pass sets the cell's constants
// (fixed and swept inputs) under the draws, evaluates the model for each of its valid samples and
// accumulates the plan's metrics:
// - partials (always): per (workgroup, cell, metric) the sum of (x - shift), the sum of
//   (x - shift)^2, min and max over feasible samples, reduced across the workgroup in
//   var<workgroup> memory (one tree for all metrics of a cell) and accumulated over the tiles; per
//   (workgroup, cell) the counts of feasible, infeasible and SLO-missing samples. The host adds
//   the workgroups' partials in f64.
// - mode bit 0 (hist): atomicAdd of 1 into the (cell, metric) histogram bin of each feasible value
//   (bin formula: src/engine/types.ts HistSpec).
// - mode bit 1 (exact): every valid sample's metric values and flags (bit 0 feasible, bit 1 SLO
//   miss), for the host to compact.
//
// Bindings (group 0):
//   0 uniform  mc: McParams            sizes, offsets, key, the plan's metric ids
//   1 uniform  model_cfg: ModelConfig  (model.wgsl)
//   2 storage  params: array<u32>      the distribution table (src/sampling/encode.ts)
//   3 storage  tables: array<u32>      cell constants, random slots, per-(cell, metric) shift and bins
//   4 storage  partials: array<u32>    per-workgroup partials (f32 bit patterns and u32 counts)
//   5 storage  hist: array<atomic<u32>> HIST_STRIDE counts per (cell of this pass, metric)
//   6 storage  exact_out: array<u32>   exact mode: values (f32 bits) then flags
//
// Table layouts (word offsets; "pair" = cell * n_metrics + m, with cell the plan's cell index):
//   tables[cell * N_SLOTS + s]                     slot s's value in that cell (f32; random slots unused)
//   tables[mc.random_table + r]                    slot of random input r (entry r of params)
//   tables[mc.pair_table + 4 * pair + 0..3]        shift (f32), hist origin (f32: lo or log2(lo)),
//                                                  hist scale (f32: HIST_BINS / (hi - lo), in log2 when
//                                                  log), hist log flag (u32)
//   partials, per workgroup w, at w * (cells * n_metrics * 4 + cells * 3):
//     [(c * n_metrics + m) * 4 + 0..3]            sum, sum of squares, min, max (f32) for local cell c
//     [cells * n_metrics * 4 + c * 3 + 0..2]      feasible, infeasible, SLO-miss counts (u32)
//   hist[(c * n_metrics + m) * HIST_STRIDE + bin]  local cell c
//   exact_out[(c * n_metrics + m) * exact_stride + s], then flags at
//   exact_out[cells * n_metrics * exact_stride + c * exact_stride + s], s = 4 * (quad - quad_base) + lane.
//
// Limits: n_quads < 2^31 per dispatch; WG_SIZE a power of two with WG_SIZE * N_METRICS * 16 bytes
// of workgroup memory (64 -> 14,336 bytes, under WebGPU's guaranteed 16,384); n_metrics <= 16;
// at most N_SLOTS random inputs.

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
  metric_ids: array<vec4<u32>, 4>,  // the plan's metrics as METRIC_* ids, 4 per vec4
}

@group(0) @binding(0) var<uniform> mc: McParams;
@group(0) @binding(1) var<uniform> model_cfg: ModelConfig;
@group(0) @binding(2) var<storage, read> params: array<u32>;
@group(0) @binding(3) var<storage, read> tables: array<u32>;
@group(0) @binding(4) var<storage, read_write> partials: array<u32>;
@group(0) @binding(5) var<storage, read_write> hist: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> exact_out: array<u32>;

var<workgroup> red_sum: array<f32, WG_SIZE * N_METRICS>;
var<workgroup> red_sq: array<f32, WG_SIZE * N_METRICS>;
var<workgroup> red_min: array<f32, WG_SIZE * N_METRICS>;
var<workgroup> red_max: array<f32, WG_SIZE * N_METRICS>;
var<workgroup> red_counts: array<atomic<u32>, 3>;

fn mc_metric_id(m: u32) -> u32 {
  return mc.metric_ids[m / 4u][m % 4u];
}

// The histogram bin of v for a (cell, metric) pair: 0 underflow, 1..HIST_BINS, HIST_BINS + 1
// overflow. Non-positive values of a log histogram underflow, as log2 would send them there.
fn mc_hist_bin(pair: u32, v: f32) -> u32 {
  let base = mc.pair_table + 4u * pair;
  let origin = bitcast<f32>(tables[base + 1u]);
  let scale = bitcast<f32>(tables[base + 2u]);
  var pos = v;
  if (tables[base + 3u] != 0u) {
    if (!(v > 0.0)) {
      return 0u;
    }
    pos = log2(v);
  }
  let t_bins = (pos - origin) * scale;
  if (t_bins >= f32(HIST_BINS)) {
    return HIST_BINS + 1u;
  }
  if (t_bins >= 0.0) {
    return 1u + min(u32(t_bins), HIST_BINS - 1u);
  }
  return 0u;
}

@compute @workgroup_size(WG_SIZE)
fn mc_main(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let n_metrics = mc.n_metrics;
  let cells = mc.cells;
  let pairs = cells * n_metrics;
  let out_base = wid.x * (pairs * 4u + cells * 3u);
  let hist_on = (mc.mode & MC_MODE_HIST) != 0u;
  let exact_on = (mc.mode & MC_MODE_EXACT) != 0u;

  var draws: array<vec4<f32>, N_SLOTS>;
  var x: array<f32, N_SLOTS>;
  var out: array<f32, N_METRICS>;
  var t_sum: array<f32, N_METRICS>;
  var t_sq: array<f32, N_METRICS>;
  var t_min: array<f32, N_METRICS>;
  var t_max: array<f32, N_METRICS>;

  for (var tile = 0u; tile < mc.tiles; tile++) {
    let rel = (tile * nwg.x + wid.x) * WG_SIZE + lid;
    let has_quad = rel < mc.n_quads;
    var lane_lo = 0u;
    var lane_hi = 0u;
    if (has_quad) {
      lane_hi = 4u;
      if (rel == 0u) {
        lane_lo = mc.first_lane;
      }
      if (rel + 1u == mc.n_quads) {
        lane_hi = mc.last_lane_end;
      }
      // The 64-bit quad index, with the carry of the low word.
      let q_lo = mc.quad_base.x + rel;
      let q_hi = mc.quad_base.y + select(0u, 1u, q_lo < rel);
      for (var r = 0u; r < mc.n_random; r++) {
        draws[r] = sample_param_k(r, q_lo, q_hi, mc.key);
      }
    }

    for (var c = 0u; c < cells; c++) {
      let cell = mc.cell_first + c;
      for (var s = 0u; s < N_SLOTS; s++) {
        x[s] = bitcast<f32>(tables[cell * N_SLOTS + s]);
      }
      for (var m = 0u; m < n_metrics; m++) {
        t_sum[m] = 0.0;
        t_sq[m] = 0.0;
        t_min[m] = MC_F32_MAX;
        t_max[m] = -MC_F32_MAX;
      }
      var n_feasible = 0u;
      var n_infeasible = 0u;
      var n_slo_miss = 0u;

      for (var lane = lane_lo; lane < lane_hi; lane++) {
        for (var r = 0u; r < mc.n_random; r++) {
          x[tables[mc.random_table + r]] = draws[r][lane];
        }
        let flags = model_eval(&x, &out);
        let sample_index = 4u * rel + lane;
        if (exact_on) {
          exact_out[pairs * mc.exact_stride + c * mc.exact_stride + sample_index] = flags;
        }
        if ((flags & MODEL_FEASIBLE) == 0u) {
          n_infeasible++;
          continue;
        }
        n_feasible++;
        if ((flags & MODEL_SLO_MISS) != 0u) {
          n_slo_miss++;
        }
        for (var m = 0u; m < n_metrics; m++) {
          let v = out[mc_metric_id(m)];
          let pair = cell * n_metrics + m;
          let d = v - bitcast<f32>(tables[mc.pair_table + 4u * pair]);
          t_sum[m] += d;
          t_sq[m] += d * d;
          t_min[m] = min(t_min[m], v);
          t_max[m] = max(t_max[m], v);
          let local_pair = c * n_metrics + m;
          if (hist_on) {
            atomicAdd(&hist[local_pair * HIST_STRIDE + mc_hist_bin(pair, v)], 1u);
          }
          if (exact_on) {
            exact_out[local_pair * mc.exact_stride + sample_index] = bitcast<u32>(v);
          }
        }
      }

      // Workgroup reduction of this cell: every metric in one tree.
      for (var m = 0u; m < n_metrics; m++) {
        let i = m * WG_SIZE + lid;
        red_sum[i] = t_sum[m];
        red_sq[i] = t_sq[m];
        red_min[i] = t_min[m];
        red_max[i] = t_max[m];
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

      // Invocation m < n_metrics writes metric m's partial; tiles after the first add to it.
      if (lid < n_metrics) {
        let i = lid * WG_SIZE;
        let o = out_base + (c * n_metrics + lid) * 4u;
        var s1 = red_sum[i];
        var s2 = red_sq[i];
        var lo = red_min[i];
        var hi = red_max[i];
        if (tile > 0u) {
          s1 += bitcast<f32>(partials[o]);
          s2 += bitcast<f32>(partials[o + 1u]);
          lo = min(lo, bitcast<f32>(partials[o + 2u]));
          hi = max(hi, bitcast<f32>(partials[o + 3u]));
        }
        partials[o] = bitcast<u32>(s1);
        partials[o + 1u] = bitcast<u32>(s2);
        partials[o + 2u] = bitcast<u32>(lo);
        partials[o + 3u] = bitcast<u32>(hi);
      }
      if (lid == 0u) {
        let o = out_base + pairs * 4u + c * 3u;
        for (var k = 0u; k < 3u; k++) {
          var n = atomicExchange(&red_counts[k], 0u);
          if (tile > 0u) {
            n += partials[o + k];
          }
          partials[o + k] = n;
        }
      }
      // The next cell reuses the workgroup arrays and counters.
      workgroupBarrier();
    }
  }
}
