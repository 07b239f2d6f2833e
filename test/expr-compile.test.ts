/**
 * compileJs against hand-computed values, the WGSL text compileWgsl emits, and exprHash.
 * (Running the WGSL on a device is test/expr-wgsl.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { NamedExpr } from '../src/expr/index.js';
import { ExprError, compileJs, compileWgsl, evaluateExpr, exprHash, jsSource, parseExpr } from '../src/expr/index.js';
import { limitCases } from './helpers/expr-limits.js';

const SYMBOLS = ['x', 'y', 'z', 'out'];

/** The value of one expression over x, y, z, through compileJs. */
function js(text: string, x = 0, y = 0, z = 0): number {
  const v = new Float64Array([x, y, z, Number.NaN]);
  compileJs([{ name: 'out', expr: parseExpr(text) }], SYMBOLS)(v);
  return v[3]!;
}

describe('compileJs: arithmetic, precedence and comparisons', () => {
  // Hand-computed; every value is exact in binary, so equality is exact.
  const table: [string, number, number, number, number][] = [
    ['x + y * z', 1, 2, 3, 7],
    ['(x + y) * z', 1, 2, 3, 9],
    ['x - y - z', 10, 4, 3, 3],
    ['x / y / z', 24, 4, 3, 2],
    ['-x ^ 2', 3, 0, 0, -9],
    ['(-x) ^ 2', 3, 0, 0, 9],
    ['x ^ y ^ z', 2, 3, 2, 512],
    ['x ^ -y', 2, 3, 0, 0.125],
    ['- -x', 5, 0, 0, 5],
    ['x * -y', 5, 2, 0, -10],
    ['x < y', 1, 2, 0, 1],
    ['x < y', 2, 2, 0, 0],
    ['x <= y', 2, 2, 0, 1],
    ['x > y', 3, 2, 0, 1],
    ['x >= y', 1, 2, 0, 0],
    ['x == y', 2, 2, 0, 1],
    ['x != y', 2, 2, 0, 0],
    ['(x < y) + (y < z)', 1, 2, 3, 2],
    ['x + y < z', 1, 2, 3, 0],
    ['1e-3 * x', 2000, 0, 0, 2],
    ['.5 * x', 7, 0, 0, 3.5],
  ];
  it.each(table)('%s at (%d, %d, %d) is %d', (text, x, y, z, expected) => {
    expect(js(text, x, y, z)).toBe(expected);
  });
});

describe('compileJs: every function', () => {
  // Exact cases compare with toBe; transcendental ones with toBeCloseTo at 12 decimals, far
  // above f64 rounding of the hand values (which are themselves given to 15+ digits).
  it('min and max take two or more arguments', () => {
    expect([js('min(x, y)', 3, -1), js('min(x, y, z)', 3, 5, 2), js('max(x, y)', 3, -1), js('max(x, y, z)', 3, 5, 2)]).toEqual([
      -1, 2, 3, 5,
    ]);
  });
  it('abs, floor, ceil', () => {
    expect([js('abs(x)', -2.5), js('floor(x)', -2.5), js('ceil(x)', -2.5), js('floor(x)', 2.5), js('ceil(x)', 2.5)]).toEqual([
      2.5, -3, -2, 2, 3,
    ]);
  });
  it('sqrt, exp, log, log10', () => {
    expect(js('sqrt(x)', 2.25)).toBe(1.5);
    expect(js('exp(x)', 1)).toBeCloseTo(2.718281828459045, 12);
    expect(js('log(x)', 10)).toBeCloseTo(2.302585092994046, 12);
    expect(js('log10(x)', 1000)).toBe(3);
    expect(js('log(exp(x))', 0.75)).toBeCloseTo(0.75, 12);
  });
  it('pow and ^ agree, including negative bases with integer exponents', () => {
    expect([js('pow(x, y)', 2, 10), js('pow(x, y)', -2, 3), js('x ^ y', -2, 3), js('pow(x, y)', -2, 2), js('pow(x, y)', 4, 0.5)]).toEqual([
      1024, -8, -8, 4, 2,
    ]);
    expect(js('pow(x, y)', -8, 1 / 3)).toBeNaN();
  });
  it('sin, cos, tan', () => {
    expect(js('sin(x)', Math.PI / 6)).toBeCloseTo(0.5, 12);
    expect(js('cos(x)', Math.PI / 3)).toBeCloseTo(0.5, 12);
    expect(js('tan(x)', Math.PI / 4)).toBeCloseTo(1, 12);
  });
  it('clamp limits to [lo, hi]', () => {
    expect([js('clamp(x, y, z)', -1, 0, 1), js('clamp(x, y, z)', 0.25, 0, 1), js('clamp(x, y, z)', 7, 0, 1)]).toEqual([0, 0.25, 1]);
  });
  it('if picks the second argument when the first is not 0', () => {
    expect([js('if(x, y, z)', 1, 2, 3), js('if(x, y, z)', -0.5, 2, 3), js('if(x, y, z)', 0, 2, 3), js('if(x > 1, y, z)', 1, 2, 3)]).toEqual([
      2, 2, 3, 3,
    ]);
  });
  it('gives NaN or infinity where JavaScript does (engines count those samples as invalid)', () => {
    expect(js('sqrt(x)', -1)).toBeNaN();
    expect(js('log(x)', -1)).toBeNaN();
    expect(js('log(x)', 0)).toBe(-Infinity);
    expect(js('x / y', 1, 0)).toBe(Infinity);
  });
});

