/**
 * Random mutations of the example scenarios (scenarios/*.yaml), from a fixed seed: keys deleted,
 * values of the wrong type, huge, negative, NaN and infinite numbers, odd strings, deep nesting,
 * unicode, prototype names, cut-off text. Each is fed to `validate` and, when valid, to `run
 * --samples 1000 --backend cpu`; neither may exit with anything but 0 or 2, print a stack trace
 * or an internal error, or take long. Most cases call the CLI's `main` in this process (spawning
 * Node thousands of times would take minutes); a sample goes through the built CLI as a user runs it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { main } from '../../src/cli.js';
import { root, runCli } from './harness.js';

const SEED = 0x5eed_2026;
// About 20 s of CPU time on a 2-core machine; the runs of the 100-cell sweep example dominate.
const CASES = 1500;
/** Every this many cases, one also goes through the built CLI in a child process. */
const SPAWN_EVERY = 300;

/** mulberry32: a small, fixed PRNG, so that every run tries the same cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(SEED);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

type Value = unknown;
type Container = Record<string, Value> | Value[];

const ODD_NUMBERS = [0, -0, -1, -1e308, 1e308, Number.MAX_VALUE, 5e-324, 1e-320, NaN, Infinity, -Infinity, 2 ** 53 + 1, 0.1 + 0.2, 1e39, -1e39, 3.5, 1e6, 2 ** 40, 2 ** 40 + 1];
const ODD_STRINGS = [
  '', ' ', 'x', '0', '1e3', '0.05 to 0.15', '0.15 to 0.05', '-1 to 1', '1 to 1', 'NaN', 'Infinity', 'null', 'true',
  '🚀🔥', '\u202e\u202dabc', 'é'.repeat(1000), 'a'.repeat(20_000), '${process.exit(3)}', '"); process.exit(3); ("',
  'h100-sxm', 'llama-3.1-70b', 'owned', 'cloud', 'measured', 'roofline', 'fp8', 'fp4', 'mla', 'gqa', 'sobol', 'lhs',
  'x * 2', 'cost_per_mtok_output * 2', '1/0', 'max(', '\u0000',
];
const ODD_KEYS = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'uniform', 'sweep', 'normal', 'catalog', 'x', '', '🚀', 'batch_sise', 'Name', 'sampels'];
const DISTRIBUTIONS: Value[] = [
  { uniform: [0, 1] }, { uniform: [1, 0] }, { uniform: [5] }, { normal: { mean: 1, sd: 0 } }, { normal: { mean: 1, sd: 1, min: 2, max: 1 } },
  { lognormal: { p5: 1, p95: 2 } }, { lognormal: { p5: 0, p95: 2 } }, { lognormal: { median: 1, gsd: 1 } }, { triangular: [0, 5, 1] },
  { pert: [0, 0.5, 1] }, { beta: { alpha: 0, beta: 1, min: 0, max: 1 } }, { discrete: { values: [1, 2], weights: [0, 0] } },
  { discrete: { values: [], weights: [] } }, { sweep: [1, 2, 3] }, { sweep: [] }, { sweep: { from: 0.1, to: 0.5, steps: 3 } },
  { sweep: { from: 1, to: 10, steps: 1e9 } }, { sweep: { from: 1, to: 1, steps: 3 } }, { sweep: { from: 0, to: 10, steps: 3, scale: 'log' } },
  { uniform: [0, 1], normal: { mean: 1, sd: 1 } }, {},
];

/** Every container (mapping or list) in the tree, with the key of each of its entries. */
function slots(tree: Value): { parent: Container; key: string | number }[] {
  const out: { parent: Container; key: string | number }[] = [];
  const walk = (v: Value) => {
    if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i }), walk(x)));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) (out.push({ parent: v as Record<string, Value>, key: k }), walk(x));
  };
  walk(tree);
  return out;
}

function nested(depth: number): Value {
  let v: Value = 1;
  for (let i = 0; i < depth; i++) v = random() < 0.5 ? [v] : { a: v };
  return v;
}

/** A new value of some other kind than `old`. */
function oddValue(old: Value): Value {
  switch (Math.floor(random() * 9)) {
    case 0:
      return pick(ODD_NUMBERS);
    case 1:
      return pick(ODD_STRINGS);
    case 2:
      return pick(DISTRIBUTIONS);
    case 3:
      return null;
    case 4:
      return random() < 0.5 ? true : [];
    case 5:
      return nested(random() < 0.5 ? 3 : 80);
    case 6:
      return typeof old === 'number' ? -old : typeof old === 'string' ? old.split('').reverse().join('') : {};
    case 7:
      return typeof old === 'number' ? old * pick([1e6, 1e-6, 1e300, 0.5, 2]) : [old];
    default:
      return Array.isArray(old) ? Object.fromEntries(old.map((x, i) => [String(i), x])) : old !== null && typeof old === 'object' ? Object.values(old) : { value: old };
  }
}

