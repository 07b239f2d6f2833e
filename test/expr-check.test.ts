/**
 * Checking expressions against the names a scenario defines, and the order of custom metrics
 * that use one another.
 */
import { describe, expect, it } from 'vitest';
import type { CallNode, Expr } from '../src/expr/index.js';
import { ExprError, checkConstants, checkExpr, metricOrder, orderMetrics, parseExpr } from '../src/expr/index.js';

const KNOWN = ['price_per_mtok', 'cost_per_mtok_output', 'utilization', 'batch_size', 'x', 'y'];

function thrown(f: () => unknown): ExprError {
  try {
    f();
  } catch (e) {
    if (e instanceof ExprError) return e;
    throw e;
  }
  throw new Error('expected an ExprError');
}

describe('checkExpr', () => {
  it('returns the distinct names used, in order of first use', () => {
    const expr = parseExpr('x * y + max(x, price_per_mtok) - y');
    expect(checkExpr(expr, KNOWN, 'metrics.m')).toEqual(['x', 'y', 'price_per_mtok']);
  });

  it('accepts the known names as a set or a list', () => {
    const expr = parseExpr('x + y');
    expect(checkExpr(expr, new Set(KNOWN), 'p')).toEqual(checkExpr(expr, KNOWN, 'p'));
  });

  it('returns no names for a constant expression', () => {
    expect(checkExpr(parseExpr('2 ^ 10 / 3'), [], 'p')).toEqual([]);
  });

  it('reports an unknown name at its column, with the closest known name', () => {
    const err = thrown(() =>
      checkExpr(parseExpr('price_per_mtok - cost_per_mtok_outptu'), KNOWN, 'metrics.margin'),
    );
    expect(err.column).toBe(18);
    expect(err.path).toBe('metrics.margin');
    expect(err.message.split('\n')).toEqual([
      'metrics.margin: unknown name `cost_per_mtok_outptu` at column 18 (did you mean `cost_per_mtok_output`?)',
      '  price_per_mtok - cost_per_mtok_outptu',
      '                   ^',
    ]);
  });

  it('offers no suggestion when nothing is close', () => {
    const err = thrown(() => checkExpr(parseExpr('x + zebra'), KNOWN, 'p'));
    expect([err.column, err.hint]).toEqual([5, undefined]);
  });

  it('says that a bare function name needs parentheses', () => {
    const err = thrown(() => checkExpr(parseExpr('sqrt * 2'), KNOWN, 'p'));
    expect(err.reason).toBe('unknown name `sqrt`');
    expect(err.hint).toContain('sqrt(...)');
  });

  it('reports a wrong arity in a tree built without the parser', () => {
    const call: CallNode = { kind: 'call', fn: 'clamp', args: [{ kind: 'name', name: 'x', pos: 6 }], pos: 0 };
    const expr: Expr = { text: 'clamp(x)', root: call };
    const err = thrown(() => checkExpr(expr, KNOWN, 'p'));
    expect([err.column, err.reason]).toEqual([1, '`clamp` needs 3 arguments, not 1']);
  });
});

