/**
 * `cptsim fidelity`: the shipped validation set, the library on cases with answers computed by
 * hand, the command end to end, bad files, and the issue's Done-when thresholds on the shipped
 * set with the shipped defaults.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateFidelity,
  FIDELITY_TARGETS,
  loadValidationSet,
  parseValidationSet,
  withDefaults,
  type FidelityResult,
  type ValidationSet,
} from '../src/analysis/index.js';
import { InputError } from '../src/errors.js';
import { DEFAULTS, DEFAULT_UNCERTAINTY } from '../src/scenario/index.js';
import { cptsim, root, scratchDir } from './helpers/cli.js';

const SHIPPED = join(root, 'scenarios', 'validation', 'measurements.yaml');
const tmp = scratchDir('cptsim-fidelity-');


/**
 * One GPU of 1 PFLOP/s and 1 TB/s, a dense 1e9-parameter model in 16-bit weights with a
 * one-element KV cache: with mbu_decode 0.5 and no step overhead a decode step reads 2e9 bytes
 * in 4 ms, and a one-token prompt prefills in 2e9 FLOP / (1e15 x 0.5) = 4 us (docs/model.md
 * "Time"). The GEMMs run at fp8 and attention at bf16, both 1000 TFLOP/s.
 */
const HAND = `
base:
  samples: 64
  accelerator: { peak_tflops: { bf16: 1000, fp8: 1000 }, hbm_gb: 100, hbm_tb_per_s: 1, it_power_kw_per_gpu: 1 }
  model: { params_total: 1.0e9, params_active: 1.0e9, layers: 1, heads: 1, kv_heads: 1, head_dim: 1, weight_bits: 16, compute: fp8 }
  workload: { input_tokens: 1, output_tokens: 100 }
  serving: { gpus_per_replica: 1, batch_size: 1, utilization: 0.5, mfu_decode: 0.5, mfu_prefill: 0.5, step_overhead_ms: 0 }
  costs: { pricing: cloud, cloud_usd_per_gpu_hour: 1 }
cases:
  - id: hand-tpot
    publisher: test
    source: https://example.org/tpot
    engine: none
    setup: batch 1
    assumptions: none
    scenario: { serving: { mbu_decode: 0.5 } }
    measured: { tpot_ms: 5 }
  - id: hand-throughput-total
    publisher: test
    source: https://example.org/throughput
    engine: none
    setup: batch 1
    assumptions: none
    scenario: { serving: { mbu_decode: 0.5 } }
    measured: { output_tokens_per_s: 400, gpus: 2 }
  - id: hand-default-mbu
    publisher: test
    source: https://example.org/default
    engine: none
    setup: batch 1, mbu_decode left to the default
    assumptions: none
    scenario: {}
    measured: { tpot_ms: 5 }
`;

function handSet(): ValidationSet {
  return parseValidationSet(HAND, 'hand.yaml');
}

describe('the shipped validation set', () => {
  let set: ValidationSet;
  beforeAll(async () => {
    set = await loadValidationSet(SHIPPED);
  });

  it('has at least 20 cases from at least 5 publishers, each with its source URL', () => {
    expect(set.cases.length).toBeGreaterThanOrEqual(20);
    expect(new Set(set.cases.map((c) => c.publisher)).size).toBeGreaterThanOrEqual(5);
    for (const c of set.cases) {
      expect(c.source, c.id).toMatch(/^https?:\/\/\S+$/);
      expect(c.engine.length, c.id).toBeGreaterThan(0);
      expect(c.assumptions.length, c.id).toBeGreaterThan(0);
    }
    expect(new Set(set.cases.map((c) => c.id)).size).toBe(set.cases.length);
  });

  it('covers H100, H200, B200, GB200 and MI300X, dense TP1 to TP8, MoE with EP and DP attention, batch 1 to the memory limit', () => {
    const accelerators = new Set(set.cases.map((c) => c.scenario.accelerator.catalog));
    for (const a of ['h100-sxm', 'h200', 'b200', 'gb200', 'mi300x']) expect(accelerators, a).toContain(a);
    const value = (c: ValidationSet['cases'][number], slot: 'tp' | 'ep' | 'dp_attention' | 'batch_size' | 'experts') => {
      const spec = c.scenario.inputs[slot]?.value.spec;
      return spec?.kind === 'dist' && spec.dist.kind === 'const' ? spec.dist.value : undefined;
    };
    const dense = set.cases.filter((c) => value(c, 'experts') === undefined);
    for (const tp of [1, 2, 4, 8]) expect(dense.some((c) => value(c, 'tp') === tp), `dense TP${tp}`).toBe(true);
    const moe = set.cases.filter((c) => value(c, 'experts') !== undefined);
    expect(moe.some((c) => (value(c, 'ep') ?? 1) > 8 && (value(c, 'dp_attention') ?? 1) > 8)).toBe(true);
    expect(set.cases.some((c) => value(c, 'batch_size') === 1)).toBe(true);
    expect(set.cases.filter((c) => c.latency).length).toBeGreaterThanOrEqual(5);
  });
});