describe('compileJs: one function over a slot vector', () => {
  it('computes in order, so a later expression reads an earlier result', () => {
    const exprs: NamedExpr[] = [
      { name: 'cost', expr: parseExpr('price * 0.25') },
      { name: 'margin', expr: parseExpr('price - cost') },
    ];
    const f = compileJs(exprs, ['margin', 'price', 'cost']);
    const v = new Float64Array([0, 8, 0]);
    f(v);
    expect(Array.from(v)).toEqual([6, 8, 2]);
  });

  it('emits numbers with full f64 precision', () => {
    // 0.1 + 0.2 in f64 is 0.30000000000000004: a shortened literal would lose the last digits.
    expect(js('x + 0.30000000000000004', 0)).toBe(0.1 + 0.2);
    expect(js('x + 1.2345678901234567e-300', 0)).toBe(1.2345678901234567e-300);
  });

  it('matches the direct evaluator on every operator and function', () => {
    const text = 'if(x > y, min(x, y, z) + max(x, z), clamp(x, y, z)) + abs(y) * sqrt(z) - exp(y) / log(z) + log10(z) + pow(y, 3) + x ^ 2 + sin(x) * cos(y) - tan(z) + floor(x) - ceil(y) + (x == y) + (x != z) + (y <= z) + (x >= z) + (x < z)';
    const expr = parseExpr(text);
    for (const [x, y, z] of [
      [0.3, -1.7, 2.5],
      [4, 4, 0.1],
      [-2, 3.5, 7],
    ] as const) {
      expect(js(text, x, y, z)).toBe(evaluateExpr(expr, { x, y, z }));
    }
  });

  it('reports a name missing from the symbols as an ExprError at its column', () => {
    const f = () => compileJs([{ name: 'out', expr: parseExpr('x + w') }], SYMBOLS);
    expect(f).toThrow(ExprError);
    expect(f).toThrow(/unknown name `w` at column 5/);
  });

  it('refuses a result without a slot and duplicate symbols', () => {
    expect(() => compileJs([{ name: 'nowhere', expr: parseExpr('x') }], SYMBOLS)).toThrow(/no slot/);
    expect(() => compileJs([{ name: 'x', expr: parseExpr('1') }], ['x', 'x'])).toThrow(/twice/);
  });

  it('does not put symbol names into the source', () => {
    const name = 'out\nthrow 1';
    const src = jsSource([{ name, expr: parseExpr('x') }], ['x', name]);
    expect(src).not.toContain('throw');
  });
});

