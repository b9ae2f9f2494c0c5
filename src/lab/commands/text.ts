/** Text tools for pipes: echo and printf (dash builtins), grep, head. */
import { FsError } from "../fs/errors.js";
import { getopt } from "./args.js";
import { type CommandHandler, type CommandOutput, fail, ok, unsupported } from "./types.js";

/** dash's echo always interprets backslash escapes; `\c` stops all output. */
function expandEscapes(text: string): { text: string; stop: boolean } {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[++i];
    const map: Record<string, string> = {
      n: "\n",
      t: "\t",
      "\\": "\\",
      a: "\x07",
      b: "\b",
      r: "\r",
      f: "\f",
      v: "\v",
    };
    if (next === "c") return { text: out, stop: true };
    if (next === undefined) out += "\\";
    else if (next in map) out += map[next];
    else if (next === "0") {
      const digits = /^[0-7]{0,3}/.exec(text.slice(i + 1))?.[0] ?? "";
      out += String.fromCharCode(Number.parseInt(digits || "0", 8));
      i += digits.length;
    } else out += `\\${next}`;
  }
  return { text: out, stop: false };
}

const echo: CommandHandler = (ctx) => {
  let args = ctx.argv.slice(1);
  const newline = args[0] !== "-n";
  if (!newline) args = args.slice(1);
  const { text, stop } = expandEscapes(args.join(" "));
  return ok(text + (newline && !stop ? "\n" : ""));
};

const printf: CommandHandler = (ctx) => {
  const [format, ...args] = ctx.argv.slice(1);
  if (format === undefined) return fail("printf: usage: printf format [arg ...]", 2);
  let out = "";
  let rest = args;
  do {
    let used = 0;
    const rendered = format.replace(/%([%sdbc])/g, (_, spec: string) => {
      if (spec === "%") return "%";
      const arg = rest[used++] ?? "";
      if (spec === "d") return String(Number.parseInt(arg || "0", 10));
      if (spec === "b") return expandEscapes(arg).text;
      if (spec === "c") return arg.slice(0, 1);
      return arg;
    });
    out += expandEscapes(rendered).text;
    rest = rest.slice(used);
    if (used === 0) break;
  } while (rest.length > 0);
  return ok(out);
};

/** POSIX BRE → JS: `\(`, `\|`, `\{`, `\+` are the special ones, bare `( | { + ?` are literal. */
function breToRegExp(pattern: string): string {
  return pattern.replace(/\\([(){}|+?])|([(){}|+?])/g, (_, escaped?: string, bare?: string) =>
    escaped ? escaped : `\\${bare}`,
  );
}

const grep: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "qEFvicx", "e");
  const [first, ...files] = opts.operands;
  const patternText = opts.values.get("e") ?? first;
  if (opts.unknown || patternText === undefined) return unsupported(ctx);
  const inputs = opts.values.has("e") ? opts.operands : files;
  let source = patternText;
  if (opts.flags.has("F")) source = patternText.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  else if (!opts.flags.has("E")) source = breToRegExp(patternText);
  if (opts.flags.has("x")) source = `^(?:${source})$`;
  const regex = new RegExp(source, opts.flags.has("i") ? "i" : "");
  const result: CommandOutput = { stdout: "", stderr: "", exitCode: 1 };
  let count = 0;
  const scan = (text: string, label: string | null) => {
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    for (const line of lines) {
      if (regex.test(line) === opts.flags.has("v")) continue;
      count++;
      if (!opts.flags.has("c")) result.stdout += `${label ? `${label}:` : ""}${line}\n`;
    }
  };
  if (inputs.length === 0) scan(ctx.stdin(), null);
  for (const file of inputs) {
    try {
      scan(ctx.fs.read(file), inputs.length > 1 ? file : null);
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      result.stderr += `grep: ${file}: ${error.text}\n`;
    }
  }
  if (opts.flags.has("c")) result.stdout = `${count}\n`;
  result.exitCode = result.stderr !== "" && count === 0 ? 2 : count > 0 ? 0 : 1;
  if (opts.flags.has("q"))
    return { stdout: "", stderr: result.stderr, exitCode: count > 0 ? 0 : result.exitCode };
  return result;
};

const head: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1).map((a) => (/^-\d+$/.test(a) ? `-n${a.slice(1)}` : a));
  const opts = getopt(args, "", "n");
  if (opts.unknown || opts.operands.length > 1) return unsupported(ctx);
  const count = Number(opts.values.get("n") ?? "10");
  let text: string;
  const file = opts.operands[0];
  try {
    text = file === undefined || file === "-" ? ctx.stdin() : ctx.fs.read(file);
  } catch (error) {
    if (!(error instanceof FsError)) throw error;
    return fail(`head: cannot open '${file}' for reading: ${error.text}`);
  }
  const lines = text.split(/(?<=\n)/);
  return ok(lines.slice(0, count).join(""));
};

export const textCommands: Record<string, CommandHandler> = { echo, printf, grep, head };
