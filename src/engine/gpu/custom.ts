/**
 * The generated end of the Monte Carlo kernel (see the header of shaders/mc.wgsl): the constants
 * that size the kernel for a plan's own inputs and metrics, and `mc_custom4`, which evaluates the
 * plan's metric expressions (src/expr compileWgsl) for the four lanes of a quad. A plan without
 * expressions gets the plain part, a fixed text under which every custom branch of mc.wgsl folds
 * away. Pipelines are cached by the hash of this text.
 */
import { compileWgsl, walkExpr } from '../../expr/index.js';
import { INTERMEDIATES, METRIC_COUNT, METRICS, SLOT_COUNT, SLOT_DEFS } from '../../model/index.js';
import type { CustomLayout } from '../../plan/index.js';

/** The generated part of one kernel, and what the host must know about it. */
export interface KernelSpec {
  /** WGSL appended after mc.wgsl. */
  source: string;
  /** Words per (cell, metric) in the per-workgroup partials (mc.wgsl MC_PAIR_WORDS). */
  pairWords: number;
  /** Metrics the workgroup reductions hold (mc.wgsl MC_N_RED): sizes workgroup memory. */
  reductionMetrics: number;
  /** Set the MODEL_FILL_INTER override (the expressions read intermediates). */
  fillIntermediates: boolean;
  /** The entry point: mc.wgsl's `mc_main` (the generic kernel) unless said otherwise. */
  entryPoint?: string;
  /** WGSL extensions the source needs (`enable` directives, placed first). */
  enable?: string[];
}

const HEADER = '// ---- generated (src/engine/gpu/custom.ts)';
const SIGNATURE =
  'fn mc_custom4(x: ptr<function, array<vec4<f32>, N_SLOTS>>, xc: ptr<function, array<vec4<f32>, MC_N_XC>>, ' +
  'out: ptr<function, array<vec4<f32>, N_METRICS>>, cout: ptr<function, array<vec4<f32>, MC_N_COUT>>)';

/**
 * The part of a kernel without metric expressions, with room in the workgroup reductions for
 * `reductionMetrics` metrics (all the model's by default).
 */
export function plainKernel(reductionMetrics: number = METRIC_COUNT): KernelSpec {
  return {
    source: [
      HEADER,
      '// No metric expressions: the plain kernel.',
      'const MC_CUSTOM: bool = false;',
      'const MC_COST_MODEL: bool = true;',
      'const MC_N_INPUTS: u32 = N_SLOTS;',
      'const MC_N_XC: u32 = 1u;',
      'const MC_N_COUT: u32 = 1u;',
      reductionMetrics === METRIC_COUNT ? 'const MC_N_RED: u32 = N_METRICS;' : `const MC_N_RED: u32 = ${Math.max(1, reductionMetrics)}u;`,
      'const MC_PAIR_WORDS: u32 = 5u;',
      `${SIGNATURE} {}`,
      '',
    ].join('\n'),
    pairWords: 5,
    reductionMetrics: Math.max(1, reductionMetrics),
    fillIntermediates: false,
  };
}

/** The part of the generic kernel without metric expressions. */
export const PLAIN_KERNEL: KernelSpec = plainKernel();

const SLOT_INDEX = new Map<string, number>(SLOT_DEFS.map((d, i) => [d.name, i]));
const METRIC_INDEX = new Map<string, number>(METRICS.map((m, i) => [m, i]));
const INTER_INDEX = new Map<string, number>(INTERMEDIATES.map((m, i) => [m, i]));

/**
 * The part of a kernel for a plan with metric expressions. The expressions compile to one scalar
 * function over a compact array: the names they read (each copied in from x, xc, out or
 * model_inter for the lane) followed by their results; `mc_custom4` runs it per lane and copies
 * the results to cout, in Plan.custom.metrics order.
 */
export function customKernel(layout: CustomLayout, planMetrics: number): KernelSpec {
  const customInputs = layout.metricBase - SLOT_COUNT;
  const results = layout.exprs.map((e) => e.name);
  const resultSet = new Set(results);
  const read: string[] = [];
  const seen = new Set<string>();
  for (const e of layout.exprs) {
    walkExpr(e.expr.root, (node) => {
      if (node.kind === 'name' && !resultSet.has(node.name) && !seen.has(node.name)) {
        seen.add(node.name);
        read.push(node.name);
      }
    });
  }
  const symbols = [...read, ...results];
  const customInputIndex = new Map(layout.symbols.slice(SLOT_COUNT, layout.metricBase).map((n, k) => [n, k]));
  const source = (name: string): string => {
    const slot = SLOT_INDEX.get(name);
    if (slot !== undefined) return `(*x)[${slot}u][lane]`;
    const k = customInputIndex.get(name);
    if (k !== undefined) return `(*xc)[${k}u][lane]`;
    const m = METRIC_INDEX.get(name);
    if (m !== undefined) return `(*out)[${m}u][lane]`;
    const i = INTER_INDEX.get(name);
    if (i !== undefined) return `model_inter[${i}u][lane]`;
    throw new Error(`metric expressions read \`${name}\`, which has no place in the kernel`);
  };
  const lines = [
    HEADER,
    `// Metric expressions: ${results.length} custom metric(s) over ${read.length} name(s); ${customInputs} custom input(s).`,
    'const MC_CUSTOM: bool = true;',
    `const MC_COST_MODEL: bool = ${layout.costModel};`,
    `const MC_N_INPUTS: u32 = ${SLOT_COUNT + customInputs}u;`,
    `const MC_N_XC: u32 = ${Math.max(1, customInputs)}u;`,
    `const MC_N_COUT: u32 = ${Math.max(1, results.length)}u;`,
    `const MC_N_RED: u32 = ${Math.max(1, planMetrics)}u;`,
    'const MC_PAIR_WORDS: u32 = 5u;',
    '',
    compileWgsl(layout.exprs, symbols, { fnName: 'mc_custom_eval', arrayName: 'v' }),
    `${SIGNATURE} {`,
    '  for (var lane = 0u; lane < 4u; lane++) {',
    `    var v: array<f32, ${symbols.length}>;`,
    ...read.map((name, i) => `    v[${i}] = ${source(name)};`),
    '    mc_custom_eval(&v);',
    ...results.map((_, j) => `    (*cout)[${j}u][lane] = v[${read.length + j}];`),
    '  }',
    '}',
    '',
  ];
  return {
    source: lines.join('\n'),
    pairWords: 5,
    reductionMetrics: Math.max(1, planMetrics),
    fillIntermediates: layout.needsInter,
  };
}
