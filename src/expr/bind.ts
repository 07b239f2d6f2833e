/**
 * What both compilers share to keep generated code shallow: a subexpression whose nesting passes
 * a budget is bound to a temporary (`let` in WGSL, `const` in JavaScript) declared before the
 * statement that uses it. The parser bounds a tree's height (parse.ts MAX_DEPTH), but a target
 * language's own parser may allow less: Tint stops at 128 levels, where every parenthesis or call
 * counts one and a unary minus two. With temporaries, no generated statement nests deeper than
 * the budget plus one node's own nesting, however deep the expression. Binding changes nothing
 * in the result: every subexpression is evaluated exactly once either way and none has effects.
 */

/** A piece of generated code and how deeply it nests (in the target parser's levels). */
export interface Code {
  readonly text: string;
  readonly depth: number;
}

export class Temporaries {
  private declared: string[] = [];
  private count = 0;

  /**
   * @param declare how the target declares `name` as `text` (one line, with its indent)
   * @param prefix the temporaries' names are prefix0, prefix1, ...: it must not start a name the
   *   generated code uses otherwise
   * @param maxDepth the nesting budget of one piece of code
   */
  constructor(
    private readonly declare: (name: string, text: string) => string,
    private readonly prefix: string,
    private readonly maxDepth: number,
  ) {}

  /**
   * The code `text` of a node that nests `own` levels around its deepest part: as it is, or a
   * new temporary holding it when its nesting passes the budget.
   */
  code(text: string, own: number, ...parts: readonly Code[]): Code {
    const depth = own + parts.reduce((deepest, p) => Math.max(deepest, p.depth), 0);
    if (depth <= this.maxDepth) return { text, depth };
    const name = `${this.prefix}${this.count++}`;
    this.declared.push(this.declare(name, text));
    return { text: name, depth: 0 };
  }

  /** The declarations made since the last call, in the order they must run. */
  take(): string[] {
    const lines = this.declared;
    this.declared = [];
    return lines;
  }
}
