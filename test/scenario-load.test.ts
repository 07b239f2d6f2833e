/**
 * Loading scenario files: the file formats, the battery of bad files (each an InputError naming
 * the file, the line where known, and the field), mode rules, catalogs and defaults.
 */

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { buildPlan } from '../src/plan/index.js';
import type { Scenario } from '../src/scenario/index.js';
import { DEFAULTS, loadCatalog, loadScenario, parseScenario } from '../src/scenario/index.js';
import { packageRoot } from '../src/paths.js';
import { DESIGN_EXAMPLE, FIXTURE_CATALOG } from './scenario-fixtures.js';

const BAD = join(packageRoot(), 'test', 'fixtures', 'bad');
const opts = { catalog: FIXTURE_CATALOG };

async function loadError(file: string): Promise<InputError> {
  try {
    await loadScenario(join(BAD, file), opts);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`${file} loaded without error`);
}

function parseError(text: string, file = 't.yaml'): InputError {
  try {
    parseScenario(text, file, opts);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('parsed without error');
}

const parse = (text: string): Scenario => parseScenario(text, 't.yaml', opts);

describe('bad scenario files are InputErrors that name the file, the line and the field', () => {
  // [file, field path ('' for the whole file), line or undefined, words the message must hold]
  const battery: [string, string, number | undefined, string][] = [
    ['syntax-error.yaml', '', 3, 'YAML syntax error: Nested mappings are not allowed in compact mappings'],
    ['syntax-error.json', '', 3, 'JSON syntax error'],
    ['empty.yaml', '', undefined, 'the file is empty'],
    ['top-level-list.yaml', '', 1, 'expected a mapping of sections'],
    ['negative-price.yaml', 'costs.power_price_usd_per_kwh', 12, 'expected a number >= 0, got -0.08'],
    ['unknown-key.yaml', 'serving.batch_sise', 5, 'unknown key; did you mean `batch_size`?'],
    ['reversed-bounds.yaml', 'serving.mbu_decode.uniform', 9, 'the bounds must be increasing (min < max), got 0.85 and 0.6'],
    ['unknown-catalog.yaml', 'accelerator.catalog', 2, 'unknown accelerator `h100-sx`; did you mean `h100-sxm`? (known: h100-sxm, b200)'],
    ['text-for-number.yaml', 'serving.batch_size', 5, 'expected a number, a distribution or a sweep, got "abc"'],
    ['unknown-distribution.yaml', 'costs.cloud_usd_per_gpu_hour', 8, 'unknown distribution `unifrom`; did you mean `uniform`?'],
    ['utilization-above-1.yaml', 'serving.utilization.uniform', 8, 'the upper bound 1.2 is above the largest allowed value 1'],
    ['missing-costs.yaml', 'costs', undefined, 'is required'],
    ['fp4-on-h100.yaml', 'model.compute', 3, 'h100-sxm has no fp4 peak in the catalog; use bf16 or fp8, or give accelerator.peak_tflops.fp4'],
    ['cloud-price-when-owned.yaml', 'costs.cloud_usd_per_gpu_hour', 13, 'is only used with costs.pricing: cloud'],
    ['unbounded-normal.yaml', 'serving.utilization.normal', 8, 'a normal is unbounded: give min/max'],
    ['pue-below-1.yaml', 'costs.pue', 6, 'expected a number >= 1, got 0.8'],
  ];
  for (const [file, path, line, words] of battery) {
    it(`${file}: ${path || '(file)'}: ${words}`, async () => {
      const e = await loadError(file);
      const where = join(BAD, file) + (line ? `:${line}` : '');
      expect(e.exitCode).toBe(2);
      expect(e.file).toBe(join(BAD, file));
      expect(e.message).toContain(path ? `${where}: ${path}: ${words}` : `${where}: ${words}`);
    });
  }
  it('every file in test/fixtures/bad is in the battery', () => {
    expect(readdirSync(BAD).sort()).toEqual(battery.map((b) => b[0]).sort());
  });
  it('a missing file is an InputError (exit 2) naming it', async () => {
    const e = await loadError('no-such-file.yaml');
    expect(e.message).toContain('no-such-file.yaml: cannot read the scenario: no such file');
  });
});

describe('one pass reports every problem together, in file order, without echoes', () => {
  it('a typo, a bad range and a missing field come back in one error', () => {
    const text = DESIGN_EXAMPLE.replace('life_years: 5', 'lif_years: 5')
      .replace('pue: { uniform: [1.15, 1.40] }', 'pue: 0.8')
      .replace('  gpus_per_replica: 8\n', '');
    const e = parseError(text);
    const lines = e.message.split('\n');
    expect(lines.some((l) => l.includes('costs.lif_years: unknown key; did you mean `life_years`?'))).toBe(true);
    expect(lines.some((l) => l.includes('costs.pue: expected a number >= 1, got 0.8'))).toBe(true);
    expect(lines.some((l) => l.includes('serving.gpus_per_replica: is required'))).toBe(true);
    // The misspelt key is not reported a second time as missing.
    expect(lines.some((l) => l.includes('costs.life_years: is required'))).toBe(false);
    const lineNumbers = e.issues.map((i) => i.line ?? Infinity);
    expect(lineNumbers).toEqual([...lineNumbers].sort((a, b) => a - b));
  });
});

describe('file formats', () => {
  it('JSON gives the same scenario as YAML, with lines for errors', () => {
    const yaml = parse(DESIGN_EXAMPLE);
    const json = parseScenario(
      JSON.stringify({
        name: yaml.name,
        seed: 'capex-review-2026',
        accelerator: { catalog: 'h100-sxm' },
        model: { catalog: 'llama-3.1-70b', weight_bits: 8, kv_bits: 8, compute: 'fp8' },
        workload: { input_tokens: 2000, output_tokens: 500, prefix_cache_hit_rate: { uniform: [0, 0.4] } },
        serving: {
          gpus_per_replica: 8,
          batch_size: { sweep: [8, 16, 32, 64, 128] },
          utilization: { pert: [0.35, 0.6, 0.85] },
          mbu_decode: { uniform: [0.6, 0.85] },
          speculative: { draft_tokens: 4, acceptance_rate: { uniform: [0.6, 0.85] }, draft_cost_ratio: 0.05 },
        },
        throughput: { mode: 'roofline' },
        costs: {
          pricing: 'owned',
          capex_usd_per_gpu: { triangular: [28000, 32000, 40000] },
          life_years: 5,
          cost_of_capital: 0.1,
          pue: { uniform: [1.15, 1.4] },
          power_price_usd_per_kwh: '0.05 to 0.15',
          colocation_usd_per_kw_month: 180,
        },
      }, null, 2),
      't.json',
      opts,
    );
    // Equal up to the file name and the lines values came from (the layouts differ).
    const strip = (s: Scenario): unknown => JSON.parse(JSON.stringify({ ...s, file: '' }, (k, v: unknown) => (k === 'line' ? undefined : v)));
    expect(strip(json)).toEqual(strip(yaml));
    const e = parseError('{\n  "name": "x",\n  "costs": { "pricing": "free" }\n}', 'x.json');
    expect(e.message).toContain('x.json:3: costs.pricing: expected one of owned, cloud, got "free"');
  });
  it('a numeric seed is read as its text, and seed and samples have defaults', () => {
    expect(parse(DESIGN_EXAMPLE.replace('seed: capex-review-2026', 'seed: 42')).seed).toBe('42');
    const s = parse(DESIGN_EXAMPLE.replace('seed: capex-review-2026\n', '').replace('samples: 1000000\n', ''));
    expect(s.seed).toBe('cptsim');
    expect(s.samples).toBe(1_000_000);
  });
  it('samples must be a positive integer up to 2^40', () => {
    expect(parseError(DESIGN_EXAMPLE.replace('samples: 1000000', 'samples: 2.5')).message).toContain('samples: expected a positive integer');
    expect(parseError(DESIGN_EXAMPLE.replace('samples: 1000000', 'samples: 2000000000000')).message).toContain('no larger than 2^40');
  });
});

describe('catalog entries, overrides and defaults', () => {
  const s = parse(DESIGN_EXAMPLE);
  it('catalog values are marked catalog, file values scenario, the rest default', () => {
    expect(s.inputs.hbm_gb?.source).toBe('catalog');
    expect(s.inputs.hbm_gb?.origin).toBe('h100-sxm.hbm_gb');
    expect(s.inputs.weight_bits?.source).toBe('scenario');
    expect(s.inputs.mfu_decode?.source).toBe('default');
    expect(s.inputs.mfu_decode?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: DEFAULTS.mfu_decode } });
  });
  it('peak_tflops is the catalog figure for model.compute', () => {
    expect(s.inputs.peak_tflops?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: 1979 } });
    const bf16 = parse(DESIGN_EXAMPLE.replace('compute: fp8', 'compute: bf16'));
    expect(bf16.inputs.peak_tflops?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: 989 } });
  });
  it('a file value overrides the catalog, and fp4 can be given for a GPU the catalog lacks it for', () => {
    const o = parse(DESIGN_EXAMPLE.replace('{ catalog: h100-sxm }', '{ catalog: h100-sxm, hbm_gb: 94, peak_tflops: { fp4: 3000 } }').replace('compute: fp8', 'compute: fp4'));
    expect(o.inputs.hbm_gb?.source).toBe('scenario');
    expect(o.inputs.hbm_gb?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: 94 } });
    expect(o.inputs.peak_tflops?.origin).toBe('accelerator.peak_tflops.fp4');
  });
  it('serving.engine sets the engine catalog\'s host time per sequence; a file value overrides it; none defaults to 0', () => {
    const withEngine = (extra = ''): string => DESIGN_EXAMPLE.replace('serving:\n', `serving:\n  engine: fixture-engine\n${extra}`);
    const e = parse(withEngine());
    expect(e.inputs.host_overhead_us_per_seq?.source).toBe('catalog');
    expect(e.inputs.host_overhead_us_per_seq?.origin).toBe('fixture-engine.host_overhead_us_per_seq');
    expect(e.inputs.host_overhead_us_per_seq?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: 25 } });
    const own = parse(withEngine('  host_overhead_us_per_seq: 7\n'));
    expect(own.inputs.host_overhead_us_per_seq?.source).toBe('scenario');
    expect(own.inputs.host_overhead_us_per_seq?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: 7 } });
    expect(s.inputs.host_overhead_us_per_seq?.source).toBe('default');
    expect(s.inputs.host_overhead_us_per_seq?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: 0 } });
  });
  it('an unknown serving.engine names the field and suggests the nearest; measured mode refuses one', () => {
    const unknown = parseError(DESIGN_EXAMPLE.replace('serving:\n', 'serving:\n  engine: fixture-engin\n'));
    expect(unknown.message).toContain('serving.engine: unknown engine `fixture-engin`; did you mean `fixture-engine`? (known: fixture-engine)');
    const measured = parseError(
      DESIGN_EXAMPLE.replace('serving:\n', 'serving:\n  engine: fixture-engine\n').replace('{ mode: roofline }', '{ mode: measured, output_tokens_per_s_per_gpu: 1000 }'),
    );
    expect(measured.message).toContain('serving.engine: is not used with throughput.mode: measured');
  });
  it('the shipped engine catalog: every entry has its host time per sequence, with a source', () => {
    const c = loadCatalog();
    expect([...c.engines.keys()].sort()).toEqual(['sglang', 'tensorrt-llm', 'vllm']);
    for (const e of c.engines.values()) expect(e.numbers.has('host_overhead_us_per_seq'), e.id).toBe(true);
  });
  it('kv_bits defaults to weight_bits', () => {
    const o = parse(DESIGN_EXAMPLE.replace('kv_bits: 8, ', ''));
    expect(o.inputs.kv_bits?.source).toBe('default');
    expect(o.inputs.kv_bits?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: 8 } });
  });
  it('capex comes from the accelerator catalog when the file leaves it out', () => {
    const o = parse(DESIGN_EXAMPLE.replace('catalog: h100-sxm', 'catalog: b200').replace('  capex_usd_per_gpu: { triangular: [28000, 32000, 40000] }\n', ''));
    expect(o.inputs.capex_usd_per_gpu?.source).toBe('catalog');
    expect(parseError(DESIGN_EXAMPLE.replace('  capex_usd_per_gpu: { triangular: [28000, 32000, 40000] }\n', '')).message).toContain(
      'costs.capex_usd_per_gpu: is required with costs.pricing: owned',
    );
  });
  it('an MLA mixture-of-experts model reads its latent and expert fields, not kv_heads', () => {
    const o = parse(DESIGN_EXAMPLE.replace('catalog: llama-3.1-70b', 'catalog: deepseek-v3'));
    expect(o.model.attention).toBe('mla');
    expect(o.config.attention).toBe(1);
    expect(o.inputs.kv_lora_rank?.source).toBe('catalog');
    expect(o.inputs.experts?.source).toBe('catalog');
    expect(o.inputs.kv_heads).toBeUndefined();
    expect(parseError(DESIGN_EXAMPLE.replace('catalog: llama-3.1-70b,', 'catalog: deepseek-v3, kv_heads: 8,')).message).toContain(
      'model.kv_heads: is not used with mla attention',
    );
  });
  it('params_active above params_total is an error', () => {
    expect(parseError(DESIGN_EXAMPLE.replace('weight_bits: 8,', 'weight_bits: 8, params_active: 80e9,')).message).toContain(
      'model.params_active: every draw must be at most params_total',
    );
  });
});

