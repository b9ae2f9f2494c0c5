import { afterEach, describe, expect, it } from "vitest";
import runbook from "../../runbooks/cluster-network.js";
import type { Decision, PlanDraftInput } from "../../src/engine/model.js";
import { parseParams } from "../../src/engine/params.js";
import { createProbeContext } from "../../src/engine/probe-context.js";
import { LabTransport, resetLab, updateLab } from "../../src/lab/index.js";
import { parseCorosyncConf, verifyCorosyncConf } from "../../src/pve/parsers/corosync-conf.js";
import { parsePing, pingProblem } from "../../src/pve/parsers/ping.js";
import type { ClusterNetworkFacts } from "../../src/pve/probes/cluster-network.js";
import { linkConfProblems, withLink, withoutLink } from "../../src/pve/steps/cluster-network-conf.js";
import { clusterNetworkUndoGuard } from "../../src/pve/steps/cluster-network-undo.js";
import { tempStateDir } from "../lab/helpers.js";

const temps: Array<ReturnType<typeof tempStateDir>> = [];
afterEach(() => {
  for (const t of temps.splice(0)) t.cleanup();
});

const NODES = ["pve1", "pve2", "pve3"];
const CIDR = { link: 1, cidr: "10.10.11.0/24" };

/** Probe a fresh lab scenario (in process, no SSH) and decide. */
async function plan(
  scenario: string,
  raw: Record<string, unknown> = CIDR,
  change?: Parameters<typeof updateLab>[1],
) {
  const temp = tempStateDir();
  temps.push(temp);
  await resetLab({ stateDir: temp.dir, scenario });
  if (change) await updateLab(temp.dir, change);
  const ctx = createProbeContext({
    transport: new LabTransport({ stateDir: temp.dir }),
    nodes: NODES,
    cluster: "lab",
    retries: 0,
  });
  const params = parseParams(runbook, raw) as never;
  const facts = (await runbook.probe(ctx, params)) as ClusterNetworkFacts;
  return { facts, decision: runbook.decide(params, facts) };
}

function planOf(d: Decision): PlanDraftInput {
  if (d.kind !== "plan") throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  return d.plan;
}

const written = (p: PlanDraftInput, id: string) => {
  const step = p.steps.find((s) => s.id === id);
  const write = step?.actions.find((a) => a.kind === "write-file");
  if (write?.kind !== "write-file") throw new Error(`no write in ${id}`);
  return write.content;
};

describe("cluster-network params", () => {
  const issues = (raw: Record<string, unknown>) => {
    try {
      parseParams(runbook, raw);
      return [];
    } catch (error) {
      return (error as { issues: Array<{ field: string; message: string }> }).issues;
    }
  };

  it("takes --addr as a repeated flag or a comma list, and --cidr, but not both or neither", () => {
    expect(parseParams(runbook, { link: "1", addr: "pve1=10.10.11.1,pve2=10.10.11.2" })).toMatchObject({
      link: 1,
      addr: ["pve1=10.10.11.1", "pve2=10.10.11.2"],
    });
    expect(issues({ link: 1 })).toEqual([
      { field: "--addr", message: "Expected exactly one of --addr or --cidr" },
    ]);
    expect(issues({ link: 1, cidr: "10.10.11.0/24", addr: "pve1=10.10.11.1" })[0]?.field).toBe("--addr");
  });

  it("names the field and the allowed values for every bad value", () => {
    expect(issues({ link: 8, cidr: "10.10.11.0/24" })[0]).toMatchObject({
      field: "--link",
      message: expect.stringContaining("a knet link number from 0 to 7"),
    });
    expect(issues({ link: 1, addr: "pve1:10.10.11.1" })[0]).toMatchObject({
      field: "--addr",
      message: expect.stringContaining(
        "Expected <node>=<IP address> such as pve1=10.10.11.1, got 'pve1:10.10.11.1'",
      ),
    });
    expect(issues({ link: 1, addr: "pve1=10.10.11.1,pve1=10.10.11.9" })[0]?.message).toContain(
      "pve1 has two",
    );
    expect(issues({ link: 1, cidr: "10.10.311.0/24" })[0]).toMatchObject({ field: "--cidr" });
    expect(issues({ link: 1, cidr: "10.10.11.0/24", replace: 1 })[0]).toMatchObject({ field: "--replace" });
    expect(issues({ link: 1, cidr: "10.10.11.0/24", priority: 300 })[0]).toMatchObject({
      field: "--priority",
      message: expect.stringContaining("0 to 255"),
    });
  });
});

