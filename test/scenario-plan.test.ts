/**
 * Scenario -> Plan (src/plan/build.ts): one input per slot in SLOT_DEFS order, stable distinct
 * stream ids, sweep axes in file order, the configuration and its metrics.
 */

import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { SLOT, SLOT_DEFS, metricsFor } from '../src/model/slots.js';
import { buildPlan, cellCount, cellPoint } from '../src/plan/index.js';
import { keyFromSeed, streamId } from '../src/sampling/index.js';
import { parseScenario } from '../src/scenario/index.js';
import { DESIGN_EXAMPLE, FIXTURE_CATALOG } from './scenario-fixtures.js';

const plan = (text: string, overrides = {}) => buildPlan(parseScenario(text, 't.yaml', { catalog: FIXTURE_CATALOG }), overrides);

describe('inputs: one per slot, in SLOT_DEFS order', () => {
  const p = plan(DESIGN_EXAMPLE);
  it('has exactly one input per slot, each at its own index and path', () => {
    expect(p.inputs.map((i) => i.slot)).toEqual(SLOT_DEFS.map((_, i) => i));
    expect(p.inputs.map((i) => i.path)).toEqual(SLOT_DEFS.map((d) => d.path));
  });
  it('slots the configuration does not read are a constant 0 from default', () => {
    // No pricing: cloud, no disaggregation, no measured throughput in this scenario.
    for (const name of ['cloud_usd_per_gpu_hour', 'prefill_gpus', 'measured_output_tokens_per_s_per_gpu', 'acceptance_p1'] as const) {
      expect(p.inputs[SLOT[name]]).toMatchObject({ dist: { kind: 'const', value: 0 }, source: 'default', sweepAxis: null });
    }
  });
  it('carries each value with its source', () => {
    expect(p.inputs[SLOT.hbm_gb]).toMatchObject({ dist: { kind: 'const', value: 80 }, source: 'catalog' });
    expect(p.inputs[SLOT.capex_usd_per_gpu]).toMatchObject({ dist: { kind: 'triangular', min: 28000, mode: 32000, max: 40000 }, source: 'scenario' });
    expect(p.inputs[SLOT.mfu_decode]).toMatchObject({ source: 'default' });
    expect(p.inputs[SLOT.peak_tflops]).toMatchObject({ dist: { kind: 'const', value: 1979 }, source: 'catalog' });
  });
});

describe('random streams', () => {
  it('each input streams from the hash of its slot path, the same in every build', () => {
    const a = plan(DESIGN_EXAMPLE);
    const b = plan(DESIGN_EXAMPLE.replace('pue: { uniform: [1.15, 1.40] }', 'pue: 1.3'));
    expect(a.inputs.map((i) => i.streamId)).toEqual(SLOT_DEFS.map((d) => streamId(d.path)));
    // Changing one input leaves every stream id where it was (common random numbers).
    expect(b.inputs.map((i) => i.streamId)).toEqual(a.inputs.map((i) => i.streamId));
  });
  it('every slot path hashes to a distinct id, so no plan can have a collision', () => {
    const ids = new Set(SLOT_DEFS.map((d) => streamId(d.path)));
    expect(ids.size).toBe(SLOT_DEFS.length);
  });
  it('the key is keyFromSeed(seed), and --seed replaces the seed', () => {
    const p = plan(DESIGN_EXAMPLE);
    expect(p.seed).toBe('capex-review-2026');
    expect(p.key).toEqual(keyFromSeed('capex-review-2026'));
    const o = plan(DESIGN_EXAMPLE, { seed: 'other', samples: 1000 });
    expect(o.seed).toBe('other');
    expect(o.key).toEqual(keyFromSeed('other'));
    expect(o.samples).toBe(1000);
  });
  it('a samples override that is not a positive integer is an InputError', () => {
    expect(() => plan(DESIGN_EXAMPLE, { samples: 0 })).toThrow(InputError);
    expect(() => plan(DESIGN_EXAMPLE, { samples: 1.5 })).toThrow(/positive integer/);
  });
});

