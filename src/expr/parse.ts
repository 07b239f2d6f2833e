/**
 * The parser of metric expressions: a tokenizer and a recursive-descent parser, one function per
 * precedence level. From loosest to tightest:
 *
 *   comparison  := additive [ ('<' | '<=' | '>' | '>=' | '==' | '!=') additive ]   (no chaining)
 *   additive    := term { ('+' | '-') term }                                          (left-assoc)
 *   term        := unary { ('*' | '/') unary }                                        (left-assoc)
 *   unary       := '-' unary | power
 *   power       := primary [ '^' unary ]                              (right-assoc: 2^3^2 = 2^9)
 *   primary     := number | name | name '(' [ comparison { ',' comparison } ] ')' | '(' comparison ')'
 *
 * `^` binds tighter than a minus on its left (`-2^2` is -4, as in mathematics) and takes a signed
 * exponent on its right (`2^-1` is 0.5). Numbers are decimal: `2`, `2.5`, `.5`, `1e-3`, `2.5E+6`.
 *
 * Every later stage (checking, folding, both compilers, the GPU kernel's generator) walks the
 * tree recursively, so the parser bounds what they can meet: the source length (MAX_SOURCE_LENGTH)
 * and the tree's height (MAX_DEPTH), where each operator of a chain like `a + b + c` is a level
 * of its own, as it is in the tree.
 */
import type { CompareOp, ExprNode, Expr } from './ast.js';
import { isCompareOp } from './ast.js';
import { exprError } from './errors.js';
import { checkCall, checkFunctionName } from './functions.js';

type Token =
  | { kind: 'number'; value: number; text: string; pos: number }
  | { kind: 'name'; text: string; pos: number }
  | { kind: 'op'; text: string; pos: number }
  | { kind: 'end'; text: ''; pos: number };

const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
/** What a malformed number runs on to, so `1.2.3` and `1e` are quoted whole. */
const NUMBER_LIKE = /(?:[0-9A-Za-z_.]|(?<=[eE])[+-])+/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const WHITESPACE = /\s+/y;
const OPERATORS = ['<=', '>=', '==', '!=', '+', '-', '*', '/', '^', '(', ')', ',', '<', '>'];

/**
 * The longest expression accepted, in characters: far beyond a formula a person writes, and it
 * bounds the work (a node per character at most) and the size of the generated code.
 */
export const MAX_SOURCE_LENGTH = 10_000;

/** Parses one expression; errors are ExprErrors that name `path` and point at the column. */
export function parseExpr(text: string, path = ''): Expr {
  if (text.length > MAX_SOURCE_LENGTH) {
    exprError({
      path,
      text,
      offset: MAX_SOURCE_LENGTH,
      reason: `expression is ${text.length.toLocaleString('en-US')} characters long, more than the limit of ${MAX_SOURCE_LENGTH.toLocaleString('en-US')}`,
      hint: 'split it into metrics that use one another',
    });
  }
  const parser = new Parser(tokenize(text, path), text, path);
  return { text, root: parser.parseAll() };
}

function stickyMatch(re: RegExp, text: string, pos: number): string | undefined {
  re.lastIndex = pos;
  return re.exec(text)?.[0];
}

function tokenize(text: string, path: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const space = stickyMatch(WHITESPACE, text, pos);
    if (space) {
      pos += space.length;
      continue;
    }
    const number = stickyMatch(NUMBER, text, pos);
    if (number) {
      const whole = stickyMatch(NUMBER_LIKE, text, pos) ?? number;
      if (whole.length > number.length) {
        exprError({ path, text, offset: pos, reason: `bad number \`${whole}\`` });
      }
      const value = Number(number);
      // The GPU engine computes in f32: a literal it cannot hold would silently become infinity there.
      if (!Number.isFinite(Math.fround(value))) {
        exprError({ path, text, offset: pos, reason: `number \`${number}\` is beyond the f32 range (about ±3.4e38)` });
      }
      tokens.push({ kind: 'number', value, text: number, pos });
      pos += number.length;
      continue;
    }
    const name = stickyMatch(NAME, text, pos);
    if (name) {
      tokens.push({ kind: 'name', text: name, pos });
      pos += name.length;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, pos));
    if (op) {
      tokens.push({ kind: 'op', text: op, pos });
      pos += op.length;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(pos)!);
    const hints: Record<string, string> = {
      '=': 'equality is `==`',
      '!': 'not-equal is `!=`; there is no logical not, use if()',
      '&': 'there is no logical and: use min(a, b) of two 0/1 conditions, or if()',
      '|': 'there is no logical or: use max(a, b) of two 0/1 conditions, or if()',
    };
    exprError({ path, text, offset: pos, reason: `unexpected character \`${ch}\``, hint: hints[ch] });
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

function childrenOf(node: ExprNode): readonly ExprNode[] {
  switch (node.kind) {
    case 'negate':
      return [node.arg];
    case 'binary':
      return [node.left, node.right];
    case 'call':
      return node.args;
    case 'number':
    case 'name':
      return [];
  }
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the expression' : `\`${token.text}\``;
}

/**
 * How deep an expression may nest: the height of its tree (a name or number is 1, `a + b` is 2,
 * a chain of n terms is n), and how deep parentheses, calls and minus signs may nest in the text.
 * Far beyond any formula a person writes; it keeps a runaway input from overflowing the stack of
 * the parser and of everything that walks the tree after it.
 */
export const MAX_DEPTH = 200;

const DEPTH_HINT =
  'every parenthesis, call and minus sign, and each operator of a chain such as a + b + c, is a level; split the formula into metrics that use one another';

