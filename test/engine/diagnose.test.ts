/**
 * The diagnose engine with a scripted transport: reachability is asked once, each node that does
 * not answer is one entry with its reason, detectors see only the nodes that answered, and a
 * detector that fails is a failure of its own. The status follows from all three.
 */
import { describe, expect, it } from "vitest";
import { diagnoseCluster, diagnosisStatus } from "../../src/engine/diagnose.js";
import type { Finding } from "../../src/engine/model.js";
import { keepAnswered } from "../../src/engine/reachability.js";
import type { AnyRunbook, ProbeContext } from "../../src/engine/runbook.js";
import { TransportError } from "../../src/transport/errors.js";
import { type CommandResult, commandResult, type Transport } from "../../src/transport/types.js";

type Answer = (command: string) => CommandResult | TransportError | "hang";

/** Each node answers through its own function; every call is logged. */
class ScriptedTransport implements Transport {
  readonly kind = "lab" as const;
  readonly calls: Array<{ node: string; command: string }> = [];
  constructor(private readonly answers: Record<string, Answer>) {}
  async exec(node: string, command: string, options: { timeoutMs?: number } = {}): Promise<CommandResult> {
    this.calls.push({ node, command });
    const answer = this.answers[node]?.(command) ?? ok(node, command, "");
    if (answer instanceof TransportError) throw answer;
    if (answer === "hang") {
      return commandResult({
        node,
        command,
        exitCode: null,
        stdout: "",
        stderr: "",
        durationMs: options.timeoutMs ?? 0,
        timedOut: true,
        connectionLost: false,
      });
    }
    return answer;
  }
  async close(): Promise<void> {}
}

function ok(node: string, command: string, stdout: string): CommandResult {
  return commandResult({
    node,
    command,
    exitCode: 0,
    stdout,
    stderr: "",
    durationMs: 1,
    timedOut: false,
    connectionLost: false,
  });
}

const refused = (node: string) =>
  new TransportError(
    "PVEFIX_CONNECT_FAILED",
    node,
    `Connection refused by ${node} (127.0.0.1:2203): is sshd running there and listening on port 2203?`,
  );

/** A detector that asks every node it is told answers for `hostname` and reports each one. */
function perNodeDetector(id = "probe-all"): AnyRunbook {
  return {
    meta: { id },
    async detect(ctx: ProbeContext): Promise<Finding[]> {
      const { up } = await ctx.reachable();
      const answered = await keepAnswered(up, (n) => ctx.run(n, "hostname"));
      return answered.map(({ key, value }) => ({
        runbook: id,
        severity: "warning",
        node: key,
        params: {},
        summary: `${key} says ${value.stdout.trim()}`,
        command: "pvefix plan x",
      }));
    },
  } as unknown as AnyRunbook;
}

const nodes = ["node1", "node2", "node3"];
const at = () => new Date("2026-12-05T00:41:02.000Z");

