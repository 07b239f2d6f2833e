/** explain: its key order, and that it and evaluate (the two forms of the model) agree everywhere. */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import {
  FEASIBLE,
  INTERMEDIATES,
  INTERMEDIATE_COUNT,
  METRICS,
  METRIC_COUNT,
  SLO_MISS,
  evaluate,
  explain,
  intermediatesFor,
  metricsFor,
} from '../src/model/index.js';
import type { ModelConfig } from '../src/model/index.js';
import type { Inputs } from './model-fixtures.js';
import { FLOAT_REL, LLAMA_ON_H100, config, relErr, vector } from './model-fixtures.js';

describe('explain key order: memory, then time, then cost, then metrics', () => {
  it('lists every intermediate quantity of DESIGN.md in that order', () => {
    const keys = Object.keys(explain(vector(LLAMA_ON_H100), config({ sloTtft: 1 })));
    const layout = ['tp_effective', 'dp_attention_effective', 'ep_effective'];
    const memory = ['kv_bytes_per_token', 'kv_replication', 'kv_bytes_per_seq_per_gpu', 'shared_params', 'expert_params',
      'weight_bytes', 'weight_bytes_per_gpu', 'hbm_bytes_usable', 'batch_max', 'batch_effective', 'experts_touched'];
    const time = ['attention_flops_per_token', 't_comm_s', 'comm_share', 't_step_s', 'bound', 'spec_tokens_per_step',
      't_cycle_s', 't_decode_token_s', 'decode_tokens_per_s_per_gpu', 't_prefill_s', 't_offload_load_s', 'queue_wait_s',
      't_request_s'];
    const cost = ['capital_recovery_factor', 'capital_usd_per_gpu_hour', 'maintenance_usd_per_gpu_hour',
      'opex_usd_per_gpu_hour', 'energy_usd_per_gpu_hour', 'facility_usd_per_gpu_hour', 'cost_usd_per_gpu_hour'];
    // batch_effective and cost_usd_per_gpu_hour are metrics too; they keep their first place.
    const metrics = METRICS.filter((m) => m !== 'batch_effective' && m !== 'cost_usd_per_gpu_hour');
    expect(keys).toEqual([...layout, ...memory, ...time, ...cost, ...metrics, 'slo_miss']);
  });
});

/** Random inputs over wide but plausible ranges, dense or MoE, for the parity check below. */
function randomCase(random: () => number): { x: Float64Array; cfg: ModelConfig } {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const between = (lo: number, hi: number): number => lo + (hi - lo) * random();
  const moe = random() < 0.5;
  // experts_per_token < experts: at equality the MoE split is 0/0 (the loader rejects it)
  const experts = moe ? pick([16, 64, 128, 256]) : 1;
  const expertsPerToken = moe ? pick([1, 2, 8]) : 1;
  const paramsTotal = between(1e9, moe ? 700e9 : 120e9);
  const cfg: ModelConfig = {
    throughput: random() < 0.2 ? 1 : 0,
    pricing: pick([0, 1] as const),
    attention: pick([0, 1] as const),
    facility: pick([0, 1, 2] as const),
    speculative: pick([0, 1, 2] as const),
    disaggregated: pick([0, 1] as const),
    sloTokensPerSPerUser: pick([0, 1] as const),
    sloTtft: pick([0, 1] as const),
    measuredUserRate: pick([0, 1] as const),
    measuredTtft: pick([0, 1] as const),
    attentionPeak: pick([0, 1] as const),
    kvOffload: pick([0, 1] as const),
    billing: pick([0, 1] as const),
  };
  const gpus = pick([1, 2, 4, 8, 16, 32]);
  const divisors = [1, 2, 4, 8, 16, 32].filter((d) => gpus % d === 0);
  const tp = pick([0, 0, ...divisors]);
  const inputs: Inputs = {
    peak_tflops: between(300, 5000),
    hbm_gb: pick([80, 141, 192, 288]),
    hbm_tb_per_s: between(2, 8),
    it_power_kw_per_gpu: between(0.8, 2.5),
    params_total: paramsTotal,
    params_active: moe ? paramsTotal * between(0.04, 0.3) : paramsTotal,
    layers: pick([32, 61, 80, 126]),
    heads: pick([32, 64, 128]),
    kv_heads: pick([1, 8, 16]),
    head_dim: pick([64, 128]),
    experts,
    experts_per_token: expertsPerToken,
    kv_lora_rank: 512,
    qk_rope_head_dim: 64,
    weight_bits: pick([4, 8, 16]),
    kv_bits: pick([8, 16]),
    input_tokens: between(100, 30000),
    output_tokens: between(50, 4000),
    prefix_cache_hit_rate: between(0, 0.9),
    gpus_per_replica: gpus,
    tp,
    dp_attention: tp === 0 ? pick([0, ...divisors]) : 0,
    ep: pick([0, ...divisors]),
    comm_overlap: between(0, 1),
    expert_imbalance: between(1, 2),
    attention_tflops: between(300, 2500),
    scale_up_gb_per_s: between(50, 900),
    scale_up_domain: pick([1, 4, 8, 72]),
    scale_out_gb_per_s: between(10, 100),
    collective_latency_us: between(0, 30),
    hidden: pick([4096, 7168, 8192, 16384]),
    offload_hit_rate: between(0, 0.1),
    offload_gb_per_s: between(10, 400),
    offload_capacity_gb: between(0, 2000),
    offload_capex_usd_per_gb: between(0, 10),
    batch_size: between(1, 512),
    utilization: between(0.1, 1),
    mfu_prefill: between(0.2, 0.7),
    mfu_decode: between(0.1, 0.6),
    mbu_decode: between(0.4, 0.9),
    step_overhead_ms: between(0, 10),
    host_overhead_us_per_seq: between(0, 100),
    hbm_usable_fraction: between(0.8, 0.95),
    draft_tokens: between(0, 10),
    acceptance_rate: between(0.3, 1),
    draft_cost_ratio: between(0, 0.2),
    acceptance_p1: between(0.5, 1),
    acceptance_p2: between(0.5, 1),
    acceptance_p3: between(0.5, 1),
    acceptance_p4: between(0.5, 1),
    acceptance_p5: between(0.5, 1),
    acceptance_p6: between(0.5, 1),
    acceptance_p7: between(0.5, 1),
    acceptance_p8: between(0.5, 1),
    prefill_gpus: pick([1, 2, 4, 8]),
    disagg_mfu_prefill: between(0.2, 0.7),
    slo_min_tokens_per_s_per_user: between(5, 100),
    slo_max_ttft_s: between(0.05, 5),
    measured_output_tokens_per_s_per_gpu: between(100, 5000),
    measured_tokens_per_s_per_user: between(5, 200),
    measured_ttft_s: between(0.05, 3),
    capex_usd_per_gpu: between(15000, 60000),
    life_years: between(3, 7),
    cost_of_capital: pick([0, between(0.02, 0.15)]),
    residual_fraction: between(0, 0.3),
    maintenance_fraction_per_year: between(0, 0.1),
    opex_usd_per_gpu_year: between(0, 5000),
    colocation_usd_per_kw_month: between(100, 300),
    facility_capex_usd_per_mw: between(5e6, 15e6),
    facility_life_years: between(10, 25),
    pue: between(1.05, 1.6),
    power_price_usd_per_kwh: between(0.03, 0.2),
    idle_power_fraction: between(0.1, 0.5),
    cloud_usd_per_gpu_hour: between(1, 10),
    autoscaling_efficiency: between(0.3, 1),
  };
  return { x: vector(inputs), cfg };
}

