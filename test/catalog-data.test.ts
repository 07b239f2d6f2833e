/**
 * The accelerator and model catalogs are data with sources; these tests check their shape and
 * the arithmetic claims their comments make (docs/model.md "Inputs" and "Memory").
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Entry = Record<string, unknown>;

function readCatalog(file: string): Record<string, Entry> {
  const path = fileURLToPath(new URL(`../scenarios/catalog/${file}`, import.meta.url));
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  if (typeof doc !== 'object' || doc === null) throw new Error(`${file}: not a mapping`);
  return doc as Record<string, Entry>;
}

function num(entry: Entry, field: string): number {
  const v = entry[field];
  if (typeof v !== 'number') throw new Error(`${field}: expected a number, got ${String(v)}`);
  return v;
}

function sourcesOf(entry: Entry): Record<string, unknown> {
  const s = entry['sources'];
  return typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {};
}

function isPositiveFinite(v: unknown): boolean {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

function isNonEmptyString(v: unknown): boolean {
  return typeof v === 'string' && v.trim().length > 0;
}

const accelerators = readCatalog('accelerators.yaml');
const models = readCatalog('models.yaml');

const ACCELERATOR_IDS = ['h100-sxm', 'h200', 'b200', 'gb200', 'mi300x', 'mi355x', 'rtx-pro-6000'];
const ACCELERATOR_NUMBERS = ['hbm_gb', 'hbm_tb_per_s', 'tdp_w', 'it_power_kw_per_gpu', 'scale_up_gb_per_s', 'scale_up_domain', 'scale_out_gb_per_s'];
const ACCELERATOR_KEYS = new Set(['name', 'peak_tflops', 'capex_usd_per_gpu', 'sources', ...ACCELERATOR_NUMBERS]);
const PRECISIONS = ['bf16', 'fp8', 'fp4'] as const;

const MODEL_IDS = [
  'llama-3.1-8b',
  'llama-3.1-70b',
  'llama-3.1-405b',
  'deepseek-v3',
  'deepseek-r1',
  'gpt-oss-120b',
  'qwen3-235b-a22b',
  'qwen3-30b-a3b',
];
const MODEL_NUMBERS = ['params_total', 'params_active', 'layers', 'hidden', 'heads', 'kv_heads', 'head_dim'];
const MOE_NUMBERS = ['experts', 'experts_per_token'];
const MLA_NUMBERS = ['kv_lora_rank', 'qk_rope_head_dim'];
const MODEL_KEYS = new Set(['name', 'attention', 'sources', ...MODEL_NUMBERS, ...MOE_NUMBERS, ...MLA_NUMBERS]);
/** Fields that count things (layers, heads, experts): must be whole numbers. */
const MODEL_COUNTS = ['layers', 'hidden', 'heads', 'kv_heads', 'head_dim', ...MOE_NUMBERS, ...MLA_NUMBERS];

/** docs/model.md "Memory". */
function sharedParams(m: Entry): number {
  const e = num(m, 'experts');
  const k = num(m, 'experts_per_token');
  return (e * num(m, 'params_active') - k * num(m, 'params_total')) / (e - k);
}

describe('accelerator catalog: every entry complete and sourced', () => {
  it('holds exactly the accelerators the scenarios name', () => {
    expect(Object.keys(accelerators).sort()).toEqual([...ACCELERATOR_IDS].sort());
  });

  it.each(ACCELERATOR_IDS)('%s has only known keys, a name, and a positive finite number with a source for each field', (id) => {
    const a = accelerators[id]!;
    expect(Object.keys(a).filter((k) => !ACCELERATOR_KEYS.has(k))).toEqual([]);
    expect(isNonEmptyString(a['name'])).toBe(true);
    const sources = sourcesOf(a);
    const numbers = [...ACCELERATOR_NUMBERS, ...('capex_usd_per_gpu' in a ? ['capex_usd_per_gpu'] : [])];
    for (const field of numbers) {
      expect(isPositiveFinite(a[field]), `${id}.${field}`).toBe(true);
      expect(isNonEmptyString(sources[field]), `${id}.sources.${field}`).toBe(true);
    }
    expect(isNonEmptyString(sources['peak_tflops']), `${id}.sources.peak_tflops`).toBe(true);
  });

  it.each(ACCELERATOR_IDS)('%s quotes peak_tflops only for bf16/fp8/fp4, each positive and finite', (id) => {
    const peak = accelerators[id]!['peak_tflops'] as Record<string, unknown>;
    expect(Object.keys(peak).length).toBeGreaterThan(0);
    for (const [precision, tflops] of Object.entries(peak)) {
      expect(PRECISIONS as readonly string[]).toContain(precision);
      expect(isPositiveFinite(tflops), `${id}.peak_tflops.${precision}`).toBe(true);
    }
  });

  it('has fp4 exactly on the chips that support it (Blackwell, MI355X MXFP4), not on Hopper or MI300X', () => {
    const withFp4 = ACCELERATOR_IDS.filter((id) => 'fp4' in (accelerators[id]!['peak_tflops'] as object));
    expect(withFp4.sort()).toEqual(['b200', 'gb200', 'mi355x', 'rtx-pro-6000']);
  });

  it.each(ACCELERATOR_IDS)('%s is dense throughout: each halving of precision doubles peak within rounding', (id) => {
    // Every chip here doubles tensor throughput per precision step. A sparse figure left
    // un-halved in one precision breaks the 2x ratio by a factor 2; the tolerance only absorbs
    // rounding to 0.1 TFLOPS (relative 1e-4 on these magnitudes, 1e-3 taken for margin).
    const peak = accelerators[id]!['peak_tflops'] as Record<string, number>;
    const steps: [string, string][] = [['bf16', 'fp8'], ['fp8', 'fp4']];
    for (const [wide, narrow] of steps) {
      if (peak[wide] === undefined || peak[narrow] === undefined) continue;
      expect(Math.abs(peak[narrow] / peak[wide] - 2)).toBeLessThan(1e-3);
    }
  });

  it.each(ACCELERATOR_IDS)('%s draws more per GPU as a server share than the GPU alone (TDP)', (id) => {
    const a = accelerators[id]!;
    expect(num(a, 'it_power_kw_per_gpu')).toBeGreaterThan(num(a, 'tdp_w') / 1000);
  });
});