describe('mode rules: what each mode needs, and nothing it would ignore', () => {
  const cloud = DESIGN_EXAMPLE.replace(/costs:[\s\S]*$/, 'costs: { pricing: cloud, cloud_usd_per_gpu_hour: 2.5 }\n');
  it('cloud pricing needs only the hourly price; pue defaults to 1', () => {
    const o = parse(cloud);
    expect(o.config.pricing).toBe(1);
    expect(o.inputs.pue?.source).toBe('default');
    expect(o.inputs.life_years).toBeUndefined();
  });
  it('owned-only fields under cloud pricing are errors', () => {
    expect(parseError(cloud.replace('cloud_usd_per_gpu_hour: 2.5', 'cloud_usd_per_gpu_hour: 2.5, life_years: 5')).message).toContain(
      'costs.life_years: is not used with costs.pricing: cloud',
    );
  });
  it('colocation and an owned facility are exclusive, and facility capex needs its life', () => {
    expect(parseError(DESIGN_EXAMPLE.replace('colocation_usd_per_kw_month: 180', 'colocation_usd_per_kw_month: 180\n  facility_capex_usd_per_mw: 1.0e7')).message).toContain('not both');
    const f = DESIGN_EXAMPLE.replace('colocation_usd_per_kw_month: 180', 'facility_capex_usd_per_mw: 1.0e7');
    expect(parseError(f).message).toContain('costs.facility_life_years: is required');
    expect(parse(`${f}  facility_life_years: 15\n`).config.facility).toBe(2);
    expect(parse(f.replace('  facility_capex_usd_per_mw: 1.0e7\n', '')).config.facility).toBe(0);
  });
  it('speculative decoding needs exactly one acceptance form', () => {
    const both = DESIGN_EXAMPLE.replace('draft_cost_ratio: 0.05', 'draft_cost_ratio: 0.05, acceptance_by_position: [0.8, 0.7]');
    expect(parseError(both).message).toContain('serving.speculative: give either acceptance_rate or acceptance_by_position');
    const neither = DESIGN_EXAMPLE.replace('acceptance_rate: { uniform: [0.6, 0.85] }, ', '');
    expect(parseError(neither).message).toContain('serving.speculative: needs acceptance_rate');
  });
  it('acceptance_by_position sets draft_tokens to its length; a different draft_tokens is an error', () => {
    const list = DESIGN_EXAMPLE.replace('draft_tokens: 4, acceptance_rate: { uniform: [0.6, 0.85] }', 'acceptance_by_position: [0.9, { uniform: [0.6, 0.8] }, 0.5]');
    const o = parse(list);
    expect(o.config.speculative).toBe(2);
    expect(o.inputs.draft_tokens?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'const', value: 3 } });
    expect(o.inputs.acceptance_p2?.value.spec).toEqual({ kind: 'dist', dist: { kind: 'uniform', min: 0.6, max: 0.8 } });
    expect(o.inputs.acceptance_p4).toBeUndefined();
    expect(parseError(list.replace('acceptance_by_position', 'draft_tokens: 4, acceptance_by_position')).message).toContain(
      'serving.speculative.draft_tokens: must equal the length of acceptance_by_position (3)',
    );
    expect(parseError(list.replace('[0.9,', '[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9,')).message).toContain('expected a list of 1 to 8 values');
  });
  it('measured mode needs its throughput and rejects roofline-only fields', () => {
    const measured = cloud.replace('{ mode: roofline }', '{ mode: measured, output_tokens_per_s_per_gpu: 1500 }');
    expect(parseError(measured).message).toContain('serving.batch_size: is not used with throughput.mode: measured');
    const lean = [
      'name: measured',
      'accelerator: { catalog: h100-sxm }',
      'model: { catalog: llama-3.1-70b }',
      'workload: { input_tokens: 1000, output_tokens: 1000 }',
      'serving: { utilization: 0.6, slo: { max_ttft_s: 2 } }',
      'throughput: { mode: measured, output_tokens_per_s_per_gpu: 1500, ttft_s: 0.8 }',
      'costs: { pricing: cloud, cloud_usd_per_gpu_hour: 2.5 }',
    ].join('\n');
    const o = parse(lean);
    expect(o.config).toMatchObject({ throughput: 1, measuredTtft: 1, measuredUserRate: 0, sloTtft: 1 });
    expect(o.inputs.hbm_gb).toBeUndefined();
    expect(parseError(lean.replace(', ttft_s: 0.8', '')).message).toContain('serving.slo.max_ttft_s: in measured mode this check needs throughput.ttft_s');
    expect(parseError(lean.replace(', output_tokens_per_s_per_gpu: 1500', '')).message).toContain(
      'throughput.output_tokens_per_s_per_gpu: is required with throughput.mode: measured',
    );
    expect(parseError(cloud.replace('{ mode: roofline }', '{ mode: roofline, ttft_s: 1 }')).message).toContain(
      'throughput.ttft_s: is only used with throughput.mode: measured',
    );
  });
  it('roofline mode needs the accelerator, the model and the workload', () => {
    const e = parseError(cloud.replace('accelerator: { catalog: h100-sxm }\n', '').replace(/workload: .*\n/, ''));
    for (const p of ['accelerator.hbm_gb', 'accelerator.peak_tflops.fp8', 'workload.input_tokens', 'workload.output_tokens']) {
      expect(e.message).toContain(`${p}: is required`);
    }
  });
});