describe("cluster-network corosync.conf edits", () => {
  const base = [
    "totem {\n  cluster_name: lab\n  config_version: 3\n  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n",
    "nodelist {\n  node {\n    name: pve1\n    nodeid: 1\n    quorum_votes: 1\n    ring0_addr: 10.10.10.1\n  }\n",
    "  node {\n    name: pve2\n    nodeid: 2\n    quorum_votes: 1\n    ring0_addr: 10.10.10.2\n  }\n}\n",
    "quorum {\n  provider: corosync_votequorum\n}\n",
  ].join("");
  const addrs = { pve1: "10.10.11.1", pve2: "10.10.11.2" };

  it("adds ring1_addr everywhere and interface blocks for every link when the file had none", () => {
    const text = withLink(base, 1, addrs, 20, 4);
    const conf = parseCorosyncConf(text);
    expect(verifyCorosyncConf(conf)).toEqual([]);
    expect(conf.configVersion).toBe(4);
    expect(conf.nodes.map((n) => n.rings)).toEqual([
      { 0: "10.10.10.1", 1: "10.10.11.1" },
      { 0: "10.10.10.2", 1: "10.10.11.2" },
    ]);
    expect(conf.summary?.links).toEqual([
      { linknumber: 0, priority: null },
      { linknumber: 1, priority: 20 },
    ]);
    expect(linkConfProblems(text, [0, 1], 4)).toEqual([]);
    // PVE's layout: totem's keys sorted, the interface blocks under `i`.
    expect(text).toMatch(
      /config_version: 4\n {2}interface \{\n {4}linknumber: 0\n {2}\}\n {2}interface \{\n {4}knet_link_priority: 20\n {4}linknumber: 1\n/,
    );
  });

  it("removes a link and its interface block, and checks what PVE checks", () => {
    const moved = withoutLink(withLink(base, 1, addrs, null, 4), 0, 5);
    const conf = parseCorosyncConf(moved);
    expect(conf.nodes.map((n) => n.rings)).toEqual([{ 1: "10.10.11.1" }, { 1: "10.10.11.2" }]);
    expect(conf.interfaces.map((i) => i.linknumber)).toEqual([1]);
    expect(linkConfProblems(moved, [1], 5)).toEqual([]);
    expect(linkConfProblems(moved, [0, 1], 6)).toEqual([
      "links 1, expected 0, 1",
      "config_version 5, expected 6",
    ]);
    const duplicate = withLink(base, 1, { pve1: "10.10.11.1", pve2: "10.10.11.1" }, null, 4);
    expect(linkConfProblems(duplicate, [0, 1], 4)[0]).toContain("address '10.10.11.1'");
    expect(
      linkConfProblems(base.replace("ring0_addr: 10.10.10.2", "ring9_addr: 10.10.10.2"), [0], 3),
    ).toContain("ring9_addr of node 'pve2': knet has links 0 to 7 only");
  });
});

describe("ping output", () => {
  it("reads replies, a local MTU error and a silent loss", () => {
    const okText =
      "PING 10.10.11.2 (10.10.11.2) 1472(1500) bytes of data.\n1480 bytes from 10.10.11.2: icmp_seq=1 ttl=64 time=0.312 ms\n\n--- 10.10.11.2 ping statistics ---\n2 packets transmitted, 1 received, 50% packet loss, time 1001ms\n";
    expect(pingProblem(parsePing(okText), 1472)).toBeNull();
    const tooLong = parsePing(
      "PING 10.10.11.2 (10.10.11.2) 8972(9000) bytes of data.\n\n--- 10.10.11.2 ping statistics ---\n2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1031ms\n",
      "ping: local error: message too long, mtu=1500\nping: local error: message too long, mtu=1500\n",
    );
    expect(tooLong).toMatchObject({ transmitted: 2, received: 0, errors: 2, localMtu: 1500 });
    expect(pingProblem(tooLong, 8972)).toBe(
      "the outgoing interface's MTU is 1500: a 9000-byte packet does not fit",
    );
    expect(() => parsePing("", "ping: unknown host x\n")).toThrow(/no statistics line: ping: unknown host x/);
  });
});

describe("cluster-network decide on the lab's scenarios", () => {
  it("plans backups on every node, then link 1 with config_version 4, checked on every node", async () => {
    const { decision } = await plan("cluster-network");
    const p = planOf(decision);
    expect(p.steps.map((s) => [s.id, s.node, s.risk])).toEqual([
      ["backup-corosync-conf-pve1", "pve1", "dangerous"],
      ["backup-corosync-conf-pve2", "pve2", "safe"],
      ["backup-corosync-conf-pve3", "pve3", "safe"],
      ["add-link-1", "pve1", "safe"],
    ]);
    expect(p.steps[0]?.files).toEqual([
      "/etc/corosync/corosync.conf.bak",
      "/etc/corosync/corosync.conf",
      "/etc/hosts",
    ]);
    const text = written(p, "add-link-1");
    expect(linkConfProblems(text, [0, 1], 4)).toEqual([]);
    const add = p.steps[3]!;
    expect(add.actions.at(-1)).toMatchObject({
      command: "mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf",
    });
    expect(add.verify?.map((c) => [c.name, c.node, c.args])).toEqual(
      NODES.flatMap((n, i) => [
        ["corosync-runs-version", n, { version: 4 }],
        [
          "knet-link-connected",
          n,
          { link: 1, addr: `10.10.11.${i + 1}`, peers: [1, 2, 3].filter((id) => id !== i + 1) },
        ],
      ]),
    );
    // The undo writes the old file back above the new version, so pmxcfs copies it.
    const undo = add.undo.kind === "actions" ? add.undo.actions[0] : undefined;
    expect(undo).toMatchObject({ kind: "write-file", path: "/etc/pve/corosync.conf.new" });
    expect(undo?.kind === "write-file" && linkConfProblems(undo.content, [0], 5)).toEqual([]);
  });

  it("with --addr names the same addresses, and a move removes link 0 only after link 1 is checked", async () => {
    const byAddr = await plan("cluster-network", {
      link: 1,
      addr: "pve1=10.10.11.1,pve2=10.10.11.2,pve3=10.10.11.3",
    });
    expect(written(planOf(byAddr.decision), "add-link-1")).toBe(
      written(planOf((await plan("cluster-network")).decision), "add-link-1"),
    );
    const move = planOf((await plan("cluster-network", { ...CIDR, replace: 0 })).decision);
    expect(move.steps.slice(3).map((s) => s.id)).toEqual(["add-link-1", "remove-link-0"]);
    expect(linkConfProblems(written(move, "remove-link-0"), [1], 5)).toEqual([]);
    const remove = move.steps[4]!;
    expect(remove.verify?.filter((c) => c.name === "knet-link-gone").map((c) => c.node)).toEqual(NODES);
    // Undo order is last step first: remove-link-0's undo writes 6, add-link-1's 7.
    const undoVersion = (id: string) => {
      const s = move.steps.find((x) => x.id === id)!;
      const w = s.undo.kind === "actions" ? s.undo.actions[0] : undefined;
      return w?.kind === "write-file" ? parseCorosyncConf(w.content).configVersion : null;
    };
    expect([undoVersion("remove-link-0"), undoVersion("add-link-1")]).toEqual([6, 7]);
  });

  it("refuses each broken cluster state with its code", async () => {
    const code = async (scenario: string, raw: Record<string, unknown> = CIDR) => {
      const d = (await plan(scenario, raw)).decision;
      return d.kind === "refusal" ? [d.refusal.code, d.refusal.node, d.refusal.message] : [d.kind];
    };
    expect(await code("cluster-network-unreachable")).toEqual([
      "link-unreachable",
      "pve3",
      "pve3 and the other nodes do not reach each other on the new network: pve1 → pve3, pve2 → pve3, pve3 → pve1, pve3 → pve2",
    ]);
    expect((await code("cluster-network-mtu"))[0]).toBe("link-unreachable");
    expect(await code("cluster-network-no-carrier")).toEqual([
      "link-address-missing",
      "pve2",
      "eno3 (10.10.11.2) on pve2 is DOWN",
    ]);
    expect(await code("cluster-network-not-quorate")).toEqual([
      "cluster-degraded",
      "pve3",
      "Not every node is online and quorate: pve3",
    ]);
    expect((await code("cluster-network", { link: 1, cidr: "10.10.12.0/24" }))[0]).toBe(
      "link-address-missing",
    );
    expect((await code("cluster-network", { link: 1, addr: "pve1=10.10.11.1,pve2=10.10.11.2" }))[2]).toBe(
      "No --addr for pve3",
    );
    expect(
      (
        await code("cluster-network", { link: 1, addr: "pve1=10.10.10.1,pve2=10.10.10.2,pve3=10.10.10.3" })
      )[0],
    ).toBe("link-conflict");
    expect((await code("cluster-network", { ...CIDR, replace: 2 }))[2]).toBe(
      "corosync.conf has no link 2 to replace",
    );
    expect((await code("cluster-network-done", { link: 1, cidr: "10.0.0.0/24" }))[2]).toBe(
      "Link 1 already exists with other addresses",
    );
  }, 60_000);

  it("is nothing to do when link 1 already runs there, and only removes link 0 when asked to move", async () => {
    expect((await plan("cluster-network-done")).decision).toEqual({
      kind: "nothing-to-do",
      reason: "link 1 already runs on 10.10.11.1, 10.10.11.2, 10.10.11.3",
    });
    const move = planOf((await plan("cluster-network-done", { ...CIDR, replace: 0 })).decision);
    expect(move.steps.map((s) => s.id).slice(3)).toEqual(["remove-link-0"]);
  });

  it("refuses while a node runs an older config than /etc/pve has", async () => {
    const { decision } = await plan("cluster-network", CIDR, (state) => {
      const pve2 = state.nodes.find((n) => n.name === "pve2")!;
      pve2.corosyncLoaded = (pve2.corosyncLoaded ?? "").replace("config_version: 3", "config_version: 2");
    });
    expect(decision.kind === "refusal" && decision.refusal).toMatchObject({
      code: "cluster-degraded",
      message: "Not every node runs the config in /etc/pve/corosync.conf: pve2",
    });
  });

  it("guards the undo: every node quorate, and nobody wrote a newer corosync.conf since", async () => {
    const { facts, decision } = await plan("cluster-network");
    const step = planOf(decision).steps[3]! as Parameters<typeof clusterNetworkUndoGuard>[1];
    expect(clusterNetworkUndoGuard(facts, step)).toMatchObject({ ok: true, risk: "dangerous" });
    const newer = { ...facts, conf: facts.conf!.replace("config_version: 3", "config_version: 9") };
    expect(clusterNetworkUndoGuard(newer, step)).toMatchObject({
      ok: false,
      refusal: { code: "link-conflict" },
    });
    const cut = (await plan("cluster-network-not-quorate")).facts;
    expect(clusterNetworkUndoGuard(cut, step)).toMatchObject({
      ok: false,
      refusal: { code: "cluster-degraded" },
    });
  });
});

describe("cluster-network detect", () => {
  const findings = async (scenario: string) => {
    const temp = tempStateDir();
    temps.push(temp);
    await resetLab({ stateDir: temp.dir, scenario });
    const ctx = createProbeContext({
      transport: new LabTransport({ stateDir: temp.dir }),
      nodes: NODES,
      cluster: "lab",
      retries: 0,
    });
    return runbook.detect!(ctx);
  };

  it("proposes the spare network as link 1 on a single-link cluster, and says nothing otherwise", async () => {
    expect(await findings("cluster-network")).toEqual([
      expect.objectContaining({
        runbook: "cluster-network",
        severity: "warning",
        command: "pvefix plan cluster-network --link 1 --cidr 10.10.11.0/24",
      }),
    ]);
    // Two links already; or no network besides the way out and link 0's.
    expect(await findings("cluster-network-done")).toEqual([]);
    expect(await findings("default")).toEqual([]);
  });
});
