/**
 * `extends: other.yaml`: a scenario laid over another, sections merged key by key, whole values
 * replaced, `null` removing a field, `$patch: replace` replacing a section; cycles refused with
 * the chain; every error names the file (and line) where the offending value was written.
 */

import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { constantOf, loadScenario } from '../src/scenario/index.js';
import { FIXTURE_CATALOG } from './scenario-fixtures.js';

const opts = { catalog: FIXTURE_CATALOG };

const BASE = `name: base, owned
seed: base-seed
samples: 1000
accelerator: { catalog: h100-sxm }
model: { catalog: llama-3.1-70b, weight_bits: 8, kv_bits: 8, compute: fp8 }
workload: { input_tokens: 2000, output_tokens: 500, prefix_cache_hit_rate: { uniform: [0, 0.4] } }
serving:
  gpus_per_replica: 8
  batch_size: 64
  utilization: { pert: [0.35, 0.6, 0.85] }
  mbu_decode: { uniform: [0.6, 0.85] }
costs:
  pricing: owned
  capex_usd_per_gpu: { triangular: [28000, 32000, 40000] }
  life_years: 5
  cost_of_capital: 0.10
  pue: { uniform: [1.15, 1.40] }
  power_price_usd_per_kwh: "0.05 to 0.15"
  colocation_usd_per_kw_month: 180
`;

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cptsim-extends-'));
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

