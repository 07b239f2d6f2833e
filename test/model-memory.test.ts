/** docs/model.md "Memory": KV bytes, KV replication, the MoE split, per-GPU memory and batch. */
import { describe, expect, it } from 'vitest';
import {
  FEASIBLE,
  batchMax,
  expertParams,
  explain,
  expertsTouched,
  kvBytesPerToken,
  kvReplication,
  sharedParams,
} from '../src/model/index.js';
import type { Inputs } from './model-fixtures.js';
import { DEEPSEEK_V3, FLOAT_REL, LLAMA_ON_H100, config, relErr, run, vector } from './model-fixtures.js';

describe('kv_bytes_per_token (equation 2)', () => {
  it('GQA: Llama-3.1-70B at 16-bit KV holds 327,680 bytes per token (published check)', () => {
    // 2 (K and V) * 80 layers * 8 KV heads * 128 head_dim * 2 bytes
    expect(kvBytesPerToken(0, 80, 8, 128, 0, 0, 16)).toBe(2 * 80 * 8 * 128 * 2);
    expect(kvBytesPerToken(0, 80, 8, 128, 0, 0, 16)).toBe(327_680);
  });

  it('halves with 8-bit KV, and evaluate uses the same figure', () => {
    expect(kvBytesPerToken(0, 80, 8, 128, 0, 0, 8)).toBe(163_840);
    expect(explain(vector({ ...LLAMA_ON_H100, kv_bits: 8 }), config()).kv_bytes_per_token).toBe(163_840);
  });

  it('MLA: DeepSeek-V3 caches one 512-wide latent plus a 64-wide RoPE key per layer', () => {
    // 61 layers * (512 + 64) * 2 bytes at 16 bits; kv_heads and head_dim play no part
    expect(kvBytesPerToken(1, 61, 128, 128, 512, 64, 16)).toBe(61 * (512 + 64) * 2);
    const values = explain(vector({ ...LLAMA_ON_H100, ...DEEPSEEK_V3, kv_bits: 16 }), config({ attention: 1 }));
    expect(values.kv_bytes_per_token).toBe(70_272);
  });
});

describe('kv_replication (equation 2)', () => {
  it('is tp / kv_heads when tensor parallelism spans more GPUs than KV heads', () => {
    expect(kvReplication(0, 16, 8)).toBe(2);
    expect(kvReplication(0, 32, 4)).toBe(8);
  });

  it('is 1 when tp <= kv_heads', () => {
    expect(kvReplication(0, 8, 8)).toBe(1);
    expect(kvReplication(0, 2, 8)).toBe(1);
  });

  it('MLA: every GPU of a tensor-parallel attention group holds the whole latent; 1 with data-parallel attention', () => {
    expect(kvReplication(1, 8, 1)).toBe(8);
    expect(kvReplication(1, 1, 128)).toBe(1);
  });

  it('divides the KV budget: batch_max with g = 16, kv_heads = 8 counts each token twice', () => {
    const inputs = { ...LLAMA_ON_H100, gpus_per_replica: 16, kv_bits: 16, weight_bits: 16 };
    const values = explain(vector(inputs), config());
    expect(values.kv_replication).toBe(2);
    // (16 * 80e9 * 0.9 - 70.6e9 * 2) / ((2000 + 500) * 327680 * 2)
    expect(values.batch_max).toBe(Math.floor((16 * 80e9 * 0.9 - 70.6e9 * 2) / (2500 * 327_680 * 2)));
  });
});

