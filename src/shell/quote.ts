/**
 * The one place where command lines are built from values (design rule 2).
 * Every interpolated value is quoted for a POSIX shell; no raw input reaches a shell.
 */
import { quote } from "shell-quote";

/** Quote one argument for `sh`. Plain words stay readable (`pct unlock 100`). */
export function shellQuote(value: string | number): string {
  const text = String(value);
  if (text === "") return "''";
  // shell-quote escapes with backslashes; single quotes read better in plans and journals.
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Join already-trusted words and quoted values: `sh\`pct unlock ${vmid}\``. */
export function sh(
  strings: TemplateStringsArray,
  ...values: Array<string | number | ReadonlyArray<string | number>>
): string {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += Array.isArray(value) ? value.map(shellQuote).join(" ") : shellQuote(value as string | number);
    out += strings[i + 1] ?? "";
  });
  return out;
}

/** Quote an argv for display (same quoting as execution). */
export function commandLine(argv: ReadonlyArray<string | number>): string {
  return argv.map(shellQuote).join(" ");
}

export { quote as shellQuoteArgv };