async function loadError(path: string): Promise<InputError> {
  try {
    await loadScenario(path, opts);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error(`${path} loaded without error`);
}

describe('extends: a scenario over another', () => {
  it('keeps what the child does not say and takes what it says, merging sections key by key', async () => {
    const dir = folder({
      'base.yaml': BASE,
      'child.yaml': 'extends: base.yaml\nname: child\nserving: { batch_size: 128 }\ncosts: { life_years: 4 }\n',
    });
    const s = await loadScenario(join(dir, 'child.yaml'), opts);
    expect(s.name).toBe('child');
    expect(s.seed).toBe('base-seed');
    expect(constantOf(s.inputs.batch_size!.value.spec)).toBe(128);
    expect(constantOf(s.inputs.life_years!.value.spec)).toBe(4);
    // Untouched siblings of a merged section survive.
    expect(constantOf(s.inputs.gpus_per_replica!.value.spec)).toBe(8);
    expect(s.inputs.utilization!.value.spec).toMatchObject({ kind: 'dist', dist: { kind: 'pert' } });
    expect(constantOf(s.inputs.colocation_usd_per_kw_month!.value.spec)).toBe(180);
  });

  it('replaces a distribution whole (no mixing of a pert and a uniform)', async () => {
    const dir = folder({ 'base.yaml': BASE, 'c.yaml': 'extends: base.yaml\nserving: { utilization: { uniform: [0.5, 0.7] } }\n' });
    const s = await loadScenario(join(dir, 'c.yaml'), opts);
    expect(s.inputs.utilization!.value.spec).toMatchObject({ kind: 'dist', dist: { kind: 'uniform', min: 0.5, max: 0.7 } });
  });

  it('resolves the path relative to the file, through a chain of files', async () => {
    const dir = folder({
      'shared/base.yaml': BASE,
      'shared/mid.yaml': 'extends: base.yaml\nserving: { batch_size: 32 }\n',
      'variants/leaf.yaml': 'extends: ../shared/mid.yaml\nname: leaf\n',
    });
    const s = await loadScenario(join(dir, 'variants', 'leaf.yaml'), opts);
    expect(s.name).toBe('leaf');
    expect(constantOf(s.inputs.batch_size!.value.spec)).toBe(32);
  });

  it('removes an inherited field given as null, and replaces a section holding $patch: replace', async () => {
    const dir = folder({
      'base.yaml': BASE,
      'cloud.yaml': `extends: base.yaml
name: rented
costs:
  $patch: replace
  pricing: cloud
  cloud_usd_per_gpu_hour: 2.5
`,
      'nulled.yaml': 'extends: base.yaml\nserving: { mbu_decode: null }\n',
    });
    const cloud = await loadScenario(join(dir, 'cloud.yaml'), opts);
    expect(cloud.pricing).toBe('cloud');
    expect(constantOf(cloud.inputs.cloud_usd_per_gpu_hour!.value.spec)).toBe(2.5);
    expect(cloud.inputs.capex_usd_per_gpu).toBeUndefined();
    const nulled = await loadScenario(join(dir, 'nulled.yaml'), opts);
    // Back to the default, not the base's uniform.
    expect(nulled.inputs.mbu_decode!.source).toBe('default');
  });

  it('without $patch, a cloud child of an owned base is told which inherited fields cloud pricing ignores', async () => {
    const dir = folder({ 'base.yaml': BASE, 'c.yaml': 'extends: base.yaml\ncosts: { pricing: cloud, cloud_usd_per_gpu_hour: 2 }\n' });
    const e = await loadError(join(dir, 'c.yaml'));
    // The ignored field was written in base.yaml, line 14.
    expect(e.message).toContain(`${join(dir, 'base.yaml')}:14: costs.capex_usd_per_gpu: is not used with costs.pricing: cloud`);
  });

  it('names the file and line where a bad value was written: the child or the file it extends', async () => {
    const dir = folder({
      'base.yaml': BASE.replace('life_years: 5', 'life_years: -5'),
      'child.yaml': 'extends: base.yaml\nname: child\nserving:\n  batch_sise: 3\n',
    });
    const e = await loadError(join(dir, 'child.yaml'));
    expect(e.message).toContain(`${join(dir, 'child.yaml')}:4: serving.batch_sise: unknown key; did you mean \`batch_size\`?`);
    expect(e.message).toContain(`${join(dir, 'base.yaml')}:15: costs.life_years: expected a number in (0, 100], got -5`);
  });

  it('refuses a cycle with the chain of files in the message', async () => {
    const dir = folder({
      'a.yaml': 'extends: b.yaml\nname: a\n',
      'b.yaml': 'name: b\nextends: c.yaml\n',
      'c.yaml': 'extends: a.yaml\n',
    });
    const e = await loadError(join(dir, 'a.yaml'));
    expect(e.message).toMatch(/c\.yaml:1: extends: a cycle of extends: .*a\.yaml -> .*b\.yaml -> .*c\.yaml -> .*a\.yaml/);
    const self = folder({ 's.yaml': 'extends: ./s.yaml\n' });
    expect((await loadError(join(self, 's.yaml'))).message).toMatch(/a cycle of extends: .*s\.yaml -> .*s\.yaml/);
  });

  it('names the child, its line and the missing file when the file it extends cannot be read', async () => {
    const dir = folder({ 'c.yaml': 'name: c\nextends: nowhere.yaml\n' });
    const e = await loadError(join(dir, 'c.yaml'));
    expect(e.message).toContain(`${join(dir, 'c.yaml')}:2: extends: cannot read`);
    expect(e.message).toContain('nowhere.yaml: no such file');
    const bad = folder({ 'c.yaml': 'extends: [a.yaml]\n' });
    expect((await loadError(join(bad, 'c.yaml'))).message).toContain('extends: expected the path of a scenario file');
  });

  it('reports a syntax error in the file extended under that file', async () => {
    const dir = folder({ 'base.yaml': 'name: x\n  bad: [\n', 'c.yaml': 'extends: base.yaml\n' });
    const e = await loadError(join(dir, 'c.yaml'));
    expect(e.message).toContain(join(dir, 'base.yaml'));
    expect(e.message).toContain('YAML syntax error');
  });

  it('refuses $patch in a file that extends nothing, and a $patch other than replace', async () => {
    const dir = folder({
      'lone.yaml': BASE.replace('costs:\n', 'costs:\n  $patch: replace\n'),
      'base.yaml': BASE,
      'odd.yaml': 'extends: base.yaml\ncosts: { $patch: merge, life_years: 3 }\n',
    });
    expect((await loadError(join(dir, 'lone.yaml'))).message).toContain('costs.$patch: only means something in a file that extends another');
    expect((await loadError(join(dir, 'odd.yaml'))).message).toContain('costs.$patch: expected replace');
  });
});
