/** Command-line arguments split into positionals, flags and `--name value` options. */
export interface SplitArgs {
  positionals: string[];
  flags: Set<string>;
  /** Options with their values, in the order given (an option given twice appears twice). */
  values: Array<{ name: string; value: string }>;
}

/**
 * Splits argv the way both CLIs read it: words are positionals (everything after `--` too, and `-`); `-h` is the
 * flag `help`; `--flag` is one of `flags` and takes no value; `--name value` or `--name=value` is one of
 * `isValueOption`'s, and a following `--option` is not taken as its value. Anything else calls `fail` with the
 * message and the positionals read so far (`fail` throws).
 *
 * @example
 * splitArgs(["key", "create", "--role=viewer", "--json"], { flags: ["json"], isValueOption: (n) => n === "role", fail })
 * // { positionals: ["key", "create"], flags: Set {"json"}, values: [{ name: "role", value: "viewer" }] }
 */
export function splitArgs(
  argv: readonly string[],
  spec: { flags: readonly string[]; isValueOption(name: string): boolean; fail(message: string, positionals: string[]): never },
): SplitArgs {
  const positionals: string[] = [];
  const flags = new Set<string>();
  const values: SplitArgs["values"] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || !arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    if (arg === "-h") {
      flags.add("help");
      continue;
    }
    if (!arg.startsWith("--")) spec.fail(`Unknown option '${arg}'`, positionals);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.flags.includes(name)) {
      if (eq !== -1) spec.fail(`--${name} takes no value`, positionals);
      flags.add(name);
      continue;
    }
    if (!spec.isValueOption(name)) spec.fail(`Unknown option '--${name}'`, positionals);
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) spec.fail(`--${name} needs a value`, positionals);
      value = next;
      i++;
    }
    values.push({ name, value });
  }
  return { positionals, flags, values };
}
