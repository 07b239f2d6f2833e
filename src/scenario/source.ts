/**
 * Reading scenario and catalog text (YAML or JSON) into a small tree that remembers the line
 * each value came from, so that every later error can point at its line.
 */

import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, YAMLMap } from 'yaml';
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
 * Limits on what a scenario file may hold, so that a small hostile file cannot take the reader's
 * time, memory or stack ("billion laughs" aliases, self-referencing aliases, deep nesting). A real
 * scenario is a few sections deep and uses a handful of aliases; these are far above that.
 */
export const SOURCE_LIMITS = {
  /** Mappings and lists inside one another. */
  maxDepth: 64,
  /** Values produced by expanding aliases (`*name`), counted over the whole file. */
  maxAliasValues: 100_000,
} as const;

/**
 * A limit the file broke. Unlike a YAML syntax error, the JSON path does not retry it with the
 * plain JSON reader: the limits hold for both.
 */
class SourceLimitError extends InputError {}

/**
 * How deep brackets (`[`, `{`) and block indentation go, estimated from the text alone before
 * the YAML parser sees it: the parser recurses once per level and deep enough input exhausts its
 * stack. Brackets in quoted strings and comments are skipped; the estimate errs high, which is
 * why it is checked against a bound well above maxDepth (the exact check, with the line, is made
 * on the parsed tree).
 */
function prescanDepth(text: string): { depth: number; line: number } {
  let line = 1;
  let flow = 0;
  let deepest = { depth: 0, line: 1 };
  const indents: number[] = [];
  let atLineStart = true;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      atLineStart = true;
      continue;
    }
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (atLineStart) {
      let j = i;
      while (text[j] === ' ') j++;
      const blank = text[j] === '\n' || text[j] === '#' || text[j] === '\r' || j >= text.length;
      if (!blank && flow === 0) {
        const indent = j - i;
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
      }
      atLineStart = false;
      i = j - 1;
      continue;
    }
    // A quote opens a quoted string only where a value starts (`it's` is plain text).
    if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:-]/.test(text[i - 1]!))) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '[' || c === '{') flow++;
    else if ((c === ']' || c === '}') && flow > 0) flow--;
    const depth = flow + indents.length;
    if (depth > deepest.depth) deepest = { depth, line };
  }
  return deepest;
}

/**
 * Parses YAML or JSON text into a SourceNode tree. Syntax errors, an empty document, more than
 * one document and a file past SOURCE_LIMITS are InputErrors naming the file (and the line,
 * when it is known).
 */
export function parseSource(text: string, file: string): SourceNode {
  if (text.trim() === '') throw new InputError([{ path: '', message: 'the file is empty' }], file);
  const scan = prescanDepth(text);
  if (scan.depth > 4 * SOURCE_LIMITS.maxDepth) {
    throw new SourceLimitError([{ path: '', message: `values are nested more than ${SOURCE_LIMITS.maxDepth} levels deep`, line: scan.line }], file);
  }
  if (looksLikeJson(text, file)) {
    let plain: unknown;
    try {
      plain = JSON.parse(text);
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
    } catch (e) {
      if (e instanceof SourceLimitError) throw e;
      return fromPlain(plain, file);
    }
  }
  return parseYaml(text, file);
}

function parseYaml(text: string, file: string): SourceNode {
  const lineCounter = new LineCounter();
  // `merge` reads YAML 1.1 merge keys (`<<: *base`), which the reader below applies itself.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((err) => {
        const line = err.linePos?.[0]?.line ?? lineCounter.linePos(err.pos[0]).line;
        if (err.code === 'MULTIPLE_DOCS') {
          return { path: '', message: 'the file holds more than one YAML document (a `---` line starts another); a scenario is one document: split it into files or remove the `---`', line };
        }
        if (err.code === 'RESOURCE_EXHAUSTION') {
          return { path: '', message: `values are nested more than ${SOURCE_LIMITS.maxDepth} levels deep`, line };
        }
        // The parser's message may carry a code excerpt after the first line; keep the sentence.
        const first = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
        return { path: '', message: `YAML syntax error: ${first}`, line };
      }),
      file,
    );
  }
  if (doc.contents === null) throw new InputError([{ path: '', message: 'the file is empty' }], file);
  return new YamlReader(doc, lineCounter, file).read(doc.contents);
}

/**
 * Turns the YAML document's nodes into SourceNodes, expanding aliases and merge keys, within
 * SOURCE_LIMITS. Recursion is bounded by maxDepth, so it cannot exhaust the stack.
 */
