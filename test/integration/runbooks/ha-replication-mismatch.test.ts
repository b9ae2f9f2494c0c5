import { afterAll, beforeAll, describe, expect, it } from "vitest";
import haReplication from "../../../runbooks/ha-replication-mismatch.js";
import type { Gate } from "../../../src/engine/apply.js";
import { diagnose } from "../../../src/engine/diagnose.js";
import { planOnly, runRunbook, undoRun } from "../../../src/engine/session.js";
import { addFault } from "../../../src/lab/index.js";
import { sh } from "../../../src/shell/quote.js";
import { approve, nodeResult, type ServedCluster, serveCluster } from "../served-lab.js";

const RESOURCES = "/etc/pve/ha/resources.cfg";
const GROUPS = "/etc/pve/ha/groups.cfg";
const RULES = "/etc/pve/ha/rules.cfg";
const REPLICATION = "/etc/pve/replication.cfg";
const ON_PVE1 = "/etc/pve/nodes/pve1/qemu-server/100.conf";
const ON_PVE2 = "/etc/pve/nodes/pve2/qemu-server/100.conf";

let bed: ServedCluster;

/** A fresh scenario, a fresh pvefix state directory and a fresh SSH transport. */
const scenario = (name: string) => bed.reset(name);

/** The test's own view of a node, not through pvefix. */
const onNode = (node: string, command: string) => nodeResult(bed.labDir, node, command);
const cat = async (path: string, node = "pve2") => (await onNode(node, sh`cat ${path}`)).stdout;
const sha = async (path: string, node = "pve2") => {
  const result = await onNode(node, sh`sha256sum ${path}`);
  return result.exitCode === 0 ? result.stdout.split(" ")[0] : "(missing)";
};
const shas = (paths: string[]) => Promise.all(paths.map((p) => sha(p)));

/** Approves every gate except the one of `stepId`. */
const declineAt =
  (stepId: string): Gate =>
  async ({ step }) =>
    step.id === stepId ? { approved: false, answer: "no" } : { approved: true, answer: "yes" };

function run(
  params: Record<string, unknown>,
  gate: Gate = approve,
  mode: "interactive" | "unattended" = "interactive",
) {
  return runRunbook({
    ...bed.target(),
    runbook: haReplication,
    rawParams: params,
    stateDir: bed.stateDir,
    mode,
    gate,
  });
}

beforeAll(async () => {
  bed = await serveCluster("default");
});

afterAll(async () => {
  await bed?.close();
});

describe("ha-replication-mismatch on the lab (PVE 8 group)", () => {
  beforeAll(() => scenario("ha-replication-mismatch"));

  it("diagnose reports vm:100 as critical with the exact next command", async () => {
    const findings = await diagnose({ ...bed.target(), runbooks: [haReplication] });
    expect(findings).toEqual([
      {
        runbook: "ha-replication-mismatch",
        severity: "critical",
        node: "pve1",
        params: { vmid: 100, fix: "align-ha" },
        summary:
          "VM 100 on pve1: HA may start vm:100 on pve1, pve2, pve3 (no restriction); replicas on pve1, pve2 (jobs 100-0); no replica on pve3; a failover there cannot start it (or: --fix add-replication)",
        command: "pvefix plan ha-replication-mismatch --vmid 100 --fix align-ha",
      },
    ]);
  });

  it("plans a restricted group over pve1 and pve2, then the resource moved into it", async () => {
    const planned = await planOnly({
      ...bed.target(),
      runbook: haReplication,
      rawParams: { vmid: 100, fix: "align-ha" },
    });
    expect(planned.kind).toBe("plan");
    if (planned.kind !== "plan") return;
    expect(planned.plan.steps.map((s) => [s.id, s.node, s.risk])).toEqual([
      ["write-groups-cfg", "pve1", "guarded"],
      ["write-resources-cfg", "pve1", "guarded"],
    ]);
    const groups = planned.plan.steps[0]!.actions[0];
    expect(groups?.kind === "write-file" && groups.content).toContain(
      "group: replication-100\n\tnodes pve1:2,pve2:1\n\trestricted 1\n",
    );
    expect(planned.plan.unattended).toEqual({
      eligible: false,
      reason: "ha-replication-mismatch never runs unattended",
    });
  });

  it("refuses to recover vm:100 while pve1 is alive", async () => {
    const planned = await planOnly({
      ...bed.target(),
      runbook: haReplication,
      rawParams: { vmid: 100, fix: "recover" },
    });
    expect(planned.kind === "refusal" && planned.refusal.code).toBe("node-not-down");
  });

  it("needs a human when run unattended, and changes nothing", async () => {
    const before = await shas([GROUPS, RESOURCES]);
    const result = await run({ vmid: 100, fix: "align-ha" }, approve, "unattended");
    expect(result.outcome).toBe("needs-human");
    expect(await shas([GROUPS, RESOURCES])).toEqual(before);
  });

  it("changes nothing when the first gate is answered no", async () => {
    const before = await shas([GROUPS, RESOURCES]);
    const result = await run({ vmid: 100, fix: "align-ha" }, declineAt("write-groups-cfg"));
    expect(result.outcome).toBe("declined");
    expect(result.steps.map((s) => s.status)).toEqual(["skipped", "skipped"]);
    expect(await shas([GROUPS, RESOURCES])).toEqual(before);
  });

  it("rolls the group back when writing resources.cfg fails, leaving both files byte-identical", async () => {
    const before = await shas([GROUPS, RESOURCES]);
    await addFault(bed.labDir, { node: "pve1", match: `cat > ${RESOURCES}`, action: "fail", times: 1 });
    const result = await run({ vmid: 100, fix: "align-ha" });
    expect(result.outcome).toBe("failed-rolled-back");
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ["write-groups-cfg", "undone"],
      ["write-resources-cfg", "failed"],
    ]);
    expect(await shas([GROUPS, RESOURCES])).toEqual(before);
  });

  it("aligns HA with replication, proves it, and undo restores both files", async () => {
    const before = await shas([GROUPS, RESOURCES]);
    const result = await run({ vmid: 100, fix: "align-ha" });
    expect(result.outcome).toBe("done");
    expect(await cat(RESOURCES)).toMatch(/^vm: 100\n(\t.*\n)*\tgroup replication-100\n/m);
    expect((await diagnose({ ...bed.target(), runbooks: [haReplication] })).length).toBe(0);
    const again = await planOnly({
      ...bed.target(),
      runbook: haReplication,
      rawParams: { vmid: 100, fix: "align-ha" },
    });
    expect(again.kind).toBe("nothing-to-do");

    const undone = await undoRun({
      ...bed.target(),
      stateDir: bed.stateDir,
      runId: result.runId!,
      runbookFor: () => haReplication,
      mode: "interactive",
      gate: approve,
    });
    expect(undone.outcome).toBe("undone");
    expect(await shas([GROUPS, RESOURCES])).toEqual(before);
  });

  it("adds replication of VM 100 to pve3 instead, numbered after job 100-0", async () => {
    const result = await run({ vmid: 100, fix: "add-replication" });
    expect(result.outcome).toBe("done");
    expect(await cat(REPLICATION)).toMatch(/\nlocal: 100-1\n\ttarget pve3\n/);
  });
});

