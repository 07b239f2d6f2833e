/**
 * Reading scenario and catalog text (YAML or JSON) into a small tree that remembers the line
 * each value came from, so that every later error can point at its line.
 */

import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { InputError } from '../errors.js';

export type SourceNode =
  | { kind: 'map'; entries: SourceEntry[]; line: number | undefined }
  | { kind: 'seq'; items: SourceNode[]; line: number | undefined }
  | { kind: 'scalar'; value: unknown; line: number | undefined };

export interface SourceEntry {
  key: string;
  value: SourceNode;
  line: number | undefined;
}

/** Whether to read the text as JSON: by the file's extension, or by its first character. */
function looksLikeJson(text: string, file: string): boolean {
  if (/\.json$/i.test(file)) return true;
  if (/\.ya?ml$/i.test(file)) return false;
  return /^\s*[{[]/.test(text);
}

/** The 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Parses YAML or JSON text into a SourceNode tree. Syntax errors, an empty document and more
 * than one document are InputErrors naming the file (and the line, when the parser knows it).
 */
export function parseSource(text: string, file: string): SourceNode {
  if (text.trim() === '') throw new InputError([{ path: '', message: 'the file is empty' }], file);
  if (looksLikeJson(text, file)) {
    try {
      JSON.parse(text);
    } catch (e) {
      // V8 reports "... at position N" (Node 20) or "(line L column C)" (newer); give a line when we can.
      const msg = e instanceof Error ? e.message : String(e);
      const pos = /at position (\d+)/.exec(msg);
      const lineCol = /line (\d+) column/.exec(msg);
      const line = pos ? lineAt(text, Number(pos[1])) : lineCol ? Number(lineCol[1]) : undefined;
      throw new InputError([{ path: '', message: `JSON syntax error: ${msg}`, ...(line ? { line } : {}) }], file);
    }
    // JSON is YAML 1.2 flow syntax, so the YAML reader gives the same values plus their lines;
    // if it disagrees (tabs, odd escapes), fall back to plain JSON values without lines.
    try {
      return parseYaml(text, file);
    } catch {
      return fromPlain(JSON.parse(text) as unknown);
    }
  }
  return parseYaml(text, file);
}

function parseYaml(text: string, file: string): SourceNode {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((err) => {
        const line = err.linePos?.[0]?.line ?? lineCounter.linePos(err.pos[0]).line;
        // The parser's message may carry a code excerpt after the first line; keep the sentence.
        const first = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
        return { path: '', message: `YAML syntax error: ${first}`, line };
      }),
      file,
    );
  }
  if (doc.contents === null) throw new InputError([{ path: '', message: 'the file is empty' }], file);
  return fromYaml(doc.contents, doc, lineCounter);
}

function fromYaml(node: unknown, doc: Document, lc: LineCounter): SourceNode {
  const lineOf = (n: { range?: [number, number, number] | null | undefined }): number | undefined =>
    n.range ? lc.linePos(n.range[0]).line : undefined;
  if (isAlias(node)) return fromYaml(node.resolve(doc), doc, lc);
  if (isMap(node)) {
    const entries: SourceEntry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const line = isScalar(keyNode) ? lineOf(keyNode) : undefined;
      const value: SourceNode =
        pair.value === null || pair.value === undefined
          ? { kind: 'scalar', value: null, line }
          : fromYaml(pair.value, doc, lc);
      entries.push({ key, value, line });
    }
    return { kind: 'map', entries, line: lineOf(node) };
  }
  if (isSeq(node)) {
    return { kind: 'seq', items: node.items.map((it) => fromYaml(it, doc, lc)), line: lineOf(node) };
  }
  if (isScalar(node)) return { kind: 'scalar', value: node.value, line: lineOf(node) };
  return { kind: 'scalar', value: (node as YamlNode | null)?.toJSON?.() ?? null, line: undefined };
}

/** A tree without lines, from plain values (JSON.parse output, or objects built in code). */
export function fromPlain(value: unknown): SourceNode {
  if (Array.isArray(value)) return { kind: 'seq', items: value.map(fromPlain), line: undefined };
  if (value !== null && typeof value === 'object') {
    return {
      kind: 'map',
      entries: Object.entries(value as Record<string, unknown>).map(([key, v]) => ({
        key,
        value: fromPlain(v),
        line: undefined,
      })),
      line: undefined,
    };
  }
  return { kind: 'scalar', value, line: undefined };
}

/** How a value reads in an error message: `"abc"`, `[1, 2]`, `a mapping`. */
export function describeNode(node: SourceNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return 'a list';
  const v = node.value;
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}
