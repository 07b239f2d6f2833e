/**
 * docs/model.md "Parallelism", "Communication", "Latency and queueing", "KV offload": each
 * equation against numbers worked by hand.
 */
import { describe, expect, it } from 'vitest';
import {
  allReduceS,
  allToAllS,
  attentionFlopsPerToken,
  batchMax,
  explain,
  interTokenLatencyS,
  MAX_QUEUE_LOAD,
  parallelLayout,
  queueWaitS,
  sharedParams,
  weightBytesPerGpu,
} from '../src/model/index.js';
import type { Interconnect } from '../src/model/index.js';
import type { Inputs } from './model-fixtures.js';
import { DEEPSEEK_V3, FLOAT_REL, LLAMA_ON_H100, OWNED_COSTS, config, num, relErr, vector } from './model-fixtures.js';

/** One HGX H100 board: NVLink 450 GB/s each way, 8 GPUs, 400 Gb/s NICs, 10 us per collective. */
const HGX_H100: Interconnect = { scaleUpBytesPerS: 450e9, scaleUpDomain: 8, scaleOutBytesPerS: 50e9, latencyS: 10e-6 };

describe('parallel layout', () => {
  it('GQA models default to tensor parallelism over the replica', () => {
    expect(parallelLayout(0, 8, 0, 0, 0, false)).toEqual({ tp: 8, dp: 1, ep: 1 });
  });

  it('MLA models default to data-parallel attention, one rank per GPU; MoE experts over the whole replica', () => {
    expect(parallelLayout(1, 16, 0, 0, 0, true)).toEqual({ tp: 1, dp: 16, ep: 16 });
  });

  it('dp_attention sets tp = g / dp; a given tp wins; ep as given', () => {
    expect(parallelLayout(0, 8, 0, 4, 2, true)).toEqual({ tp: 4, dp: 2, ep: 4 });
    expect(parallelLayout(1, 8, 2, 0, 0, true)).toEqual({ tp: 2, dp: 4, ep: 8 });
  });
});

describe('weights and KV per GPU', () => {
  it('DeepSeek-V3 at 8 bits with data-parallel attention on 16 GPUs: all shared weights on each GPU, 1/16 of the experts', () => {
    const shared = sharedParams(671e9, 37e9, 256, 8);
    // shared = 4104e9 / 248 = 16.548e9; routed = 671e9 - shared, split over 16 GPUs
    expect(relErr(weightBytesPerGpu(1, shared, 671e9, 1, 16), 4104e9 / 248 + (671e9 - 4104e9 / 248) / 16)).toBeLessThan(FLOAT_REL);
    const values = explain(vector({ ...LLAMA_ON_H100, ...DEEPSEEK_V3, gpus_per_replica: 16 }), config({ attention: 1 }));
    expect(relErr(num(values, 'weight_bytes_per_gpu'), 4104e9 / 248 + (671e9 - 4104e9 / 248) / 16)).toBeLessThan(FLOAT_REL);
  });

  it('with tp = 4 the shared weights split four ways and the MLA latent is held by all four', () => {
    const inputs: Inputs = { ...LLAMA_ON_H100, ...DEEPSEEK_V3, gpus_per_replica: 16, tp: 4 };
    const values = explain(vector(inputs), config({ attention: 1 }));
    const shared = 4104e9 / 248;
    expect(relErr(num(values, 'weight_bytes_per_gpu'), shared / 4 + (671e9 - shared) / 16)).toBeLessThan(FLOAT_REL);
    expect(values.kv_replication).toBe(4);
    // Each GPU of the group holds the whole latent of each of its sequences: 2500 tokens * 61 * 576 B.
    expect(values.kv_bytes_per_seq_per_gpu).toBe(2500 * 61 * 576);
  });

  it('batch_max counts each data-parallel rank: dp * floor(free HBM / one sequence per GPU)', () => {
    expect(batchMax(72e9, 40e9, 1e9, 8)).toBe(8 * 32);
    expect(batchMax(72e9, 40e9, 3e9, 4)).toBe(4 * 10);
  });
});

