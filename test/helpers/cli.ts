/** The built CLI (dist/src/cli.js) run as a child process, and a scratch folder per test file. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** The package folder: the CLI runs there, so scenario paths are relative to it. */
export const root = join(import.meta.dirname, '..', '..');
export const cli = join(root, 'dist', 'src', 'cli.js');

/** Runs `cptsim ...args` with extra environment variables; its exit code and output. */
export function cptsimWith(env: Record<string, string>, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `cptsim ...args`; its exit code and output. */
export function cptsim(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return cptsimWith({}, ...args);
}

/** A new temporary folder, removed when the test file's tests are done. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
