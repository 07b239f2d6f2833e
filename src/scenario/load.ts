import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { Issues } from './issues.js';
import type { ScenarioOptions } from './resolve.js';
import { resolveScenario } from './resolve.js';
import { readStructure } from './schema.js';
import { readScenarioTree } from './extends.js';
import type { Scenario } from './types.js';

/**
 * Parses and validates scenario text (YAML, or JSON by extension or content), with the files it
 * `extends` merged under it. Every problem found is reported together in one InputError whose
 * lines name the file, line and field.
 */
export function parseScenario(text: string, file: string, options: ScenarioOptions = {}): Scenario {
  const { root, files } = readScenarioTree(text, file);
  const issues = new Issues();
  const raw = readStructure(root, issues);
  const scenario = root.kind === 'map' ? resolveScenario(raw, file, issues, options) : undefined;
  issues.throwIfAny(file, files);
  if (!scenario) throw new InputError([{ path: '', message: 'is not a valid scenario' }], file);
  return scenario;
}

/**
 * The text of an input file (`what` names it in the message: "the scenario"). A missing or
 * unreadable file is an InputError (exit 2).
 */
export async function readInputFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : e instanceof Error ? e.message : String(e);
    throw new InputError([{ path: '', message: `cannot read ${what}: ${why}` }], path);
  }
}

/** Reads a scenario file. A missing or unreadable file is an InputError (exit 2). */
export async function loadScenario(path: string, options: ScenarioOptions = {}): Promise<Scenario> {
  return parseScenario(await readInputFile(path, 'the scenario'), path, options);
}
