/** Where the package's own files (shaders, scenarios, catalogs) are, from src/ or dist/src/. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding cptsim's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cptsim') {
      return (root = dir);
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the cptsim package folder');
    dir = up;
  }
}

let version: string | undefined;

/** cptsim's version (package.json), as results and part files record it. */
export function packageVersion(): string {
  return (version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version);
}

/** The example the CLI runs when `cptsim run` is given no file. */
export function flagshipScenario(): string {
  return join(packageRoot(), 'scenarios', 'h100-llama70b-fp8-owned.yaml');
}

/** The validation set `cptsim fidelity` checks when given no file. */
export function validationSet(): string {
  return join(packageRoot(), 'scenarios', 'validation', 'measurements.yaml');
}
