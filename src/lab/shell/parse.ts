/**
 * The sh subset pvefix generates: `;`, `&&`, `||`, `|`, redirects and quoting, parsed with
 * shell-quote. Command substitution, parameter expansion, globs, subshells and background jobs
 * are refused outright: the lab must never pretend to run something it does not understand.
 */

import { parse } from "shell-quote";
import { EXIT } from "../../errors/exit-codes.js";
import { PvefixError } from "../../errors/pvefix-error.js";

export interface Redirect {
  fd: number;
  op: ">" | ">>" | "<" | ">&";
  target: string;
}

export interface SimpleCommand {
  argv: string[];
  redirects: Redirect[];
}

export type Pipeline = SimpleCommand[];

export interface AndOrList {
  pipelines: Pipeline[];
  /** ops[i] joins pipelines[i] and pipelines[i + 1]. */
  ops: Array<"&&" | "||">;
}

export type Script = AndOrList[];

/** `message` is the exact stderr line dash would print (without the newline). */
export class ShellSyntaxError extends PvefixError {
  override readonly name = "ShellSyntaxError";
  readonly code = "PVEFIX_LAB_SHELL_SYNTAX";
  constructor(message: string) {
    super(message, { exitCode: EXIT.failed, internal: true });
  }
}

const UNSUPPORTED = "sh: 1: Syntax error: unsupported in the pvefix lab";
const REDIRECT_OPS = new Set([">", ">>", "<", ">&"]);

export function parseScript(line: string): Script {
  if (hasExpansion(line)) throw new ShellSyntaxError(UNSUPPORTED);
  const tokens = parse(line, (key) => `$${key}`);
  const script: Script = [];
  let list: AndOrList = { pipelines: [], ops: [] };
  let pipeline: Pipeline = [];
  let cmd: SimpleCommand = { argv: [], redirects: [] };
  let pending: string | null = null; // the operator that still needs a command after it

  const endCommand = (op: string) => {
    if (cmd.argv.length === 0 && cmd.redirects.length === 0) throw unexpected(op);
    pipeline.push(cmd);
    cmd = { argv: [], redirects: [] };
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (typeof token === "string") {
      const next = tokens[i + 1];
      if (/^\d$/.test(token) && isOp(next) && REDIRECT_OPS.has(next.op)) {
        i = readRedirect(tokens, i + 1, Number(token), cmd);
      } else {
        cmd.argv.push(token);
      }
      pending = null;
      continue;
    }
    if (token === undefined || "comment" in token) break;
    if (!("op" in token)) throw new ShellSyntaxError(UNSUPPORTED);
    const op = token.op as string;
    if (REDIRECT_OPS.has(op)) {
      i = readRedirect(tokens, i, op === "<" ? 0 : 1, cmd);
      pending = null;
    } else if (op === "|") {
      endCommand(op);
      pending = op;
    } else if (op === "&&" || op === "||") {
      endCommand(op);
      list.pipelines.push(pipeline);
      list.ops.push(op);
      pipeline = [];
      pending = op;
    } else if (op === ";") {
      endCommand(op);
      list.pipelines.push(pipeline);
      script.push(list);
      list = { pipelines: [], ops: [] };
      pipeline = [];
      pending = null;
    } else {
      throw new ShellSyntaxError(UNSUPPORTED);
    }
  }
  if (pending) throw new ShellSyntaxError("sh: 1: Syntax error: end of file unexpected");
  if (cmd.argv.length > 0 || cmd.redirects.length > 0) {
    pipeline.push(cmd);
    list.pipelines.push(pipeline);
    script.push(list);
  }
  return script;
}

type Token = ReturnType<typeof parse>[number];

function isOp(token: Token | undefined): token is { op: string } & Token {
  return typeof token === "object" && token !== null && "op" in token;
}

function readRedirect(tokens: Token[], opIndex: number, fd: number, cmd: SimpleCommand): number {
  const op = (tokens[opIndex] as { op: string }).op as Redirect["op"];
  const target = tokens[opIndex + 1];
  if (typeof target !== "string") throw new ShellSyntaxError("sh: 1: Syntax error: newline unexpected");
  if (fd > 2) throw new ShellSyntaxError(UNSUPPORTED);
  cmd.redirects.push({ fd, op, target });
  return opIndex + 1;
}

function unexpected(op: string): ShellSyntaxError {
  return new ShellSyntaxError(`sh: 1: Syntax error: "${op}" unexpected`);
}

/** `$…` and backticks outside single quotes (shell-quote would silently keep or drop them). */
function hasExpansion(line: string): boolean {
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = null;
      continue;
    }
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === '"') {
      quote = quote === '"' ? null : '"';
      continue;
    }
    if (c === "'" && quote === null) {
      quote = "'";
      continue;
    }
    if (c === "`") return true;
    if (c === "$" && /[A-Za-z0-9_{(?#@*!$-]/.test(line[i + 1] ?? "")) return true;
  }
  return false;
}