describe('compileWgsl: the emitted text', () => {
  const exprs: NamedExpr[] = [
    { name: 'r', expr: parseExpr('x * 2 + 1 / 4 - y ^ 3') },
    { name: 's', expr: parseExpr('r + min(x, y, z)') },
  ];
  const symbols = ['x', 'y', 'z', 'r', 's'];
  const wgsl = compileWgsl(exprs, symbols, { fnName: 'user_metrics', arrayName: 'vals', helpers: false });

  it('declares the function with the array length as a literal', () => {
    expect(wgsl).toContain('fn user_metrics(vals: ptr<function, array<f32, 5>>) {');
  });

  it('reads and writes slots by position and writes results in order', () => {
    const assignments = wgsl.split('\n').filter((l) => l.includes(' = ') && !l.trim().startsWith('//'));
    expect(assignments.map((l) => l.trim().split(' = ')[0])).toEqual(['(*vals)[3]', '(*vals)[4]']);
    expect(assignments[1]).toContain('(*vals)[3] + min((*vals)[0], min((*vals)[1], (*vals)[2]))');
  });

  it('writes every number as a float literal and folds constant subexpressions', () => {
    expect(wgsl).toContain('((*vals)[0] * 2.0)');
    expect(wgsl).toContain('+ 0.25)'); // 1 / 4 folded
    expect(wgsl).toContain('cptsim_pow((*vals)[1], 3.0)');
    const code = wgsl.split('\n').filter((l) => l.includes(' = ') && !l.trim().startsWith('//'));
    // No integer literal outside an array index: every number has a point or an exponent.
    for (const line of code) expect(line.replace(/\[\d+\]/g, '[]')).not.toMatch(/(^|[^\w.])\d+($|[^\w.])/);
  });

  it('turns constant subexpressions that f32 cannot hold into run-time values', () => {
    const text = compileWgsl(
      [{ name: 'r', expr: parseExpr('x + 1e30 * 1e30 - 1 / 0 * 0 + sqrt(-1) - 2 ^ 0.5 + 1e-45') }],
      ['x', 'r'],
      { fnName: 'f', arrayName: 'v', helpers: false },
    );
    expect(text).toContain('(cptsim_inf())');
    expect(text).toContain('cptsim_nan()');
    expect(text).toContain('1.4142135623730951');
    expect(text).toContain('+ 0.0)'); // 1e-45 is below the smallest normal f32
  });

  it('includes the helpers by default, and they define cptsim_pow', () => {
    const full = compileWgsl(exprs, symbols, { fnName: 'user_metrics', arrayName: 'vals' });
    expect(full).toContain('fn cptsim_pow(x: f32, y: f32) -> f32');
    expect(full.endsWith(wgsl)).toBe(true);
  });

  it('keeps expression text in comments only as printable ASCII', () => {
    const text = compileWgsl([{ name: 'r', expr: parseExpr('x\n+ 1') }], ['x', 'r'], { fnName: 'f', arrayName: 'v' });
    expect(text).toContain('// r = x?+ 1');
  });

  it('refuses names that are not WGSL identifiers', () => {
    expect(() => compileWgsl(exprs, symbols, { fnName: 'user metrics', arrayName: 'v' })).toThrow(/identifier/);
    expect(() => compileWgsl(exprs, symbols, { fnName: 'f', arrayName: '__v' })).toThrow(/identifier/);
  });
});

/** How deeply parentheses nest in a line of generated code (calls and grouping alike). */
function parenDepth(line: string): number {
  let [depth, deepest] = [0, 0];
  for (const ch of line) {
    if (ch === '(') deepest = Math.max(deepest, ++depth);
    else if (ch === ')') depth--;
  }
  return deepest;
}

