/**
 * A Monte Carlo kernel generated for one plan: the entry point
 * `mc_spec_main`, appended after shaders/mc.wgsl, which does what `mc_main` does, with what the
 * plan fixes written into its source as constants: the slots of the random and swept inputs, each
 * random input's distribution kind and parameters (the f32 bit patterns of the parameter table, so
 * the values are exactly the generic kernel's), the constant inputs, and the metric list, whose
 * loops are unrolled into one set of scalar partials per metric. It keeps no per-invocation array
 * that is indexed by a run-time value (a GPU would spill it to local memory).
 *
 * What still comes from the buffers at run time: the chunk and pass (uniform block), the swept
 * inputs' values per cell, the per-(cell, metric) shifts and histogram mappings (they change per
 * run), and for Latin hypercube and Sobol runs and the beta tables, the parameter table.
 *
 * The u32 random streams are the generic kernel's bit for bit (the same Philox counters and key),
 * the inverse CDFs the same functions of shaders/distributions.wgsl on the same f32 parameters,
 * and the reductions the same tree in the same order.
 */
import { METRIC_COUNT, SLOT_COUNT } from '../../model/index.js';
import type { Plan } from '../../plan/index.js';
import { DIST_KIND, PARAM_ENTRY_WORDS, PARAM_HEADER_WORDS } from '../../sampling/index.js';

/** Header word of the parameter table with the copula block's offset (0: no input is correlated). */
const PARAM_COPULA_WORD = 4;
import type { KernelSpec } from './custom.js';
import { encodeTables, PAIR_TABLE_WORDS, type KernelPlan } from './layout.js';

/** Entry point of a specialised kernel. */
export const SPEC_ENTRY = 'mc_spec_main';
/** Random inputs past this many make the source long to compile: such plans use the generic kernel. */
const MAX_SPEC_RANDOM = 256;
/** Discrete values written as an unrolled chain of selects; longer tables are read from params. */
const MAX_INLINE_DISCRETE = 64;
const SCHEME_RANDOM = 0;

/** A finite f32 bit pattern as a WGSL constant expression (exact); null when it is not finite. */
function f32Lit(bits: number): string | null {
  if (((bits >>> 23) & 0xff) === 0xff) return null;
  return `bitcast<f32>(0x${(bits >>> 0).toString(16).padStart(8, '0')}u)`;
}

class NotSpecialisable extends Error {}

/**
 * mc_reduce with subgroup operations (mc.wgsl's mc_reduce has the tree): each subgroup's results
 * at index m * WG_SIZE + its index, then invocation m adds metric m's n_sg results in subgroup
 * order into index m * WG_SIZE, where mc_reduce_write reads them. Needs `enable subgroups`.
 */
const REDUCE_SG = `// Workgroup reduction with subgroup operations (src/engine/gpu/specialise.ts).
fn mc_reduce_sg(
  lid: u32, c: u32, accumulate: bool, out_base: u32, pairs: u32,
  t_sum: ptr<function, array<f32, MC_N_RED>>, t_sq: ptr<function, array<f32, MC_N_RED>>,
  t_min: ptr<function, array<f32, MC_N_RED>>, t_max: ptr<function, array<f32, MC_N_RED>>,
  t_bad: ptr<function, array<u32, MC_N_RED>>,
  n_feasible: u32, n_infeasible: u32, n_slo_miss: u32,
  sg_lane: u32, sg_index: u32, n_sg: u32,
) {
  let n_metrics = mc.n_metrics;
  for (var m = 0u; m < n_metrics; m++) {
    let s1 = subgroupAdd((*t_sum)[m]);
    let s2 = subgroupAdd((*t_sq)[m]);
    let lo = subgroupMin((*t_min)[m]);
    let hi = subgroupMax((*t_max)[m]);
    if (sg_lane == 0u) {
      let i = m * WG_SIZE + sg_index;
      red_sum[i] = s1;
      red_sq[i] = s2;
      red_min[i] = lo;
      red_max[i] = hi;
    }
    if ((*t_bad)[m] != 0u) {
      atomicAdd(&red_bad[m], (*t_bad)[m]);
    }
  }
  atomicAdd(&red_counts[0], n_feasible);
  atomicAdd(&red_counts[1], n_infeasible);
  atomicAdd(&red_counts[2], n_slo_miss);
  workgroupBarrier();
  if (lid < n_metrics) {
    let i = lid * WG_SIZE;
    var s1 = red_sum[i];
    var s2 = red_sq[i];
    var lo = red_min[i];
    var hi = red_max[i];
    for (var k = 1u; k < n_sg; k++) {
      s1 += red_sum[i + k];
      s2 += red_sq[i + k];
      lo = min(lo, red_min[i + k]);
      hi = max(hi, red_max[i + k]);
    }
    red_sum[i] = s1;
    red_sq[i] = s2;
    red_min[i] = lo;
    red_max[i] = hi;
  }
  mc_reduce_write(lid, c, n_metrics, accumulate, out_base, pairs);
}
`;

