/** Tiny getopt for the simulated tools: short flags (combinable), options with values, operands. */
export interface ParsedArgs {
  flags: Set<string>;
  values: Map<string, string>;
  operands: string[];
  /** The first option the tool does not know, if any. */
  unknown: string | null;
}

/**
 * @param flagChars short flags without a value, e.g. "pf"
 * @param valueChars short options taking a value, e.g. "cn"
 */
export function getopt(args: string[], flagChars: string, valueChars = ""): ParsedArgs {
  const parsed: ParsedArgs = { flags: new Set(), values: new Map(), operands: [], unknown: null };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") {
      parsed.operands.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      parsed.operands.push(arg);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j] ?? "";
      if (valueChars.includes(c)) {
        const rest = arg.slice(j + 1);
        parsed.values.set(c, rest !== "" ? rest : (args[++i] ?? ""));
        break;
      }
      if (flagChars.includes(c)) parsed.flags.add(c);
      else parsed.unknown ??= arg;
    }
  }
  return parsed;
}
