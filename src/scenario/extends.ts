/**
 * Scenario inheritance: `extends: other.yaml` (a path relative to the file) reads another scenario
 * and lays this file's fields over it. Sections merge key by key, all the way down; a field that
 * is a number, a distribution, a sweep or a list is replaced whole; `key: null` removes what the
 * other file gave; a section holding `$patch: replace` replaces the inherited section whole. A
 * file may extend a file that extends another; a cycle is refused with the chain in the message.
 *
 * Every node of the merged tree keeps the file it came from, encoded in its line number
 * (`fileIndex * LINE_STRIDE + line`, see lineIn/locate), so that a later error names the file and
 * line where the offending value was written, not the file that inherited it.
 */

import { readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { Field } from './schema.js';
import { SCHEMA } from './schema.js';
import type { SourceEntry, SourceNode } from './source.js';
import { describeNode, parseSource } from './source.js';

/** Lines of the file at index k of a chain are stored as k * LINE_STRIDE + line. */
export const LINE_STRIDE = 1e9;
/** How many files deep a chain of `extends` may go. */
export const MAX_EXTENDS_DEPTH = 32;

/** The file and plain line of an encoded line, against the chain of files that was merged. */
export function locate(line: number, files: readonly string[]): { file: string | undefined; line: number } {
  const k = Math.floor(line / LINE_STRIDE);
  return { file: k > 0 ? files[k] : undefined, line: line - k * LINE_STRIDE };
}

function shiftLines(node: SourceNode, offset: number): SourceNode {
  if (offset === 0) return node;
  const at = (l: number | undefined): number | undefined => (l === undefined ? undefined : l + offset);
  if (node.kind === 'map') {
    return { kind: 'map', line: at(node.line), entries: node.entries.map((e) => ({ key: e.key, line: at(e.line), value: shiftLines(e.value, offset) })) };
  }
  if (node.kind === 'seq') return { kind: 'seq', line: at(node.line), items: node.items.map((i) => shiftLines(i, offset)) };
  return { ...node, line: at(node.line) };
}

const isNull = (n: SourceNode): boolean => n.kind === 'scalar' && (n.value === null || n.value === undefined);

/** Sections merge key by key; `inputs:`, `metrics:` and `probability_below:` merge by name. Anything else is replaced. */
function mergesKeyByKey(field: Field | undefined): boolean {
  return field !== undefined && (field.t === 'section' || field.t === 'customInputs' || field.t === 'customMetrics' || field.t === 'probabilityBelow');
}

function childFields(field: Field | undefined): Record<string, Field> | undefined {
  return field?.t === 'section' ? field.fields : undefined;
}

/** `$patch: replace` in a section: the section replaces the inherited one instead of merging into it. */
function patchDirective(node: SourceNode, path: string, fail: (path: string, message: string, line: number | undefined) => void): { replace: boolean; node: SourceNode } {
  if (node.kind !== 'map') return { replace: false, node };
  const patch = node.entries.find((e) => e.key === '$patch');
  if (!patch) return { replace: false, node };
  if (!(patch.value.kind === 'scalar' && patch.value.value === 'replace')) {
    fail(path ? `${path}.$patch` : '$patch', `expected replace (the section replaces the inherited one), got ${describeNode(patch.value)}`, patch.line);
  }
  return { replace: true, node: { ...node, entries: node.entries.filter((e) => e !== patch) } };
}

/** Lays `over` on `base` (both maps). */
function merge(
  base: SourceNode & { kind: 'map' },
  over: SourceNode & { kind: 'map' },
  fields: Record<string, Field> | undefined,
  prefix: string,
  fail: (path: string, message: string, line: number | undefined) => void,
): SourceNode & { kind: 'map' } {
  const entries: SourceEntry[] = [...base.entries];
  for (const entry of over.entries) {
    const path = prefix ? `${prefix}.${entry.key}` : entry.key;
    const at = entries.findIndex((e) => e.key === entry.key);
    if (isNull(entry.value)) {
      if (at >= 0) entries.splice(at, 1);
      continue;
    }
    const field = fields?.[entry.key];
    const { replace, node } = patchDirective(entry.value, path, fail);
    const inherited = at >= 0 ? entries[at]!.value : undefined;
    let value = node;
    if (!replace && inherited?.kind === 'map' && node.kind === 'map' && mergesKeyByKey(field)) {
      value = merge(inherited, node, childFields(field), path, fail);
    }
    const merged: SourceEntry = { key: entry.key, value, line: entry.line };
    if (at >= 0) entries[at] = merged;
    else entries.push(merged);
  }
  return { kind: 'map', entries, line: over.line ?? base.line };
}

/** `$patch` anywhere in a file that extends nothing is a mistake: there is nothing to replace. */
function findStrayPatch(node: SourceNode, prefix: string, fail: (path: string, message: string, line: number | undefined) => void): void {
  if (node.kind !== 'map') return;
  for (const e of node.entries) {
    const path = prefix ? `${prefix}.${e.key}` : e.key;
    if (e.key === '$patch') fail(path, 'only means something in a file that extends another (extends: other.yaml)', e.line);
    else findStrayPatch(e.value, path, fail);
  }
}

export interface ReadTree {
  root: SourceNode;
  /** The files merged, this one first, then the one it extends, and so on. */
  files: string[];
}

function show(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * Parses a scenario's text and, when it has `extends:`, the files it extends, merged into one
 * tree. Problems with the inheritance itself (a missing file, a cycle) are InputErrors naming
 * the file whose `extends:` is wrong and its line.
 */
export function readScenarioTree(text: string, file: string): ReadTree {
  const files: string[] = [file];
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const chain: string[] = [real(file)];

  const load = (nodeText: string, nodeFile: string, index: number): SourceNode => {
    const root = shiftLines(parseSource(nodeText, nodeFile), index * LINE_STRIDE);
    const problems: { path: string; message: string; line?: number }[] = [];
    const fail = (path: string, message: string, line: number | undefined): void => {
      problems.push(line === undefined ? { path, message } : { path, message, line: line - index * LINE_STRIDE });
    };
    if (root.kind !== 'map') return root;
    const ext = root.entries.find((e) => e.key === 'extends');
    if (!ext) {
      findStrayPatch(root, '', fail);
      if (problems.length) throw new InputError(problems, nodeFile);
      return root;
    }
    const own: SourceNode & { kind: 'map' } = { ...root, entries: root.entries.filter((e) => e !== ext) };
    const extLine = ext.line === undefined ? undefined : ext.line - index * LINE_STRIDE;
    const target = ext.value.kind === 'scalar' ? ext.value.value : undefined;
    if (typeof target !== 'string' || target.trim() === '') {
      throw new InputError([{ path: 'extends', message: `expected the path of a scenario file (relative to this one), got ${describeNode(ext.value)}`, ...(extLine ? { line: extLine } : {}) }], nodeFile);
    }
    const parentFile = resolve(dirname(nodeFile), target);
    const parentReal = real(parentFile);
    const cycleAt = chain.indexOf(parentReal);
    if (cycleAt >= 0) {
      const loop = [...chain.slice(cycleAt), parentReal].map(show).join(' -> ');
      throw new InputError([{ path: 'extends', message: `a cycle of extends: ${loop}`, ...(extLine ? { line: extLine } : {}) }], nodeFile);
    }
    if (chain.length >= MAX_EXTENDS_DEPTH) {
      throw new InputError([{ path: 'extends', message: `more than ${MAX_EXTENDS_DEPTH} files deep: ${chain.map(show).join(' -> ')}`, ...(extLine ? { line: extLine } : {}) }], nodeFile);
    }
    let parentText: string;
    try {
      parentText = readFileSync(parentFile, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : e instanceof Error ? e.message : String(e);
      throw new InputError([{ path: 'extends', message: `cannot read ${show(parentFile)}: ${why}`, ...(extLine ? { line: extLine } : {}) }], nodeFile);
    }
    chain.push(parentReal);
    const parentIndex = files.length;
    const shown = show(parentFile);
    files.push(shown);
    const parent = load(parentText, shown, parentIndex);
    const merged = parent.kind === 'map' ? merge(parent, own, SCHEMA, '', fail) : own;
    if (problems.length) throw new InputError(problems, nodeFile);
    return merged;
  };

  return { root: load(text, file, 0), files };
}
