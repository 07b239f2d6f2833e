/**
 * Expressions at the parser's limits (MAX_DEPTH levels, close to MAX_SOURCE_LENGTH characters),
 * each deep or wide in its own way, over three names. Over small integers every one is exact in
 * f32 as in f64 (sums stay far below 2^24; the rest are comparisons, selections and rounding),
 * so the engines must agree on them exactly.
 */
import { MAX_DEPTH } from '../../src/expr/index.js';

/** `levels` applications of `wrap` around `inner`. */
function nest(levels: number, inner: string, wrap: (inner: string) => string): string {
  let text = inner;
  for (let i = 0; i < levels; i++) text = wrap(text);
  return text;
}

/** [what it is, expression] over the names x, y and z. */
export function limitCases(x: string, y: string, z: string): [string, string][] {
  const names = [x, y, z];
  const cycle = (n: number) => Array.from({ length: n }, (_, i) => names[i % 3]!);
  return [
    // 200 terms: a tree 200 levels high, which Tint's parser (128 levels) cannot take inline.
    ['a chain of + and - as long as the depth limit', cycle(MAX_DEPTH).map((n, i) => (i === 0 ? n : `${i % 2 ? ' + ' : ' - '}${n}`)).join('')],
    ['unary minus signs to the depth limit', `${'-'.repeat(MAX_DEPTH - 1)}${x}`],
    ['minus signs around parentheses to the depth limit', nest(MAX_DEPTH / 2 - 1, x, (t) => `-(${t})`)],
    ['clamp nested to the depth limit', nest(MAX_DEPTH - 1, x, (t) => `clamp(${t}, ${y}, ${z})`)],
    ['if and comparisons nested to the depth limit', nest(MAX_DEPTH / 2 - 1, x, (t) => `if(${x} < ${y}, ${t} - ${z}, ${z} >= ${x})`)],
    ['abs and floor nested to the depth limit', nest(MAX_DEPTH - 1, x, (t) => (t.startsWith('abs') ? `floor(${t})` : `abs(${t})`))],
    // 4,990 arguments in 9,984 characters: WGSL's min takes two, so this is 4,989 nested calls.
    ['min of 4,990 arguments', `min(${cycle(4990).join(',')})`],
    ['max of 48 sums of 100 terms', `max(${Array.from({ length: 48 }, () => `(${cycle(100).join('+')})`).join(', ')})`],
  ];
}
