/** docs/model.md "Cost per GPU-hour" and "Metrics": financing, power, facility, pricing, the metric identities. */
import { describe, expect, it } from 'vitest';
import {
  FEASIBLE,
  HOURS_PER_YEAR,
  SLO_MISS,
  METRICS,
  capitalRecoveryFactor,
  capitalUsdPerGpuHour,
  energyUsdPerGpuHour,
  explain,
  facilityUsdPerGpuHour,
  metricsFor,
} from '../src/model/index.js';
import type { Inputs } from './model-fixtures.js';
import { FLOAT_REL, LLAMA_ON_H100, config, relErr, run, vector } from './model-fixtures.js';

describe('capital recovery factor', () => {
  it('crf(0.10, 5) = 0.263797 (published check, 6 digits)', () => {
    expect(capitalRecoveryFactor(0.1, 5).toFixed(6)).toBe('0.263797');
  });

  it('crf(0, n) = 1/n: straight-line recovery without interest', () => {
    expect(capitalRecoveryFactor(0, 4)).toBe(1 / 4);
    expect(capitalRecoveryFactor(0, 7)).toBe(1 / 7);
  });

  it('exceeds r by r / ((1+r)^n - 1) (the sinking-fund share), which vanishes as the life grows', () => {
    let previousExcess = Infinity;
    for (const years of [5, 20, 60]) {
      const excess = capitalRecoveryFactor(0.08, years) - 0.08;
      // subtracting r cancels ~log10(crf / excess) digits: 1e-9 relative leaves room for 1e-12 * 1e3
      expect(relErr(excess, 0.08 / (1.08 ** years - 1))).toBeLessThan(1e-9);
      expect(excess).toBeLessThan(previousExcess);
      previousExcess = excess;
    }
  });

  it('pays back exactly the capital: crf times the annuity factor is 1', () => {
    // annuity factor = sum_{t=1..n} (1+r)^-t
    let annuity = 0;
    for (let t = 1; t <= 6; t++) annuity += 1.07 ** -t;
    expect(relErr(capitalRecoveryFactor(0.07, 6) * annuity, 1)).toBeLessThan(FLOAT_REL);
  });
});

describe('owned cost per GPU-hour', () => {
  const values = explain(vector(LLAMA_ON_H100), config({ facility: 1 }));

  it('capital = capex (1 - s (1+r)^-n) crf / 8760', () => {
    const hand = (32000 * (1 - 0.1 * 1.1 ** -5) * capitalRecoveryFactor(0.1, 5)) / 8760;
    expect(relErr(values.capital_usd_per_gpu_hour as number, hand)).toBeLessThan(FLOAT_REL);
    expect(capitalUsdPerGpuHour(32000, 0, 4, 0)).toBe(32000 / 4 / HOURS_PER_YEAR);
  });

  it('maintenance = m capex / 8760 and opex = opex per year / 8760', () => {
    expect(relErr(values.maintenance_usd_per_gpu_hour as number, (0.05 * 32000) / 8760)).toBeLessThan(FLOAT_REL);
    expect(relErr(values.opex_usd_per_gpu_hour as number, 1000 / 8760)).toBeLessThan(FLOAT_REL);
  });

  it('energy = IT kW (idle + (1 - idle) u) PUE price', () => {
    // 1.4 kW * (0.3 + 0.7 * 0.6) * 1.3 * $0.08/kWh
    expect(relErr(values.energy_usd_per_gpu_hour as number, 1.4 * 0.72 * 1.3 * 0.08)).toBeLessThan(FLOAT_REL);
  });

  it('energy at u = 0 is the idle draw, and at u = 1 the full draw', () => {
    expect(relErr(energyUsdPerGpuHour(1.4, 0.3, 0, 1.3, 0.08), 1.4 * 0.3 * 1.3 * 0.08)).toBeLessThan(FLOAT_REL);
    expect(relErr(energyUsdPerGpuHour(1.4, 0.3, 1, 1.3, 0.08), 1.4 * 1.3 * 0.08)).toBeLessThan(FLOAT_REL);
  });

  it('the total is the sum of its five parts', () => {
    const parts = ['capital', 'maintenance', 'opex', 'energy', 'facility'].map(
      (p) => values[`${p}_usd_per_gpu_hour`] as number,
    );
    expect(relErr(parts.reduce((a, b) => a + b), values.cost_usd_per_gpu_hour as number)).toBeLessThan(FLOAT_REL);
  });
});