describe("diagnoseCluster", () => {
  it("names each node that did not answer, with its reason, and reports the others", async () => {
    const transport = new ScriptedTransport({
      node2: (c) => ok("node2", c, "node2\n"),
      node1: (c) => ok("node1", c, "node1\n"),
      node3: () => refused("node3"),
    });
    const d = await diagnoseCluster({
      transport,
      nodes,
      cluster: "c",
      runbooks: [perNodeDetector()],
      now: at,
    });
    expect(d.nodes).toEqual({ up: ["node1", "node2"], down: ["node3"] });
    expect(d.findings.map((f) => f.summary)).toEqual(["node1 says node1", "node2 says node2"]);
    expect(d.unreachable).toEqual([
      {
        node: "node3",
        since: "2026-12-05T00:41:02.000Z",
        code: "connection-refused",
        reason: "connection refused",
        detail: expect.stringContaining("Connection refused by node3"),
        severity: "warning",
        hides: null,
      },
    ]);
    expect(d.failures).toEqual([]);
    expect(d.status).toBe("incomplete");
    expect(d.generatedAt).toBe("2026-12-05T00:41:02.000Z");
  });

  it("names a changed host key, and every node when two are down", async () => {
    const transport = new ScriptedTransport({
      node1: (c) => ok("node1", c, "node1\n"),
      node2: () =>
        new TransportError(
          "PVEFIX_HOST_KEY_CHANGED",
          "node2",
          "HOST KEY CHANGED for node2: the server offered …",
        ),
      node3: () => "hang",
    });
    const d = await diagnoseCluster({
      transport,
      nodes,
      cluster: "c",
      runbooks: [perNodeDetector()],
      now: at,
      hiddenBy: async (_ctx, node) =>
        node === "node3"
          ? { severity: "critical", hides: "its guests VM 300" }
          : { severity: "warning", hides: null },
    });
    expect(d.unreachable.map((u) => [u.node, u.code, u.reason, u.severity, u.hides])).toEqual([
      ["node2", "host-key-changed", "host key changed", "warning", null],
      ["node3", "timed-out", "timed out", "critical", "its guests VM 300"],
    ]);
    expect(d.findings.map((f) => f.node)).toEqual(["node1"]);
    // The detectors never waited for node2 or node3 again: only the reachability check reached them.
    const later = transport.calls.filter((c) => c.node !== "node1" && c.command !== "true");
    expect(later).toEqual([]);
  });

  it("keeps a failed detector apart from the findings and marks the sweep incomplete", async () => {
    const transport = new ScriptedTransport({});
    const broken = {
      meta: { id: "broken" },
      detect: async () => {
        throw new Error("unexpected output of `pvecm status`");
      },
    } as unknown as AnyRunbook;
    const d = await diagnoseCluster({
      transport,
      nodes,
      cluster: "c",
      runbooks: [broken, perNodeDetector()],
    });
    expect(d.failures).toEqual([{ detector: "broken", error: "unexpected output of `pvecm status`" }]);
    expect(d.findings).toHaveLength(3);
    expect(d.findings.every((f) => f.runbook === "probe-all")).toBe(true);
    expect(d.status).toBe("incomplete");
  });

  it("names a node that stops answering during the sweep", async () => {
    const transport = new ScriptedTransport({
      node2: (c) => (c === "true" ? ok("node2", c, "") : refused("node2")),
    });
    const d = await diagnoseCluster({
      transport,
      nodes,
      cluster: "c",
      runbooks: [perNodeDetector()],
      now: at,
    });
    expect(d.unreachable.map((u) => [u.node, u.code])).toEqual([["node2", "connection-refused"]]);
    expect(d.nodes).toEqual({ up: ["node1", "node3"], down: ["node2"] });
    expect(d.findings.map((f) => f.node)).toEqual(["node1", "node3"]);
    expect(d.status).toBe("incomplete");
  });

  it("gives the answering nodes to anyNode and fails at once when none answered", async () => {
    const transport = new ScriptedTransport({ node1: () => refused("node1"), node2: () => refused("node2") });
    const seen: string[] = [];
    const first = {
      meta: { id: "first" },
      detect: async (ctx: ProbeContext) => {
        seen.push(await ctx.anyNode());
        return [];
      },
    } as unknown as AnyRunbook;
    const d = await diagnoseCluster({ transport, nodes, cluster: "c", runbooks: [first] });
    expect(seen).toEqual(["node3"]);
    expect(d.status).toBe("incomplete");
    const none = new ScriptedTransport({
      node1: () => refused("node1"),
      node2: () => refused("node2"),
      node3: () => refused("node3"),
    });
    const all = await diagnoseCluster({ transport: none, nodes, cluster: "c", runbooks: [first] });
    expect(all.failures[0]?.error).toMatch(/^no node of cluster c answered \(node1: connection refused; /);
  });
});

describe("diagnosisStatus", () => {
  const f = (severity: Finding["severity"]) => ({ severity });
  it("is clear, findings, critical or incomplete, and incomplete wins", () => {
    expect(diagnosisStatus([], [], [])).toBe("clear");
    expect(diagnosisStatus([f("info"), f("warning")], [], [])).toBe("findings");
    expect(diagnosisStatus([f("warning"), f("critical")], [], [])).toBe("critical");
    expect(diagnosisStatus([f("critical")], [{}], [])).toBe("incomplete");
    expect(diagnosisStatus([], [], [{}])).toBe("incomplete");
  });
});

describe("keepAnswered", () => {
  it("leaves out keys whose node did not answer and throws anything else", async () => {
    const got = await keepAnswered([1, 2, 3], async (k) => {
      if (k === 2) throw refused("node2");
      return k * 10;
    });
    expect(got).toEqual([
      { key: 1, value: 10 },
      { key: 3, value: 30 },
    ]);
    await expect(
      keepAnswered([1], async () => {
        throw new Error("parse error");
      }),
    ).rejects.toThrow("parse error");
  });
});