describe('model catalog: every entry complete and sourced', () => {
  it('holds exactly the models the scenarios name', () => {
    expect(Object.keys(models).sort()).toEqual([...MODEL_IDS].sort());
  });

  it.each(MODEL_IDS)('%s has only known keys, a name, and a positive finite number with a source for each field', (id) => {
    const m = models[id]!;
    expect(Object.keys(m).filter((k) => !MODEL_KEYS.has(k))).toEqual([]);
    expect(isNonEmptyString(m['name'])).toBe(true);
    expect(['gqa', 'mla']).toContain(m['attention']);
    const sources = sourcesOf(m);
    expect(isNonEmptyString(sources['config']), `${id}.sources.config`).toBe(true);
    const present = [...MODEL_NUMBERS, ...MOE_NUMBERS, ...MLA_NUMBERS].filter((f) => f in m);
    for (const field of MODEL_NUMBERS) expect(present).toContain(field);
    for (const field of present) {
      expect(isPositiveFinite(m[field]), `${id}.${field}`).toBe(true);
      expect(isNonEmptyString(sources[field]), `${id}.sources.${field}`).toBe(true);
    }
    for (const field of MODEL_COUNTS.filter((f) => f in m)) {
      expect(Number.isInteger(m[field]), `${id}.${field} is a count`).toBe(true);
    }
  });

  it.each(MODEL_IDS)('%s gives the MLA fields exactly when attention is mla, and whole GQA groups otherwise', (id) => {
    const m = models[id]!;
    const isMla = m['attention'] === 'mla';
    for (const field of MLA_NUMBERS) expect(field in m, `${id}.${field}`).toBe(isMla);
    if (!isMla) expect(num(m, 'heads') % num(m, 'kv_heads')).toBe(0);
  });

  it('deepseek-r1 has the same architecture numbers as deepseek-v3', () => {
    const v3 = models['deepseek-v3']!;
    const r1 = models['deepseek-r1']!;
    for (const field of [...MODEL_NUMBERS, ...MOE_NUMBERS, ...MLA_NUMBERS, 'attention']) {
      expect(r1[field], field).toEqual(v3[field]);
    }
  });
});

describe('KV bytes per token (docs/model.md "Memory")', () => {
  it('Llama-3.1-70B at 16-bit KV gives 2 * 80 * 8 * 128 * 2 = 327,680 bytes', () => {
    const m = models['llama-3.1-70b']!;
    const kvBytesPerElement = 16 / 8;
    const kvBytesPerToken = 2 * num(m, 'layers') * num(m, 'kv_heads') * num(m, 'head_dim') * kvBytesPerElement;
    // Integers well below 2^53: exact.
    expect(kvBytesPerToken).toBe(327_680);
  });
});

describe('MoE split (docs/model.md "Memory")', () => {
  const moeIds = MODEL_IDS.filter((id) => 'experts' in models[id]!);

  it('covers the MoE models, and only they have experts_per_token', () => {
    expect(moeIds.sort()).toEqual(['deepseek-r1', 'deepseek-v3', 'gpt-oss-120b', 'qwen3-235b-a22b', 'qwen3-30b-a3b']);
    for (const id of MODEL_IDS) expect('experts_per_token' in models[id]!, id).toBe(moeIds.includes(id));
  });

  it.each(moeIds)('%s routes to fewer experts than it has, and activates fewer params than it holds', (id) => {
    const m = models[id]!;
    expect(num(m, 'experts')).toBeGreaterThan(num(m, 'experts_per_token'));
    expect(num(m, 'params_active')).toBeLessThan(num(m, 'params_total'));
  });

  it.each(moeIds)('%s has shared_params from the formula strictly between 0 and params_active', (id) => {
    const m = models[id]!;
    const shared = sharedParams(m);
    expect(shared).toBeGreaterThan(0);
    expect(shared).toBeLessThan(num(m, 'params_active'));
  });

  it.each(MODEL_IDS.filter((id) => !moeIds.includes(id)))('%s (dense) activates every parameter', (id) => {
    const m = models[id]!;
    expect(num(m, 'params_active')).toBe(num(m, 'params_total'));
  });
});
