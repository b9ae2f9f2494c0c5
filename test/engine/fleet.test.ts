/**
 * diagnose over several clusters (issue 15): every cluster is swept as one `diagnose` sweeps it,
 * no more than `concurrency` at once; a cluster that cannot be opened or is named twice is an
 * entry of its own and hides nothing of the others; the fleet's status is the worst cluster's.
 */
import { describe, expect, it } from "vitest";
import { diagnoseFleet, type FleetMember, worstStatus } from "../../src/engine/fleet.js";
import type { Finding } from "../../src/engine/model.js";
import type { AnyRunbook, ProbeContext } from "../../src/engine/runbook.js";
import type { ClusterTarget } from "../../src/engine/session.js";
import { EXIT } from "../../src/errors/exit-codes.js";
import { PvefixError } from "../../src/errors/pvefix-error.js";
import { TransportError } from "../../src/transport/errors.js";
import { type CommandResult, commandResult, type Transport } from "../../src/transport/types.js";
import { renderFleetDiagnosis } from "../../src/views/fleet.js";

const at = () => new Date("2026-12-05T06:30:00.000Z");

/** Nodes of one cluster: each answers `hostname` after a short wait, or refuses; counts clusters in flight. */
class ClusterTransport implements Transport {
  readonly kind = "lab" as const;
  closed = false;
  constructor(
    private readonly name: string,
    private readonly down: readonly string[],
    private readonly gauge: { now: number; max: number; order: string[] },
  ) {}
  private started = false;
  async exec(node: string, command: string): Promise<CommandResult> {
    if (this.closed) throw new Error(`${this.name}: exec after close`);
    if (!this.started) {
      this.started = true;
      this.gauge.now += 1;
      this.gauge.max = Math.max(this.gauge.max, this.gauge.now);
      this.gauge.order.push(this.name);
    }
    if (this.down.includes(node)) {
      throw new TransportError("PVEFIX_CONNECT_FAILED", node, `Connection refused by ${node} (127.0.0.1:1)`);
    }
    await new Promise((r) => setTimeout(r, 15));
    return commandResult({
      node,
      command,
      exitCode: 0,
      stdout: `${this.name}/${node}\n`,
      stderr: "",
      durationMs: 15,
      timedOut: false,
      connectionLost: false,
    });
  }
  async close(): Promise<void> {
    if (!this.closed && this.started) this.gauge.now -= 1;
    this.closed = true;
  }
}

/** A critical finding on a node whose `hostname` ends in "bad", a warning on every other node. */
const detector = {
  meta: { id: "probe-all" },
  async detect(ctx: ProbeContext): Promise<Finding[]> {
    const { up } = await ctx.reachable();
    return Promise.all(
      up.map(async (node): Promise<Finding> => {
        const said = (await ctx.run(node, "hostname")).stdout.trim();
        return {
          runbook: "probe-all",
          severity: said.endsWith("bad") ? "critical" : "warning",
          node,
          params: {},
          summary: `${node} says ${said}`,
          command: "pvefix plan probe-all",
        };
      }),
    );
  },
} as unknown as AnyRunbook;

class BadInventory extends PvefixError {
  readonly code = "PVEFIX_BAD_INVENTORY";
  constructor(file: string) {
    super(`${file}: nodes[0].port: Invalid input: expected number, received string`, {
      exitCode: EXIT.badInput,
    });
  }
}

function fleet(gauge = { now: 0, max: 0, order: [] as string[] }) {
  const transports = new Map<string, ClusterTransport>();
  const member = (source: string, cluster: string, nodes: string[], down: string[] = []): FleetMember => ({
    source,
    open: async (): Promise<ClusterTarget> => {
      const transport = new ClusterTransport(cluster, down, gauge);
      transports.set(source, transport);
      return { transport, nodes, cluster };
    },
  });
  return { gauge, transports, member };
}