describe('facility modes', () => {
  it('0: no facility cost', () => {
    expect(facilityUsdPerGpuHour(0, 1.4, 1.3, 180, 10e6, 0.1, 15)).toBe(0);
    expect(explain(vector(LLAMA_ON_H100), config({ facility: 0 })).facility_usd_per_gpu_hour).toBe(0);
  });

  it('1: colocation billed per IT kW per month', () => {
    // 1.4 kW * $180/kW-month * 12 months / 8760 h
    const values = explain(vector(LLAMA_ON_H100), config({ facility: 1 }));
    expect(relErr(values.facility_usd_per_gpu_hour as number, (1.4 * 180 * 12) / 8760)).toBeLessThan(FLOAT_REL);
  });

  it('2: owned facility capex per MW of facility power, recovered over its own life', () => {
    // 1.4 kW * 1.3 PUE = 1.82e-3 MW, $10M/MW, crf(0.10, 15)
    const values = explain(vector(LLAMA_ON_H100), config({ facility: 2 }));
    const hand = (((1.4 * 1.3) / 1000) * 10e6 * capitalRecoveryFactor(0.1, 15)) / 8760;
    expect(relErr(values.facility_usd_per_gpu_hour as number, hand)).toBeLessThan(FLOAT_REL);
  });

  it('evaluate prices each mode as explain does', () => {
    for (const facility of [0, 1, 2] as const) {
      const cfg = config({ facility });
      expect(relErr(run(LLAMA_ON_H100, cfg).m.cost_usd_per_gpu_hour, explain(vector(LLAMA_ON_H100), cfg).cost_usd_per_gpu_hour as number)).toBeLessThan(FLOAT_REL);
    }
  });
});

describe('cloud versus owned pricing', () => {
  it('cloud: the hourly price is the whole cost, all of it opex', () => {
    const { m } = run(LLAMA_ON_H100, config({ pricing: 1, facility: 2 }));
    expect(m.cost_usd_per_gpu_hour).toBe(2.5);
    expect(m.cost_per_mtok_capital).toBe(0);
    expect(m.cost_per_mtok_energy).toBe(0);
    expect(m.cost_per_mtok_facility).toBe(0);
    expect(relErr(m.cost_per_mtok_opex, m.cost_per_mtok_output)).toBeLessThan(FLOAT_REL);
  });

  it('the same throughput serves both: only the price per hour differs', () => {
    const owned = run(LLAMA_ON_H100).m;
    const cloud = run(LLAMA_ON_H100, config({ pricing: 1 })).m;
    expect(cloud.output_tokens_per_s_per_gpu).toBe(owned.output_tokens_per_s_per_gpu);
    expect(relErr(cloud.cost_per_mtok_output / owned.cost_per_mtok_output, 2.5 / owned.cost_usd_per_gpu_hour)).toBeLessThan(FLOAT_REL);
  });
});

/**
 * A roofline deployment that serves exactly 1000 output tokens/s per GPU: one GPU, a fully
 * cached prompt (no prefill), 10 sequences, and a memory-bound step of exactly 0.01 s:
 * 999,997,000 weight bytes + 10 sequences * 150 tokens of context * 2 KV bytes = 1e9 bytes
 * at 0.1 TB/s. Capacity = b / t_step = 10 / 0.01.
 */