class YamlReader {
  /** Values produced by alias expansion so far. */
  private aliasValues = 0;
  /** How many aliases are being expanded on the current path (their values count to the budget). */
  private inAlias = 0;
  /** The line of the outermost alias being expanded, named when the budget runs out. */
  private aliasLine: number | undefined;
  /** Collections on the current path: an alias to one of them would expand forever. */
  private readonly open = new Set<unknown>();
  private readonly resolved = new Map<unknown, unknown>();

  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly file: string,
  ) {}

  private lineOf(n: unknown): number | undefined {
    const range = (n as { range?: [number, number, number] | null } | null)?.range;
    return range ? this.lc.linePos(range[0]).line : undefined;
  }

  private fail(message: string, line: number | undefined): never {
    throw new SourceLimitError([{ path: '', message, ...(line === undefined ? {} : { line }) }], this.file);
  }

  read(node: unknown, depth = 0): SourceNode {
    if (depth > SOURCE_LIMITS.maxDepth) this.fail(`values are nested more than ${SOURCE_LIMITS.maxDepth} levels deep`, this.lineOf(node));
    if (this.inAlias > 0 && ++this.aliasValues > SOURCE_LIMITS.maxAliasValues) {
      this.fail(
        `aliases (*name) expand to more than ${SOURCE_LIMITS.maxAliasValues.toLocaleString('en-US')} values; a scenario needs far fewer (an alias bomb?)`,
        this.aliasLine,
      );
    }
    if (isAlias(node)) {
      // Alias.resolve searches the document; an alias bomb reaches the same few aliases often.
      let target = this.resolved.get(node);
      if (target === undefined && !this.resolved.has(node)) {
        target = node.resolve(this.doc);
        this.resolved.set(node, target);
      }
      const line = this.lineOf(node);
      if (target === undefined) this.fail(`the alias *${node.source} names no anchor (&${node.source}) before it`, line);
      if (this.open.has(target)) this.fail(`the alias *${node.source} refers to a value that contains it, so it never ends`, line);
      if (this.inAlias++ === 0) this.aliasLine = line;
      try {
        return this.read(target, depth);
      } finally {
        this.inAlias--;
      }
    }
    if (isMap(node) || isSeq(node)) {
      this.open.add(node);
      try {
        return isMap(node) ? this.readMap(node, depth) : { kind: 'seq', items: node.items.map((it) => this.read(it, depth + 1)), line: this.lineOf(node) };
      } finally {
        this.open.delete(node);
      }
    }
    if (isScalar(node)) return { kind: 'scalar', value: node.value, line: this.lineOf(node) };
    return { kind: 'scalar', value: null, line: this.lineOf(node) };
  }

  private readMap(node: YAMLMap, depth: number): SourceNode {
    // Keys written in the map win over merged ones, and earlier merges over later ones (YAML 1.1
    // merge keys); merged entries take the place of their `<<`.
    const explicit = new Set<string>();
    for (const pair of node.items) if (isPair(pair) && !isMergeKey(pair.key)) explicit.add(this.keyOf(pair.key));
    const entries: SourceEntry[] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      if (isMergeKey(pair.key)) {
        const merged = this.read(pair.value, depth);
        const sources = merged.kind === 'seq' ? merged.items : [merged];
        for (const source of sources) {
          if (source.kind !== 'map') this.fail('a merge key (<<) takes a mapping or a list of mappings, e.g. <<: *defaults', this.lineOf(pair.key));
          for (const e of source.entries) {
            if (explicit.has(e.key) || seen.has(e.key)) continue;
            seen.add(e.key);
            entries.push(e);
          }
        }
        continue;
      }
      const key = this.keyOf(pair.key);
      const line = this.lineOf(pair.key);
      seen.add(key);
      const value: SourceNode = pair.value === null || pair.value === undefined ? { kind: 'scalar', value: null, line } : this.read(pair.value, depth + 1);
      entries.push({ key, value, line });
    }
    return { kind: 'map', entries, line: this.lineOf(node) };
  }

  private keyOf(key: unknown): string {
    if (isScalar(key)) return String(key.value);
    if (key === null || key === undefined) return '';
    this.fail('expected a plain key (a name), got a mapping or a list as a key', this.lineOf(key));
  }
}

/** A `<<` key read with merge keys enabled (its value is a symbol, not a string). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol';
}

/** A tree without lines, from plain values (JSON.parse output, or objects built in code). */
export function fromPlain(value: unknown, file?: string, depth = 0): SourceNode {
  if (depth > SOURCE_LIMITS.maxDepth && value !== null && typeof value === 'object') {
    throw new SourceLimitError([{ path: '', message: `values are nested more than ${SOURCE_LIMITS.maxDepth} levels deep` }], file);
  }
  if (Array.isArray(value)) return { kind: 'seq', items: value.map((v) => fromPlain(v, file, depth + 1)), line: undefined };
  if (value !== null && typeof value === 'object') {
    return {
      kind: 'map',
      entries: Object.entries(value as Record<string, unknown>).map(([key, v]) => ({
        key,
        value: fromPlain(v, file, depth + 1),
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