describe('collectives', () => {
  it('ring all-reduce of 1 MB over 8 GPUs on one board: 2 * 7/8 * 1e6 / 450e9 + 10 us', () => {
    expect(relErr(allReduceS(8, 1e6, HGX_H100), (2 * 7 * 1e6) / (8 * 450e9) + 10e-6)).toBeLessThan(FLOAT_REL);
  });

  it('an all-reduce whose ring leaves the board runs at scale-out bandwidth', () => {
    expect(relErr(allReduceS(16, 1e6, HGX_H100), (2 * 15 * 1e6) / (16 * 50e9) + 10e-6)).toBeLessThan(FLOAT_REL);
  });

  it('one GPU has nothing to reduce or exchange', () => {
    expect(allReduceS(1, 1e9, HGX_H100)).toBe(0);
    expect(allToAllS(1, 1e9, HGX_H100)).toBe(0);
  });

  it('all-to-all of 1 MB over 16 GPUs on two boards: 7/16 over NVLink, 8/16 over the NICs', () => {
    expect(relErr(allToAllS(16, 1e6, HGX_H100), 1e6 * (7 / 16 / 450e9 + 8 / 16 / 50e9) + 10e-6)).toBeLessThan(FLOAT_REL);
  });

  it('the same all-to-all inside one NVL72 domain stays on NVLink: 15/16 of it at 900 GB/s', () => {
    const nvl72: Interconnect = { scaleUpBytesPerS: 900e9, scaleUpDomain: 72, scaleOutBytesPerS: 50e9, latencyS: 10e-6 };
    expect(relErr(allToAllS(16, 1e6, nvl72), (1e6 * 15) / 16 / 900e9 + 10e-6)).toBeLessThan(FLOAT_REL);
  });

  it('a step of Llama 70B at tp = 8 pays 2 all-reduces per layer; comm_overlap = 1 hides all of it', () => {
    const exposed = explain(vector(LLAMA_ON_H100), config());
    const hidden = explain(vector({ ...LLAMA_ON_H100, comm_overlap: 1 }), config());
    const commS = 80 * 2 * ((2 * 7 * 64 * 8192 * 2) / (8 * 450e9) + 10e-6);
    expect(relErr(num(exposed, 't_comm_s'), commS)).toBeLessThan(FLOAT_REL);
    expect(relErr(num(exposed, 't_step_s') - num(hidden, 't_step_s'), commS)).toBeLessThan(1e-9);
    expect(relErr(num(exposed, 'comm_share'), commS / num(exposed, 't_step_s'))).toBeLessThan(FLOAT_REL);
    expect(hidden.comm_share).toBe(0);
  });
});

describe('attention FLOPs', () => {
  it('GQA: 4 * ctx * layers * heads * head_dim per token', () => {
    expect(attentionFlopsPerToken(0, 1000, 80, 64, 128, 0, 0)).toBe(4 * 1000 * 80 * 64 * 128);
  });

  it('MLA decodes absorbed: 2 * ctx * layers * heads * (2 * kv_lora_rank + qk_rope_head_dim)', () => {
    // DeepSeek-V3 at 4096 tokens of context: 2 * 4096 * 61 * 128 * 1088 = 6.96e10 per token
    expect(attentionFlopsPerToken(1, 4096, 61, 128, 192, 512, 64)).toBe(2 * 4096 * 61 * 128 * 1088);
  });

  it('attention at its own precision: half the attention peak doubles the attention part of a compute-bound step', () => {
    const base: Inputs = { ...LLAMA_ON_H100, batch_size: 1000, mfu_decode: 0.1, comm_overlap: 1, step_overhead_ms: 0 };
    const same = explain(vector(base), config());
    const own = explain(vector({ ...base, attention_tflops: 1979 / 2 }), config({ attentionPeak: 1 }));
    expect(same.bound).toBe('compute');
    const ctx = 2000 + 250;
    const attentionS = (1000 * 4 * ctx * 80 * 64 * 128) / (8 * 1979e12 * 0.1);
    expect(relErr(num(own, 't_step_s') - num(same, 't_step_s'), attentionS)).toBeLessThan(1e-9);
  });
});

describe('host time per sequence', () => {
  it('adds host_overhead_us_per_seq for each of a rank\'s b / dp sequences to every step', () => {
    // DeepSeek-V3 on 16 GPUs with data-parallel attention: 16 ranks, each scheduling b / 16.
    const base: Inputs = { ...LLAMA_ON_H100, ...DEEPSEEK_V3, gpus_per_replica: 16, batch_size: 4096 };
    const none = explain(vector({ ...base, host_overhead_us_per_seq: 0 }), config({ attention: 1 }));
    const some = explain(vector({ ...base, host_overhead_us_per_seq: 40 }), config({ attention: 1 }));
    const b = num(none, 'batch_effective');
    expect(num(none, 'dp_attention_effective')).toBe(16);
    expect(relErr(num(some, 't_step_s') - num(none, 't_step_s'), (40e-6 * b) / 16)).toBeLessThan(1e-9);
  });

  it('is per sequence, not per token: a speculative verify step over b (k + 1) tokens pays it once per sequence', () => {
    const base: Inputs = { ...LLAMA_ON_H100, batch_size: 64, draft_tokens: 3, acceptance_rate: 0.7, draft_cost_ratio: 0 };
    const none = explain(vector({ ...base, host_overhead_us_per_seq: 0 }), config({ speculative: 1 }));
    const some = explain(vector({ ...base, host_overhead_us_per_seq: 40 }), config({ speculative: 1 }));
    // Llama on one H100 board: tensor parallel, one rank of all 64 sequences.
    expect(relErr(num(some, 't_cycle_s') - num(none, 't_cycle_s'), 40e-6 * 64)).toBeLessThan(1e-9);
  });
});