describe("diagnoseFleet", () => {
  it("sweeps every cluster, keeps the members' order and takes the worst status", async () => {
    const { member, transports } = fleet();
    const result = await diagnoseFleet({
      members: [
        member("a.yaml", "east", ["pve1", "pve2"]),
        member("b.yaml", "west", ["bad", "pve2"]),
        member("c.yaml", "north", ["pve1", "pve2"], ["pve2"]),
      ],
      concurrency: 2,
      runbooks: [detector],
      now: at,
    });
    expect(result.generatedAt).toBe("2026-12-05T06:30:00.000Z");
    expect(result.clusters.map((c) => [c.source, c.cluster, c.status])).toEqual([
      ["a.yaml", "east", "findings"],
      ["b.yaml", "west", "critical"],
      ["c.yaml", "north", "incomplete"],
    ]);
    expect(result.status).toBe("incomplete");
    const west = result.clusters[1];
    expect(west && "diagnosis" in west ? west.diagnosis.findings.map((f) => f.summary) : []).toEqual([
      "bad says west/bad",
      "pve2 says west/pve2",
    ]);
    const north = result.clusters[2];
    expect(north && "diagnosis" in north ? north.diagnosis.nodes : null).toEqual({
      up: ["pve1"],
      down: ["pve2"],
    });
    // Each cluster's connections are closed when its sweep ends.
    expect([...transports.values()].every((t) => t.closed)).toBe(true);
  });

  it("never sweeps more clusters at once than the bound", async () => {
    const { member, gauge } = fleet();
    const members = Array.from({ length: 7 }, (_, i) => member(`c${i}.yaml`, `c${i}`, ["pve1", "pve2"]));
    const result = await diagnoseFleet({ members, concurrency: 3, runbooks: [detector], now: at });
    expect(result.clusters).toHaveLength(7);
    expect(gauge.max).toBe(3);
    // In the order given: the first three start first.
    expect(gauge.order.slice(0, 3).sort()).toEqual(["c0", "c1", "c2"]);
  });

  it("reports a cluster whose inventory does not load, sweeps the others, and is incomplete", async () => {
    const { member } = fleet();
    const result = await diagnoseFleet({
      members: [
        member("a.yaml", "east", ["pve1"]),
        {
          source: "broken.yaml",
          open: async () => {
            throw new BadInventory("broken.yaml");
          },
        },
      ],
      concurrency: 4,
      runbooks: [detector],
      now: at,
    });
    expect(result.clusters[0]).toMatchObject({ source: "a.yaml", cluster: "east", status: "findings" });
    expect(result.clusters[1]).toEqual({
      source: "broken.yaml",
      cluster: null,
      status: "incomplete",
      error: {
        code: "PVEFIX_BAD_INVENTORY",
        message: "broken.yaml: nodes[0].port: Invalid input: expected number, received string",
      },
    });
    expect(result.status).toBe("incomplete");
  });

  it("sweeps a cluster named by two files once: the later file is the one reported", async () => {
    const { member, transports } = fleet();
    const result = await diagnoseFleet({
      members: [member("one.yaml", "east", ["pve1"]), member("two.yaml", "east", ["pve1"])],
      concurrency: 2,
      runbooks: [detector],
      now: at,
    });
    expect(result.clusters[0]).toMatchObject({ source: "one.yaml", status: "findings" });
    expect(result.clusters[1]).toMatchObject({
      source: "two.yaml",
      cluster: "east",
      status: "incomplete",
      error: {
        code: "PVEFIX_DUPLICATE_CLUSTER",
        message: expect.stringContaining("already swept from one.yaml"),
      },
    });
    expect(transports.get("two.yaml")?.closed).toBe(true);
  });

  it("throws a bug instead of calling it a bad cluster", async () => {
    await expect(
      diagnoseFleet({
        members: [{ source: "x.yaml", open: async () => Promise.reject(new TypeError("boom")) }],
        concurrency: 1,
        runbooks: [detector],
      }),
    ).rejects.toThrow("boom");
  });

  it("refuses a bound below 1", async () => {
    await expect(diagnoseFleet({ members: [], concurrency: 0, runbooks: [] })).rejects.toThrow(RangeError);
  });
});

describe("worstStatus", () => {
  it("ranks incomplete over critical over findings over clear", () => {
    expect(worstStatus(["clear", "findings"])).toBe("findings");
    expect(worstStatus(["findings", "critical", "clear"])).toBe("critical");
    expect(worstStatus(["critical", "incomplete"])).toBe("incomplete");
    expect(worstStatus([])).toBe("clear");
  });
});

describe("renderFleetDiagnosis", () => {
  async function sample() {
    const { member } = fleet();
    return diagnoseFleet({
      members: [
        member("inv/a.yaml", "east", ["bad"]),
        { source: "inv/b.yaml", open: async () => Promise.reject(new BadInventory("inv/b.yaml")) },
      ],
      concurrency: 2,
      runbooks: [detector],
      now: at,
    });
  }
  const opts = { color: false };
  const targetOf = (file: string) => `-i ${file}`;

  it("JSON: schema 2, a schema-1 document per swept cluster, the error of one not swept", async () => {
    const doc = JSON.parse(renderFleetDiagnosis(await sample(), "json", opts, targetOf));
    expect(Object.keys(doc)).toEqual(["schemaVersion", "kind", "generatedAt", "status", "clusters"]);
    expect(doc).toMatchObject({ schemaVersion: 2, kind: "fleet", status: "incomplete" });
    expect(doc.clusters[0]).toMatchObject({ source: "inv/a.yaml", cluster: "east", status: "critical" });
    expect(doc.clusters[0].diagnosis).toMatchObject({
      schemaVersion: 1,
      cluster: "east",
      status: "critical",
      nodes: { up: ["bad"], down: [] },
    });
    // Each cluster's next command points at its own inventory.
    expect(doc.clusters[0].diagnosis.findings[0].command).toBe("pvefix plan probe-all -i inv/a.yaml");
    expect(doc.clusters[1]).toEqual({
      source: "inv/b.yaml",
      cluster: null,
      status: "incomplete",
      error: { code: "PVEFIX_BAD_INVENTORY", message: expect.stringContaining("nodes[0].port") },
    });
  });

  it("text: a line per cluster, then each cluster's report, and what could not be checked", async () => {
    const text = renderFleetDiagnosis(await sample(), "text", opts, targetOf);
    expect(text).toContain("2 clusters: 1 critical, 1 incomplete");
    expect(text).toContain("east (inv/a.yaml): critical, 1/1 nodes answering");
    expect(text).toContain("━━ east (inv/a.yaml) ━━");
    expect(text).toContain("$ pvefix plan probe-all -i inv/a.yaml");
    expect(text).toMatch(/✖ not swept: inv\/b\.yaml: nodes\[0\]\.port/);
    expect(text).toContain("Not everything could be checked in: inv/b.yaml.");
  });

  it("Markdown: a summary table and a section per cluster", async () => {
    const md = renderFleetDiagnosis(await sample(), "md", opts, targetOf);
    expect(md.startsWith("# Fleet diagnosis")).toBe(true);
    expect(md).toContain("- Schema version: 2");
    expect(md).toContain("| `east` | `inv/a.yaml` | critical | 1/1 | 1 |");
    expect(md).toContain("## `east` (`inv/a.yaml`)");
    expect(md).toContain("Not swept (`PVEFIX_BAD_INVENTORY`)");
    expect(md).not.toContain("# Diagnosis\n");
  });
});
