/**
 * zerotier-blacklist end to end: the lab served over real SSH on loopback, the engine API with a
 * temporary state directory, and the node's own view (`labExec`) to check what really changed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import zerotierBlacklist from "../../../runbooks/zerotier-blacklist.js";
import type { Gate } from "../../../src/engine/apply.js";
import { diagnose } from "../../../src/engine/diagnose.js";
import type { Plan } from "../../../src/engine/model.js";
import { planOnly, runRunbook, undoRun } from "../../../src/engine/session.js";
import { loadInventory } from "../../../src/inventory/load.js";
import { addFault, type LabServer, resetLab, serveLab } from "../../../src/lab/index.js";
import { SshTransport } from "../../../src/transport/ssh/index.js";
import { nodeResult } from "../served-lab.js";

const CONF = "/var/lib/zerotier-one/local.conf";
const PS = "ps -C zerotier-one -o pid=,rss=,pcpu=,comm=";

let labDir: string;
let server: LabServer;
let transport: SshTransport;
let nodes: string[];
let cluster: string;
let stateDir: string;
const stateDirs: string[] = [];

beforeAll(async () => {
  labDir = mkdtempSync(join(tmpdir(), "pvefix-zt-lab-"));
  await resetLab({ stateDir: labDir, scenario: "zerotier-blacklist" });
  server = await serveLab({ stateDir: labDir });
  const inventory = loadInventory(server.inventoryPath);
  transport = new SshTransport({ inventory, sshConfigPath: null, agentSocket: null });
  nodes = inventory.nodes.map((n) => n.name);
  cluster = inventory.cluster;
});

afterAll(async () => {
  await transport?.close();
  await server?.close();
  for (const dir of [labDir, ...stateDirs]) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), "pvefix-zt-state-"));
  stateDirs.push(stateDir);
});

const approve: Gate = async () => ({ approved: true, answer: "yes" });
const decline: Gate = async () => ({ approved: false, answer: "no" });
const target = () => ({ transport, nodes, cluster, stateDir });

/** A command as the node itself answers it, outside pvefix. */
const onNode = (node: string, command: string, stdin?: string) => nodeResult(labDir, node, command, stdin);

const sha256 = async (node: string, path: string) => (await onNode(node, `sha256sum ${path}`)).stdout;
const unitState = async (node: string) =>
  (await onNode(node, "systemctl is-active zerotier-one")).stdout.trim();

/** Two samples through the node's own `ps`: the loop adds memory between them. */
async function rssGrowth(node: string): Promise<number> {
  const rss = async () => Number((await onNode(node, PS)).stdout.trim().split(/\s+/)[1]);
  const first = await rss();
  return (await rss()) - first;
}

async function plan(node = "pve1"): Promise<Plan> {
  const planned = await planOnly({ ...target(), runbook: zerotierBlacklist, rawParams: { node } });
  if (planned.kind !== "plan") throw new Error(`expected a plan, got ${JSON.stringify(planned)}`);
  return planned.plan;
}

function writtenConf(p: Plan): unknown {
  const action = p.steps[0]?.actions[0];
  if (action?.kind !== "write-file") throw new Error("the first action writes no file");
  return JSON.parse(action.content);
}

const BLACKLIST = {
  physical: { "10.0.0.0/24": { blacklist: true }, "10.10.10.0/24": { blacklist: true } },
  settings: { interfacePrefixBlacklist: ["vmbr1"] },
};

describe("zerotier-blacklist on the looping pve1", () => {
  beforeEach(() => resetLab({ stateDir: labDir, scenario: "zerotier-blacklist" }));

  it("is reported by diagnose as critical with the exact command that fixes it", async () => {
    const findings = await diagnose({ transport, nodes, cluster, runbooks: [zerotierBlacklist] });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      runbook: "zerotier-blacklist",
      severity: "critical",
      node: "pve1",
      params: { node: "pve1" },
      command: "pvefix run zerotier-blacklist --node pve1",
    });
    expect(findings[0]!.summary).toMatch(
      /^zerotier-one's memory grew from .* on pve1 \(ztly5a3b2c is a port of vmbr1/,
    );
  });

  it("plans a safe, unattended-eligible write of the blacklist and a restart", async () => {
    const p = await plan();
    expect(p.steps.map((s) => [s.id, s.risk])).toEqual([
      ["write-zerotier-local-conf", "safe"],
      ["restart-zerotier-one", "safe"],
    ]);
    expect(p.unattended.eligible).toBe(true);
    expect(writtenConf(p)).toEqual(BLACKLIST);
    expect(p.facts).toMatchObject({ memory: { growing: true } });
    expect(JSON.stringify(p.facts)).not.toContain("rssKiB");
  });

  it("runs unattended, stops the memory growth, and undo brings the loop and the missing file back", async () => {
    expect(await rssGrowth("pve1")).toBeGreaterThan(0);
    const run = await runRunbook({
      ...target(),
      runbook: zerotierBlacklist,
      rawParams: { node: "pve1" },
      mode: "unattended",
      gate: decline,
    });
    expect(run.outcome).toBe("done");
    expect(JSON.parse((await onNode("pve1", `cat ${CONF}`)).stdout)).toEqual(BLACKLIST);
    expect(await unitState("pve1")).toBe("active");
    expect(await rssGrowth("pve1")).toBe(0);

    const undone = await undoRun({
      ...target(),
      runId: run.runId!,
      runbookFor: () => zerotierBlacklist,
      mode: "interactive",
      gate: approve,
    });
    expect(undone.outcome).toBe("undone");
    expect((await onNode("pve1", `test -e ${CONF}`)).exitCode).toBe(1);
    expect(await unitState("pve1")).toBe("active");
    expect(await rssGrowth("pve1")).toBeGreaterThan(0);
  });
});