describe('evaluateFidelity on cases computed by hand', () => {
  let r: FidelityResult;
  beforeAll(async () => {
    r = await evaluateFidelity(handSet(), { samples: 4096 });
  });

  it('predicts the hand-computed time per output token and its ratio to the measurement', () => {
    const c = r.cases.find((x) => x.id === 'hand-tpot')!.latency!;
    // KV adds ctx x 4 bytes to the 2e9 weight bytes: far below the 1e-6 tolerance.
    expect(c.p50).toBeCloseTo(4, 6);
    expect(c.ratio).toBeCloseTo(0.8, 6);
    expect(c.log_ratio).toBeCloseTo(Math.log(0.8), 6);
    // Every efficiency is the case's own constant: no band, so 5 ms is outside it.
    expect(c.p10).toBe(c.p90);
    expect(c.in_band).toBe(false);
  });

  it('divides a total throughput by its GPUs and compares it with the capacity per GPU', () => {
    const c = r.cases.find((x) => x.id === 'hand-throughput-total')!.throughput!;
    // t_request = t_prefill + O t_cycle / b = 4e-6 + 100 x 0.004 s; capacity O / t_request.
    const capacity = 100 / (4e-6 + 100 * 0.004);
    expect(c.measured).toBe(200);
    expect(c.p50).toBeCloseTo(capacity, 3);
    expect(c.ratio).toBeCloseTo(capacity / 200, 6);
  });

  it('draws an efficiency left to the defaults from its uncertainty, with the default as median', () => {
    const c = r.cases.find((x) => x.id === 'hand-default-mbu')!.latency!;
    const sigma = DEFAULT_UNCERTAINTY.mbu_decode!;
    // tpot = 2 / mbu ms with mbu lognormal (median m, sigma): ln tpot is normal with sd sigma,
    // so the P10 and P90 of tpot sit at m exp(-+1.2816 sigma). The empirical P10 of n = 4096
    // draws has a standard error in ln of sigma sqrt(0.1 x 0.9) / (sqrt(n) phi(1.2816)) =
    // sigma x 0.3 / (64 x 0.1755) = 0.027 sigma (the median's is smaller): 0.05 is more than four
    // of them at sigma = 0.45.
    const at = (mbu: number) => 2 / mbu;
    const m = DEFAULTS.mbu_decode!;
    expect(Math.abs(Math.log(c.p50 / at(m)))).toBeLessThan(0.05);
    expect(Math.abs(Math.log(c.p10 / at(m * Math.exp(1.2816 * sigma))))).toBeLessThan(0.05);
    expect(Math.abs(Math.log(c.p90 / at(m * Math.exp(-1.2816 * sigma))))).toBeLessThan(0.05);
  });

  it('summarizes median and worst |ln ratio| and the in-band share per kind of measurement', () => {
    const s = r.summary.latency!;
    expect(s.cases).toBe(2);
    expect(s.worst_case).toBe('hand-tpot');
    expect(s.worst_abs_log_ratio).toBeCloseTo(Math.abs(Math.log(0.8)), 6);
    // hand-tpot (5 ms against 4) is outside its zero-width band; hand-default-mbu's 5 ms is inside.
    expect(s.in_band_share).toBe(0.5);
    expect(r.summary.throughput!.cases).toBe(1);
  });

  it('counts a case whose model does not fit in memory as a miss, infinitely far off', async () => {
    const text = HAND.replace('scenario: { serving: { mbu_decode: 0.5 } }\n    measured: { tpot_ms: 5 }', 'scenario: { accelerator: { hbm_gb: 1 }, serving: { mbu_decode: 0.5 } }\n    measured: { tpot_ms: 5 }');
    const out = await evaluateFidelity(parseValidationSet(text, 'hand.yaml'), { samples: 64 });
    const c = out.cases.find((x) => x.id === 'hand-tpot')!;
    expect(c.infeasible_fraction).toBe(1);
    expect(c.latency).toBeUndefined();
    expect(c.problem).toMatch(/does not fit in memory/);
    expect(out.summary.latency!.worst_case).toBe('hand-tpot');
    expect(out.summary.latency!.worst_abs_log_ratio).toBe(Infinity);
    expect(out.summary.latency!.meets_targets).toBe(false);
  });

  it('withDefaults replaces only the inputs a case leaves to the defaults', () => {
    const set = handSet();
    const own = withDefaults(set.cases[0]!.scenario, { values: { mbu_decode: 0.9 } }).inputs.mbu_decode!.value.spec;
    expect(own).toEqual({ kind: 'dist', dist: { kind: 'const', value: 0.5 } });
    const left = withDefaults(set.cases[2]!.scenario, { values: { mbu_decode: 0.9 }, uncertainty: {} }).inputs.mbu_decode!.value.spec;
    expect(left).toEqual({ kind: 'dist', dist: { kind: 'const', value: 0.9 } });
    const drawn = withDefaults(set.cases[2]!.scenario, { values: { mbu_decode: 0.9 }, uncertainty: { mbu_decode: 0.5 } }).inputs.mbu_decode!.value.spec;
    expect(drawn).toEqual({ kind: 'dist', dist: { kind: 'lognormal', mu: Math.log(0.9), sigma: 0.5 } });
  });
});

