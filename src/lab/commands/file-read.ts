/** Reading coreutils: cat, base64, sha256sum, stat, test / [. Messages as GNU coreutils prints them (C locale). */
import { createHash } from "node:crypto";
import { FsError } from "../fs/errors.js";
import { getopt } from "./args.js";
import {
  type CommandContext,
  type CommandHandler,
  type CommandOutput,
  fail,
  ok,
  unsupported,
} from "./types.js";

const cat: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "");
  if (opts.unknown) return unsupported(ctx);
  if (opts.operands.length === 0) return ok(ctx.stdin());
  return eachFile(ctx, opts.operands, "cat", (content) => content);
};

const base64: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "d", "w");
  if (opts.unknown || opts.operands.length > 1) return unsupported(ctx);
  const wrap = Number(opts.values.get("w") ?? "76");
  return eachFile(ctx, opts.operands.length ? opts.operands : ["-"], "base64", (content) => {
    if (opts.flags.has("d")) return Buffer.from(content, "base64").toString("utf8");
    const encoded = Buffer.from(content, "utf8").toString("base64");
    if (wrap === 0 || encoded === "") return encoded;
    return `${encoded.match(new RegExp(`.{1,${wrap}}`, "g"))?.join("\n")}\n`;
  });
};

const sha256sum: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "");
  if (opts.unknown) return unsupported(ctx);
  const files = opts.operands.length ? opts.operands : ["-"];
  return eachFile(ctx, files, "sha256sum", (content, name) => {
    return `${createHash("sha256").update(content, "utf8").digest("hex")}  ${name}\n`;
  });
};

function eachFile(
  ctx: CommandContext,
  files: string[],
  tool: string,
  render: (content: string, name: string) => string,
): CommandOutput {
  const result: CommandOutput = { stdout: "", stderr: "", exitCode: 0 };
  for (const file of files) {
    try {
      result.stdout += render(file === "-" ? ctx.stdin() : ctx.fs.read(file), file);
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      result.stderr += `${tool}: ${file}: ${error.text}\n`;
      result.exitCode = 1;
    }
  }
  return result;
}

const stat: CommandHandler = (ctx) => {
  const args = ctx.argv.slice(1).flatMap((a) => (a.startsWith("--format=") ? ["-c", a.slice(9)] : [a]));
  const opts = getopt(args, "fL", "c");
  const format = opts.values.get("c");
  if (opts.unknown || format === undefined || opts.operands.length === 0) return unsupported(ctx);
  const fileSystem = opts.flags.has("f");
  const result: CommandOutput = { stdout: "", stderr: "", exitCode: 0 };
  for (const path of opts.operands) {
    try {
      result.stdout += `${renderStat(ctx, path, format, fileSystem)}\n`;
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      const what = fileSystem ? `read file system information for '${path}'` : `statx '${path}'`;
      result.stderr += `stat: cannot ${what}: ${error.text}\n`;
      result.exitCode = 1;
    }
  }
  return result;
};

function renderStat(ctx: CommandContext, path: string, format: string, fileSystem: boolean): string {
  const kind = ctx.fs.kind(path);
  if (kind === null) throw new FsError("ENOENT", path);
  return format.replace(/%([a-zA-Z%])/g, (whole, code: string) => {
    if (code === "%") return "%";
    if (code === "n") return path;
    if (fileSystem) return code === "T" ? ctx.fs.fsTypeName(path) : whole;
    if (code === "a") return ctx.fs.mode(path);
    if (code === "s") return String(kind === "file" ? Buffer.byteLength(ctx.fs.read(path)) : 4096);
    if (code === "F") {
      if (kind === "dir") return "directory";
      return ctx.fs.read(path) === "" ? "regular empty file" : "regular file";
    }
    if (code === "U" || code === "G") return "root";
    if (code === "Y") return String(ctx.state.clock);
    return whole;
  });
}

function evaluateTest(ctx: CommandContext, args: string[]): boolean | null {
  if (args[0] === "!") {
    const inner = evaluateTest(ctx, args.slice(1));
    return inner === null ? null : !inner;
  }
  if (args.length === 0) return false;
  if (args.length === 1) return (args[0] ?? "") !== "";
  if (args.length === 2) {
    const [op, operand = ""] = args;
    const kind = () => ctx.fs.kind(operand);
    switch (op) {
      case "-e":
        return kind() !== null;
      case "-f":
        return kind() === "file";
      case "-d":
        return kind() === "dir";
      case "-s":
        return kind() === "file" && ctx.fs.read(operand) !== "";
      case "-r":
        return kind() !== null;
      case "-z":
        return operand === "";
      case "-n":
        return operand !== "";
      default:
        return null;
    }
  }
  if (args.length === 3) {
    const [a = "", op, b = ""] = args;
    const [x, y] = [Number(a), Number(b)];
    const numeric: Record<string, () => boolean> = {
      "-eq": () => x === y,
      "-ne": () => x !== y,
      "-lt": () => x < y,
      "-le": () => x <= y,
      "-gt": () => x > y,
      "-ge": () => x >= y,
    };
    if (op === "=") return a === b;
    if (op === "!=") return a !== b;
    const compare = numeric[op ?? ""];
    return compare ? compare() : null;
  }
  return null;
}

const test: CommandHandler = (ctx) => {
  let args = ctx.argv.slice(1);
  if (ctx.argv[0] === "[") {
    if (args[args.length - 1] !== "]") return fail("sh: 1: [: missing ]", 2);
    args = args.slice(0, -1);
  }
  const result = evaluateTest(ctx, args);
  if (result === null) return fail(`sh: 1: ${ctx.argv[0]}: unexpected operator`, 2);
  return { stdout: "", stderr: "", exitCode: result ? 0 : 1 };
};

export const fileReadCommands: Record<string, CommandHandler> = {
  cat,
  base64,
  sha256sum,
  stat,
  test,
  "[": test,
};
