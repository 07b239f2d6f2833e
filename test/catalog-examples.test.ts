/**
 * The example scenarios (scenarios/*.yaml) against the catalogs and the model's input layout:
 * field paths are ones the model knows, catalog ids exist, the chosen precision exists on the
 * chosen accelerator, the weights fit, and the owned/cloud pair describe the same workload.
 * These are checks on the files as data; loading them through the scenario loader is tested
 * with the loader.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SLOT_DEFS } from '../src/model/index.js';

type Node = Record<string, unknown>;

const scenarioDir = fileURLToPath(new URL('../scenarios/', import.meta.url));
const readYaml = (path: string): Node => parse(readFileSync(path, 'utf8')) as Node;

const scenarioFiles = readdirSync(scenarioDir).filter((f) => f.endsWith('.yaml')).sort();
const scenarios = new Map(scenarioFiles.map((f) => [f, readYaml(`${scenarioDir}${f}`)]));
const accelerators = readYaml(`${scenarioDir}catalog/accelerators.yaml`);
const models = readYaml(`${scenarioDir}catalog/models.yaml`);
/** Examples that are a model of the user's own (inputs and metrics, no cost model). */
const ownModels = scenarioFiles.filter((f) => !('costs' in scenarios.get(f)!));
const costModelFiles = scenarioFiles.filter((f) => !ownModels.includes(f));

const DIST_KINDS = ['uniform', 'normal', 'lognormal', 'triangular', 'pert', 'beta', 'discrete'];
const TOP_KEYS = ['name', 'seed', 'samples', 'sampling', 'description', 'accelerator', 'model', 'workload', 'serving', 'throughput', 'costs', 'inputs', 'metrics'];
/** Choices that are not numbers, by path. */
const CHOICES: Record<string, readonly string[] | 'string'> = {
  'accelerator.catalog': 'string',
  'model.catalog': 'string',
  'model.compute': ['bf16', 'fp8', 'fp4'],
  'throughput.mode': ['roofline', 'measured'],
  'costs.pricing': ['owned', 'cloud'],
};
const SLOT_PATHS = new Set<string>(SLOT_DEFS.map((d) => d.path));

function isPlainObject(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A numeric field's value: a number, an "a to b" string, or a one-key distribution/sweep. */
function isNumericValue(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v === 'string') return /^\s*[-+0-9.eE]+\s+to\s+[-+0-9.eE]+\s*$/.test(v);
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (DIST_KINDS.includes(keys[0]!) || keys[0] === 'sweep');
}

/** Every leaf of a scenario as [path, value]; numeric fields (including distributions) are leaves. */
function leaves(node: unknown, path: string, out: [string, unknown][]): [string, unknown][] {
  if (path !== '' && (isNumericValue(node) || !isPlainObject(node))) {
    if (Array.isArray(node)) node.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
    else out.push([path, node]);
    return out;
  }
  for (const [k, v] of Object.entries(node as Node)) leaves(v, path === '' ? k : `${path}.${k}`, out);
  return out;
}

/** A peak_tflops override is written per precision; its slot is accelerator.peak_tflops. */
const slotPathOf = (path: string): string => path.replace(/^accelerator\.peak_tflops\.(bf16|fp8|fp4)$/, 'accelerator.peak_tflops');

function section(s: Node, key: string): Node {
  const v = s[key];
  return isPlainObject(v) ? v : {};
}