describe("ha-replication-mismatch on the lab (PVE 9 rule)", () => {
  beforeAll(() => scenario("ha-replication-mismatch-rules"));

  it("plans to change the operator's rule vm100-placement in place, naming it and showing the diff", async () => {
    const before = await cat(RULES);
    const planned = await planOnly({
      ...bed.target(),
      runbook: haReplication,
      rawParams: { vmid: 100, fix: "align-ha" },
    });
    expect(planned.kind).toBe("plan");
    if (planned.kind !== "plan") return;
    expect(planned.plan.steps.map((s) => s.title)).toEqual([
      "Change your node-affinity rule vm100-placement to keep vm:100 on pve1, pve2 (strict)",
    ]);
    expect(planned.plan.warnings[0]).toMatch(
      /^\/etc\/pve\/ha\/rules\.cfg: your rule 'vm100-placement' is changed in place .*: nodes pve1,pve3 → pve1:2,pve2:1\./,
    );
    expect(planned.plan.steps[0]!.actions[0]).toMatchObject({ before: { path: RULES, content: before } });
  });

  it("keeps the rule's name when it runs, and undo puts the operator's bytes back", async () => {
    const before = await cat(RULES);
    expect(before).toContain("node-affinity: vm100-placement");
    const result = await run({ vmid: 100, fix: "align-ha" });
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => s.id)).toEqual(["write-rules-cfg"]);
    const after = await cat(RULES);
    expect(after).toBe(
      "node-affinity: vm100-placement\n\tnodes pve1:2,pve2:1\n\tresources vm:100\n\tstrict 1\n\n",
    );
    const undone = await undoRun({
      ...bed.target(),
      stateDir: bed.stateDir,
      runId: result.runId!,
      runbookFor: () => haReplication,
      mode: "interactive",
      gate: approve,
    });
    expect(undone.outcome).toBe("undone");
    expect(await cat(RULES)).toBe(before);
  });
});