function lit(bits: number): string {
  const s = f32Lit(bits);
  if (s === null) throw new NotSpecialisable('a constant that is not a finite f32');
  return s;
}

/**
 * The WGSL of the specialised entry point for a plan, or null when the plan is to run on the
 * generic kernel (too many random inputs, or a constant that is not a finite f32).
 * `constants` is the generated part the kernel is composed with (./custom.ts): it defines
 * MC_N_INPUTS, MC_N_XC, MC_N_COUT, MC_COST_MODEL and MC_CUSTOM, and mc_custom4.
 */
export function specialisedEntry(plan: Plan, kp: KernelPlan, options: SpecialiseOptions = {}): string | null {
  if (kp.randomSlots.length > MAX_SPEC_RANDOM) return null;
  // Correlated inputs (a copula block in the parameter table) run on the generic kernel.
  if (kp.params[PARAM_COPULA_WORD] !== 0) return null;
  try {
    return generate(plan, kp, options.subgroups === true, options.tileGroup ?? 1);
  } catch (e) {
    if (e instanceof NotSpecialisable) return null;
    throw e;
  }
}

export interface SpecialiseOptions {
  /**
   * Reduce with subgroup operations (the device has the `subgroups` feature): each subgroup
   * adds its invocations' partials (subgroupAdd, subgroupMin, subgroupMax), and invocation m
   * adds the subgroups' results of metric m in subgroup order. Without, or when a workgroup's
   * subgroups are not consecutive runs of local_invocation_index, the barrier tree of mc_reduce.
   */
  subgroups?: boolean;
  /**
   * Tiles (a positive integer) an invocation runs between two reductions of a plan of several
   * cells (default 1): its
   * quads' random inputs are drawn first and kept, then each cell evaluates all of them and
   * reduces once. More tiles a group mean fewer reductions (two workgroup barriers and the
   * subgroup operations of every metric, per cell) at the cost of keeping the draws; a software
   * adapter, whose barriers are costly and whose arrays live in memory anyway, takes
   * TILE_GROUP_SOFTWARE (src/engine/gpu/engine.ts). Plans of one cell reduce once per dispatch.
   */
  tileGroup?: number;
}

/** Specialises a generic kernel spec (plain or with metric expressions) for a plan, or null. */
export function specialisedKernel(plan: Plan, kp: KernelPlan, base: KernelSpec, options: SpecialiseOptions = {}): KernelSpec | null {
  const entry = specialisedEntry(plan, kp, options);
  if (entry === null) return null;
  return {
    ...base,
    source: `${base.source}\n${entry}`,
    entryPoint: SPEC_ENTRY,
    ...(options.subgroups ? { enable: ['subgroups'] } : {}),
  };
}