describe('sweep axes', () => {
  // costs comes before serving in this file, and pue before power price within costs: axes follow
  // the file (depth first), not the slot order (batch_size's slot is before pue's).
  const text = [
    'name: sweep order',
    'costs:',
    '  pricing: owned',
    '  pue: { sweep: [1.1, 1.3] }',
    '  capex_usd_per_gpu: 30000',
    '  life_years: 5',
    '  cost_of_capital: 0.1',
    '  power_price_usd_per_kwh: { sweep: { from: 0.05, to: 0.15, steps: 3 } }',
    'accelerator: { catalog: h100-sxm, peak_tflops: { fp8: { sweep: [1500, 1979] } } }',
    'model: { catalog: llama-3.1-70b, compute: fp8 }',
    'workload: { input_tokens: 2000, output_tokens: 500 }',
    'serving: { gpus_per_replica: 8, batch_size: { sweep: [16, 64] }, utilization: 0.6 }',
  ].join('\n');
  const p = plan(text);
  it('come in file order, depth first', () => {
    expect(p.axes.map((a) => a.path)).toEqual(['costs.pue', 'costs.power_price_usd_per_kwh', 'accelerator.peak_tflops.fp8', 'serving.batch_size']);
    expect(p.axes.map((a) => a.slot)).toEqual([SLOT.pue, SLOT.power_price_usd_per_kwh, SLOT.peak_tflops, SLOT.batch_size]);
    expect(p.axes[1]!.values).toEqual([0.05, 0.1, 0.15]);
  });
  it('each swept input points at its axis and holds the axis first value', () => {
    p.axes.forEach((a, k) => {
      expect(p.inputs[a.slot]).toMatchObject({ sweepAxis: k, dist: { kind: 'const', value: a.values[0] } });
    });
    expect(p.inputs.filter((i) => i.sweepAxis !== null)).toHaveLength(p.axes.length);
  });
  it('cells are the row-major product, the last axis fastest', () => {
    expect(cellCount(p)).toBe(2 * 3 * 2 * 2);
    expect(cellPoint(p, 1)).toEqual({ 'costs.pue': 1.1, 'costs.power_price_usd_per_kwh': 0.05, 'accelerator.peak_tflops.fp8': 1500, 'serving.batch_size': 64 });
  });
  it('a scenario without sweeps has no axes and one cell', () => {
    const q = plan(DESIGN_EXAMPLE.replace('{ sweep: [8, 16, 32, 64, 128] }', '32'));
    expect(q.axes).toEqual([]);
    expect(cellCount(q)).toBe(1);
  });
});

describe('configuration flags and metrics', () => {
  it('follow the scenario: facility, speculative form, disaggregation, SLOs', () => {
    const p = plan(DESIGN_EXAMPLE);
    expect(p.config).toEqual({
      throughput: 0, pricing: 0, attention: 0, facility: 1, speculative: 1, disaggregated: 0,
      sloTokensPerSPerUser: 0, sloTtft: 0, measuredUserRate: 0, measuredTtft: 0,
      // fp8 GEMMs, attention in bf16 (the default model.attention_compute): its own peak.
      attentionPeak: 1, kvOffload: 0, billing: 0,
    });
    expect(p.metrics).toEqual(metricsFor(p.config));
    const q = plan(
      DESIGN_EXAMPLE.replace('draft_tokens: 4, acceptance_rate: { uniform: [0.6, 0.85] }', 'acceptance_by_position: [0.9, 0.8]').replace(
        '  gpus_per_replica: 8\n',
        '  gpus_per_replica: 8\n  disaggregated: { prefill_gpus: 4 }\n  slo: { min_tokens_per_s_per_user: 20 }\n',
      ).replace('catalog: llama-3.1-70b', 'catalog: deepseek-v3'),
    );
    expect(q.config).toMatchObject({ attention: 1, speculative: 2, disaggregated: 1, sloTokensPerSPerUser: 1, sloTtft: 0 });
    expect(q.inputs[SLOT.draft_tokens]!.dist).toEqual({ kind: 'const', value: 2 });
    expect(q.inputs[SLOT.acceptance_p2]!.dist).toEqual({ kind: 'const', value: 0.8 });
    expect(q.inputs[SLOT.disagg_mfu_prefill]).toMatchObject({ source: 'default' });
  });
  it('measured mode drops the metrics it does not define', () => {
    const p = plan([
      'name: measured',
      'accelerator: { catalog: h100-sxm }',
      'workload: { input_tokens: 1000, output_tokens: 1000 }',
      'serving: { utilization: 0.6 }',
      'throughput: { mode: measured, output_tokens_per_s_per_gpu: 1500, tokens_per_s_per_user: 30 }',
      'costs: { pricing: cloud, cloud_usd_per_gpu_hour: 2.5 }',
    ].join('\n'));
    expect(p.config).toMatchObject({ throughput: 1, pricing: 1, measuredUserRate: 1, measuredTtft: 0 });
    expect(p.metrics).toContain('tpot_ms');
    expect(p.metrics).not.toContain('batch_effective');
    expect(p.metrics).not.toContain('ttft_s');
  });
});
