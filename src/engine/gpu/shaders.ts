/**
 * The WGSL sources of the GPU engine, read from the package's shaders/ folder (the same files
 * from src/ under vitest and from dist/src/ when built) and composed by concatenation in a fixed
 * order; no numbers are templated into them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { packageRoot } from '../../paths.js';
import { PLAIN_KERNEL } from './custom.js';

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

/** The given files, concatenated with a marker line before each (compiler messages name the file). */
export function composeShaders(files: readonly string[]): string {
  return files.map((f) => `// ---- ${f}\n${readShader(f)}`).join('\n');
}

/**
 * The full source of the Monte Carlo kernel (entry point `mc_main`): the fixed files, then the
 * generated part that sizes it for a plan's metric expressions (./custom.ts; the plain part when
 * not given).
 */
export function mcShaderSource(generated: string = PLAIN_KERNEL.source): string {
  return `${composeShaders(MC_SHADER_FILES)}\n${generated}`;
}
