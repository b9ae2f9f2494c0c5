/** Changing coreutils: mkdir, rmdir, cp, mv, rm, chmod. Inside /etc/pve they fail like pmxcfs without quorum. */
import { FsError } from "../fs/errors.js";
import type { NodeFs } from "../fs/node-fs.js";
import { basenameOf, dirnameOf, normalizePath } from "../fs/paths.js";
import { getopt } from "./args.js";
import { type CommandHandler, type CommandOutput, unsupported } from "./types.js";

type Attempt = (operand: string) => string | null; // error line or null

function each(operands: string[], attempt: Attempt): CommandOutput {
  const result: CommandOutput = { stdout: "", stderr: "", exitCode: 0 };
  for (const operand of operands) {
    try {
      const message = attempt(operand);
      if (message) {
        result.stderr += `${message}\n`;
        result.exitCode = 1;
      }
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      result.stderr += `${error.message}\n`;
      result.exitCode = 1;
    }
  }
  return result;
}

function fsText(error: unknown): string {
  if (error instanceof FsError) return error.text;
  throw error;
}

const mkdir: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "p", "m");
  if (opts.unknown || opts.operands.length === 0) return unsupported(ctx);
  return each(opts.operands, (dir) => {
    const targets = opts.flags.has("p") ? ancestry(dir) : [dir];
    for (const target of targets) {
      if (opts.flags.has("p") && ctx.fs.kind(target) === "dir") continue;
      try {
        ctx.fs.mkdir(target);
      } catch (error) {
        return `mkdir: cannot create directory '${target}': ${fsText(error)}`;
      }
    }
    return null;
  });
};

/** `/a/b/c` → [`/a`, `/a/b`, `/a/b/c`] (relative paths keep their shape). */
function ancestry(dir: string): string[] {
  const abs = normalizePath(dir);
  const parts = abs.split("/").filter(Boolean);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

const rmdir: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "");
  if (opts.unknown || opts.operands.length === 0) return unsupported(ctx);
  return each(opts.operands, (dir) => {
    try {
      ctx.fs.rmdir(dir);
      return null;
    } catch (error) {
      return `rmdir: failed to remove '${dir}': ${fsText(error)}`;
    }
  });
};

/** cp/mv put SRC inside DST when DST is a directory. */
function destination(fs: NodeFs, src: string, dst: string): string {
  return fs.kind(dst) === "dir" ? `${normalizePath(dst)}/${basenameOf(normalizePath(src))}` : dst;
}

const cp: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "pf");
  if (opts.unknown || opts.operands.length !== 2) return unsupported(ctx);
  const [src = "", dstArg = ""] = opts.operands;
  return each([src], () => {
    const kind = ctx.fs.kind(src);
    if (kind === null) return `cp: cannot stat '${src}': No such file or directory`;
    if (kind === "dir") return `cp: -r not specified; omitting directory '${src}'`;
    const content = ctx.fs.read(src);
    const dst = destination(ctx.fs, src, dstArg);
    try {
      ctx.fs.write(dst, content, { append: false });
    } catch (error) {
      return `cp: cannot create regular file '${dst}': ${fsText(error)}`;
    }
    if (opts.flags.has("p")) {
      const mode = ctx.fs.mode(src);
      try {
        ctx.fs.chmod(dst, mode);
      } catch {
        // pmxcfs keeps its own modes; cp -p only warns about ownership there, never fails the copy.
      }
    }
    return null;
  });
};

const mv: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "f");
  if (opts.unknown || opts.operands.length !== 2) return unsupported(ctx);
  const [src = "", dstArg = ""] = opts.operands;
  return each([src], () => {
    if (ctx.fs.kind(src) === null) return `mv: cannot stat '${src}': No such file or directory`;
    const dst = destination(ctx.fs, src, dstArg);
    if (normalizePath(dirnameOf(normalizePath(dst))) === normalizePath(src)) {
      return `mv: cannot move '${src}' to a subdirectory of itself, '${dst}'`;
    }
    try {
      ctx.fs.rename(src, dst);
      return null;
    } catch (error) {
      return `mv: cannot move '${src}' to '${dst}': ${fsText(error)}`;
    }
  });
};

function removeTree(fs: NodeFs, path: string): void {
  for (const name of fs.list(path)) {
    const child = `${normalizePath(path)}/${name}`;
    if (fs.kind(child) === "dir") removeTree(fs, child);
    else fs.unlink(child);
  }
  fs.rmdir(path);
}

const rm: CommandHandler = (ctx) => {
  const opts = getopt(ctx.argv.slice(1), "frR");
  if (opts.unknown || (opts.operands.length === 0 && !opts.flags.has("f"))) return unsupported(ctx);
  const force = opts.flags.has("f");
  const recursive = opts.flags.has("r") || opts.flags.has("R");
  return each(opts.operands, (path) => {
    const kind = ctx.fs.kind(path);
    if (kind === null) return force ? null : `rm: cannot remove '${path}': No such file or directory`;
    try {
      if (kind === "dir") {
        if (!recursive) return `rm: cannot remove '${path}': Is a directory`;
        removeTree(ctx.fs, path);
      } else {
        ctx.fs.unlink(path);
      }
      return null;
    } catch (error) {
      return `rm: cannot remove '${path}': ${fsText(error)}`;
    }
  });
};

const chmod: CommandHandler = (ctx) => {
  const [mode = "", ...paths] = ctx.argv.slice(1);
  if (!/^[0-7]{3,4}$/.test(mode) || paths.length === 0) return unsupported(ctx);
  return each(paths, (path) => {
    if (ctx.fs.kind(path) === null) return `chmod: cannot access '${path}': No such file or directory`;
    try {
      ctx.fs.chmod(path, mode.slice(-3));
      return null;
    } catch (error) {
      return `chmod: changing permissions of '${path}': ${fsText(error)}`;
    }
  });
};

export const fileWriteCommands: Record<string, CommandHandler> = { mkdir, rmdir, cp, mv, rm, chmod };
