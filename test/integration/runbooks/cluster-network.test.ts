/**
 * cluster-network through the built CLI against the lab: diagnose points to it, `plan -o md` is a
 * ticket, unattended stops at exit 4, a declined gate and a failed middle step leave link 0 alone,
 * a run adds link 1 that keeps the quorum when link 0 is cut, undo puts link 0 alone back, and a
 * move ends on link 1 only.
 */
import { describe, expect, it } from "vitest";
import { updateLab } from "../../../src/lab/index.js";
import { cliSession, json, plainText, pvefixLine } from "../cli/pvefix.js";

const cli = cliSession();
/** The prompt is drawn a moment before it reads keys: typing at once can be lost. */
const settle = () => new Promise((r) => setTimeout(r, 500));
const NODES = ["pve1", "pve2", "pve3"];
const ADD = ["run", "cluster-network", "--link", "1", "--cidr", "10.10.11.0/24", "--lab"];

async function reset(scenario: string) {
  expect((await cli.pvefix(["lab", "reset", "--quiet", "--scenario", scenario])).code).toBe(0);
}

const cat = async (node: string, file: string) => (await cli.labExec(node, "cat", file)).stdout;
const sha = async (node: string, file: string) => (await cli.labExec(node, "sha256sum", file)).stdout;
const quorate = async (node: string) =>
  /Quorate:\s+Yes/.test((await cli.labExec(node, "pvecm", "status")).stdout);
const running = async (node: string) =>
  (await cli.labExec(node, "corosync-cmapctl", "-g", "totem.config_version")).stdout.trim();
/** `LINK ID n` → the states of that link's rows, per node. */
async function links(node: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  let current = "";
  for (const line of (await cli.labExec(node, "corosync-cfgtool", "-s")).stdout.split("\n")) {
    const head = /^LINK ID (\d+)/.exec(line);
    if (head) current = head[1]!;
    const row = /nodeid:\s+\d+:\s+(\S+)/.exec(line);
    if (row && current) out[current] = [...(out[current] ?? []), row[1]!];
  }
  return out;
}

/** Every file the run may change, on every node. */
async function fileState(): Promise<string[]> {
  const out = [await sha("pve1", "/etc/pve/corosync.conf"), await sha("pve1", "/etc/pve/corosync.conf.new")];
  for (const n of NODES)
    out.push(await sha(n, "/etc/corosync/corosync.conf"), await sha(n, "/etc/corosync/corosync.conf.bak"));
  return out;
}

async function typed(args: readonly string[], answer: string) {
  const session = cli.inPty(pvefixLine(args));
  await session.waitFor(/Type pve1 to continue/, 60_000);
  await settle();
  session.type(`${answer}\r`);
  const result = await session.exited;
  return { ...result, screen: plainText(result.stdout) };
}

const lastRunId = async () => {
  const runs = json<{ runs: Array<{ runId: string; outcome: string }> }>(
    await cli.pvefix(["runs", "-o", "json"]),
  ).runs;
  return runs.at(-1)!;
};