describe("ha-replication-mismatch on the lab (recovery from a dead node)", () => {
  beforeAll(() => scenario("ha-replication-recovery"));

  it("diagnose asks for a recovery of VM 100", async () => {
    const findings = await diagnose({ ...bed.target(), runbooks: [haReplication] });
    expect(findings.map((f) => [f.severity, f.node, f.command])).toEqual([
      ["critical", "pve1", "pvefix plan ha-replication-mismatch --vmid 100 --fix recover"],
    ]);
  });

  it("plans HA off, the config moved to pve2 and the start there; refuses pve3 without a replica", async () => {
    const planned = await planOnly({
      ...bed.target(),
      runbook: haReplication,
      rawParams: { vmid: 100, fix: "recover" },
    });
    expect(planned.kind === "plan" && planned.plan.steps.map((s) => [s.id, s.node, s.risk])).toEqual([
      ["ha-ignore-vm-100", "pve2", "guarded"],
      ["move-config-100", "pve2", "dangerous"],
      ["start-100", "pve2", "guarded"],
    ]);
    const pve3 = await planOnly({
      ...bed.target(),
      runbook: haReplication,
      rawParams: { vmid: 100, fix: "recover", to: "pve3" },
    });
    expect(pve3.kind === "refusal" && pve3.refusal.code).toBe("no-valid-replica");
  });

  it("puts HA back when the operator declines to move the config, byte for byte", async () => {
    const before = await shas([RESOURCES, ON_PVE1]);
    const result = await run({ vmid: 100, fix: "recover" }, declineAt("move-config-100"));
    expect(result.outcome).toBe("declined");
    expect(result.steps.map((s) => s.status)).toEqual(["undone", "skipped", "skipped"]);
    expect(await shas([RESOURCES, ON_PVE1])).toEqual(before);
  });

  it("rolls back the move and HA when the start fails, leaving every changed file byte-identical", async () => {
    const before = await shas([RESOURCES, ON_PVE1]);
    await addFault(bed.labDir, {
      node: "pve2",
      match: "qm start 100",
      action: "fail",
      times: 1,
      exitCode: 255,
    });
    const result = await run({ vmid: 100, fix: "recover" });
    expect(result.outcome).toBe("failed-rolled-back");
    expect(result.steps.map((s) => s.status)).toEqual(["undone", "undone", "failed"]);
    expect(await shas([RESOURCES, ON_PVE1])).toEqual(before);
    expect(await sha(ON_PVE2)).toBe("(missing)");
  });

  it("recovers VM 100 on pve2, and undo gives it back to pve1's directory and to HA", async () => {
    const before = await shas([RESOURCES, ON_PVE1]);
    const asked: string[] = [];
    const result = await run({ vmid: 100, fix: "recover" }, async ({ step, confirm }) => {
      asked.push(`${step.id}:${confirm}`);
      return { approved: true, answer: confirm === "node-name" ? "pve2" : "yes" };
    });
    expect(result.outcome).toBe("done");
    expect(asked).toEqual(["ha-ignore-vm-100:yes", "move-config-100:node-name", "start-100:yes"]);
    expect((await onNode("pve2", "qm status 100")).stdout).toBe("status: running\n");
    expect(await sha(ON_PVE1)).toBe("(missing)");
    expect(await cat(RESOURCES)).toContain("vm: 100\n\tstate ignored\n");

    const undone = await undoRun({
      ...bed.target(),
      stateDir: bed.stateDir,
      runId: result.runId!,
      runbookFor: () => haReplication,
      mode: "interactive",
      gate: approve,
    });
    expect(undone.outcome).toBe("undone");
    expect(await shas([RESOURCES, ON_PVE1])).toEqual(before);
    expect(await sha(ON_PVE2)).toBe("(missing)");
  });
});

describe("ha-replication-mismatch on the lab (after the recovery: no false all-clear)", () => {
  beforeAll(() => scenario("ha-replication-recovery"));

  const findings = () => diagnose({ ...bed.target(), runbooks: [haReplication] });
  const plan = (fix: string) =>
    planOnly({ ...bed.target(), runbook: haReplication, rawParams: { vmid: 100, fix } });

  it("reports the job that targets the VM's new node and the HA state ignored after recover", async () => {
    const recovered = await run({ vmid: 100, fix: "recover" }, async ({ confirm }) => ({
      approved: true,
      answer: confirm === "node-name" ? "pve2" : "yes",
    }));
    expect(recovered.outcome).toBe("done");
    expect((await findings()).map((f) => [f.severity, f.node, f.command])).toEqual([
      ["warning", "pve2", "pvefix plan ha-replication-mismatch --vmid 100 --fix add-replication"],
      ["warning", "pve2", "ha-manager set vm:100 --state started"],
    ]);
  });

  it("refuses align-ha instead of pinning vm:100 to the one node it runs on", async () => {
    const planned = await plan("align-ha");
    expect(planned.kind === "refusal" && planned.refusal.code).toBe("no-valid-replica");
  });

  it("re-targets job 100-0 back to pve1 and replicates to pve3, then only the HA state is left", async () => {
    const result = await run({ vmid: 100, fix: "add-replication" });
    expect(result.outcome).toBe("done");
    const jobs = await cat(REPLICATION);
    expect(jobs).toContain("local: 100-0\n\ttarget pve1\n\tsource pve2\n");
    expect(jobs).toMatch(/\nlocal: 100-1\n\ttarget pve3\n/);
    expect((await findings()).map((f) => f.command)).toEqual(["ha-manager set vm:100 --state started"]);
    expect((await onNode("pve2", "ha-manager set vm:100 --state started")).exitCode).toBe(0);
    expect(await findings()).toEqual([]);
  });
});