describe('metricOrder', () => {
  it('keeps definition order when no metric uses a later one', () => {
    expect(metricOrder({ a: 'x + 1', b: 'a * 2', c: 'a + b' }, KNOWN)).toEqual(['a', 'b', 'c']);
  });

  it('puts each metric after the metrics it uses', () => {
    const order = metricOrder({ total: 'part1 + part2', part1: 'half * 2', part2: 'x', half: 'y / 2' }, KNOWN);
    expect(order).toHaveLength(4);
    const at = (m: string) => order.indexOf(m);
    expect(at('half')).toBeLessThan(at('part1'));
    expect(at('part1')).toBeLessThan(at('total'));
    expect(at('part2')).toBeLessThan(at('total'));
  });

  it('lets a metric use known names and other metrics alike', () => {
    const ordered = orderMetrics({ margin: 'price_per_mtok - cost', cost: 'cost_per_mtok_output * 1.1' }, KNOWN);
    expect(ordered.map((m) => [m.name, m.uses])).toEqual([
      ['cost', ['cost_per_mtok_output']],
      ['margin', ['price_per_mtok', 'cost']],
    ]);
  });

  it('names a three-metric cycle, at the reference that closes it', () => {
    const defs = { a: 'b + 1', b: '2 * c', c: 'x + a', d: 'x' };
    const err = thrown(() => metricOrder(defs, KNOWN));
    expect(err.path).toBe('metrics.c');
    expect(err.reason).toBe('metrics use each other in a cycle: c -> a -> b -> c');
    expect(err.column).toBe(5);
  });

  it('names a metric that uses itself', () => {
    const err = thrown(() => metricOrder({ m: 'x + 2 * m' }, KNOWN, 'custom'));
    expect([err.path, err.reason, err.column]).toEqual(['custom.m', 'metrics use each other in a cycle: m -> m', 9]);
  });

  it('reports an unknown name under the metric path', () => {
    const err = thrown(() => metricOrder({ ok: 'x', bad: 'utilisation * 2' }, KNOWN));
    expect([err.path, err.column, err.hint]).toEqual(['metrics.bad', 1, 'did you mean `utilization`?']);
  });

  it('reports syntax errors under the metric path', () => {
    const err = thrown(() => metricOrder({ m: 'x +' }, KNOWN));
    expect([err.path, err.column]).toEqual(['metrics.m', 4]);
  });

  it('rejects a metric name that expressions could not refer to', () => {
    const err = thrown(() => metricOrder({ 'cost-per-token': 'x' }, KNOWN));
    expect(err.path).toBe('metrics.cost-per-token');
    expect(err.column).toBeUndefined();
  });
});

describe('checkConstants: a part that reads no name must be a finite f32', () => {
  // [expression, column of the innermost offending part, what the reason says, hint]
  const table: [string, number, string, string | undefined][] = [
    ['x + 1/0', 6, 'infinity', 'a division by zero'],
    ['x - 1 / (2 - 2)', 7, 'infinity', 'a division by zero'],
    ['x + -1/0', 7, 'minus infinity', 'a division by zero'],
    ['x + 0/0', 6, 'not a number (NaN)', 'a division by zero'],
    ['x + log(0)', 5, 'minus infinity', undefined],
    ['max(x, sqrt(-1))', 8, 'not a number (NaN)', undefined],
    ['x + exp(1000) * 0', 5, 'infinity', undefined],
    ['x * 1e30 * 1e30', 0, '', undefined], // reads x at every step: a run-time overflow, not a constant
    ['x + 1e30 * 1e30', 10, '1e+60, beyond the f32 range (about ±3.4e38) the GPU engine computes in', undefined],
    ['if(x > 0, x, (-8) ^ 0.5)', 19, 'not a number (NaN)', undefined],
  ];
  it.each(table)('`%s`: column %d', (text, column, what, hint) => {
    const expr = parseExpr(text);
    if (column === 0) {
      expect(() => checkConstants(expr, 'metrics.m')).not.toThrow();
      return;
    }
    const err = thrown(() => checkConstants(expr, 'metrics.m'));
    expect([err.path, err.column, err.reason, err.hint]).toEqual(['metrics.m', column, `this part reads no name and its value is ${what}`, hint]);
  });

  it('accepts finite constant parts, however they are written', () => {
    for (const text of ['x + 2 ^ 10 / 3 - sqrt(16)', 'x * 1e-45', 'x + 3.4e38', 'x / 0.5', 'x / (1 - 1 + 1e-30)']) {
      expect(() => checkConstants(parseExpr(text), 'p'), text).not.toThrow();
    }
  });

  it('is part of orderMetrics, under the metric path', () => {
    const err = thrown(() => metricOrder({ ok: 'x', bad: 'x + 1 / 0' }, KNOWN));
    expect([err.path, err.column]).toEqual(['metrics.bad', 7]);
  });
});

describe('orderMetrics: names that objects hold specially', () => {
  it('takes a Map, so `__proto__` and `constructor` are metric names like any other', () => {
    const defs = new Map([
      ['__proto__', 'x * 2'],
      ['constructor', '__proto__ + 1'],
    ]);
    expect(orderMetrics(defs, KNOWN).map((m) => [m.name, m.uses])).toEqual([
      ['__proto__', ['x']],
      ['constructor', ['__proto__']],
    ]);
  });

  it('reads the own keys of an object, including a computed `__proto__` key', () => {
    expect(metricOrder({ ['__proto__']: 'x', toString: '__proto__ * 2' }, KNOWN)).toEqual(['__proto__', 'toString']);
  });
});