describe('the shipped catalog and example scenarios', () => {
  it('the catalog loads, and every entry has the fields a roofline needs', () => {
    const c = loadCatalog();
    expect(c.accelerators.size).toBeGreaterThan(0);
    for (const a of c.accelerators.values()) {
      for (const k of ['hbm_gb', 'hbm_tb_per_s', 'it_power_kw_per_gpu']) expect(a.numbers.has(k), `${a.id}.${k}`).toBe(true);
      expect([...a.numbers.keys()].some((k) => k.startsWith('peak_tflops.')), `${a.id}.peak_tflops`).toBe(true);
    }
    for (const m of c.models.values()) {
      expect(m.attention, `${m.id}.attention`).toBeDefined();
      for (const k of ['params_total', 'params_active', 'layers', 'heads', 'head_dim']) expect(m.numbers.has(k), `${m.id}.${k}`).toBe(true);
      const need = m.attention === 'mla' ? ['kv_lora_rank', 'qk_rope_head_dim'] : ['kv_heads'];
      for (const k of need) expect(m.numbers.has(k), `${m.id}.${k}`).toBe(true);
      if (m.numbers.has('experts')) expect(m.numbers.has('experts_per_token'), `${m.id}.experts_per_token`).toBe(true);
    }
  });
  const dir = join(packageRoot(), 'scenarios');
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));
  for (const f of files) {
    it(`scenarios/${f} loads and plans`, async () => {
      const plan = buildPlan(await loadScenario(join(dir, f)));
      expect(plan.inputs.length).toBeGreaterThan(0);
    });
  }
});
