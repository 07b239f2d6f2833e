/**
 * Command-line options of the bench scripts (bench.ts, memory.ts): `--name` flags that take no
 * value and `--name VALUE` options that take one, read in order; an unknown option or a missing
 * value throws with the option's name.
 */

/** What to do for each option: a flag's handler takes nothing, an option's takes its value. */
export interface OptionHandlers {
  flags?: Record<string, () => void>;
  options: Record<string, (value: string) => void>;
}

export function readOptions(argv: readonly string[], handlers: OptionHandlers): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = handlers.flags?.[a];
    const option = handlers.options[a];
    if (flag !== undefined) {
      flag();
    } else if (option !== undefined) {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      option(v);
    } else {
      throw new Error(`unknown option ${a}`);
    }
  }
}
