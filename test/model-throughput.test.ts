/** docs/model.md "Time": step time, speculation, prefill, capacity, latency, queueing, SLOs. */
import { describe, expect, it } from 'vitest';
import {
  FEASIBLE,
  SLO_MISS,
  draftTokensUsed,
  explain,
  expertsTouched,
  sharedParams,
  specTokensPerStep,
} from '../src/model/index.js';
import type { Inputs } from './model-fixtures.js';
import { DEEPSEEK_V3, FLOAT_REL, LLAMA_ON_H100, config, num, relErr, run, vector } from './model-fixtures.js';

/**
 * Communication of a forward step over `tokens` tokens of Llama 70B at tp = 8 on one HGX H100
 * board: per layer, two ring all-reduces of tokens * 8192 * 2 bytes over 8 GPUs,
 * 2 * 7/8 of the message each way at 450 GB/s, plus 10 us each.
 */
function llamaCommS(tokens: number): number {
  return 80 * 2 * (((2 * 7) / 8) * ((tokens * 8192 * 2) / 450e9) + 10e-6);
}

/** The reference deployment's decode-step parts, by hand from docs/model.md "Time", per GPU. */
function llamaStep(batch: number, tokens: number, mfuDecode = 0.4) {
  const { input_tokens: I, output_tokens: O } = LLAMA_ON_H100 as Required<Inputs>;
  const ctx = I + O / 2;
  const kvBytes = 2 * 80 * 8 * 128 * 1; // 8-bit KV, split over the 8 GPUs (one KV head each)
  const bytes = (70.6e9 * 1) / 8 + (batch * ctx * kvBytes) / 8;
  const flops = (2 * 70.6e9 * tokens + 4 * tokens * ctx * 80 * 64 * 128) / 8;
  const memoryS = bytes / (3.35e12 * 0.7);
  const computeS = flops / (1979e12 * mfuDecode);
  return { memoryS, computeS, stepS: Math.max(memoryS, computeS) + llamaCommS(tokens) + 0.002 };
}

/** The reference deployment's prefill: (1 - h) of the prompt's FLOPs over the replica, plus its collectives. */
function llamaPrefillS(gpus = 8, mfu = 0.5): number {
  const flops = 0.8 * (2 * 70.6e9 * 2000 + 2 * 2000 * 2000 * 80 * 64 * 128);
  return flops / (gpus * 1979e12 * mfu) + llamaCommS(0.8 * 2000);
}