describe("cluster-network through bin/pvefix.js", () => {
  it("is listed, has its scenarios, and diagnose points to it on its scenario", async () => {
    expect((await cli.pvefix(["list"])).stdout).toContain("cluster-network");
    const scenarios = (await cli.pvefix(["lab", "scenarios"])).stdout;
    for (const s of [
      "cluster-network",
      "cluster-network-unreachable",
      "cluster-network-not-quorate",
      "cluster-network-done",
    ])
      expect(scenarios).toContain(s);
    await reset("cluster-network");
    const findings = json<{ findings: Array<{ runbook: string; command: string; severity: string }> }>(
      await cli.pvefix(["diagnose", "--lab", "-o", "json"]),
    ).findings;
    expect(findings).toContainEqual(
      expect.objectContaining({
        runbook: "cluster-network",
        severity: "warning",
        command: "pvefix plan cluster-network --link 1 --cidr 10.10.11.0/24 --lab",
      }),
    );
    await reset("cluster-network-done");
    const done = json<{ findings: Array<{ runbook: string }> }>(
      await cli.pvefix(["diagnose", "--lab", "-o", "json"]),
    );
    expect(done.findings.filter((f) => f.runbook === "cluster-network")).toEqual([]);
  }, 120_000);

  it("plans a ticket-ready Markdown plan and refuses to run unattended (exit 4) without changing anything", async () => {
    await reset("cluster-network");
    const md = await cli.pvefix([
      "plan",
      "cluster-network",
      "--link",
      "1",
      "--cidr",
      "10.10.11.0/24",
      "--lab",
      "-o",
      "md",
    ]);
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(
      /^# Plan: Add knet link 1 \(pve1 10\.10\.11\.1, pve2 10\.10\.11\.2, pve3 10\.10\.11\.3\)/,
    );
    expect(md.stdout).toContain("+    ring1_addr: 10.10.11.3");
    expect(md.stdout).toContain("mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf");
    expect(md.stdout).toContain("pve3 sees link 1 (10.10.11.3) connected to every other node");
    expect(md.stdout).toContain("6 DF pings between every pair of nodes (1500-byte packets) got replies");
    const before = await fileState();
    const unattended = await cli.pvefix([...ADD, "--unattended"]);
    expect(unattended.code).toBe(4);
    expect(await fileState()).toEqual(before);
  }, 120_000);

  it("refuses on a node that cannot reach the others (exit 3) and when pve3 is not quorate", async () => {
    await reset("cluster-network-unreachable");
    const refused = await cli.pvefix(ADD);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(
      "Refused (link-unreachable): pve3 and the other nodes do not reach each other",
    );
    await reset("cluster-network-not-quorate");
    const degraded = await cli.pvefix(ADD);
    expect(degraded.code).toBe(3);
    expect(degraded.stdout).toContain(
      "Refused (cluster-degraded): Not every node is online and quorate: pve3",
    );
  }, 120_000);

  it("changes nothing when the typed confirmation is wrong", async () => {
    await reset("cluster-network");
    const before = await fileState();
    const declined = await typed(ADD, "pve2");
    expect(declined.code).toBe(1);
    expect(declined.screen).toContain("Declined at a gate; nothing was changed");
    expect(await fileState()).toEqual(before);
    expect((await lastRunId()).outcome).toBe("declined");
  }, 120_000);

  it("rolls back when the mv fails: link 0 alone, at a higher config_version, on every node", async () => {
    await reset("cluster-network");
    const fault = [
      "lab",
      "fault",
      "add",
      "--node",
      "pve1",
      "--match",
      "corosync.conf.new /etc/pve/corosync.conf",
      "--action",
      "fail",
      "--times",
      "1",
    ];
    expect((await cli.pvefix(fault)).code).toBe(0);
    const result = await typed(ADD, "pve1");
    expect(result.code).toBe(1);
    expect(result.screen).toContain("Failed and rolled back: step add-link-1 failed");
    const conf = await cat("pve1", "/etc/pve/corosync.conf");
    expect(conf).not.toContain("ring1_addr");
    expect(conf).toContain("config_version: 5");
    for (const n of NODES) {
      expect(await running(n)).toBe("totem.config_version (u64) = 5");
      expect(Object.keys(await links(n))).toEqual(["0"]);
      expect((await cli.labExec(n, "cat", "/etc/corosync/corosync.conf.bak")).code).not.toBe(0);
    }
    expect((await lastRunId()).outcome).toBe("failed-rolled-back");
  }, 120_000);

  it("adds link 1 everywhere; quorum holds with link 0 cut on pve3; undo puts link 0 alone back", async () => {
    await reset("cluster-network");
    const result = await typed(ADD, "pve1");
    expect(result.code).toBe(0);
    const runId = (await lastRunId()).runId;
    for (const n of NODES) {
      expect(await running(n)).toBe("totem.config_version (u64) = 4");
      expect((await links(n))["1"]?.filter((s) => s === "connected")).toHaveLength(2);
      expect(await cat(n, "/etc/corosync/corosync.conf")).toContain(`ring1_addr: 10.10.11.3`);
    }
    await updateLab(cli.stateDir, (state) => {
      state.nodes.find((x) => x.name === "pve3")!.downLinks = [0];
      state.membershipEpoch += 1;
    });
    expect([await quorate("pve1"), await quorate("pve2"), await quorate("pve3")]).toEqual([true, true, true]);
    await updateLab(cli.stateDir, (state) => {
      state.nodes.find((x) => x.name === "pve3")!.downLinks = [];
      state.membershipEpoch += 1;
    });

    const undo = await typed(["undo", runId, "--lab"], "pve1");
    expect(undo.code).toBe(0);
    for (const n of NODES) {
      expect(await running(n)).toBe("totem.config_version (u64) = 5");
      expect(Object.keys(await links(n))).toEqual(["0"]);
      expect((await cli.labExec(n, "cat", "/etc/corosync/corosync.conf.bak")).code).not.toBe(0);
    }
    expect(await cat("pve1", "/etc/pve/corosync.conf")).not.toContain("ring1_addr");
  }, 180_000);

  it("moves corosync to 10.10.11.0/24: link 1 proven, then link 0 removed; a second run is nothing to do", async () => {
    await reset("cluster-network");
    const result = await typed([...ADD, "--replace", "0"], "pve1");
    expect(result.code).toBe(0);
    for (const n of NODES) {
      expect(await running(n)).toBe("totem.config_version (u64) = 5");
      expect(await links(n)).toEqual({ "1": expect.arrayContaining(["connected", "connected"]) });
      expect(await quorate(n)).toBe(true);
    }
    const again = await cli.pvefix([...ADD, "--replace", "0"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      "Nothing to do: link 1 already runs on 10.10.11.1, 10.10.11.2, 10.10.11.3 and link 0 is gone",
    );
  }, 180_000);
});
