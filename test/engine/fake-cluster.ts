/**
 * A scripted in-memory cluster for engine tests: per-node files, the exact command shapes of
 * src/transport/files.ts and the node lock, and scripted answers for anything else.
 * Failing doubles come from `failOn`, so tests can break any command and check what is left.
 */
import { createHash } from "node:crypto";
import { parse } from "shell-quote";
import {
  type CommandResult,
  commandResult,
  type ExecOptions,
  type Transport,
} from "../../src/transport/types.js";

type Reply = {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  timedOut?: boolean;
  connectionLost?: boolean;
};
type Script = (node: string, argv: string[], stdin: Buffer) => Reply | undefined;

export class FakeCluster implements Transport {
  readonly kind = "lab" as const;
  readonly log: Array<{ node: string; command: string }> = [];
  readonly files = new Map<string, Map<string, Buffer>>();
  private readonly scripts: Script[] = [];
  private readonly failures: Array<{ match: string; reply: Reply; times: number }> = [];

  constructor(readonly nodes: string[]) {
    for (const n of nodes) this.files.set(n, new Map());
  }

  file(node: string, path: string, content?: string): string | undefined {
    const fs = this.files.get(node)!;
    if (content !== undefined) fs.set(path, Buffer.from(content));
    return fs.get(path)?.toString();
  }

  /** Scripts added later are asked first, so a test can override the defaults. */
  on(script: Script): this {
    this.scripts.unshift(script);
    return this;
  }

  failOn(match: string, reply: Reply = { exitCode: 1, stderr: "injected failure" }, times = 1): this {
    this.failures.push({ match, reply, times });
    return this;
  }

  /** Commands that changed something (everything except reads), in order. */
  mutations(): string[] {
    return this.log
      .map((l) => `${l.node}: ${l.command}`)
      .filter((c) => !/: (true$|cat (?!>)|base64 |sha256sum |pvecm status)/.test(c));
  }

  async exec(node: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    this.log.push({ node, command });
    const base = { node, command, durationMs: 1, timedOut: false, connectionLost: false };
    const failure = this.failures.find((f) => f.times > 0 && command.includes(f.match));
    if (failure) {
      failure.times -= 1;
      const r = failure.reply;
      return commandResult({
        ...base,
        exitCode: r.exitCode ?? null,
        stdout: r.stdout ?? "",
        stderr: r.stderr ?? "",
        timedOut: r.timedOut ?? false,
        connectionLost: r.connectionLost ?? false,
      });
    }
    const stdin = options.stdin === undefined ? Buffer.alloc(0) : Buffer.from(options.stdin);
    let out: Reply = { exitCode: 0 };
    for (const segment of splitAnd(command)) {
      out = this.run(node, segment, stdin);
      if ((out.exitCode ?? 0) !== 0) break;
    }
    return commandResult({
      ...base,
      exitCode: out.exitCode ?? 0,
      stdout: out.stdout ?? "",
      stderr: out.stderr ?? "",
    });
  }

  private run(node: string, argv: string[], stdin: Buffer): Reply {
    const fs = this.files.get(node)!;
    const missing = (p: string) => ({ exitCode: 1, stderr: `${argv[0]}: ${p}: No such file or directory` });
    const [cmd, ...args] = argv;
    if (cmd === "true") return {};
    if (cmd === "cat" && args[0] === ">") {
      fs.set(args[1]!, stdin);
      return {};
    }
    if (cmd === "cat") return fs.has(args[0]!) ? { stdout: fs.get(args[0]!)!.toString() } : missing(args[0]!);
    if (cmd === "base64")
      return fs.has(args[1]!) ? { stdout: fs.get(args[1]!)!.toString("base64") } : missing(args[1]!);
    if (cmd === "sha256sum") {
      const data = fs.get(args[0]!);
      return data
        ? { stdout: `${createHash("sha256").update(data).digest("hex")}  ${args[0]}\n` }
        : missing(args[0]!);
    }
    if (cmd === "mv") {
      const [from, to] = args.slice(1);
      if (!fs.has(from!)) return missing(from!);
      fs.set(to!, fs.get(from!)!);
      fs.delete(from!);
      return {};
    }
    if (cmd === "cp") {
      const [from, to] = args.slice(1);
      if (!fs.has(from!)) return missing(from!);
      fs.set(to!, Buffer.from(fs.get(from!)!));
      return {};
    }
    if (cmd === "rm") {
      fs.delete(args[args.length - 1]!);
      return {};
    }
    if (cmd === "mkdir" && args[0] === "-p") return {};
    if (cmd === "mkdir") {
      if (fs.has(`${args[0]}/`))
        return { exitCode: 1, stderr: `mkdir: cannot create directory '${args[0]}': File exists` };
      fs.set(`${args[0]}/`, Buffer.alloc(0));
      return {};
    }
    if (cmd === "rmdir") {
      fs.delete(`${args[0]}/`);
      return {};
    }
    if (cmd === "echo" && args[1] === ">") {
      fs.set(args[2]!, Buffer.from(`${args[0]}\n`));
      return {};
    }
    for (const script of this.scripts) {
      const reply = script(node, argv, stdin);
      if (reply) return reply;
    }
    // `timeout -s KILL N cmd …` that no script answers as a whole: the command itself.
    if (cmd === "timeout" && args[0] === "-s") return this.run(node, args.slice(3), stdin);
    return { exitCode: 127, stderr: `sh: 1: ${cmd}: not found` };
  }

  async close(): Promise<void> {}
}

/** `a && b` → [[a...], [b...]]; redirects come back as ">" words. */
function splitAnd(command: string): string[][] {
  const out: string[][] = [[]];
  for (const token of parse(command)) {
    if (typeof token === "string") out[out.length - 1]!.push(token);
    else if ("op" in token && token.op === "&&") out.push([]);
    else if ("op" in token) out[out.length - 1]!.push(token.op);
  }
  return out;
}
