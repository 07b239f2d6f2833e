import { describe, expect, it } from 'vitest';
import { importEdges, moduleOf, readSourceTree, srcRoot, violations, type SourceTree } from './helpers/import-graph.js';

/**
 * The layers of src/, from the lowest up (DESIGN.md "Layout" and "The flow of data"): a module
 * imports only modules of the layers below its own. The data flows scenario → plan → engine →
 * aggregate → report, but the aggregate's types (the partial sums and histograms) are what an
 * engine produces, so aggregate sits below engine: the engines import it, never the reverse.
 * Modules of one layer do not import each other.
 */
const LAYERS: string[][] = [
  ['errors', 'suggest', 'paths'],
  ['model', 'sampling', 'expr'],
  ['scenario'],
  ['plan'],
  ['aggregate'],
  ['engine'],
  ['analysis'],
  ['report', 'output'],
  ['index', 'cli'],
];

describe('the import graph of src/', () => {
  const tree = readSourceTree(srcRoot());
  const edges = importEdges(tree);

  it('is read: every module of src/ is found, and imports between them', () => {
    const modules = new Set([...tree.keys()].map(moduleOf));
    for (const m of ['scenario', 'plan', 'engine', 'aggregate', 'analysis', 'report', 'cli']) expect(modules).toContain(m);
    // The CLI reaches the engines through engine/index.ts: an edge the reader must see.
    expect(edges).toContainEqual({ from: 'cli.ts', to: 'engine/index.ts' });
  });

  it('has every import going down the layers, and none past a folder’s index.ts', () => {
    expect(violations(edges, LAYERS)).toEqual([]);
  });
});

describe('the import-graph checker (on a small fixture tree)', () => {
  const layers = [['base'], ['mid'], ['top']];
  const clean: SourceTree = new Map([
    ['base/index.ts', "export * from './thing.js';"],
    ['base/thing.ts', 'export const thing = 1;'],
    ['mid/index.ts', "import { thing } from '../base/index.js';\nexport const mid = thing;"],
    ['mid/deep/index.ts', "export { mid } from '../index.js';"],
    ['top.ts', "import type { mid } from './mid/index.js';\nconst m = await import('./mid/index.js');"],
  ]);
  const check = (tree: SourceTree) => violations(importEdges(tree), layers);

  it('passes a tree that keeps both rules', () => {
    expect(check(clean)).toEqual([]);
  });

  it('fails a lower layer importing a higher one (also type-only and dynamic imports)', () => {
    for (const line of ["import type { mid } from '../mid/index.js';", "const m = await import('../mid/index.js');"]) {
      const tree = new Map(clean).set('base/thing.ts', line);
      expect(check(tree)).toEqual([expect.stringContaining('base/thing.ts imports mid/index.ts: base (layer 0) may not import mid (layer 1)')]);
    }
  });

  it('fails a cycle between two modules of one layer', () => {
    const tree = new Map(clean).set('side/index.ts', "import '../base/index.js';").set('base/thing.ts', "import '../side/index.js';");
    expect(violations(importEdges(tree), [['base', 'side'], ['mid'], ['top']])).toEqual([
      'base/thing.ts imports side/index.ts: base (layer 0) may not import side (layer 0)',
      'side/index.ts imports base/index.ts: side (layer 0) may not import base (layer 0)',
    ]);
  });

  it('fails an import past a folder’s index.ts, also into a nested folder', () => {
    expect(check(new Map(clean).set('top.ts', "import { thing } from './base/thing.js';"))).toEqual([
      'top.ts imports base/thing.ts past base/index.ts',
    ]);
    expect(check(new Map(clean).set('top.ts', "import { mid } from './mid/deep/index.js';"))).toEqual([
      'top.ts imports mid/deep/index.ts past mid/index.ts',
    ]);
    // Inside a module, its own files import each other freely, and a subfolder through its index.
    expect(check(new Map(clean).set('mid/other.ts', "import './deep/index.js';"))).toEqual([]);
  });

  it('fails an import of a file that does not exist, and a module left out of the layers', () => {
    expect(check(new Map(clean).set('top.ts', "import './mid/gone.js';"))).toEqual([
      'top.ts imports mid/gone.ts, which is not a file of src/',
    ]);
    expect(check(new Map(clean).set('extra.ts', "import './base/index.js';"))).toEqual(['module extra has no place in the layer order']);
  });
});