describe('MoE split and experts_touched (equation 3)', () => {
  const { params_total: total, params_active: active, experts: E, experts_per_token: k } = DEEPSEEK_V3 as Required<Inputs>;
  const shared = sharedParams(total, active, E, k);
  const expert = expertParams(total, shared, E);

  it('shared + experts * expert_params = params_total', () => {
    expect(relErr(shared + E * expert, total)).toBeLessThan(FLOAT_REL);
  });

  it('shared + experts_per_token * expert_params = params_active', () => {
    expect(relErr(shared + k * expert, active)).toBeLessThan(FLOAT_REL);
  });

  it('matches the hand solution for DeepSeek-V3 (671B total, 37B active, 256 experts, top-8)', () => {
    // (256 * 37e9 - 8 * 671e9) / (256 - 8) = (9472e9 - 5368e9) / 248
    expect(relErr(shared, 4104e9 / 248)).toBeLessThan(FLOAT_REL);
  });

  it('one token touches exactly experts_per_token experts', () => {
    expect(relErr(expertsTouched(1, E, k), k)).toBeLessThan(FLOAT_REL);
  });

  it('two tokens touch 2k - k^2/E experts (the expected overlap of two top-k draws)', () => {
    // E (1 - (1 - k/E)^2) = 2k - k^2 / E
    expect(relErr(expertsTouched(2, E, k), 2 * k - (k * k) / E)).toBeLessThan(FLOAT_REL);
  });

  it('grows with the number of tokens towards all experts', () => {
    let previous = 0;
    for (const n of [1, 4, 16, 64, 256, 1024]) {
      const touched = expertsTouched(n, E, k);
      expect(touched).toBeGreaterThan(previous);
      expect(touched).toBeLessThanOrEqual(E);
      previous = touched;
    }
    // (1 - 8/256)^2000 = exp(2000 * log(0.96875)) ~ 2.6e-28: indistinguishable from E
    expect(expertsTouched(2000, E, k)).toBe(E);
  });

  it('dense models: all parameters shared, no experts touched', () => {
    expect(sharedParams(70.6e9, 70.6e9, 1, 1)).toBe(70.6e9);
    expect(expertParams(70.6e9, 70.6e9, 1)).toBe(0);
    expect(expertsTouched(64, 1, 1)).toBe(0);
  });

  it('explain reports experts_touched at n = batch_effective', () => {
    const values = explain(vector({ ...LLAMA_ON_H100, ...DEEPSEEK_V3, gpus_per_replica: 16 }), config({ attention: 1 }));
    expect(values.experts_touched).toBe(expertsTouched(values.batch_effective as number, E, k));
  });
});

describe('weights, batch_max and feasibility (equation 4)', () => {
  it('batch_max is the floor of free HBM over one sequence of KV', () => {
    // Llama 70B at 8 bits on 8 x 80 GB, 90% usable: (576e9 - 70.6e9) / (2500 * 163840)
    const values = explain(vector(LLAMA_ON_H100), config());
    expect(values.weight_bytes).toBe(70.6e9);
    expect(values.batch_max).toBe(Math.floor((8 * 80e9 * 0.9 - 70.6e9) / (2500 * 163_840)));
    expect(values.batch_max).toBe(1233);
  });

  it('the batch is capped at batch_max', () => {
    const { flags, m } = run({ ...LLAMA_ON_H100, batch_size: 5000 });
    expect(flags & FEASIBLE).toBe(FEASIBLE);
    expect(m.batch_effective).toBe(1233);
  });

  it('a batch below batch_max is kept as given, fractional or not', () => {
    expect(run({ ...LLAMA_ON_H100, batch_size: 37.5 }).m.batch_effective).toBe(37.5);
  });

  it('is infeasible when the weights alone do not fit', () => {
    // 70.6e9 weights at 16 bits = 141.2e9 B > 1 GPU * 80e9 * 0.9
    const inputs = { ...LLAMA_ON_H100, gpus_per_replica: 1, weight_bits: 16 };
    expect(run(inputs).flags).toBe(0);
    expect(batchMax(80e9 * 0.9, 141.2e9, 2500 * 327_680, 1)).toBeLessThan(1);
  });

  it('is infeasible when the weights fit but not one sequence of KV', () => {
    // 72e9 - 70.6e9 = 1.4e9 B free; one sequence of 10,000 tokens at 163840 B is 1.64e9 B
    const inputs = { ...LLAMA_ON_H100, gpus_per_replica: 1, input_tokens: 9000, output_tokens: 1000 };
    expect(batchMax(72e9, 70.6e9, 10_000 * 163_840, 1)).toBe(0);
    expect(run(inputs).flags).toBe(0);
  });

  it('an infeasible explain shows the memory quantities that say why, and the cost side', () => {
    const values = explain(vector({ ...LLAMA_ON_H100, gpus_per_replica: 1, weight_bits: 16 }), config());
    expect(Object.keys(values).slice(0, 11)).toEqual([
      'infeasible',
      'tp_effective',
      'dp_attention_effective',
      'ep_effective',
      'weight_bytes',
      'weight_bytes_per_gpu',
      'kv_bytes_per_token',
      'kv_replication',
      'kv_bytes_per_seq_per_gpu',
      'batch_max',
      'hbm_bytes_usable',
    ]);
    expect(values.infeasible).toBe(true);
    expect(values.hbm_bytes_usable).toBe(72e9);
    expect(values.cost_usd_per_gpu_hour).toBeGreaterThan(0);
    expect(values).not.toHaveProperty('cost_per_mtok_output');
  });
});
