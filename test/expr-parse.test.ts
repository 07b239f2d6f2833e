/**
 * The grammar of metric expressions: precedence, associativity, numbers, and errors that point
 * at the right column.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { ExprError, FUNCTIONS, MAX_DEPTH, MAX_SOURCE_LENGTH, formatExpr, parseExpr } from '../src/expr/index.js';

const shape = (text: string) => formatExpr(parseExpr(text).root);

/** The ExprError that parsing `text` throws. */
function parseError(text: string, path = 'metrics.m'): ExprError {
  try {
    parseExpr(text, path);
  } catch (e) {
    if (e instanceof ExprError) return e;
    throw e;
  }
  throw new Error(`parsing \`${text}\` did not fail`);
}

describe('precedence and associativity', () => {
  // Each row: the expression and its fully parenthesized reading.
  const table: [string, string][] = [
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['a - b - c', '((a - b) - c)'],
    ['a / b / c', '((a / b) / c)'],
    ['a / b * c', '((a / b) * c)'],
    ['a - b + c', '((a - b) + c)'],
    ['2 ^ 3 ^ 2', '(2 ^ (3 ^ 2))'],
    ['-2 ^ 2', '(-(2 ^ 2))'],
    ['2 ^ -1', '(2 ^ (-1))'],
    ['-a * b', '((-a) * b)'],
    ['- -a', '(-(-a))'],
    ['a * -b', '(a * (-b))'],
    ['a ^ b * c', '((a ^ b) * c)'],
    ['(a + b) * c', '((a + b) * c)'],
    ['a + b < c * d', '((a + b) < (c * d))'],
    ['a == b + 1', '(a == (b + 1))'],
    ['(a < b) < c', '((a < b) < c)'],
    ['if(a >= b, a, b)', 'if((a >= b), a, b)'],
    ['min(a, b, c) + max(a, -b)', '(min(a, b, c) + max(a, (-b)))'],
    ['clamp(x ^ 2, 0, 1)', 'clamp((x ^ 2), 0, 1)'],
  ];
  it.each(table)('%s reads as %s', (text, expected) => {
    expect(shape(text)).toBe(expected);
  });

  it('reads every comparison operator', () => {
    for (const op of ['<', '<=', '>', '>=', '==', '!=']) expect(shape(`a ${op} b`)).toBe(`(a ${op} b)`);
  });

  it('ignores whitespace, including line breaks from YAML block scalars', () => {
    expect(shape('a\n  +\tb*c ')).toBe(shape('a+b*c'));
  });
});