/** One structural mutation of the tree, in place. */
function mutateTree(tree: Record<string, Value>): void {
  const all = slots(tree);
  if (all.length === 0) return;
  const { parent, key } = pick(all);
  const op = Math.floor(random() * 5);
  if (op === 0) {
    // Delete the entry.
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (op === 1 && !Array.isArray(parent)) {
    // Rename it: a typo, a prototype name, unicode.
    const value = parent[key as string];
    delete parent[key as string];
    Object.defineProperty(parent, pick(ODD_KEYS), { value, enumerable: true, configurable: true, writable: true });
  } else if (op === 2 && !Array.isArray(parent)) {
    // Add an entry.
    Object.defineProperty(parent, pick(ODD_KEYS), { value: oddValue(null), enumerable: true, configurable: true, writable: true });
  } else {
    const old = (parent as Record<string | number, Value>)[key];
    (parent as Record<string | number, Value>)[key] = oddValue(old);
  }
}

/** One mutation of the text itself: cut off, a byte changed, a line repeated, indentation broken. */
function mutateText(text: string): string {
  const at = Math.floor(random() * text.length);
  switch (Math.floor(random() * 7)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + pick(['\t', '\u0000', '\ufeff', ':', '- ', '{', ']', '&a ', '*a', '"', "'", '#', '\r', '\u00e9', '🚀', '<<: *a\n']) + text.slice(at);
    case 2: {
      const lines = text.split('\n');
      const i = Math.floor(random() * lines.length);
      lines.splice(i, 0, lines[i]!);
      return lines.join('\n');
    }
    case 3:
      return text.replace(/^ {2}/gm, () => (random() < 0.1 ? ' ' : '  '));
    case 4:
      return `${text}\n---\n${text}`;
    case 5:
      // What YAML itself allows an attacker: aliases that contain themselves, alias bombs, deep nesting.
      return pick([
        `${text}\nloop: &loop [*loop]\n`,
        `${text}\nloop: &loop { a: *loop }\n`,
        text.replace(/^(\w+):/m, (_, k: string) => `${k}: &top\n  again: *top\n ${k}0:`),
        `${text}\n${Array.from({ length: 8 }, (_, i) => `l${i}: &l${i} [${Array(8).fill(i === 0 ? '"lol"' : `*l${i - 1}`).join(', ')}]`).join('\n')}\n`,
        text.slice(0, at) + '['.repeat(20_000) + text.slice(at),
        `${text}\ndeep: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\n`,
      ]);
    default:
      return text.replace(/\d+(\.\d+)?/, () => pick(['-1', '1e999', '.nan', '.inf', '0x1F', '0o17', '1_000', '0', '9'.repeat(400)]));
  }
}

const examples = readdirSync(join(root, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(root, 'scenarios', f), 'utf8') }));

interface Case {
  file: string;
  text: string;
}

function makeCase(i: number): Case {
  const example = pick(examples);
  if (random() < 0.25) return { file: `case${i % 2}.yaml`, text: mutateText(example.text) };
  const tree = parse(example.text) as Record<string, Value>;
  const n = 1 + Math.floor(random() * 3);
  for (let k = 0; k < n; k++) mutateTree(tree);
  if (random() < 0.15) return { file: `case${i % 2}.json`, text: JSON.stringify(tree) };
  return { file: `case${i % 2}.yaml`, text: stringify(tree, { aliasDuplicateObjects: false }) };
}

/** Runs the CLI's main in this process, capturing what it writes. */
async function mainOf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += String(chunk);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'cptsim', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

const dir = mkdtempSync(join(tmpdir(), 'cptsim-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What went wrong with one case, or undefined. */
function judge(what: string, r: { code: number | null; stderr: string }, seconds: number): string | undefined {
  if (r.code !== 0 && r.code !== 2) return `${what}: exit ${r.code}: ${r.stderr.slice(0, 300)}`;
  if (STACK_LINE.test(r.stderr) || /internal error/i.test(r.stderr)) return `${what}: ${r.stderr.slice(0, 300)}`;
  if (r.code === 2 && !/^cptsim: |^error: /m.test(r.stderr)) return `${what}: exit 2 without a message`;
  if (seconds > 5) return `${what}: took ${seconds.toFixed(1)} s`;
  return undefined;
}

describe(`fuzz: ${CASES} mutations of the example scenarios (seed ${SEED.toString(16)})`, () => {
  it('validate and run exit 0 or 2, with a message and no stack trace, each within seconds', async () => {
    const failures: string[] = [];
    const tally = { valid: 0, refused: 0, ran: 0, spawned: 0 };
    for (let i = 0; i < CASES && failures.length < 10; i++) {
      const c = makeCase(i);
      const path = join(dir, c.file);
      writeFileSync(path, c.text);
      const keep = () => writeFileSync(join(dir, `failed-${i}-${c.file}`), c.text);
      let t0 = performance.now();
      const v = await mainOf(['validate', path]);
      let bad = judge(`case ${i} (${c.file}) validate`, v, (performance.now() - t0) / 1000);
      if (!bad && v.code === 0) {
        tally.valid++;
        t0 = performance.now();
        const r = await mainOf(['run', path, '--samples', '1000', '--backend', 'cpu', '--format', 'json']);
        bad = judge(`case ${i} (${c.file}) run`, r, (performance.now() - t0) / 1000);
        if (!bad && r.code === 0) {
          tally.ran++;
          const json = JSON.parse(r.stdout) as { samples: number; cells: unknown[] };
          if (json.samples !== 1000 || json.cells.length < 1) bad = `case ${i}: run printed ${r.stdout.slice(0, 200)}`;
        }
      } else if (!bad) tally.refused++;
      if (!bad && i % SPAWN_EVERY === 0) {
        // The same case as a user runs it: the built CLI in its own process.
        tally.spawned++;
        const s = runCli(['validate', path], { timeoutS: 30 });
        bad = s.timedOut ? `case ${i}: the CLI timed out` : judge(`case ${i} (${c.file}) CLI validate`, s, s.elapsedS - 2);
        if (!bad && s.code !== v.code) bad = `case ${i}: the CLI exited ${s.code}, main ${v.code}`;
      }
      if (bad) {
        keep();
        failures.push(bad);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
    // The mutations must leave some scenarios valid (else the run side is never tried) and break most.
    expect(tally.ran).toBeGreaterThan(CASES / 20);
    expect(tally.refused).toBeGreaterThan(CASES / 2);
    expect(tally.spawned).toBe(Math.ceil(CASES / SPAWN_EVERY));
  }, 180_000);
});
