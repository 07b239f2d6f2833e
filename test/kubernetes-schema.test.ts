/**
 * deploy/kubernetes/*.yaml against the Kubernetes API schema: every object of every manifest
 * (multi-document YAML) validates against its kind's JSON schema, as published in Kubernetes'
 * OpenAPI definitions and compiled by the `kubernetes-models` package (its `validate()`). Types,
 * required fields and formats are checked; unknown fields are not, because the published schemas
 * allow them (the API server's strict field validation rejects them when the manifest is applied).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';

const root = join(import.meta.dirname, '..');
const dir = join(root, 'deploy', 'kubernetes');

/** The kinds the manifests use, by `apiVersion/kind`, each with its schema's validator. */
const SCHEMAS: Record<string, (object: Record<string, unknown>) => void> = {
  'v1/ConfigMap': (o) => new ConfigMap(o as ConstructorParameters<typeof ConfigMap>[0]).validate(),
  'batch/v1/Job': (o) => new Job(o as ConstructorParameters<typeof Job>[0]).validate(),
};

type Manifest = Record<string, any>;

function objectsOf(text: string, file: string): Manifest[] {
  return parseAllDocuments(text).map((doc, i) => {
    expect(doc.errors, `${file} document ${i + 1} parses`).toEqual([]);
    return doc.toJS() as Manifest;
  });
}

/** The schema's complaint about `object`, or null when it validates. */
function schemaError(object: Manifest): string | null {
  const key = `${object['apiVersion']}/${object['kind']}`;
  const validate = SCHEMAS[key];
  if (!validate) return `no schema in this test for ${key}`;
  try {
    validate(object);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('deploy/kubernetes manifests against the Kubernetes API schema', () => {
  it('has manifests to check', () => {
    expect(files).toEqual(expect.arrayContaining(['shards.yaml', 'merge.yaml']));
  });

  it.each(files)('%s: every object validates against its kind', (file) => {
    const objects = objectsOf(readFileSync(join(dir, file), 'utf8'), file);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) expect(schemaError(o), `${file}: ${o['kind']} ${o['metadata']?.name}`).toBeNull();
  });

  const shardJob = () => objectsOf(readFileSync(join(dir, 'shards.yaml'), 'utf8'), 'shards.yaml').find((o) => o['kind'] === 'Job')!;

  const breakages: [string, (job: Manifest) => void, RegExp][] = [
    ['completions as a string', (j) => void (j['spec'].completions = '3'), /completions must be integer/],
    ['a container without a name', (j) => void delete j['spec'].template.spec.containers[0].name, /name/],
    ['a Job without a pod template', (j) => void delete j['spec'].template, /template/],
    ['an env entry whose value is a number', (j) => void (j['spec'].template.spec.containers[0].env[0].value = 8), /value must be string/],
  ];
  it.each(breakages)('rejects a broken copy of the shard Job: %s', (_what, breakIt, message) => {
    const job = shardJob();
    expect(schemaError(job)).toBeNull();
    breakIt(job);
    expect(schemaError(job)).toMatch(message);
  });

  it('rejects a kind it has no schema for, rather than passing it unchecked', () => {
    expect(schemaError({ apiVersion: 'v1', kind: 'Pod' })).toMatch(/no schema/);
  });
});