describe('number literals', () => {
  const table: [string, number][] = [
    ['0', 0],
    ['42', 42],
    ['2.5', 2.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e-3', 1e-3],
    ['2.5E+6', 2.5e6],
    ['0.1', 0.1],
    ['3.4e38', 3.4e38],
  ];
  it.each(table)('%s is %d', (text, value) => {
    expect(parseExpr(text).root).toEqual({ kind: 'number', value, pos: 0 });
  });

  it('keeps the position of each token for later errors', () => {
    const root = parseExpr('ab + sqrt(cd)').root;
    expect(root.kind === 'binary' && [root.pos, root.left.pos, root.right.pos]).toEqual([3, 0, 5]);
  });
});

describe('names and calls', () => {
  it('accepts names of letters, digits and underscores not starting with a digit', () => {
    expect(parseExpr('_a1 + B_2').root).toMatchObject({ left: { name: '_a1' }, right: { name: 'B_2' } });
  });

  it('parses a call of every function with its arity', () => {
    for (const [fn, spec] of Object.entries(FUNCTIONS)) {
      const args = Array.from({ length: spec.minArgs }, (_, i) => `x${i}`).join(', ');
      expect(shape(`${fn}(${args})`)).toBe(`${fn}(${args})`);
    }
  });

  it('lets min and max take more than two arguments', () => {
    expect(shape('min(a, b, c, d)')).toBe('min(a, b, c, d)');
    expect(shape('max(a, b, c)')).toBe('max(a, b, c)');
  });

  it('treats a function name not followed by `(` as an ordinary name', () => {
    expect(parseExpr('log').root).toEqual({ kind: 'name', name: 'log', pos: 0 });
  });
});

describe('syntax errors point at the column', () => {
  // Each row: expression, expected 1-based column, a fragment of the reason.
  const table: [string, number, string][] = [
    ['foo(x)', 1, 'unknown function `foo`'],
    ['a + sqr(x)', 5, 'unknown function `sqr`'],
    ['1 + min(a)', 5, '`min` needs 2 or more arguments, not 1'],
    ['sqrt(a, b)', 1, '`sqrt` needs 1 argument, not 2'],
    ['x * clamp(a, b)', 5, '`clamp` needs 3 arguments, not 2'],
    ['if(a, b)', 1, '`if` needs 3 arguments, not 2'],
    ['pow()', 1, '`pow` needs 2 arguments, not 0'],
    ['(a + b', 1, 'unclosed `(`'],
    ['a * (b + (c', 10, 'unclosed `(`'],
    ['min(a, b', 4, 'unclosed `(`'],
    ['a + b)', 6, 'unmatched `)`'],
    ['(a b)', 4, 'expected `)` or an operator, got `b`'],
    ['a b', 3, 'unexpected `b` after a complete expression'],
    ['a + b 2', 7, 'unexpected `2` after a complete expression'],
    ['', 1, 'empty expression'],
    ['   ', 1, 'empty expression'],
    ['1.2.3', 1, 'bad number `1.2.3`'],
    ['x + 1.2.3', 5, 'bad number `1.2.3`'],
    ['2x', 1, 'bad number `2x`'],
    ['1e', 1, 'bad number `1e`'],
    ['1e+', 1, 'bad number `1e+`'],
    ['1e39', 1, 'beyond the f32 range'],
    ['a +', 4, 'got the end of the expression'],
    ['a + * b', 5, 'expected a number, a name or `(` after `+`, got `*`'],
    ['()', 2, 'got `)`'],
    ['min(a,)', 7, 'got `)`'],
    ['a < b < c', 7, 'comparisons do not chain'],
    ['a = b', 3, 'unexpected character `=`'],
    ['a & b', 3, 'unexpected character `&`'],
    ['a # b', 3, 'unexpected character `#`'],
  ];
  it.each(table)('`%s`: column %d, %s', (text, column, reason) => {
    const err = parseError(text);
    expect(err.column).toBe(column);
    expect(err.reason).toContain(reason);
  });

  it('refuses nesting deeper than 200 levels instead of overflowing the stack', () => {
    expect(shape(`${'('.repeat(150)}x${')'.repeat(150)}`)).toBe('x');
    expect(parseError(`${'('.repeat(4000)}x${')'.repeat(4000)}`).reason).toContain('nested more than 200 levels');
    expect(parseError(`${'-'.repeat(5000)}x`).reason).toContain('nested more than 200 levels');
    expect(parseError(`${'x^'.repeat(4000)}x`).reason).toContain('nested more than 200 levels');
  });

  // A chain is as deep as it is long in the tree, and everything after the parser walks the tree
  // recursively: before the height was bounded, 10,000 terms overflowed the stack in validate.
  const chain = (terms: number, op: string) => Array(terms).fill('x').join(op);
  it.each(['+', '-', '*', '/'])('bounds a chain of `%s` at 200 levels, at the column of the operator past it', (op) => {
    expect(() => parseExpr(chain(MAX_DEPTH, op))).not.toThrow();
    const err = parseError(chain(MAX_DEPTH + 1, op));
    expect(err.reason).toBe('expression nested more than 200 levels deep');
    expect(err.hint).toContain('each operator of a chain');
    // x op x op ...: the 200th operator, just after the first 200 terms, makes the tree 201 high.
    expect(err.column).toBe(chain(MAX_DEPTH, op).length + 1);
  });

  it('counts the height of the tree, not the length of the text: wide flat expressions pass', () => {
    // 48 sums of 100 terms: 9,647 characters, 101 levels high.
    const sums = Array.from({ length: 48 }, () => `(${chain(100, '+')})`);
    expect(() => parseExpr(`max(${sums.join(', ')})`)).not.toThrow();
    expect(() => parseExpr(`min(${chain(4990, ',')})`)).not.toThrow();
  });

  it(`refuses a source longer than ${MAX_SOURCE_LENGTH.toLocaleString('en-US')} characters, at the first character past it`, () => {
    const longest = `x${' '.repeat(MAX_SOURCE_LENGTH - 2)}1`.replace(/ 1$/, '+1');
    expect(longest.length).toBe(MAX_SOURCE_LENGTH);
    expect(() => parseExpr(longest)).not.toThrow();
    const err = parseError(`${longest} `);
    expect(err.reason).toBe('expression is 10,001 characters long, more than the limit of 10,000');
    expect(err.column).toBe(MAX_SOURCE_LENGTH + 1);
    // A megabyte is refused without being tokenized.
    const start = performance.now();
    expect(parseError('x+'.repeat(500_000)).column).toBe(MAX_SOURCE_LENGTH + 1);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('shows a long expression as the stretch around the column, so the message stays short', () => {
    const text = `${'a + '.repeat(100)}sqr(x)${' + b'.repeat(100)}`;
    const err = parseError(text);
    const [, shown, caret] = err.message.split('\n') as [string, string, string];
    expect(shown.length).toBeLessThanOrEqual(2 + 3 + 120 + 3);
    expect(shown.startsWith('  ...') && shown.endsWith('...')).toBe(true);
    // The caret stands under the `s` of `sqr`, at the same place in the shown stretch.
    expect(shown[caret.length - 1]).toBe('s');
    expect(shown.slice(caret.length - 1, caret.length + 5)).toBe('sqr(x)');
    expect(err.column).toBe(401);
  });

  it('is an InputError, so the CLI exits with status 2', () => {
    const err = parseError('a +');
    expect(err).toBeInstanceOf(InputError);
    expect(err.exitCode).toBe(2);
  });

  it('shows the path, the reason and column, then the expression with a caret under the column', () => {
    const err = parseError('price + sqr(x)', 'metrics.margin');
    expect(err.message.split('\n')).toEqual([
      'metrics.margin: unknown function `sqr` at column 9 (did you mean `sqrt`?)',
      '  price + sqr(x)',
      '          ^',
    ]);
    expect(err.issues).toEqual([{ path: 'metrics.margin', message: err.message.slice('metrics.margin: '.length) }]);
  });

  it('keeps the caret aligned under tabs and shows line breaks as spaces', () => {
    const lines = parseError('\ta +\n\t$').message.split('\n');
    expect(lines[1]).toBe('  \ta + \t$');
    // The caret line repeats the tabs before the column, so it lines up however tabs expand.
    expect(lines[2]).toBe('  \t    \t^');
  });

  it('suggests `^` for `**` and `==` for `=`', () => {
    expect(parseError('a ** 2').hint).toContain('`^`');
    expect(parseError('a = 2').hint).toContain('`==`');
  });
});