const THOUSAND_TOKENS_PER_S: Inputs = {
  peak_tflops: 1000,
  hbm_gb: 80,
  hbm_tb_per_s: 0.1,
  it_power_kw_per_gpu: 1,
  params_total: 999_997_000,
  params_active: 999_997_000,
  layers: 1,
  heads: 1,
  kv_heads: 1,
  head_dim: 1,
  experts: 1,
  weight_bits: 8,
  kv_bits: 8,
  input_tokens: 100,
  output_tokens: 100,
  prefix_cache_hit_rate: 1,
  gpus_per_replica: 1,
  batch_size: 10,
  utilization: 1,
  mfu_prefill: 1,
  mfu_decode: 1,
  mbu_decode: 1,
  step_overhead_ms: 0,
  hbm_usable_fraction: 1,
  pue: 1,
  cloud_usd_per_gpu_hour: 1.3,
};

describe('cost_per_mtok_output', () => {
  it('$1.30/GPU-hour at 1000 tokens/s per GPU, u = 1, gives $0.3611 per 1M tokens (published check)', () => {
    const { flags, m } = run(THOUSAND_TOKENS_PER_S, config({ pricing: 1 }));
    expect(flags).toBe(FEASIBLE);
    // The fixture is built for 1000 tokens/s up to float rounding of (999,997,000 + 3000) / 1e11.
    expect(relErr(m.output_tokens_per_s_per_gpu, 1000)).toBeLessThan(FLOAT_REL);
    expect(m.cost_per_mtok_output.toFixed(4)).toBe('0.3611');
    expect(relErr(m.cost_per_mtok_output, 1.3 / 3.6)).toBeLessThan(FLOAT_REL);
  });

  it('the same check in measured mode', () => {
    const inputs = { ...THOUSAND_TOKENS_PER_S, measured_output_tokens_per_s_per_gpu: 1000 };
    const { m } = run(inputs, config({ pricing: 1, throughput: 1 }));
    expect(relErr(m.cost_per_mtok_output, (1.3 / (1000 * 3600)) * 1e6)).toBeLessThan(FLOAT_REL);
  });

  it('scales as 1/u: idle hours are paid for', () => {
    const cfg = config({ pricing: 1 });
    const full = run({ ...LLAMA_ON_H100, utilization: 1 }, cfg).m.cost_per_mtok_output;
    const quarter = run({ ...LLAMA_ON_H100, utilization: 0.25 }, cfg).m.cost_per_mtok_output;
    expect(relErr(quarter, 4 * full)).toBeLessThan(FLOAT_REL);
  });
});

describe('cost shares and cost_per_mtok_total', () => {
  it('capital + energy + facility + opex shares sum to cost_per_mtok_output, every mode', () => {
    for (const cfg of [config({ facility: 1 }), config({ facility: 2 }), config({ pricing: 1 })]) {
      const { m } = run(LLAMA_ON_H100, cfg);
      const sum = m.cost_per_mtok_capital + m.cost_per_mtok_energy + m.cost_per_mtok_facility + m.cost_per_mtok_opex;
      expect(relErr(sum, m.cost_per_mtok_output)).toBeLessThan(FLOAT_REL);
    }
  });

  it('maintenance counts as opex', () => {
    const a = run({ ...LLAMA_ON_H100, maintenance_fraction_per_year: 0 }).m;
    const b = run({ ...LLAMA_ON_H100, maintenance_fraction_per_year: 0.1 }).m;
    // 0.1 * 32000 / 8760 $/h more, spread over the same tokens per hour
    const perHourToPerMtok = 1e6 / (a.output_tokens_per_s_per_gpu * 0.6 * 3600);
    expect(relErr(b.cost_per_mtok_opex - a.cost_per_mtok_opex, ((0.1 * 32000) / 8760) * perHourToPerMtok)).toBeLessThan(1e-9);
    expect(b.cost_per_mtok_capital).toBe(a.cost_per_mtok_capital);
  });

  it('cost_per_mtok_total spreads the cost over input and output tokens: O / (I + O) of the output price', () => {
    const { m } = run(LLAMA_ON_H100);
    expect(relErr(m.cost_per_mtok_total, (m.cost_per_mtok_output * 500) / 2500)).toBeLessThan(FLOAT_REL);
  });
});