describe('decode step time (equation 5)', () => {
  it('is the bytes term plus overhead when memory-bound (Llama 70B, batch 64)', () => {
    const values = explain(vector(LLAMA_ON_H100), config());
    const hand = llamaStep(64, 64);
    expect(hand.memoryS).toBeGreaterThan(hand.computeS);
    expect(values.bound).toBe('memory');
    expect(relErr(num(values, 't_step_s'), hand.stepS)).toBeLessThan(FLOAT_REL);
  });

  it('is the FLOPs term plus overhead when compute-bound (batch 1000, mfu_decode 0.1)', () => {
    const values = explain(vector({ ...LLAMA_ON_H100, batch_size: 1000, mfu_decode: 0.1 }), config());
    const hand = llamaStep(1000, 1000, 0.1);
    expect(hand.computeS).toBeGreaterThan(hand.memoryS);
    expect(values.bound).toBe('compute');
    expect(relErr(num(values, 't_step_s'), hand.stepS)).toBeLessThan(FLOAT_REL);
  });

  it('MoE: reads the shared weights plus only the experts the batch touches, its share of them per GPU', () => {
    // DeepSeek-V3 at 8 bits on 16 H100s (two HGX boards): data-parallel attention (tp = 1,
    // dp = 16) and the experts over all 16 GPUs (ep = 16).
    const inputs: Inputs = { ...LLAMA_ON_H100, ...DEEPSEEK_V3, gpus_per_replica: 16, batch_size: 4 };
    const values = explain(vector(inputs), config({ attention: 1 }));
    const shared = sharedParams(671e9, 37e9, 256, 8);
    const expert = (671e9 - shared) / 256;
    const ctx = 2000 + 500 / 2;
    const kvBytes = 61 * (512 + 64) * 1;
    // Each GPU reads all the shared weights (tp = 1), 1/16 of the touched experts, and the KV of its 4/16 sequences.
    const bytes = shared + (expert * expertsTouched(4, 256, 8)) / 16 + (4 / 16) * ctx * kvBytes;
    // Absorbed MLA: 2 * ctx * heads * (2 * 512 + 64) per layer and token.
    const flops = (2 * 37e9 * 4 + 4 * 2 * ctx * 61 * 128 * (2 * 512 + 64)) / 16;
    // Per layer a dispatch and a combine of 4/16 tokens * 8 experts * 7168 * 2 bytes: 7/16 of it
    // to the 7 peers on the board at 450 GB/s, 8/16 to the other board at 50 GB/s.
    const commS = 61 * 2 * ((4 / 16) * 8 * 7168 * 2 * (7 / 16 / 450e9 + 8 / 16 / 50e9) + 10e-6);
    const hand = Math.max(bytes / (3.35e12 * 0.7), flops / (1979e12 * 0.4)) + commS + 0.002;
    expect(relErr(num(values, 't_step_s'), hand)).toBeLessThan(FLOAT_REL);
    // Four tokens touch at most 32 of 256 experts: far less than the whole model is read.
    expect(bytes).toBeLessThan(0.1 * 671e9);
  });
});

describe('speculative decoding (equation 6)', () => {
  it('constant acceptance 0.8, k = 4 gives 3.3616 tokens per step (published check)', () => {
    // 1 + 0.8 + 0.64 + 0.512 + 0.4096
    expect(specTokensPerStep(4, 0.8)).toBeCloseTo(3.3616, 12);
  });

  it('agrees with the closed form (1 - a^(k+1)) / (1 - a) for a < 1', () => {
    for (const [k, a] of [[1, 0.5], [3, 0.7], [8, 0.95]] as const) {
      expect(relErr(specTokensPerStep(k, a), (1 - a ** (k + 1)) / (1 - a))).toBeLessThan(FLOAT_REL);
    }
  });

  it('a = 1 accepts every draft: k + 1 tokens per step', () => {
    expect(specTokensPerStep(5, 1)).toBe(6);
  });

  it('per-position acceptance multiplies along the draft', () => {
    // 1 + 0.9 + 0.9*0.8 + 0.9*0.8*0.5
    expect(specTokensPerStep(3, [0.9, 0.8, 0.5])).toBeCloseTo(1 + 0.9 + 0.72 + 0.36, 12);
  });

  it('draft_tokens is floored and clamped to [0, 8]', () => {
    expect(draftTokensUsed(3.7)).toBe(3);
    expect(draftTokensUsed(12)).toBe(8);
    expect(draftTokensUsed(-1)).toBe(0);
  });

  it('t_cycle = t_step(b (k+1)) + k c t_step(b), and the bare time per token = t_cycle / spec', () => {
    const inputs: Inputs = { ...LLAMA_ON_H100, draft_tokens: 4, acceptance_rate: 0.8, draft_cost_ratio: 0.05 };
    const values = explain(vector(inputs), config({ speculative: 1 }));
    const cycle = llamaStep(64, 64 * 5).stepS + 4 * 0.05 * llamaStep(64, 64).stepS;
    expect(num(values, 'spec_tokens_per_step')).toBeCloseTo(3.3616, 12);
    expect(relErr(num(values, 't_cycle_s'), cycle)).toBeLessThan(FLOAT_REL);
    expect(relErr(num(values, 't_decode_token_s'), cycle / 3.3616)).toBeLessThan(FLOAT_REL);
  });

  it('evaluate reads acceptance_p1..pk under per-position acceptance', () => {
    const inputs: Inputs = {
      ...LLAMA_ON_H100,
      draft_tokens: 3,
      draft_cost_ratio: 0.05,
      acceptance_p1: 0.9,
      acceptance_p2: 0.8,
      acceptance_p3: 0.5,
      acceptance_p4: 0.99, // beyond k: must be ignored
    };
    const values = explain(vector(inputs), config({ speculative: 2 }));
    const cycle = llamaStep(64, 64 * 4).stepS + 3 * 0.05 * llamaStep(64, 64).stepS;
    expect(relErr(num(values, 't_decode_token_s'), cycle / 2.98)).toBeLessThan(FLOAT_REL);
  });

  it('without speculation (or k = 0) one token per plain step', () => {
    const plain = explain(vector(LLAMA_ON_H100), config());
    const zeroDraft = run({ ...LLAMA_ON_H100, draft_tokens: 0, acceptance_rate: 0.9 }, config({ speculative: 1 })).m;
    expect(relErr(num(plain, 't_decode_token_s'), llamaStep(64, 64).stepS)).toBeLessThan(FLOAT_REL);
    expect(zeroDraft.tpot_ms).toBe(plain.tpot_ms);
  });
});

