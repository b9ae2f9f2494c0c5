import { describe, expect, it } from "vitest";
import { createProbeContext } from "../../src/engine/probe-context.js";
import {
  type BatchCommand,
  type CommandResult,
  commandResult,
  type Transport,
} from "../../src/transport/types.js";

/** A transport that answers `echo <word>` and records how commands reached it. */
class RecordingTransport implements Transport {
  readonly kind = "ssh" as const;
  readonly calls: Array<{ node: string; commands: string[]; batch: boolean }> = [];
  /** Commands whose first attempt loses the connection. */
  readonly dropOnce = new Set<string>();

  answer(node: string, command: string): CommandResult {
    const lost = this.dropOnce.delete(command);
    return commandResult({
      node,
      command,
      exitCode: lost ? null : 0,
      stdout: lost ? "" : `${command.replace(/^echo /, "")}\n`,
      stderr: "",
      durationMs: 1,
      timedOut: false,
      connectionLost: lost,
    });
  }

  async exec(node: string, command: string): Promise<CommandResult> {
    this.calls.push({ node, commands: [command], batch: false });
    return this.answer(node, command);
  }

  execBatch(node: string, commands: readonly BatchCommand[]): Promise<CommandResult>[] {
    this.calls.push({ node, commands: commands.map((c) => c.command), batch: true });
    return commands.map((c) => Promise.resolve(this.answer(node, c.command)));
  }

  async close(): Promise<void> {}
}

describe("reads that are ready together", () => {
  it("go to each node as one batch, and reads that follow from their answers as the next one", async () => {
    const transport = new RecordingTransport();
    const ctx = createProbeContext({ transport, nodes: ["pve1", "pve2"], cluster: "c" });
    const probe = async (node: string) => {
      const [a, b] = await Promise.all([ctx.run(node, "echo a"), ctx.run(node, "echo b")]);
      // Depends on both answers: only now can it be sent.
      return (await ctx.run(node, `echo ${a.stdout.trim()}${b.stdout.trim()}`)).stdout;
    };
    expect(await Promise.all([probe("pve1"), probe("pve2")])).toEqual(["ab\n", "ab\n"]);
    expect(transport.calls).toEqual([
      { node: "pve1", commands: ["echo a", "echo b"], batch: true },
      { node: "pve2", commands: ["echo a", "echo b"], batch: true },
      { node: "pve1", commands: ["echo ab"], batch: true },
      { node: "pve2", commands: ["echo ab"], batch: true },
    ]);
    expect(ctx.evidence.map((r) => r.command)).toHaveLength(6);
  });

  it("keep their own retry: a read whose connection dropped is sent again, the others are not", async () => {
    const transport = new RecordingTransport();
    transport.dropOnce.add("echo b");
    const ctx = createProbeContext({ transport, nodes: ["pve1"], cluster: "c" });
    const results = await Promise.all(["echo a", "echo b", "echo c"].map((c) => ctx.run("pve1", c)));
    expect(results.map((r) => r.stdout)).toEqual(["a\n", "b\n", "c\n"]);
    expect(transport.calls.map((c) => c.commands)).toEqual([["echo a", "echo b", "echo c"], ["echo b"]]);
    // Both attempts of the dropped read are evidence.
    expect(ctx.evidence.filter((r) => r.command === "echo b").map((r) => r.connectionLost)).toEqual([
      true,
      false,
    ]);
  });

  it("run one by one on a transport that cannot batch", async () => {
    const transport = new RecordingTransport();
    const plain: Transport = { kind: "lab", exec: (n, c) => transport.exec(n, c), close: async () => {} };
    const ctx = createProbeContext({ transport: plain, nodes: ["pve1"], cluster: "c" });
    await Promise.all([ctx.run("pve1", "echo a"), ctx.run("pve1", "echo b")]);
    expect(transport.calls.map((c) => c.batch)).toEqual([false, false]);
  });
});