describe('energy metrics: tokens per MW and joules per token', () => {
  const { m } = run(LLAMA_ON_H100);

  it('tokens/s per MW = tokens/s per GPU * 1000 / (IT kW * PUE)', () => {
    expect(relErr(m.output_tokens_per_s_per_mw, (m.output_tokens_per_s_per_gpu * 1000) / (1.4 * 1.3))).toBeLessThan(FLOAT_REL);
  });

  it('J/token = facility watts / tokens per second', () => {
    expect(relErr(m.joules_per_output_token, (1.4 * 1.3 * 1000) / m.output_tokens_per_s_per_gpu)).toBeLessThan(FLOAT_REL);
  });

  it('their product is 1e6 (a megawatt is 1e6 J/s)', () => {
    expect(relErr(m.output_tokens_per_s_per_mw * m.joules_per_output_token, 1e6)).toBeLessThan(FLOAT_REL);
  });
});

describe('measured throughput mode', () => {
  const measured: Inputs = {
    ...LLAMA_ON_H100,
    // weights that could never fit: measured mode must not look at memory
    gpus_per_replica: 1,
    weight_bits: 16,
    measured_output_tokens_per_s_per_gpu: 2500,
    measured_tokens_per_s_per_user: 40,
    measured_ttft_s: 0.3,
  };

  it('is never infeasible and prices the given throughput', () => {
    const { flags, m } = run(measured, config({ throughput: 1 }));
    expect(flags).toBe(FEASIBLE);
    expect(m.output_tokens_per_s_per_gpu).toBe(2500);
    const usdPerHour = explain(vector(measured), config({ throughput: 1 })).cost_usd_per_gpu_hour as number;
    expect(relErr(m.cost_per_mtok_output, (usdPerHour / (2500 * 0.6 * 3600)) * 1e6)).toBeLessThan(FLOAT_REL);
  });

  it('latencies come from the given figures when present, and are 0 when not', () => {
    const both = run(measured, config({ throughput: 1, measuredUserRate: 1, measuredTtft: 1 })).m;
    expect(both.tokens_per_s_per_user).toBe(40);
    expect(both.tpot_ms).toBe(1000 / 40);
    expect(both.ttft_s).toBe(0.3);
    const neither = run(measured, config({ throughput: 1 })).m;
    expect([neither.tpot_ms, neither.tokens_per_s_per_user, neither.ttft_s, neither.batch_effective]).toEqual([0, 0, 0, 0]);
  });

  it('an SLO check whose latency was not given is skipped', () => {
    const slo = { ...measured, slo_min_tokens_per_s_per_user: 1000, slo_max_ttft_s: 0 };
    expect(run(slo, config({ throughput: 1, sloTokensPerSPerUser: 1, sloTtft: 1 })).flags).toBe(FEASIBLE);
    const withRate = config({ throughput: 1, sloTokensPerSPerUser: 1, measuredUserRate: 1 });
    expect(run(slo, withRate).flags).toBe(FEASIBLE | SLO_MISS);
  });

  it('explain shows only the cost side and the metrics the mode defines', () => {
    const cfg = config({ throughput: 1, measuredTtft: 1 });
    const values = explain(vector(measured), cfg);
    expect(values).not.toHaveProperty('batch_max');
    expect(values).not.toHaveProperty('t_step_s');
    expect(values).not.toHaveProperty('tpot_ms');
    expect(values.ttft_s).toBe(0.3);
    for (const metric of metricsFor(cfg)) expect(values).toHaveProperty(metric);
    expect(metricsFor(cfg).length).toBeLessThan(METRICS.length);
  });
});
