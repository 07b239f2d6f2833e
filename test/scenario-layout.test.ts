/** Scenario fields of the serving physics: parallel layout, interconnect, attention precision, KV offload. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import type { Scenario } from '../src/scenario/index.js';
import { constantOf, parseScenario } from '../src/scenario/index.js';
import { DESIGN_EXAMPLE, FIXTURE_CATALOG } from './scenario-fixtures.js';

const opts = { catalog: FIXTURE_CATALOG };
const parse = (text: string): Scenario => parseScenario(text, 't.yaml', opts);

function parseError(text: string): string {
  try {
    parseScenario(text, 't.yaml', opts);
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  throw new Error('parsed without error');
}

/** The example with extra lines under `serving:`. */
const withServing = (lines: string): string => DESIGN_EXAMPLE.replace('serving:\n', `serving:\n${lines}`);

const valueOf = (s: Scenario, slot: keyof Scenario['inputs']): number | undefined => {
  const input = s.inputs[slot];
  return input ? constantOf(input.value.spec) : undefined;
};

describe('serving.parallelism', () => {
  it('defaults to the engines\' layout, written out as numbers: GQA tensor parallel over the replica', () => {
    const s = parse(DESIGN_EXAMPLE);
    expect(valueOf(s, 'tp')).toBe(8);
    expect(valueOf(s, 'dp_attention')).toBe(1);
    expect(s.inputs.tp?.source).toBe('default');
  });

  it('MLA models default to data-parallel attention and experts over the replica', () => {
    const text = DESIGN_EXAMPLE.replace('catalog: llama-3.1-70b, weight_bits: 8, kv_bits: 8, compute: fp8', 'catalog: deepseek-v3, weight_bits: 8, kv_bits: 8, compute: fp8')
      .replace('gpus_per_replica: 8', 'gpus_per_replica: 16');
    const s = parse(text);
    expect([valueOf(s, 'tp'), valueOf(s, 'dp_attention'), valueOf(s, 'ep')]).toEqual([1, 16, 16]);
  });

  it('takes a layout that divides the replica', () => {
    const s = parse(withServing('  parallelism: { tp: 4, dp_attention: 2 }\n'));
    expect([valueOf(s, 'tp'), valueOf(s, 'dp_attention')]).toEqual([4, 2]);
  });

  it('a tp that does not divide gpus_per_replica is an error naming the field', () => {
    expect(parseError(withServing('  parallelism: { tp: 3 }\n'))).toMatch(/serving\.parallelism\.tp: 3 does not divide serving\.gpus_per_replica \(8\)/);
  });

  it('tp * dp_attention must equal gpus_per_replica', () => {
    expect(parseError(withServing('  parallelism: { tp: 4, dp_attention: 4 }\n'))).toMatch(/serving\.parallelism\.dp_attention: tp \(4\) times dp_attention \(4\) must equal serving\.gpus_per_replica \(8\)/);
  });

  it('a layout is not drawn at random, and is a whole number', () => {
    expect(parseError(withServing('  parallelism: { tp: { uniform: [1, 8] } }\n'))).toMatch(/serving\.parallelism\.tp.*plain number or a sweep/);
    expect(parseError(withServing('  parallelism: { tp: 2.5 }\n'))).toMatch(/serving\.parallelism\.tp: expected a whole number of GPUs, got 2\.5/);
  });

  it('a swept tp is checked value by value', () => {
    expect(parseError(withServing('  parallelism: { tp: { sweep: [1, 2, 3] } }\n'))).toMatch(/3 does not divide/);
    expect(parse(withServing('  parallelism: { tp: { sweep: [1, 2, 4, 8] } }\n')).inputs.tp?.value.spec.kind).toBe('sweep');
  });

  it('ep and expert_imbalance need a mixture-of-experts model', () => {
    expect(parseError(withServing('  parallelism: { ep: 8 }\n'))).toMatch(/serving\.parallelism\.ep: needs model\.experts/);
    expect(parseError(withServing('  expert_imbalance: 1.2\n'))).toMatch(/serving\.expert_imbalance: needs model\.experts/);
  });

  it('one GPU has no collectives: interconnect fields given for it are errors', () => {
    const text = withServing('  comm_overlap: 0.5\n').replace('gpus_per_replica: 8', 'gpus_per_replica: 1').replace(/batch_size: .*/, 'batch_size: 4');
    expect(parseError(text.replace('weight_bits: 8, kv_bits: 8', 'weight_bits: 4, kv_bits: 8'))).toMatch(/serving\.comm_overlap: is only used when a replica has more than one GPU/);
  });
});

describe('interconnect and attention precision', () => {
  it('come from the catalog, and may be overridden in the file', () => {
    const s = parse(DESIGN_EXAMPLE.replace('accelerator: { catalog: h100-sxm }', 'accelerator: { catalog: h100-sxm, scale_up_domain: 16 }'));
    expect(valueOf(s, 'scale_up_gb_per_s')).toBe(450);
    expect(valueOf(s, 'scale_up_domain')).toBe(16);
    expect(s.inputs.collective_latency_us?.source).toBe('default');
  });

  it('attention runs at the bf16 peak by default under fp8 GEMMs, at fp8 when model.attention_compute says so', () => {
    const s = parse(DESIGN_EXAMPLE);
    expect(s.config.attentionPeak).toBe(1);
    expect(valueOf(s, 'attention_tflops')).toBe(989);
    const fp8 = parse(DESIGN_EXAMPLE.replace('compute: fp8 }', 'compute: fp8, attention_compute: fp8 }'));
    expect(fp8.config.attentionPeak).toBe(0);
    expect(fp8.inputs.attention_tflops).toBeUndefined();
  });

  it('attention_compute is an error in measured mode', () => {
    const text = `name: m\nmodel: { attention_compute: fp8 }\nthroughput: { mode: measured, output_tokens_per_s_per_gpu: 1000 }\nserving: { utilization: 0.5 }\ncosts: { pricing: cloud, cloud_usd_per_gpu_hour: 2 }\n`;
    expect(parseError(text)).toMatch(/model\.attention_compute: is not used with throughput\.mode: measured/);
  });
});

describe('serving.kv_offload', () => {
  const tier = '  kv_offload: { hit_rate: 0.3, bandwidth_gb_per_s: 50, capacity_gb: 2000, capex_usd_per_gb: 3 }\n';

  it('sets the configuration and reads its fields', () => {
    const s = parse(withServing(tier));
    expect(s.config.kvOffload).toBe(1);
    expect(valueOf(s, 'offload_gb_per_s')).toBe(50);
  });

  it('needs its bandwidth', () => {
    expect(parseError(withServing('  kv_offload: { hit_rate: 0.3, capacity_gb: 2000, capex_usd_per_gb: 3 }\n'))).toMatch(/serving\.kv_offload\.bandwidth_gb_per_s: is required with serving\.kv_offload/);
  });

  it('hits on the GPU and in the tier cannot exceed the whole prompt', () => {
    expect(parseError(withServing(tier.replace('hit_rate: 0.3', 'hit_rate: 0.7')))).toMatch(/serving\.kv_offload\.hit_rate: with workload\.prefix_cache_hit_rate up to 0\.4, at most 0\.6/);
  });

  it('under cloud pricing the host memory is in the hourly price: its capex is an error', () => {
    const cloud = withServing(tier).replace(/costs:[\s\S]*$/, 'costs: { pricing: cloud, cloud_usd_per_gpu_hour: 2.5 }\n');
    expect(parseError(cloud)).toMatch(/serving\.kv_offload\.capacity_gb: is not used with costs\.pricing: cloud/);
  });
});