describe('example scenarios: fields the model knows', () => {
  it('include the flagship and the examples the catalog is shown with', () => {
    for (const f of [
      'h100-llama70b-fp8-owned.yaml',
      'h100-llama70b-cloud.yaml',
      'b200-deepseek-r1-fp4-mtp.yaml',
      'measured-h200-llama70b.yaml',
    ]) {
      expect(scenarioFiles).toContain(f);
    }
    expect(scenarioFiles.some((f) => f.startsWith('rtx-pro-6000-'))).toBe(true);
  });

  it.each(scenarioFiles)('%s uses only known top-level sections and a name', (file) => {
    const s = scenarios.get(file)!;
    expect(Object.keys(s).filter((k) => !TOP_KEYS.includes(k))).toEqual([]);
    expect(typeof s['name']).toBe('string');
  });

  it.each(scenarioFiles)('%s: every field is a slot path with a numeric value, or a known choice', (file) => {
    const s = scenarios.get(file)!;
    // The scenario's own inputs and metrics are checked by test/custom-scenario.test.ts.
    const body = Object.fromEntries(
      Object.entries(s).filter(([k]) => !['name', 'seed', 'samples', 'sampling', 'description', 'inputs', 'metrics'].includes(k)),
    );
    for (const [path, value] of leaves(body, '', [])) {
      const choice = CHOICES[path];
      if (choice !== undefined) {
        if (choice === 'string') expect(typeof value, path).toBe('string');
        else expect(choice, path).toContain(value);
        continue;
      }
      expect(SLOT_PATHS.has(slotPathOf(path)), `${file}: ${path} is not an input of the model`).toBe(true);
      expect(isNumericValue(value), `${file}: ${path} is not a number, distribution or sweep`).toBe(true);
    }
  });
});

describe('example scenarios: consistent with the catalogs', () => {
  it.each(costModelFiles)('%s names catalog entries that exist, and a precision its accelerator has', (file) => {
    const s = scenarios.get(file)!;
    const acceleratorId = section(s, 'accelerator')['catalog'] as string;
    const modelId = section(s, 'model')['catalog'] as string;
    expect(Object.keys(accelerators)).toContain(acceleratorId);
    expect(Object.keys(models)).toContain(modelId);
    const compute = (section(s, 'model')['compute'] as string | undefined) ?? 'bf16';
    expect(Object.keys(section(accelerators[acceleratorId] as Node, 'peak_tflops'))).toContain(compute);
  });

  const rooflineFiles = costModelFiles.filter((f) => section(scenarios.get(f)!, 'throughput')['mode'] !== 'measured');

  it('measured mode is shown by one example, the others run the roofline', () => {
    expect(costModelFiles.filter((f) => !rooflineFiles.includes(f))).toEqual(['measured-h200-llama70b.yaml']);
    expect(ownModels).toEqual(['custom-sobol-g.yaml']);
  });

  it.each(rooflineFiles)('%s fits its weights in the replica\'s usable memory with room for KV cache', (file) => {
    const s = scenarios.get(file)!;
    const a = accelerators[section(s, 'accelerator')['catalog'] as string] as Node;
    const m = models[section(s, 'model')['catalog'] as string] as Node;
    const weightBits = (section(s, 'model')['weight_bits'] as number | undefined) ?? 16;
    const gpus = section(s, 'serving')['gpus_per_replica'];
    expect(typeof gpus, 'gpus_per_replica is a plain number in the examples').toBe('number');
    const weightBytes = (m['params_total'] as number) * (weightBits / 8);
    // docs/model.md "Memory (per GPU)" with the default hbm_usable_fraction 0.9; demand at least 10% of it left
    // for KV cache so the example is not infeasible for every batch.
    const usableBytes = (gpus as number) * (a['hbm_gb'] as number) * 1e9 * 0.9;
    expect(weightBytes).toBeLessThan(0.9 * usableBytes);
  });
});

describe('the flagship and its cloud counterpart', () => {
  const owned = scenarios.get('h100-llama70b-fp8-owned.yaml')!;
  const cloud = scenarios.get('h100-llama70b-cloud.yaml')!;

  it('the flagship has at least eight uncertain inputs and no sweep', () => {
    const values = leaves(owned, '', []).map(([, v]) => v);
    const uncertain = values.filter((v) => typeof v === 'string' ? isNumericValue(v) : isPlainObject(v) && !('sweep' in v));
    expect(uncertain.length).toBeGreaterThanOrEqual(8);
    expect(values.some((v) => isPlainObject(v) && 'sweep' in v)).toBe(false);
  });

  it('the pair differ only in costs: same accelerator, model, workload and serving, owned vs cloud', () => {
    for (const key of ['accelerator', 'model', 'workload', 'serving']) expect(cloud[key], key).toEqual(owned[key]);
    expect(section(owned, 'costs')['pricing']).toBe('owned');
    expect(section(cloud, 'costs')['pricing']).toBe('cloud');
  });
});