describe("zerotier-blacklist with an existing local.conf", () => {
  beforeEach(() => resetLab({ stateDir: labDir, scenario: "zerotier-blacklist-existing" }));

  it("keeps the port and the trusted path while adding the blacklist", async () => {
    const run = await runRunbook({
      ...target(),
      runbook: zerotierBlacklist,
      rawParams: { node: "pve1" },
      mode: "interactive",
      gate: approve,
    });
    expect(run.outcome).toBe("done");
    expect(JSON.parse((await onNode("pve1", `cat ${CONF}`)).stdout)).toEqual({
      physical: {
        "10.0.0.0/24": { trustedPathId: 101, blacklist: true },
        "10.10.10.0/24": { blacklist: true },
      },
      settings: { primaryPort: 9994, interfacePrefixBlacklist: ["vmbr1"] },
    });
  });

  it("rolls the written file back byte for byte when the restart fails", async () => {
    const before = await sha256("pve1", CONF);
    await addFault(labDir, {
      node: "pve1",
      match: "systemctl restart zerotier-one",
      action: "fail",
      times: 1,
    });
    const run = await runRunbook({
      ...target(),
      runbook: zerotierBlacklist,
      rawParams: { node: "pve1" },
      mode: "interactive",
      gate: approve,
    });
    expect(run.outcome).toBe("failed-rolled-back");
    expect(run.steps.map((s) => [s.id, s.status])).toEqual([
      ["write-zerotier-local-conf", "undone"],
      ["restart-zerotier-one", "failed"],
    ]);
    expect(await sha256("pve1", CONF)).toBe(before);
    expect(await unitState("pve1")).toBe("active");
  });
});

describe("zerotier-blacklist with a local.conf zerotier-one cannot read", () => {
  const BROKEN = '{ "settings": { "primaryPort": 9994, }, }\n';
  beforeEach(async () => {
    await resetLab({ stateDir: labDir, scenario: "zerotier-blacklist" });
    await onNode("pve1", `cat > ${CONF}`, BROKEN);
  });

  it("needs a human when run unattended, and changes nothing", async () => {
    const before = await sha256("pve1", CONF);
    const run = await runRunbook({
      ...target(),
      runbook: zerotierBlacklist,
      rawParams: { node: "pve1" },
      mode: "unattended",
      gate: decline,
    });
    expect(run.outcome).toBe("needs-human");
    expect(run.plan?.steps[0]).toMatchObject({ risk: "guarded" });
    expect(run.plan?.steps[0]?.warning).toContain("is not valid JSON");
    expect(await sha256("pve1", CONF)).toBe(before);
  });

  it("changes nothing when the gate is answered no", async () => {
    const before = await sha256("pve1", CONF);
    const run = await runRunbook({
      ...target(),
      runbook: zerotierBlacklist,
      rawParams: { node: "pve1" },
      mode: "interactive",
      gate: decline,
    });
    expect(run.outcome).toBe("declined");
    expect(run.steps.map((s) => s.status)).toEqual(["skipped", "skipped"]);
    expect(await sha256("pve1", CONF)).toBe(before);
    expect((await onNode("pve1", `cat ${CONF}`)).stdout).toBe(BROKEN);
  });
});

describe("zerotier-blacklist with corosync link 1 on ZeroTier", () => {
  beforeEach(() => resetLab({ stateDir: labDir, scenario: "zerotier-blacklist-heartbeat" }));

  it("warns in the plan and in diagnose that the heartbeat runs over ZeroTier, and is not unattended eligible", async () => {
    const p = await plan();
    expect(p.warnings).toEqual([
      expect.stringMatching(
        /^corosync link 1 \(ring1_addr\) lies in the ZeroTier network 172\.28\.0\.0\/16 \(network 8056c2e21c000001 on ztly5a3b2c\) for pve1 172\.28\.0\.11, pve2 172\.28\.0\.12, pve3 172\.28\.0\.13: /,
      ),
    ]);
    // The restart degrades link 1: a guarded step, so the plan is not unattended eligible.
    expect(p.steps.map((s) => s.risk)).toEqual(["safe", "guarded"]);
    expect(p.unattended.eligible).toBe(false);
    const findings = await diagnose({ transport, nodes, cluster, runbooks: [zerotierBlacklist] });
    expect(findings.map((f) => [f.severity, f.node, f.command])).toEqual([
      ["warning", "pve1", "pvefix explain zerotier-blacklist"],
      ["warning", "pve2", "pvefix explain zerotier-blacklist"],
      ["warning", "pve3", "pvefix explain zerotier-blacklist"],
    ]);
  });
});