describe('expert load imbalance', () => {
  it('multiplies the routed-expert math of the busiest rank', () => {
    const base: Inputs = { ...LLAMA_ON_H100, ...DEEPSEEK_V3, gpus_per_replica: 16, batch_size: 4096, mfu_decode: 0.05, comm_overlap: 1 };
    const even = explain(vector(base), config({ attention: 1 }));
    const skewed = explain(vector({ ...base, expert_imbalance: 1.5 }), config({ attention: 1 }));
    expect(even.bound).toBe('compute');
    const shared = 4104e9 / 248;
    const expert = (671e9 - shared) / 256;
    const b = num(even, 'batch_effective');
    // 0.5 more of 2 * expert * 8 FLOPs per token, over 16 GPUs at 1979e12 * 0.05
    const extraS = (0.5 * 2 * expert * 8 * b) / (16 * 1979e12 * 0.05);
    expect(relErr(num(skewed, 't_step_s') - num(even, 't_step_s'), extraS)).toBeLessThan(1e-9);
  });
});

describe('latency and queueing', () => {
  it('ITL: colocated adds (b - 1) * t_prefill / O to the bare time per token; disaggregated does not', () => {
    expect(interTokenLatencyS(0.02, 0.5, 51, 1000, false)).toBeCloseTo(0.02 + (50 * 0.5) / 1000, 15);
    expect(interTokenLatencyS(0.02, 0.5, 51, 1000, true)).toBe(0.02);
    expect(interTokenLatencyS(0.02, 0.5, 1, 1000, false)).toBe(0.02);
  });

  it('M/D/1 wait: at load 0.5 a 100 ms prefill waits 0.5 * 0.1 / (2 * 0.5) = 50 ms', () => {
    expect(queueWaitS(0.5, 0.1)).toBeCloseTo(0.05, 15);
    expect(queueWaitS(0, 0.1)).toBe(0);
  });

  it('a saturated server waits very long but finitely', () => {
    expect(queueWaitS(1, 0.1)).toBeCloseTo((MAX_QUEUE_LOAD * 0.1) / (2 * (1 - MAX_QUEUE_LOAD)), 6);
    expect(Number.isFinite(queueWaitS(2, 0.1))).toBe(true);
  });
});

describe('KV offload tier', () => {
  const offload: Inputs = {
    ...LLAMA_ON_H100,
    prefix_cache_hit_rate: 0.2,
    offload_hit_rate: 0.5,
    offload_gb_per_s: 50,
    offload_capacity_gb: 1000,
    offload_capex_usd_per_gb: 4,
  };

  it('prompt tokens found there are not recomputed: prefill FLOPs fall from 0.8 to 0.3 of the prompt', () => {
    const without = explain(vector(LLAMA_ON_H100), config());
    const withTier = explain(vector(offload), config({ kvOffload: 1 }));
    const flops = 2 * 70.6e9 * 2000 + 2 * 2000 * 2000 * 80 * 64 * 128;
    const comm = (share: number): number => 80 * 2 * ((2 * 7 * share * 2000 * 8192 * 2) / (8 * 450e9) + 10e-6);
    expect(relErr(num(without, 't_prefill_s'), (0.8 * flops) / (8 * 1979e12 * 0.5) + comm(0.8))).toBeLessThan(FLOAT_REL);
    expect(relErr(num(withTier, 't_prefill_s'), (0.3 * flops) / (8 * 1979e12 * 0.5) + comm(0.3))).toBeLessThan(FLOAT_REL);
    expect(num(withTier, 'output_tokens_per_s_per_gpu')).toBeGreaterThan(num(without, 'output_tokens_per_s_per_gpu'));
  });

  it('loads them at the tier bandwidth: 0.5 * 2000 tokens * 163840 B / 8 GPUs at 50 GB/s each', () => {
    const values = explain(vector(offload), config({ kvOffload: 1 }));
    expect(relErr(num(values, 't_offload_load_s'), (0.5 * 2000 * 163_840) / 8 / 50e9)).toBeLessThan(FLOAT_REL);
    const wait = num(values, 'queue_wait_s');
    expect(relErr(num(values, 'ttft_s'), num(values, 't_prefill_s') + num(values, 't_offload_load_s') + wait)).toBeLessThan(FLOAT_REL);
  });

  it('owned: the tier is bought with the GPU, 1000 GB at $4 joins the capex', () => {
    const values = explain(vector(offload), config({ kvOffload: 1 }));
    const plain = explain(vector({ ...offload, capex_usd_per_gpu: (OWNED_COSTS.capex_usd_per_gpu ?? 0) + 4000 }), config());
    expect(relErr(num(values, 'capital_usd_per_gpu_hour'), num(plain, 'capital_usd_per_gpu_hour'))).toBeLessThan(FLOAT_REL);
    expect(relErr(num(values, 'maintenance_usd_per_gpu_hour'), num(plain, 'maintenance_usd_per_gpu_hour'))).toBeLessThan(FLOAT_REL);
  });
});