describe('prefill (equation 7)', () => {
  it('t_prefill = (1 - h)(2 P_active I + 2 I^2 layers heads head_dim) / (g peak mfu_prefill) + its collectives', () => {
    const values = explain(vector(LLAMA_ON_H100), config());
    expect(relErr(num(values, 't_prefill_s'), llamaPrefillS())).toBeLessThan(FLOAT_REL);
  });

  it('a fully cached prefix costs no prefill FLOPs: only the fixed latency of the pass that admits it', () => {
    const values = explain(vector({ ...LLAMA_ON_H100, prefix_cache_hit_rate: 1 }), config());
    expect(relErr(num(values, 't_prefill_s'), llamaCommS(0))).toBeLessThan(FLOAT_REL);
  });
});

describe('capacity, colocated and disaggregated (equation 8)', () => {
  it('colocated: output tokens/s per GPU = O / (t_request g), t_request = t_prefill + O t_cycle / b', () => {
    const values = explain(vector(LLAMA_ON_H100), config());
    const request = num(values, 't_prefill_s') + (500 * llamaStep(64, 64).stepS) / 64;
    expect(relErr(num(values, 't_request_s'), request)).toBeLessThan(FLOAT_REL);
    expect(relErr(num(values, 'output_tokens_per_s_per_gpu'), 500 / (request * 8))).toBeLessThan(FLOAT_REL);
  });

  it('disaggregated: capacity = O / (prefill_gpus t_prefill + g O t_cycle / b)', () => {
    const inputs: Inputs = { ...LLAMA_ON_H100, prefill_gpus: 4, disagg_mfu_prefill: 0.6 };
    const values = explain(vector(inputs), config({ disaggregated: 1 }));
    const prefillS = llamaPrefillS(4, 0.6);
    const gpuSeconds = 4 * prefillS + (8 * 500 * llamaStep(64, 64).stepS) / 64;
    expect(relErr(num(values, 't_prefill_s'), prefillS)).toBeLessThan(FLOAT_REL);
    expect(relErr(num(values, 'output_tokens_per_s_per_gpu'), 500 / gpuSeconds)).toBeLessThan(FLOAT_REL);
  });

  it('disaggregating onto equally fast prefill GPUs does not change capacity', () => {
    // 8 prefill GPUs at the colocated mfu spend the same GPU-seconds on prefill as the replica
    const colocated = run(LLAMA_ON_H100).m.output_tokens_per_s_per_gpu;
    const split = run({ ...LLAMA_ON_H100, prefill_gpus: 8, disagg_mfu_prefill: 0.5 }, config({ disaggregated: 1 }));
    expect(relErr(split.m.output_tokens_per_s_per_gpu, colocated)).toBeLessThan(FLOAT_REL);
  });
});

