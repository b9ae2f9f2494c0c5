import { describe, expect, it } from "vitest";
import { NodeTransport } from "../../src/transport/node.js";
import { type CommandResult, commandResult, type Transport } from "../../src/transport/types.js";

/** Answers every command with its own name and records what it was asked. */
class Recording implements Transport {
  readonly kind = "lab" as const;
  readonly seen: string[] = [];
  connected: string[] = [];
  closed = false;
  constructor(private readonly name: string) {}
  async exec(node: string, command: string): Promise<CommandResult> {
    this.seen.push(`${node}: ${command}`);
    return commandResult({
      node,
      command,
      exitCode: 0,
      stdout: this.name,
      stderr: "",
      durationMs: 1,
      timedOut: false,
      connectionLost: false,
    });
  }
  async connect(nodes: readonly string[]): Promise<void> {
    this.connected = [...nodes];
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe("NodeTransport", () => {
  it("runs the local node's commands locally and every peer's over the peer transport", async () => {
    const local = new Recording("local");
    const peers = new Recording("ssh");
    const t = new NodeTransport({ localNode: "pve1", local, peers });
    expect((await t.exec("pve1", "hostname")).stdout).toBe("local");
    expect((await t.exec("pve2", "hostname")).stdout).toBe("ssh");
    const batch = await Promise.all(t.execBatch("pve1", [{ command: "uptime", timeoutMs: 1000 }]));
    expect(batch.map((r) => r.stdout)).toEqual(["local"]);
    await t.connect(["pve1", "pve2", "pve3"]);
    expect(peers.connected).toEqual(["pve2", "pve3"]);
    expect(local.seen).toEqual(["pve1: hostname", "pve1: uptime"]);
    expect(peers.seen).toEqual(["pve2: hostname"]);
    expect(t.kind).toBe("node");
  });

  it("closes both sides and refuses commands afterwards", async () => {
    const local = new Recording("local");
    const peers = new Recording("ssh");
    const t = new NodeTransport({ localNode: "pve1", local, peers });
    await t.close();
    expect(local.closed && peers.closed).toBe(true);
    expect(t.closing.aborted).toBe(true);
    await expect(t.exec("pve2", "true")).rejects.toMatchObject({ code: "PVEFIX_TRANSPORT_CLOSED" });
  });
});