describe('evaluate and explain are the same model', () => {
  // evaluate inlines the helpers explain calls, and takes (1+r)^-n as exp(-n log1p r) where the
  // helpers use Math.pow: the two differ by a few ulps per operation over chains of at most ~40
  // operations, so FLOAT_REL (1e-12 relative, ~4500 ulps) bounds them with a wide margin.

  it('agrees on feasibility, SLO flags and every defined metric for 5000 random cases', () => {
    const random = seedrandom('model-explain-parity');
    const out = new Float64Array(METRIC_COUNT);
    const inter = new Float64Array(INTERMEDIATE_COUNT);
    let feasible = 0;
    let infeasible = 0;
    let misses = 0;
    for (let c = 0; c < 5000; c++) {
      const { x, cfg } = randomCase(random);
      const flags = evaluate(x, cfg, out, inter);
      const values = explain(x, cfg);
      expect(flags & FEASIBLE, `case ${c}`).toBe(values.infeasible === true ? 0 : FEASIBLE);
      if (values.infeasible === true) {
        infeasible++;
        expect(flags).toBe(0);
        continue;
      }
      feasible++;
      expect((flags & SLO_MISS) !== 0, `case ${c}`).toBe(values.slo_miss === true);
      if (values.slo_miss === true) misses++;
      metricsFor(cfg).forEach((metric) => {
        const i = METRICS.indexOf(metric);
        expect(relErr(out[i]!, values[metric] as number), `case ${c} ${metric}`).toBeLessThan(FLOAT_REL);
      });
      // The intermediates evaluate writes for metric expressions are the ones explain shows.
      intermediatesFor(cfg).forEach((name) => {
        const i = INTERMEDIATES.indexOf(name);
        expect(relErr(inter[i]!, values[name] as number), `case ${c} ${name}`).toBeLessThan(FLOAT_REL);
      });
    }
    // The ranges must exercise both branches, or this test proves little.
    expect(feasible).toBeGreaterThan(1000);
    expect(infeasible).toBeGreaterThan(100);
    expect(misses).toBeGreaterThan(100);
  });

  it('writes 0 for the metrics a configuration does not define', () => {
    const cfg = config({ throughput: 1 });
    const out = new Float64Array(METRIC_COUNT).fill(Number.NaN);
    evaluate(vector({ ...LLAMA_ON_H100, measured_output_tokens_per_s_per_gpu: 1000 }), cfg, out);
    const defined = new Set(metricsFor(cfg));
    METRICS.forEach((m, i) => {
      if (!defined.has(m)) expect(out[i], m).toBe(0);
    });
  });
});
