/**
 * The catalogs of accelerators, models and serving engines shipped in the package
 * (scenarios/catalog/*.yaml): a YAML map from id to entry, each number with its source cited in
 * the file.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';
import { RuntimeError } from '../errors.js';
import { Issues } from './issues.js';
import type { NumericValue } from './numeric.js';
import { parseNumeric } from './numeric.js';
import { RANGES, checkRange } from './ranges.js';
import type { Range } from './ranges.js';
import type { SourceNode } from './source.js';
import { describeNode, parseSource } from './source.js';
import { didYouMean } from '../suggest.js';
import { PRECISIONS } from './defaults.js';

export type Attention = 'gqa' | 'mla';

export interface CatalogEntry {
  id: string;
  name: string;
  /** Numeric fields by their key within the entry: `hbm_gb`, `peak_tflops.fp8`. */
  numbers: Map<string, NumericValue>;
  /** Models only. */
  attention: Attention | undefined;
}

export interface Catalog {
  accelerators: Map<string, CatalogEntry>;
  models: Map<string, CatalogEntry>;
  /** Serving engines: what an engine spends per step that the roofline does not see. */
  engines: Map<string, CatalogEntry>;
  /** Paths (or names) of the files the entries came from, for messages. */
  acceleratorsFile: string;
  modelsFile: string;
  enginesFile: string;
}

export type CatalogKind = 'accelerator' | 'model' | 'engine';

/** Keys that carry documentation only and may hold anything. */
const FREE_KEYS = ['sources', 'notes'];

const ACCELERATOR_NUMBERS = [
  'hbm_gb', 'hbm_tb_per_s', 'tdp_w', 'it_power_kw_per_gpu', 'capex_usd_per_gpu',
  'scale_up_gb_per_s', 'scale_up_domain', 'scale_out_gb_per_s', 'collective_latency_us',
] as const;
const ACCELERATOR_KEYS = ['name', 'peak_tflops', ...ACCELERATOR_NUMBERS, ...FREE_KEYS];

const MODEL_NUMBERS = [
  'params_total', 'params_active', 'layers', 'hidden', 'heads', 'kv_heads', 'head_dim',
  'experts', 'experts_per_token', 'kv_lora_rank', 'qk_rope_head_dim',
] as const;
const MODEL_KEYS = ['name', 'attention', ...MODEL_NUMBERS, ...FREE_KEYS];

/** An engine entry's numbers are the serving inputs it sets (serving.<key>). */
const ENGINE_NUMBERS = ['host_overhead_us_per_seq'] as const;
const ENGINE_KEYS = ['name', ...ENGINE_NUMBERS, ...FREE_KEYS];
const KEYS: Record<CatalogKind, readonly string[]> = { accelerator: ACCELERATOR_KEYS, model: MODEL_KEYS, engine: ENGINE_KEYS };

function rangeFor(key: string): Range {
  const name = key.startsWith('peak_tflops.') ? 'peak_tflops' : key;
  return RANGES[name as keyof typeof RANGES];
}

function readNumberField(node: SourceNode, key: string, path: string, entry: CatalogEntry, issues: Issues): void {
  const before = issues.count;
  const v = parseNumeric(node, path, issues, false);
  if (!v) return;
  checkRange(path, v, rangeFor(key), issues);
  if (issues.count === before) entry.numbers.set(key, v);
}

function parseEntries(root: SourceNode, kind: CatalogKind, issues: Issues): Map<string, CatalogEntry> {
  const out = new Map<string, CatalogEntry>();
  if (root.kind !== 'map') {
    issues.add('', `expected a mapping from ${kind} id to entry, got ${describeNode(root)}`, root.line);
    return out;
  }
  const keys = KEYS[kind];
  for (const { key: id, value, line } of root.entries) {
    if (value.kind !== 'map') {
      issues.add(id, `expected a mapping of ${kind} fields, got ${describeNode(value)}`, line);
      continue;
    }
    const entry: CatalogEntry = { id, name: id, numbers: new Map(), attention: undefined };
    for (const e of value.entries) {
      const path = `${id}.${e.key}`;
      if (!keys.includes(e.key)) {
        issues.add(path, `unknown key${didYouMean(e.key, keys)}`, e.line);
      } else if (FREE_KEYS.includes(e.key)) {
        // Documentation: not read.
      } else if (e.key === 'name') {
        if (e.value.kind === 'scalar' && typeof e.value.value === 'string') entry.name = e.value.value;
        else issues.add(path, `expected a string, got ${describeNode(e.value)}`, e.line);
      } else if (e.key === 'attention') {
        if (e.value.kind === 'scalar' && (e.value.value === 'gqa' || e.value.value === 'mla')) entry.attention = e.value.value;
        else issues.add(path, `expected gqa or mla, got ${describeNode(e.value)}`, e.line);
      } else if (e.key === 'peak_tflops') {
        if (e.value.kind !== 'map') {
          issues.add(path, `expected a mapping {bf16, fp8, fp4}, got ${describeNode(e.value)}`, e.line);
          continue;
        }
        for (const p of e.value.entries) {
          if (!(PRECISIONS as readonly string[]).includes(p.key)) {
            issues.add(`${path}.${p.key}`, `unknown precision${didYouMean(p.key, PRECISIONS)} (expected ${PRECISIONS.join(', ')})`, p.line);
          } else readNumberField(p.value, `peak_tflops.${p.key}`, `${path}.${p.key}`, entry, issues);
        }
      } else {
        readNumberField(e.value, e.key, path, entry, issues);
      }
    }
    out.set(id, entry);
  }
  return out;
}

/** The catalog files' text, by kind. */
export interface CatalogTexts {
  accelerators: string;
  models: string;
  /** Optional: a catalog without engines knows none. */
  engines?: string;
}

/** Parses the catalog files' text. Problems are InputErrors naming the catalog file. */
export function parseCatalog(
  texts: CatalogTexts,
  files: { accelerators: string; models: string; engines: string } = { accelerators: 'accelerators.yaml', models: 'models.yaml', engines: 'engines.yaml' },
): Catalog {
  const read = (text: string, file: string, kind: CatalogKind): Map<string, CatalogEntry> => {
    const issues = new Issues();
    const entries = parseEntries(parseSource(text, file), kind, issues);
    issues.throwIfAny(file);
    return entries;
  };
  return {
    accelerators: read(texts.accelerators, files.accelerators, 'accelerator'),
    models: read(texts.models, files.models, 'model'),
    engines: texts.engines === undefined ? new Map() : read(texts.engines, files.engines, 'engine'),
    acceleratorsFile: files.accelerators,
    modelsFile: files.models,
    enginesFile: files.engines,
  };
}

/** scenarios/catalog in the package (found from src/ under tests and from dist/src/ when built). */
export function defaultCatalogDir(): string {
  return join(packageRoot(), 'scenarios', 'catalog');
}

const cache = new Map<string, Catalog>();

/** Loads (once per folder) accelerators.yaml, models.yaml and engines.yaml from a catalog folder. */
export function loadCatalog(dir: string = defaultCatalogDir()): Catalog {
  const hit = cache.get(dir);
  if (hit) return hit;
  const files = { accelerators: join(dir, 'accelerators.yaml'), models: join(dir, 'models.yaml'), engines: join(dir, 'engines.yaml') };
  const readText = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      // The catalog ships with the package: a missing one is a broken install, not bad input.
      throw new RuntimeError(`cannot read the catalog ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const catalog = parseCatalog(
    { accelerators: readText(files.accelerators), models: readText(files.models), engines: readText(files.engines) },
    files,
  );
  cache.set(dir, catalog);
  return catalog;
}
