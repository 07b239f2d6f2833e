/**
 * The WGSL sources of the GPU engine, read from the package's shaders/ folder (the same files
 * from src/ under vitest and from dist/src/ when built) and composed by concatenation in a fixed
 * order. model.wgsl is preceded by its constant prelude, generated from src/model/slots.ts
 * (./prelude.ts); no other numbers are templated into them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { packageRoot } from '../../paths.js';
import { PLAIN_KERNEL } from './custom.js';
import { modelPrelude } from './prelude.js';

/** Composition order of the Monte Carlo kernel: each file may use what the earlier ones define. */
export const MC_SHADER_FILES = ['philox.wgsl', 'qmc.wgsl', 'distributions.wgsl', 'model.wgsl', 'mc.wgsl'] as const;

export function shaderDir(): string {
  return join(packageRoot(), 'shaders');
}

/** One shader file's text. */
export function readShader(file: string): string {
  const path = join(shaderDir(), file);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new RuntimeError(`cannot read the GPU shader ${path}: ${(e as Error).message}`);
  }
}

/**
 * The given files, concatenated with a marker line before each (compiler messages name the file);
 * model.wgsl gets its generated prelude in front.
 */
export function composeShaders(files: readonly string[]): string {
  return files
    .map((f) => (f === 'model.wgsl' ? `// ---- model layout\n${modelPrelude()}\n` : '') + `// ---- ${f}\n${readShader(f)}`)
    .join('\n');
}

/**
 * The full source of the Monte Carlo kernel (entry point `mc_main`): the fixed files, then the
 * generated part that sizes it for a plan's metric expressions (./custom.ts; the plain part when
 * not given).
 */
export function mcShaderSource(generated: string = PLAIN_KERNEL.source): string {
  return `${composeShaders(MC_SHADER_FILES)}\n${generated}`;
}