class Parser {
  private index = 0;
  private depth = 0;
  /** The height of every node built so far (see MAX_DEPTH). */
  private readonly heights = new WeakMap<ExprNode, number>();

  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
    private readonly path: string,
  ) {}

  parseAll(): ExprNode {
    if (this.peek().kind === 'end') {
      return this.fail(0, 'empty expression', 'write a number, a name, or a formula of them');
    }
    const root = this.parseComparison();
    const extra = this.peek();
    if (extra.kind !== 'end') {
      if (extra.text === ')') this.fail(extra.pos, 'unmatched `)`');
      this.fail(extra.pos, `unexpected ${describe(extra)} after a complete expression`, 'is an operator missing?');
    }
    return root;
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private next(): Token {
    return this.tokens[this.index++]!;
  }

  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.kind === 'op' && ops.includes(t.text);
  }

  private fail(offset: number, reason: string, hint?: string): never {
    return exprError({ path: this.path, text: this.text, offset, reason, hint });
  }

  /** Counts one level of nesting around `parse`, starting at the token it begins with. */
  private nested(parse: () => ExprNode): ExprNode {
    if (++this.depth > MAX_DEPTH) this.fail(this.peek().pos, `expression nested more than ${MAX_DEPTH} levels deep`, DEPTH_HINT);
    const node = parse();
    this.depth--;
    return node;
  }

  /** Records a new node's height, refusing it (at its own column) when that passes MAX_DEPTH. */
  private built<T extends ExprNode>(node: T): T {
    let below = 0;
    for (const child of childrenOf(node)) below = Math.max(below, this.heights.get(child) ?? 1);
    if (below + 1 > MAX_DEPTH) this.fail(node.pos, `expression nested more than ${MAX_DEPTH} levels deep`, DEPTH_HINT);
    this.heights.set(node, below + 1);
    return node;
  }

  private parseComparison(): ExprNode {
    return this.nested(() => this.parseComparisonLevel());
  }

  private parseComparisonLevel(): ExprNode {
    const left = this.parseAdditive();
    const t = this.peek();
    if (!(t.kind === 'op' && isCompareOp(t.text))) return left;
    this.next();
    const right = this.parseAdditive();
    const again = this.peek();
    if (again.kind === 'op' && isCompareOp(again.text)) {
      this.fail(again.pos, 'comparisons do not chain', 'add parentheses, e.g. (a < b) == 1, or use if()');
    }
    return this.built({ kind: 'binary', op: t.text as CompareOp, left, right, pos: t.pos });
  }

  private parseAdditive(): ExprNode {
    let left = this.parseTerm();
    while (this.isOp('+', '-')) {
      const op = this.next();
      left = this.built({ kind: 'binary', op: op.text as '+' | '-', left, right: this.parseTerm(), pos: op.pos });
    }
    return left;
  }

  private parseTerm(): ExprNode {
    let left = this.parseUnary();
    while (this.isOp('*', '/')) {
      const op = this.next();
      left = this.built({ kind: 'binary', op: op.text as '*' | '/', left, right: this.parseUnary(), pos: op.pos });
    }
    return left;
  }

  private parseUnary(): ExprNode {
    if (this.isOp('-')) {
      const minus = this.next();
      return this.built({ kind: 'negate', arg: this.nested(() => this.parseUnary()), pos: minus.pos });
    }
    return this.parsePower();
  }

  private parsePower(): ExprNode {
    const base = this.parsePrimary();
    if (!this.isOp('^')) return base;
    const op = this.next();
    // The exponent is a unary: right-associative, and `2^-1` is allowed.
    return this.built({ kind: 'binary', op: '^', left: base, right: this.nested(() => this.parseUnary()), pos: op.pos });
  }

  private parsePrimary(): ExprNode {
    const t = this.next();
    if (t.kind === 'number') return { kind: 'number', value: t.value, pos: t.pos };
    if (t.kind === 'name') {
      if (this.isOp('(')) return this.parseCall(t.text, t.pos);
      return { kind: 'name', name: t.text, pos: t.pos };
    }
    if (t.kind === 'op' && t.text === '(') {
      const inner = this.parseComparison();
      this.expectClose(t.pos);
      return inner;
    }
    const previous = this.tokens[this.index - 2];
    const after = previous ? ` after \`${previous.text}\`` : '';
    const hint = t.text === '*' && previous?.text === '*' ? 'powers are written `^`' : undefined;
    return this.fail(t.pos, `expected a number, a name or \`(\`${after}, got ${describe(t)}`, hint);
  }

  private parseCall(name: string, namePos: number): ExprNode {
    const fn = checkFunctionName(name, namePos, this.text, this.path);
    const open = this.next();
    const args: ExprNode[] = [];
    if (this.isOp(')')) {
      this.next();
    } else {
      for (;;) {
        args.push(this.parseComparison());
        if (this.isOp(',')) {
          this.next();
          continue;
        }
        this.expectClose(open.pos, `\`,\` or \`)\` in the arguments of \`${fn}\``);
        break;
      }
    }
    const call = { kind: 'call', fn, args, pos: namePos } as const;
    checkCall(call, this.text, this.path);
    return this.built(call);
  }

  private expectClose(openPos: number, expected = '`)` or an operator'): void {
    const t = this.next();
    if (t.kind === 'op' && t.text === ')') return;
    if (t.kind === 'end') this.fail(openPos, 'unclosed `(`', 'add the missing `)`');
    this.fail(t.pos, `expected ${expected}, got ${describe(t)}`);
  }
}