describe('validation files that are refused', () => {
  const issuesOf = (text: string): string[] => {
    try {
      parseValidationSet(text, 'bad.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as InputError).issues.map((i) => `${i.line ?? '-'} ${i.path}: ${i.message}`);
    }
    throw new Error('the file was accepted');
  };
  const good = HAND;

  it('names the field path and line of a measurement that is not a positive number', () => {
    const issues = issuesOf(good.replace('measured: { tpot_ms: 5 }', 'measured: { tpot_ms: -5 }'));
    expect(issues).toEqual([expect.stringMatching(/^17 cases\[0\]\.measured\.tpot_ms: expected a positive number, got -5$/)]);
  });

  it('points a bad scenario field inside a case at its path in the validation file', () => {
    const issues = issuesOf(good.replace('scenario: { serving: { mbu_decode: 0.5 } }\n    measured: { tpot_ms: 5 }', 'scenario: { serving: { mbu_decode: 0.5, batch_size: -4 } }\n    measured: { tpot_ms: 5 }'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^16 cases\[0\]\.scenario\.serving\.batch_size: expected/);
  });

  it('refuses unknown keys with a hint, a total without its GPUs, a missing URL and duplicate ids', () => {
    const text = good
      .replace('    publisher: test\n    source: https://example.org/tpot', '    publisher: test\n    sorce: https://example.org/tpot')
      .replace('measured: { output_tokens_per_s: 400, gpus: 2 }', 'measured: { output_tokens_per_s: 400 }')
      .replace('id: hand-default-mbu', 'id: hand-tpot');
    const issues = issuesOf(text).join('\n');
    expect(issues).toMatch(/cases\[0\]\.sorce: unknown key; did you mean `source`\?/);
    expect(issues).toMatch(/cases\[0\]\.source: is required/);
    expect(issues).toMatch(/cases\[1\]\.measured\.gpus: is required with output_tokens_per_s/);
    expect(issues).toMatch(/cases\[2\]\.id: "hand-tpot" is already the id of cases\[0\]/);
  });

  it('refuses a sweep inside a case: a case is one configuration', () => {
    const issues = issuesOf(good.replace('scenario: { serving: { mbu_decode: 0.5 } }\n    measured: { tpot_ms: 5 }', 'scenario: { serving: { mbu_decode: 0.5, batch_size: { sweep: [1, 2] } } }\n    measured: { tpot_ms: 5 }'));
    expect(issues).toEqual([expect.stringMatching(/^16 cases\[0\]\.scenario\.serving\.batch_size: expected one configuration/)]);
  });

  it('reports a mistake in base once, at its path under base', () => {
    const issues = issuesOf(good.replace('serving: { gpus_per_replica: 1, batch_size: 1,', 'serving: { gpus_per_replica: 1, batch_size: -4,'));
    expect(issues).toEqual([expect.stringMatching(/^7 base\.serving\.batch_size: expected/)]);
  });

  it('exits 2 from the command with the file, line and field path, and writes nothing to stdout', () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, good.replace('measured: { tpot_ms: 5 }', 'measured: { tpot_ms: 5, ttft_s: 1 }'));
    const r = cptsim('fidelity', file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`cptsim: ${file}:17: cases[0].measured: expected one latency: tpot_ms or ttft_s\n`);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('exits 2 for a file that does not exist', () => {
    const r = cptsim('fidelity', join(tmp, 'missing.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.yaml: cannot read the validation set: no such file/);
  });
});

describe('cptsim fidelity', () => {
  it('prints a table of every measurement and the two summaries', () => {
    const r = cptsim('fidelity', '--samples', '256');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fidelity of .*measurements\.yaml: \d+ cases, 256 samples each, seed "fidelity"/);
    expect(r.stdout).toMatch(/\ncase +publisher +quantity +measured +P10 +P50 +P90 +ratio +in band\n/);
    expect(r.stdout).toContain('trtllm-h100-llama31-8b-fp8-tp1-1000-1000');
    expect(r.stdout).toMatch(/\nthroughput: \d+ measurements; median \|ln r\| /);
    expect(r.stdout).toMatch(/\nlatency: \d+ measurements; median \|ln r\| /);
  });

  it('gives the same result as JSON, deterministic for the seed', () => {
    const a = cptsim('fidelity', '--samples', '256', '--format', 'json');
    const b = cptsim('fidelity', '--samples', '256', '--format', 'json');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const j = JSON.parse(a.stdout) as FidelityResult;
    expect(j.samples).toBe(256);
    expect(j.cases.length).toBeGreaterThanOrEqual(20);
    expect(j.summary.throughput!.cases + j.summary.latency!.cases).toBeGreaterThanOrEqual(j.cases.length);
    expect(j.targets.worst_abs_log_ratio).toBeCloseTo(Math.log(1.6), 12);
  });

  it('checks a file given to it', () => {
    const file = join(tmp, 'hand.yaml');
    writeFileSync(file, HAND);
    const j = JSON.parse(cptsim('fidelity', file, '--format', 'json').stdout) as FidelityResult;
    expect(j.cases.map((c) => c.id)).toEqual(['hand-tpot', 'hand-throughput-total', 'hand-default-mbu']);
    expect(j.cases[0]!.latency!.ratio).toBeCloseTo(0.8, 6);
  });
});

describe("the issue's Done-when thresholds on the shipped set, with the shipped defaults", () => {
  let r: FidelityResult;
  beforeAll(async () => {
    r = await evaluateFidelity(await loadValidationSet(SHIPPED));
  });
  const median = (kind: 'throughput' | 'latency') => () =>
    expect(r.summary[kind]!.median_abs_log_ratio).toBeLessThanOrEqual(FIDELITY_TARGETS.median_abs_log_ratio);
  const worst = (kind: 'throughput' | 'latency') => () =>
    expect(r.summary[kind]!.worst_abs_log_ratio, r.summary[kind]!.worst_case).toBeLessThanOrEqual(FIDELITY_TARGETS.worst_abs_log_ratio);
  const band = (kind: 'throughput' | 'latency') => () =>
    expect(r.summary[kind]!.in_band_share).toBeGreaterThanOrEqual(FIDELITY_TARGETS.in_band_share);

  it('latency: median |ln(predicted / measured)| <= ln 1.2', median('latency'));
  it('latency: worst |ln(predicted / measured)| <= ln 1.6', worst('latency'));
  it('latency: at least 80% of the measurements inside the predicted P10-P90 band', band('latency'));
  it('throughput: at least 80% of the measurements inside the predicted P10-P90 band', band('throughput'));
  it('throughput: median |ln(predicted / measured)| <= ln 1.2', median('throughput'));
  it('throughput: worst |ln(predicted / measured)| <= ln 1.6', worst('throughput'));
  it('every case of the shipped set is judged (none dropped as infeasible or unparsed)', () => {
    expect(r.summary.throughput!.cases + r.summary.latency!.cases).toBe(r.cases.length);
    expect(r.cases.every((c) => c.problem === undefined)).toBe(true);
  });
});