describe('expressions at the parser limits compile to shallow code', () => {
  const cases = limitCases('x', 'y', 'z');
  // A budget of 32 levels before a temporary, plus the few one node adds (clamp is 2 calls).
  const SHALLOW = 40;

  it.each(cases)('%s: parses, and compileJs gives the direct evaluator\'s value', (_, text) => {
    const expr = parseExpr(text);
    const exprs = [{ name: 'out', expr }];
    for (const [x, y, z] of [
      [1, 2, 3],
      [3, -1, 2],
      [-4, 4, 0],
    ] as const) {
      const v = new Float64Array([x, y, z, Number.NaN]);
      compileJs(exprs, SYMBOLS)(v);
      expect(v[3]).toBe(evaluateExpr(expr, { x, y, z }));
    }
    const lines = jsSource(exprs, SYMBOLS).split('\n');
    expect(Math.max(...lines.map(parenDepth))).toBeLessThanOrEqual(SHALLOW);
    // No call of thousands of arguments either (V8 takes seconds to optimize one).
    expect(Math.max(...lines.map((l) => l.split(',').length))).toBeLessThan(SHALLOW);
  });

  it.each(cases)('%s: no WGSL statement nests deeper than the budget', (_, text) => {
    const wgsl = compileWgsl([{ name: 'out', expr: parseExpr(text) }], SYMBOLS, { fnName: 'f', arrayName: 'v', helpers: false });
    const code = wgsl.split('\n').filter((l) => !l.trim().startsWith('//'));
    expect(Math.max(...code.map(parenDepth))).toBeLessThanOrEqual(SHALLOW);
    expect(code.some((l) => l.startsWith('  let cptsim_t'))).toBe(true);
  });

  it('leaves shallow expressions inline, without temporaries', () => {
    const exprs = [{ name: 'out', expr: parseExpr('clamp(x * y + z, -1, 1) + min(x, y, z) - -x ^ 2') }];
    expect(jsSource(exprs, SYMBOLS)).not.toContain('const ');
    expect(compileWgsl(exprs, SYMBOLS, { fnName: 'f', arrayName: 'v', helpers: false })).not.toContain('let ');
  });

  it('numbers temporaries across statements, so a later one never redeclares an earlier name', () => {
    const exprs = [
      { name: 'out', expr: parseExpr(cases[0]![1]) },
      { name: 'z', expr: parseExpr(cases[3]![1]) },
    ];
    const wgsl = compileWgsl(exprs, SYMBOLS, { fnName: 'f', arrayName: 'v', helpers: false });
    const names = [...wgsl.matchAll(/let (cptsim_t\d+) =/g)].map((m) => m[1]);
    const [first, second] = wgsl.split('  // z = ') as [string, string];
    expect([first.includes('let cptsim_t'), second.includes('let cptsim_t')]).toEqual([true, true]);
    expect(new Set(names).size).toBe(names.length);
    const js = jsSource(exprs, SYMBOLS);
    const consts = [...js.matchAll(/const (t\d+) =/g)].map((m) => m[1]);
    expect(new Set(consts).size).toBe(consts.length);
    const v = new Float64Array([3, -1, 2, 0]);
    compileJs(exprs, SYMBOLS)(v);
    expect([v[3], v[2]]).toEqual([evaluateExpr(exprs[0]!.expr, { x: 3, y: -1, z: 2 }), evaluateExpr(exprs[1]!.expr, { x: 3, y: -1, z: 2 })]);
  });

  it('cuts long expression text in WGSL comments short', () => {
    const text = cases.find(([what]) => what.startsWith('min of'))![1];
    const wgsl = compileWgsl([{ name: 'out', expr: parseExpr(text) }], SYMBOLS, { fnName: 'f', arrayName: 'v', helpers: false });
    const comment = wgsl.split('\n').find((l) => l.startsWith('  // out = '))!;
    expect(comment.length).toBeLessThan(150);
    expect(comment.endsWith('...')).toBe(true);
  });
});

describe('exprHash: FNV-1a 64', () => {
  // Test vectors from the FNV reference test suite (http://www.isthe.com/chongo/tech/comp/fnv/).
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('hash of "%s" is %s', (text, hex) => {
    expect(exprHash(text)).toBe(hex);
  });

  it('changes with the WGSL text and is stable for the same text', () => {
    const a = compileWgsl([{ name: 'r', expr: parseExpr('x + 1') }], ['x', 'r'], { fnName: 'f', arrayName: 'v' });
    const b = compileWgsl([{ name: 'r', expr: parseExpr('x + 2') }], ['x', 'r'], { fnName: 'f', arrayName: 'v' });
    expect(exprHash(a)).toBe(exprHash(a.slice()));
    expect(exprHash(a)).not.toBe(exprHash(b));
  });
});
