/**
 * A small catalog for the scenario tests, independent of the shipped one (which may change).
 * Numbers are real, with their sources, so that the fixtures read like real scenarios.
 */

import { parseCatalog } from '../src/scenario/index.js';
import type { Catalog } from '../src/scenario/index.js';

const ACCELERATORS = `
h100-sxm:
  name: NVIDIA H100 SXM5 80GB
  # NVIDIA H100 Tensor Core GPU datasheet: 1,979 / 3,958 TFLOPS bf16 / fp8 with sparsity; dense is half.
  peak_tflops: { bf16: 989, fp8: 1979 }
  hbm_gb: 80
  hbm_tb_per_s: 3.35
  tdp_w: 700
  # NVIDIA DGX H100 user guide: 10.2 kW maximum system power for 8 GPUs.
  it_power_kw_per_gpu: 1.275
  # Datasheet: NVLink 900 GB/s both ways; HGX board of 8; one 400 Gb/s NIC per GPU.
  scale_up_gb_per_s: 450
  scale_up_domain: 8
  scale_out_gb_per_s: 50
  sources: { datasheet: https://www.nvidia.com/en-us/data-center/h100/ }
b200:
  name: NVIDIA B200
  # NVIDIA DGX B200 datasheet: 72 / 144 PFLOPS fp8 / fp4 training / inference for 8 GPUs (sparse); dense is half.
  peak_tflops: { bf16: 2250, fp8: 4500, fp4: 9000 }
  hbm_gb: 180
  hbm_tb_per_s: 8
  tdp_w: 1000
  it_power_kw_per_gpu: 1.8
  capex_usd_per_gpu: 50000
  # DGX B200 datasheet: NVLink 1.8 TB/s both ways; 8 per board; 400 Gb/s NIC per GPU.
  scale_up_gb_per_s: 900
  scale_up_domain: 8
  scale_out_gb_per_s: 50
  sources: { datasheet: https://www.nvidia.com/en-us/data-center/dgx-b200/ }
`;

const MODELS = `
llama-3.1-70b:
  name: Llama 3.1 70B
  # https://huggingface.co/meta-llama/Llama-3.1-70B/blob/main/config.json
  params_total: 70.6e9
  params_active: 70.6e9
  layers: 80
  hidden: 8192
  heads: 64
  kv_heads: 8
  head_dim: 128
  attention: gqa
deepseek-v3:
  name: DeepSeek-V3
  # https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json; 671B total, 37B active (paper).
  params_total: 671e9
  params_active: 37e9
  layers: 61
  hidden: 7168
  heads: 128
  head_dim: 192
  attention: mla
  experts: 256
  experts_per_token: 8
  kv_lora_rank: 512
  qk_rope_head_dim: 64
`;

const ENGINES = `
fixture-engine:
  name: Fixture engine
  host_overhead_us_per_seq: 25
`;

export const FIXTURE_CATALOG: Catalog = parseCatalog(
  { accelerators: ACCELERATORS, models: MODELS, engines: ENGINES },
  { accelerators: 'fixture-accelerators.yaml', models: 'fixture-models.yaml', engines: 'fixture-engines.yaml' },
);

/** The DESIGN.md example scenario, as a base that tests vary. */
export const DESIGN_EXAMPLE = `
name: H100 SXM, Llama 3.1 70B FP8, owned
seed: capex-review-2026
samples: 1000000
accelerator: { catalog: h100-sxm }
model: { catalog: llama-3.1-70b, weight_bits: 8, kv_bits: 8, compute: fp8 }
workload: { input_tokens: 2000, output_tokens: 500, prefix_cache_hit_rate: { uniform: [0, 0.4] } }
serving:
  gpus_per_replica: 8
  batch_size: { sweep: [8, 16, 32, 64, 128] }
  utilization: { pert: [0.35, 0.6, 0.85] }
  mbu_decode: { uniform: [0.6, 0.85] }
  speculative: { draft_tokens: 4, acceptance_rate: { uniform: [0.6, 0.85] }, draft_cost_ratio: 0.05 }
throughput: { mode: roofline }
costs:
  pricing: owned
  capex_usd_per_gpu: { triangular: [28000, 32000, 40000] }
  life_years: 5
  cost_of_capital: 0.10
  pue: { uniform: [1.15, 1.40] }
  power_price_usd_per_kwh: "0.05 to 0.15"
  colocation_usd_per_kw_month: 180
`;

/**
 * A scenario in measured mode under cloud pricing on the fixture H100: 1000 input and 1000 output
 * tokens per request at a measured 1000 output tokens/s per GPU, so that cost_per_mtok_output is
 * price / (3.6 u_paid) (docs/model.md "Metrics"). `costs` follows `pricing: cloud` in the costs
 * mapping; `extra` is YAML appended at the end.
 */
export function measuredCloudScenario(o: { name: string; seed: string; samples: number; utilization: string; costs: string; extra?: string }): string {
  return `name: ${o.name}
seed: ${o.seed}
samples: ${o.samples}
accelerator: { catalog: h100-sxm }
workload: { input_tokens: 1000, output_tokens: 1000 }
serving: { utilization: ${o.utilization} }
throughput: { mode: measured, output_tokens_per_s_per_gpu: 1000 }
costs: { pricing: cloud, ${o.costs} }
${o.extra ?? ''}`;
}
