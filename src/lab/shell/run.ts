/**
 * Runs a parsed command line against one node: lists, pipelines (stdout becomes the next
 * stdin), redirects with dash's exact error texts, and exit 127 for unknown commands.
 */
import { commands } from "../commands/index.js";
import { type CommandContext, type CommandOutput, HANG, type Hang } from "../commands/types.js";
import { type FsErrno, FsError, LabHang } from "../fs/errors.js";
import { NodeFs } from "../fs/node-fs.js";
import type { LabNode, LabState } from "../state.js";
import { type Pipeline, parseScript, ShellSyntaxError, type SimpleCommand } from "./parse.js";

export function runCommandLine(
  state: LabState,
  node: LabNode,
  line: string,
  stdin: string,
): CommandOutput | Hang {
  let script: ReturnType<typeof parseScript>;
  try {
    script = parseScript(line);
  } catch (error) {
    if (error instanceof ShellSyntaxError) return { stdout: "", stderr: `${error.message}\n`, exitCode: 2 };
    throw error;
  }
  const shell = new Shell(state, node, stdin);
  try {
    let status = 0;
    for (const list of script) {
      status = shell.pipeline(list.pipelines[0] ?? []);
      list.ops.forEach((op, i) => {
        if ((op === "&&") === (status === 0)) status = shell.pipeline(list.pipelines[i + 1] ?? []);
      });
    }
    return { stdout: shell.out, stderr: shell.err, exitCode: status };
  } catch (error) {
    if (error instanceof LabHang) return HANG;
    throw error;
  }
}

type Sink = { kind: "out" } | { kind: "err" } | { kind: "null" } | { kind: "file"; path: string };

const DASH_CREATE_TEXT: Partial<Record<FsErrno, string>> = { ENOENT: "Directory nonexistent" };
const DASH_OPEN_TEXT: Partial<Record<FsErrno, string>> = { ENOENT: "No such file" };

class Shell {
  out = "";
  err = "";
  private readonly fs: NodeFs;
  private pendingStdin: string;

  constructor(
    readonly state: LabState,
    readonly node: LabNode,
    stdin: string,
  ) {
    this.fs = new NodeFs(state, node);
    this.pendingStdin = stdin;
  }

  pipeline(given: Pipeline): number {
    // `! pipeline` (POSIX): the status is inverted; pvefix uses it for "skip unless the server answers".
    const negate = given[0]?.argv[0] === "!" && given[0].argv.length > 1;
    const stages = negate ? [{ ...given[0]!, argv: given[0]!.argv.slice(1) }, ...given.slice(1)] : given;
    let input: string | null = null;
    let status = 0;
    stages.forEach((cmd, i) => {
      const result = this.simple(cmd, input);
      status = result.exitCode;
      this.err += result.stderr;
      if (i === stages.length - 1) this.out += result.stdout;
      else input = result.stdout;
    });
    return negate ? Number(status === 0) : status;
  }

  /** `input` null = the shared stdin of the whole exec (consumed by whoever reads it first). */
  private simple(cmd: SimpleCommand, input: string | null): CommandOutput {
    const fds: Record<number, Sink> = { 1: { kind: "out" }, 2: { kind: "err" } };
    let stdin = input;
    for (const r of cmd.redirects) {
      if (r.op === "<") {
        try {
          stdin = this.fs.read(r.target);
        } catch (error) {
          if (!(error instanceof FsError)) throw error;
          return dashError(`cannot open ${r.target}: ${DASH_OPEN_TEXT[error.errno] ?? error.text}`);
        }
      } else if (r.op === ">&") {
        if (r.target === "-") fds[r.fd] = { kind: "null" };
        else if (r.target === "1" || r.target === "2")
          fds[r.fd] = { ...(fds[Number(r.target)] ?? { kind: "null" }) };
        else return dashError("Syntax error: unsupported in the pvefix lab", 2);
      } else {
        try {
          this.fs.write(r.target, "", { append: r.op === ">>" });
        } catch (error) {
          if (!(error instanceof FsError)) throw error;
          return dashError(`cannot create ${r.target}: ${DASH_CREATE_TEXT[error.errno] ?? error.text}`);
        }
        fds[r.fd] = r.target === "/dev/null" ? { kind: "null" } : { kind: "file", path: r.target };
      }
    }
    const argv = dropAssignments(cmd.argv);
    const result = argv.length === 0 ? { stdout: "", stderr: "", exitCode: 0 } : this.exec(argv, stdin);
    const routed: CommandOutput = { stdout: "", stderr: "", exitCode: result.exitCode };
    this.route(result.stdout, fds[1] ?? { kind: "null" }, routed);
    this.route(result.stderr, fds[2] ?? { kind: "null" }, routed);
    return routed;
  }

  private exec(argv: string[], stdin: string | null): CommandOutput {
    const result = this.run(argv, stdin);
    if (result === HANG) throw new LabHang(argv.join(" "));
    return result;
  }

  private run(argv: string[], stdin: string | null): CommandOutput | Hang {
    const name = (argv[0] ?? "").replace(/^\/(usr\/)?s?bin\//, "");
    const handler = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!handler) return { stdout: "", stderr: `sh: 1: ${argv[0]}: not found\n`, exitCode: 127 };
    const ctx: CommandContext = {
      state: this.state,
      node: this.node,
      fs: this.fs,
      argv: [name, ...argv.slice(1)],
      stdin: () => {
        if (stdin !== null) return stdin;
        const data = this.pendingStdin;
        this.pendingStdin = "";
        return data;
      },
      run: (inner) => {
        try {
          return this.run(inner, stdin);
        } catch (error) {
          if (error instanceof LabHang) return HANG;
          throw error;
        }
      },
    };
    return handler(ctx);
  }

  private route(text: string, sink: Sink, into: CommandOutput): void {
    if (text === "") return;
    if (sink.kind === "out") into.stdout += text;
    else if (sink.kind === "err") into.stderr += text;
    else if (sink.kind === "file") this.fs.write(sink.path, text, { append: true });
  }
}

function dashError(message: string, exitCode = 2): CommandOutput {
  return { stdout: "", stderr: `sh: 1: ${message}\n`, exitCode };
}

/** `LC_ALL=C pvesm status`: the environment does not change what the lab prints. */
function dropAssignments(argv: string[]): string[] {
  let i = 0;
  while (i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i] ?? "")) i++;
  return argv.slice(i);
}