function generate(plan: Plan, kp: KernelPlan, subgroups: boolean, tileGroupOption: number): string {
  const nm = kp.metrics;
  const single = kp.cells === 1;
  const group = single ? 1 : tileGroupOption;
  const p = kp.params;
  const scheme = p[0]!;
  const randomSet = new Set(kp.randomSlots);
  const sweptSet = new Set(kp.sweptSlots);
  const cellTable = encodeTables(plan, kp, new Float64Array(kp.cells * kp.metrics), undefined).words;

  /** Plan input s of all four lanes: a model slot x[s], or the plan's own input xc[s - N_SLOTS]. */
  const input = (s: number): string => (s < SLOT_COUNT ? `x[${s}u]` : `xc[${s - SLOT_COUNT}u]`);
  const L: string[] = [];
  const line = (indent: number, text: string) => L.push(`${'  '.repeat(indent)}${text}`);

  L.push(`// ---- specialised entry point (src/engine/gpu/specialise.ts): ${kp.randomSlots.length} random input(s), ${kp.sweptSlots.length} swept, ${nm} metric(s), ${single ? 'one cell' : `${kp.cells} cells, ${group} tile(s) a reduction`}`);
  if (subgroups) L.push(REDUCE_SG);
  if (subgroups) {
    L.push('// Set by an invocation whose subgroup is not the run of WG of local_invocation_index its');
    L.push('// index predicts: the workgroup then reduces with the barrier tree.');
    L.push('var<workgroup> mc_sg_irregular: u32;');
  }
  L.push('@compute @workgroup_size(WG_SIZE)');
  L.push(`fn ${SPEC_ENTRY}(`);
  L.push('  @builtin(local_invocation_index) lid: u32,');
  L.push('  @builtin(workgroup_id) wid: vec3<u32>,');
  if (subgroups) {
    L.push('  @builtin(subgroup_invocation_id) sg_lane: u32,');
    L.push('  @builtin(subgroup_size) sg_size: u32,');
  }
  L.push(') {');
  if (subgroups) {
    line(1, 'let sg_index = lid / sg_size;');
    line(1, 'let n_sg = WG_SIZE / sg_size;');
    line(1, 'let sg_first = subgroupBroadcastFirst(lid);');
    line(1, 'if (sg_size > WG_SIZE || WG_SIZE % sg_size != 0u || sg_lane != lid % sg_size || sg_first != lid - sg_lane) {');
    line(2, 'mc_sg_irregular = 1u;');
    line(1, '}');
    line(1, 'let sg_tree = workgroupUniformLoad(&mc_sg_irregular) != 0u;');
  }
  line(1, `let cells = ${single ? '1u' : 'mc.cells'};`);
  line(1, `let pairs = cells * ${nm}u;`);
  line(1, 'let out_base = wid.x * (pairs * MC_PAIR_WORDS + cells * 3u);');
  line(1, 'let hist_on = (mc.mode & MC_MODE_HIST) != 0u;');
  line(1, 'let exact_on = (mc.mode & MC_MODE_EXACT) != 0u;');
  line(1, 'let bins_on = (mc.mode & MC_MODE_BINS) != 0u;');
  line(1, 'let hist_copy = mc_hist_copy(wid.x, pairs);');
  line(1, 'var x: array<vec4<f32>, N_SLOTS>;');
  line(1, 'var xc: array<vec4<f32>, MC_N_XC>;');
  line(1, 'var out: array<vec4<f32>, N_METRICS>;');
  line(1, 'var cout: array<vec4<f32>, MC_N_COUT>;');
  line(1, '// The inputs every cell and sample shares.');
  for (let s = 0; s < kp.inputStride; s++) {
    if (randomSet.has(s) || sweptSet.has(s)) continue;
    line(1, `${input(s)} = vec4<f32>(${lit(cellTable[s]!)});`);
  }
  line(1, `var mv: array<vec4<f32>, ${nm}>;`);
  line(1, `var hb: array<vec4<u32>, ${nm}>;`);
  line(1, `var hn: array<vec4<u32>, ${nm}>;`);
  line(1, `var t_same: array<u32, ${nm}>;`);
  line(1, 'var n_feasible = 0u;');
  line(1, 'var n_infeasible = 0u;');
  line(1, 'var n_slo_miss = 0u;');
  for (let m = 0; m < nm; m++) {
    line(1, `var t${m}_sum = 0.0;`);
    line(1, `var t${m}_sq = 0.0;`);
    line(1, `var t${m}_min = MC_F32_MAX;`);
    line(1, `var t${m}_max = -MC_F32_MAX;`);
    line(1, `var t${m}_bad = 0u;`);
  }
  /** The pair table row of metric m of the cell `cellExpr`, read into k{m}_*. */
  const pairReads = (indent: number, cellExpr: string) => {
    for (let m = 0; m < nm; m++) {
      const row = `mc.pair_table + ${PAIR_TABLE_WORDS}u * (${cellExpr} * ${nm}u + ${m}u)`;
      line(indent, `let k${m}_shift = bitcast<f32>(tables[${row}]);`);
      line(indent, `let k${m}_origin = bitcast<f32>(tables[${row} + 1u]);`);
      line(indent, `let k${m}_scale = bitcast<f32>(tables[${row} + 2u]);`);
      line(indent, `let k${m}_log = tables[${row} + 3u] != 0u;`);
    }
  };
  if (single) pairReads(1, 'mc.cell_first');

  const nr = kp.randomSlots.length;
  /**
   * The quad of invocation lid in tile `tile` (a u32 in scope): rel, has_quad, and the lanes of
   * the quad that are samples of the chunk (lane_lo up to lane_hi, as a mask `valid`; none
   * without a quad).
   * Workgroup w takes the tiles * WG_SIZE consecutive quads from w * tiles * WG_SIZE (mc.wgsl).
   */
  const quadHead = (i: number) => {
    line(i, 'let rel = (wid.x * mc.tiles + tile) * WG_SIZE + lid;');
    line(i, 'let has_quad = rel < mc.n_quads;');
    line(i, 'var lane_lo = 4u;');
    line(i, 'var lane_hi = 0u;');
    line(i, 'if (has_quad) {');
    line(i + 1, 'lane_lo = select(0u, mc.first_lane, rel == 0u);');
    line(i + 1, 'lane_hi = select(4u, mc.last_lane_end, rel + 1u == mc.n_quads);');
    line(i, '}');
    line(i, 'let lanes = vec4<u32>(0u, 1u, 2u, 3u);');
    line(i, 'let valid = (lanes >= vec4<u32>(lane_lo)) & (lanes < vec4<u32>(lane_hi));');
  };
  /** The quad's random inputs, drawn into their slots (within `if (has_quad)`). */
  const draws = (i: number) => {
    line(i, 'let q_lo = mc.quad_base.x + rel;');
    line(i, 'let q_hi = mc.quad_base.y + select(0u, 1u, q_lo < rel);');
    if (nr > 0) {
      // The uniforms of every random input first, in one loop whose trip count comes from the
      // uniform block (mc.n_random, the same number): the Philox rounds appear once in the code,
      // which keeps the kernel quick to compile; the loop's array is read at constant indices.
      const streams = kp.randomSlots.map((_, r) => `0x${p[PARAM_HEADER_WORDS + r * PARAM_ENTRY_WORDS + 1]!.toString(16)}u`);
      line(i, `var u: array<vec4<f32>, ${nr}>;`);
      line(i, `let streams = array<u32, ${nr}>(${streams.join(', ')});`);
      line(i, 'for (var r = 0u; r < mc.n_random; r++) {');
      line(i + 1,
        scheme === SCHEME_RANDOM
          ? 'u[r] = u01(philox4x32_10(vec4<u32>(q_lo, q_hi, streams[r], 0u), mc.key));'
          : 'u[r] = dist_uniforms(r, streams[r], q_lo, q_hi, mc.key);',
      );
      line(i, '}');
    }
    kp.randomSlots.forEach((slot, r) => {
      const e = PARAM_HEADER_WORDS + r * PARAM_ENTRY_WORDS;
      const kind = p[e]!;
      const aux = p[e + 2]!;
      const auxCount = p[e + 3]!;
      const q = (k: number) => lit(p[e + 6 + k]!);
      const target = input(slot);
      const u = `u[${r}]`;
      const v = `1.0 - u[${r}]`;
      switch (kind) {
        case DIST_KIND.uniform:
          line(i, `${target} = dist_uniform4(${u}, ${q(0)}, ${q(1)});`);
          break;
        case DIST_KIND.normal:
          line(i, `${target} = dist_normal4(${u}, ${v}, ${q(0)}, ${q(1)}, ${q(2)}, ${q(3)}, ${q(4)});`);
          break;
        case DIST_KIND.lognormal:
          line(i, `${target} = dist_lognormal4(${u}, ${v}, ${q(0)}, ${q(1)});`);
          break;
        case DIST_KIND.triangular:
          line(i, `${target} = dist_triangular4(${u}, ${v}, ${q(0)}, ${q(1)}, ${q(2)}, ${q(3)}, ${q(4)});`);
          break;
        case DIST_KIND.beta:
          line(i, `${target} = dist_beta(${r}u, ${u}, ${v});`);
          break;
        case DIST_KIND.discrete:
          if (auxCount > MAX_INLINE_DISCRETE) {
            line(i, `${target} = dist_discrete(${r}u, ${u});`);
          } else {
            // dist_discrete unrolled: from the last value down, the first j with u < cum[j] wins.
            line(i, '{');
            line(i + 1, `var v = vec4<f32>(${lit(p[aux + auxCount - 1]!)});`);
            for (let j = auxCount - 1; j > 0; j--) {
              line(i + 1, `v = select(v, vec4<f32>(${lit(p[aux + j - 1]!)}), ${u} < vec4<f32>(${lit(p[aux + auxCount + j - 1]!)}));`);
            }
            line(i + 1, `${target} = v;`);
            line(i, '}');
          }
          break;
        default:
          // const never reaches the table as a random input (kernelPlan).
          throw new NotSpecialisable(`distribution kind ${kind}`);
      }
    });
  };
  /**
   * A quad's evaluation for cell c (with `cell` and its pair table row k{m}_* in scope): the
   * model, the counts, and per metric the sums, extremes, and histogram bins or exact values.
   */
  const quadBody = (d: number) => {
    line(d, 'var flags = vec4<u32>(MODEL_FEASIBLE);');
    line(d, 'if (MC_COST_MODEL) {');
    line(d + 1, 'flags = model_eval4(&x, &out);');
    line(d, '}');
    line(d, 'if (MC_CUSTOM) {');
    line(d + 1, 'mc_custom4(&x, &xc, &out, &cout);');
    line(d, '}');
    line(d, 'let feasible = valid & ((flags & vec4<u32>(MODEL_FEASIBLE)) != vec4<u32>(0u));');
    line(d, 'let slo_miss = feasible & ((flags & vec4<u32>(MODEL_SLO_MISS)) != vec4<u32>(0u));');
    line(d, 'n_feasible += dot(select(vec4<u32>(0u), vec4<u32>(1u), feasible), vec4<u32>(1u));');
    line(d, 'n_infeasible += dot(select(vec4<u32>(0u), vec4<u32>(1u), valid & !feasible), vec4<u32>(1u));');
    line(d, 'n_slo_miss += dot(select(vec4<u32>(0u), vec4<u32>(1u), slo_miss), vec4<u32>(1u));');
    line(d, 'let sample0 = 4u * rel;');
    line(d, 'if (exact_on) {');
    line(d + 1, 'for (var lane = lane_lo; lane < lane_hi; lane++) {');
    line(d + 2, 'exact_out[pairs * mc.exact_stride + c * mc.exact_stride + sample0 + lane] = flags[lane];');
    line(d + 1, '}');
    line(d, '}');
    line(d, 'if (any(feasible)) {');
    kp.metricIds.forEach((id, m) => {
      const e = d + 1;
      line(e, '{');
      line(e + 1, `let v = ${id < METRIC_COUNT ? `out[${id}u]` : `cout[${id - METRIC_COUNT}u]`};`);
      line(e + 1, `mv[${m}] = v;`);
      line(e + 1, 'let finite = mc_is_finite4(v);');
      line(e + 1, 'let use_lane = feasible & finite;');
      line(e + 1, `t${m}_bad += dot(select(vec4<u32>(0u), vec4<u32>(1u), feasible & !finite), vec4<u32>(1u));`);
      line(e + 1, `let d = v - k${m}_shift;`);
      line(e + 1, `t${m}_sum += mc_lane_sum(d, use_lane);`);
      line(e + 1, `t${m}_sq += mc_lane_sum(d * d, use_lane);`);
      line(e + 1, 'let lo = select(vec4<f32>(MC_F32_MAX), v, use_lane);');
      line(e + 1, 'let hi = select(vec4<f32>(-MC_F32_MAX), v, use_lane);');
      line(e + 1, `t${m}_min = min(t${m}_min, min(min(lo.x, lo.y), min(lo.z, lo.w)));`);
      line(e + 1, `t${m}_max = max(t${m}_max, max(max(hi.x, hi.y), max(hi.z, hi.w)));`);
      line(e + 1, 'if (bins_on) {');
      line(e + 2, `let bins = select(vec4<u32>(0xffffu), mc_hist_bins_at(k${m}_origin, k${m}_scale, k${m}_log, v), use_lane);`);
      line(e + 2, `let w = (c * ${nm}u + ${m}u) * mc.exact_stride + 2u * rel;`);
      line(e + 2, 'exact_out[w] = bins.x | (bins.y << 16u);');
      line(e + 2, 'exact_out[w + 1u] = bins.z | (bins.w << 16u);');
      line(e + 1, '}');
      line(e + 1, 'if (hist_on) {');
      // Values equal to the pair's shift (a metric that was constant in the pilot has that value as
      // its shift) are counted here and added to their one bin at the reduction, so a constant
      // metric does not take an atomic per sample on a single bin. The counts are the same.
      line(e + 2, `let same = use_lane & (v == vec4<f32>(k${m}_shift));`);
      line(e + 2, `t_same[${m}] += dot(select(vec4<u32>(0u), vec4<u32>(1u), same), vec4<u32>(1u));`);
      line(e + 2, `hn[${m}] = select(vec4<u32>(0u), vec4<u32>(1u), use_lane & !same);`);
      line(e + 2, `hb[${m}] = vec4<u32>(hist_copy + (c * ${nm}u + ${m}u) * HIST_STRIDE) + mc_hist_bins_at(k${m}_origin, k${m}_scale, k${m}_log, v);`);
      line(e + 1, '}');
      line(e, '}');
    });
    // The histograms' atomic adds, most of the code, are written once, in a loop over the metrics
    // (mc.n_metrics, the same number) that reads the bins and counts the unrolled code above
    // worked out (hb, hn), so that the kernel compiles quickly.
    line(d + 1, 'if (hist_on) {');
    line(d + 2, 'for (var m = 0u; m < mc.n_metrics; m++) {');
    line(d + 3, 'let n = hn[m];');
    line(d + 3, 'if (any(n != vec4<u32>(0u))) {');
    line(d + 4, 'let b = hb[m];');
    for (const c of ['x', 'y', 'z', 'w']) line(d + 4, `atomicAdd(&hist[b.${c}], n.${c});`);
    line(d + 3, '}');
    line(d + 2, '}');
    line(d + 1, '}');
    line(d + 1, 'if (exact_on) {');
    line(d + 2, 'for (var m = 0u; m < mc.n_metrics; m++) {');
    line(d + 3, 'let v = mv[m];');
    line(d + 3, 'let finite = mc_is_finite4(v);');
    line(d + 3, 'for (var lane = lane_lo; lane < lane_hi; lane++) {');
    line(d + 4, `exact_out[(c * ${nm}u + m) * mc.exact_stride + sample0 + lane] = select(0x7fc00000u, bitcast<u32>(v[lane]), finite[lane]);`);
    line(d + 3, '}');
    line(d + 2, '}');
    line(d + 1, '}');
    line(d, '} else if (bins_on && has_quad) {');
    // No sample of the quad is counted: its words are written all the same (the host reads them all).
    line(d + 1, 'for (var m = 0u; m < mc.n_metrics; m++) {');
    line(d + 2, `let w = (c * ${nm}u + m) * mc.exact_stride + 2u * rel;`);
    line(d + 2, 'exact_out[w] = 0xffffffffu;');
    line(d + 2, 'exact_out[w + 1u] = 0xffffffffu;');
    line(d + 1, '}');
    line(d, '}');
  };
  /**
   * The workgroup reduction of cell c, `when` a WGSL condition, adding to the partials written
   * before when `accumulate`; then the invocation's accumulators start again.
   */
  const reduction = (d: number, when: string, accumulate: string) => {
    // The workgroup reduction: the scalar partials into mc_reduce's arrays (constant indices),
    // then mc_reduce itself (or mc_reduce_sg), whose loops over the metrics are written once.
    line(d, `if (${when}) {`);
    const r = d + 1;
    line(r, 'var r_sum: array<f32, MC_N_RED>;');
    line(r, 'var r_sq: array<f32, MC_N_RED>;');
    line(r, 'var r_min: array<f32, MC_N_RED>;');
    line(r, 'var r_max: array<f32, MC_N_RED>;');
    line(r, 'var r_bad: array<u32, MC_N_RED>;');
    for (let m = 0; m < nm; m++) {
      line(r, `r_sum[${m}] = t${m}_sum;`);
      line(r, `r_sq[${m}] = t${m}_sq;`);
      line(r, `r_min[${m}] = t${m}_min;`);
      line(r, `r_max[${m}] = t${m}_max;`);
      line(r, `r_bad[${m}] = t${m}_bad;`);
    }
    const call = (fn: string) =>
      `${fn}(lid, c, ${accumulate}, out_base, pairs, &r_sum, &r_sq, &r_min, &r_max, &r_bad, n_feasible, n_infeasible, n_slo_miss);`;
    if (subgroups) {
      line(r, 'if (sg_tree) {');
      line(r + 1, call('mc_reduce'));
      line(r, '} else {');
      line(r + 1, `${call('mc_reduce_sg').slice(0, -2)}, sg_lane, sg_index, n_sg);`);
      line(r, '}');
    } else {
      line(r, call('mc_reduce'));
    }
    line(r, 'for (var m = 0u; m < mc.n_metrics; m++) {');
    line(r + 1, 'if (t_same[m] != 0u) {');
    line(r + 2, `let row_t = mc.pair_table + ${PAIR_TABLE_WORDS}u * (cell * ${nm}u + m);`);
    line(r + 2, 'let bin = mc_hist_bins_at(bitcast<f32>(tables[row_t + 1u]), bitcast<f32>(tables[row_t + 2u]), tables[row_t + 3u] != 0u, vec4<f32>(bitcast<f32>(tables[row_t]))).x;');
    line(r + 2, `atomicAdd(&hist[hist_copy + (c * ${nm}u + m) * HIST_STRIDE + bin], t_same[m]);`);
    line(r + 2, 't_same[m] = 0u;');
    line(r + 1, '}');
    line(r, '}');
    for (let m = 0; m < nm; m++) {
      line(r, `t${m}_sum = 0.0;`);
      line(r, `t${m}_sq = 0.0;`);
      line(r, `t${m}_min = MC_F32_MAX;`);
      line(r, `t${m}_max = -MC_F32_MAX;`);
      line(r, `t${m}_bad = 0u;`);
    }
    line(r, 'n_feasible = 0u;');
    line(r, 'n_infeasible = 0u;');
    line(r, 'n_slo_miss = 0u;');
    line(d, '}');
  };

  if (single) {
    // One cell: the accumulators run over all the workgroup's tiles and reduce once.
    line(1, 'for (var tile = 0u; tile < mc.tiles; tile++) {');
    quadHead(2);
    line(2, 'if (has_quad) {');
    draws(3);
    line(2, '}');
    line(2, '{');
    line(3, 'let c = 0u;');
    line(3, 'let cell = mc.cell_first;');
    quadBody(3);
    reduction(3, 'tile + 1u == mc.tiles', 'false');
    line(2, '}');
    line(1, '}');
  } else {
    // Several cells: the random inputs of a group of tiles are drawn once and kept (xs), then
    // each cell evaluates every quad of the group and reduces its accumulators.
    line(1, `for (var tile0 = 0u; tile0 < mc.tiles; tile0 += ${group}u) {`);
    line(2, `var xs: array<vec4<f32>, ${Math.max(1, group * nr)}>;`);
    line(2, `for (var g = 0u; g < ${group}u; g++) {`);
    line(3, 'let tile = tile0 + g;');
    line(3, 'let rel = (wid.x * mc.tiles + tile) * WG_SIZE + lid;');
    line(3, 'if (tile < mc.tiles && rel < mc.n_quads) {');
    draws(4);
    kp.randomSlots.forEach((slot, r) => line(4, `xs[g * ${nr}u + ${r}u] = ${input(slot)};`));
    line(3, '}');
    line(2, '}');
    line(2, 'for (var c = 0u; c < cells; c++) {');
    line(3, 'let cell = mc.cell_first + c;');
    for (const s of kp.sweptSlots) {
      line(3, `${input(s)} = vec4<f32>(bitcast<f32>(tables[cell * MC_N_INPUTS + ${s}u]));`);
    }
    pairReads(3, 'cell');
    line(3, `for (var g = 0u; g < ${group}u; g++) {`);
    line(4, 'let tile = tile0 + g;');
    line(4, 'if (tile < mc.tiles) {');
    quadHead(5);
    kp.randomSlots.forEach((slot, r) => line(5, `${input(slot)} = xs[g * ${nr}u + ${r}u];`));
    quadBody(5);
    line(4, '}');
    line(3, '}');
    reduction(3, 'true', 'tile0 > 0u');
    line(2, '}');
    line(1, '}');
  }
  L.push('}');
  L.push('');
  return L.join('\n');
}