describe('latency and SLO misses (equation 9)', () => {
  const { m } = run(LLAMA_ON_H100);

  it('colocated: the inter-token latency is the bare step plus the other sequences\' prefills, (b - 1) t_prefill / O', () => {
    const values = explain(vector(LLAMA_ON_H100), config());
    const itlS = llamaStep(64, 64).stepS + (63 * llamaPrefillS()) / 500;
    expect(relErr(m.tpot_ms, 1000 * itlS)).toBeLessThan(FLOAT_REL);
    expect(relErr(num(values, 'tpot_ms'), 1000 * itlS)).toBeLessThan(FLOAT_REL);
  });

  it('colocated: TTFT is the prefill plus an M/D/1 wait at load u t_prefill / t_request', () => {
    const prefillS = llamaPrefillS();
    const requestS = prefillS + (500 * llamaStep(64, 64).stepS) / 64;
    const rho = (0.6 * prefillS) / requestS;
    const waitS = (rho * prefillS) / (2 * (1 - rho));
    expect(relErr(m.ttft_s, prefillS + waitS)).toBeLessThan(FLOAT_REL);
  });

  it('disaggregated: the inter-token latency is the bare step, and the prefill pool runs at load u', () => {
    const inputs: Inputs = { ...LLAMA_ON_H100, prefill_gpus: 4, disagg_mfu_prefill: 0.6 };
    const values = explain(vector(inputs), config({ disaggregated: 1 }));
    expect(relErr(num(values, 'tpot_ms'), 1000 * llamaStep(64, 64).stepS)).toBeLessThan(FLOAT_REL);
    const prefillS = llamaPrefillS(4, 0.6);
    expect(relErr(num(values, 'queue_wait_s'), (0.6 * prefillS) / (2 * 0.4))).toBeLessThan(FLOAT_REL);
  });

  it('tokens_per_s_per_user = 1000 / tpot_ms', () => {
    expect(relErr(m.tokens_per_s_per_user * m.tpot_ms, 1000)).toBeLessThan(FLOAT_REL);
  });

  it('flags a sample whose per-user rate is below the SLO, and not one above it', () => {
    const slo = config({ sloTokensPerSPerUser: 1 });
    const rate = m.tokens_per_s_per_user;
    expect(run({ ...LLAMA_ON_H100, slo_min_tokens_per_s_per_user: rate * 1.01 }, slo).flags).toBe(FEASIBLE | SLO_MISS);
    expect(run({ ...LLAMA_ON_H100, slo_min_tokens_per_s_per_user: rate * 0.99 }, slo).flags).toBe(FEASIBLE);
  });

  it('flags a sample whose TTFT exceeds the SLO, and not one within it', () => {
    const slo = config({ sloTtft: 1 });
    expect(run({ ...LLAMA_ON_H100, slo_max_ttft_s: m.ttft_s * 0.99 }, slo).flags).toBe(FEASIBLE | SLO_MISS);
    expect(run({ ...LLAMA_ON_H100, slo_max_ttft_s: m.ttft_s * 1.01 }, slo).flags).toBe(FEASIBLE);
  });

  it('a sample that misses its SLO keeps its metrics', () => {
    const missed = run({ ...LLAMA_ON_H100, slo_max_ttft_s: 0 }, config({ sloTtft: 1 }));
    expect(missed.m).toEqual(m);
  });

  it('an infeasible sample is never counted as an SLO miss', () => {
    const inputs = { ...LLAMA_ON_H100, gpus_per_replica: 1, weight_bits: 16, slo_max_ttft_s: 0 };
    expect(run(inputs, config({ sloTtft: 1 })).flags).toBe(0);
  });

  it('explain reports slo_miss only when an SLO is set', () => {
    expect(explain(vector(LLAMA_ON_H100), config())).not.toHaveProperty('slo_miss');
    const values = explain(vector({ ...LLAMA_ON_H100, slo_max_ttft_s: 0 }), config({ sloTtft: 1 }));
    expect(values.slo_miss).toBe(true);
  });
});
