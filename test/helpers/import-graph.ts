/**
 * The import graph of src/ and the two rules it must keep (DESIGN.md "Layout"): a module (a
 * top-level folder of src/, or a single file at its root) imports only modules of a lower layer,
 * and no import reaches past a folder's index.ts into the files behind it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import ts from 'typescript';

/** An import from one file to another, both as paths relative to src/ (posix, ending in .ts). */
export interface ImportEdge {
  from: string;
  to: string;
}

/** Source text per file (paths relative to src/), e.g. read by readSourceTree. */
export type SourceTree = Map<string, string>;

export function readSourceTree(root: string): SourceTree {
  const tree: SourceTree = new Map();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) tree.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  return tree;
}

/**
 * Every relative import of every file (static, type-only, `export ... from`, dynamic), resolved
 * to the file it names. An import that names no file of the tree is returned with `to` starting
 * with `?`, so that a typo cannot hide an edge.
 */
export function importEdges(tree: SourceTree): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, text] of tree) {
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue; // a package or node: built-in
      const target = posix.normalize(posix.join(posix.dirname(from), fileName)).replace(/\.js$/, '.ts');
      if (target.startsWith('../')) continue; // outside src/ (not a module of the tree)
      edges.push({ from, to: tree.has(target) ? target : `?${target}` });
    }
  }
  return edges;
}

/** The module a file belongs to: its top-level folder, or the file itself at the root of src/. */
export function moduleOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file.replace(/\.ts$/, '') : file.slice(0, slash);
}

/**
 * The rule breaks of a graph, one line each, given the layers from the lowest up. A module may
 * import modules of lower layers only (so same-layer modules stay independent and there are no
 * cycles); an import from outside a folder must name that folder's index.ts.
 */
export function violations(edges: ImportEdge[], layers: string[][]): string[] {
  const layerOf = new Map<string, number>();
  layers.forEach((mods, i) => mods.forEach((m) => layerOf.set(m, i)));
  const found: string[] = [];
  const unplaced = new Set<string>();
  for (const { from, to } of edges) {
    if (to.startsWith('?')) {
      found.push(`${from} imports ${to.slice(1)}, which is not a file of src/`);
      continue;
    }
    const a = moduleOf(from);
    const b = moduleOf(to);
    for (const m of [a, b]) if (!layerOf.has(m)) unplaced.add(m);
    if (a !== b && layerOf.has(a) && layerOf.has(b) && layerOf.get(b)! >= layerOf.get(a)!) {
      found.push(`${from} imports ${to}: ${a} (layer ${layerOf.get(a)}) may not import ${b} (layer ${layerOf.get(b)})`);
    }
    // The path from the folder both files share down to the target: past one folder, only its index.ts.
    const fromDir = posix.dirname(from).split('/').filter((s) => s !== '.');
    const toParts = to.split('/');
    let common = 0;
    while (common < fromDir.length && common < toParts.length - 1 && fromDir[common] === toParts[common]) common++;
    const below = toParts.slice(common);
    if (below.length > 2 || (below.length === 2 && below[1] !== 'index.ts')) {
      found.push(`${from} imports ${to} past ${[...toParts.slice(0, common), below[0]].join('/')}/index.ts`);
    }
  }
  for (const m of unplaced) found.push(`module ${m} has no place in the layer order`);
  return found;
}

export function srcRoot(): string {
  return join(dirname(new URL(import.meta.url).pathname), '..', '..', 'src');
}
