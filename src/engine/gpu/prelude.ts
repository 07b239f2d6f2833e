/**
 * The constant prelude of shaders/model.wgsl, generated from src/model/slots.ts so that the two
 * cannot drift: the array sizes, one `SLOT_*` per input slot, one `INTER_*` per intermediate, one
 * `METRIC_*` per built-in metric, and the `ModelConfig` uniform struct (one u32 per CONFIG_FIELDS
 * entry, in that order).
 */
import { CONFIG_FIELDS, INTERMEDIATES, MAX_DRAFT_TOKENS, METRICS, SLOT_DEFS } from '../../model/index.js';

const u32Const = (name: string, value: number): string => `const ${name}: u32 = ${value}u;`;

/** camelCase to snake_case, the WGSL spelling of a ModelConfig field. */
export function configFieldWgsl(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function modelPrelude(): string {
  return [
    '// Generated from src/model/slots.ts (src/engine/gpu/prelude.ts): the model layout.',
    u32Const('N_SLOTS', SLOT_DEFS.length),
    u32Const('N_METRICS', METRICS.length),
    u32Const('N_INTER', INTERMEDIATES.length),
    u32Const('MODEL_MAX_DRAFT_TOKENS', MAX_DRAFT_TOKENS),
    ...SLOT_DEFS.map((d, i) => u32Const(`SLOT_${d.name.toUpperCase()}`, i)),
    ...INTERMEDIATES.map((m, i) => u32Const(`INTER_${m.toUpperCase()}`, i)),
    ...METRICS.map((m, i) => u32Const(`METRIC_${m.toUpperCase()}`, i)),
    'struct ModelConfig {',
    ...CONFIG_FIELDS.map((f) => `  ${configFieldWgsl(f)}: u32,`),
    '}',
    '',
  ].join('\n');
}
