import { afterAll, beforeAll, describe, expect, it } from "vitest";
import notQuorateConfig from "../../../runbooks/not-quorate-config.js";
import restartPveServices from "../../../runbooks/restart-pve-services.js";
import type { Gate, GateRequest } from "../../../src/engine/apply.js";
import { diagnose } from "../../../src/engine/diagnose.js";
import { readJournal } from "../../../src/engine/journal.js";
import { planOnly, runRunbook, undoRun } from "../../../src/engine/session.js";
import { addFault } from "../../../src/lab/index.js";
import { PVE_UNITS } from "../../../src/pve/probes/services.js";
import { sh } from "../../../src/shell/quote.js";
import { answerGates, nodeResult, type ServedCluster, serveCluster } from "../served-lab.js";

const rb = restartPveServices;
let bed: ServedCluster;

beforeAll(async () => {
  bed = await serveCluster("restart-pve-services");
});

afterAll(async () => {
  await bed?.close();
});

/** A fresh scenario, pvefix state directory and SSH transport for each test. */
const scenario = (name: string) => bed.reset(name);

const gate = answerGates;

const run = (params: Record<string, unknown>, g: Gate, mode: "interactive" | "unattended" = "interactive") =>
  runRunbook({ ...bed.target(), runbook: rb, rawParams: params, stateDir: bed.stateDir, mode, gate: g });

/** The test's own view of a node, straight from the lab (not through pvefix). */
const onNode = (node: string, command: string) => nodeResult(bed.labDir, node, command);

async function units(node: string): Promise<string[]> {
  return (await onNode(node, sh`systemctl is-active ${PVE_UNITS}`)).stdout.trim().split("\n");
}

const ALL_ACTIVE = Array(8).fill("active");
const HUNG = ["active", "active", "failed", "active", "active", "active", "active", "active"];
// pvestatd is failed in these scenarios: it is only started.
const STOPS = ["pveproxy", "spiceproxy", "pve-cluster", "corosync"].map((u) => `stop-${u}-pve2`);
const STARTS = ["corosync", "pve-cluster", "pvestatd", "spiceproxy", "pveproxy"].map(
  (u) => `start-${u}-pve2`,
);

describe("restart-pve-services over SSH against the lab", () => {
  it("diagnose finds pve2's hung pmxcfs and gives the exact command to run", async () => {
    await scenario("restart-pve-services");
    const findings = await diagnose({ ...bed.target(), runbooks: [rb] });
    expect(findings).toEqual([
      expect.objectContaining({
        runbook: "restart-pve-services",
        severity: "critical",
        node: "pve2",
        command: "pvefix run restart-pve-services --node pve2 --services pvestatd,pve-cluster",
        summary:
          "PVE services on pve2 are not healthy: pvestatd is failed; /etc/pve did not answer within 5 s; pvecm status did not answer within 10 s",
      }),
    ]);
  });

  it("plans a guarded stop and start of the five units in the field report's orders", async () => {
    await scenario("restart-pve-services");
    const planned = await planOnly({ ...bed.target(), runbook: rb, rawParams: { node: "pve2" } });
    expect(planned.kind).toBe("plan");
    if (planned.kind !== "plan") return;
    expect(planned.plan.steps.map((s) => s.id)).toEqual([...STOPS, ...STARTS]);
    expect(new Set(planned.plan.steps.map((s) => s.risk))).toEqual(new Set(["guarded"]));
    expect(planned.plan.unattended.eligible).toBe(false);
  });

  it("an unattended run stops with needs-human and changes nothing", async () => {
    await scenario("restart-pve-services");
    const result = await run(
      { node: "pve2" },
      gate(() => true),
      "unattended",
    );
    expect(result.outcome).toBe("needs-human");
    expect(await units("pve2")).toEqual(HUNG);
    expect((await onNode("pve2", "timeout -s KILL 5 stat -c %a /etc/pve/local")).exitCode).toBe(137);
  });

  it("a gate answered no changes nothing", async () => {
    await scenario("restart-pve-services");
    const seen: GateRequest[] = [];
    const result = await run(
      { node: "pve2" },
      gate(() => false, seen),
    );
    expect(result.outcome).toBe("declined");
    expect(seen.map((r) => [r.step.id, r.confirm])).toEqual([["stop-pveproxy-pve2", "yes"]]);
    expect(readJournal(bed.stateDir, result.runId!).filter((e) => e.type === "step-start")).toEqual([]);
    expect(await units("pve2")).toEqual(HUNG);
  });

  it("an approved run restarts pve2 and leaves /etc/pve answering and pve2 quorate", async () => {
    await scenario("restart-pve-services");
    const result = await run(
      { node: "pve2" },
      gate(() => true),
    );
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => `${s.id}:${s.status}`)).toEqual(
      [...STOPS, ...STARTS].map((id) => `${id}:done`),
    );
    expect(await units("pve2")).toEqual(ALL_ACTIVE);
    expect((await onNode("pve2", "timeout -s KILL 5 stat -c %a /etc/pve/local")).stdout).toBe("755\n");
    expect((await onNode("pve2", "pvecm status")).stdout).toContain("Quorate:          Yes");
  });

  it("a failure in a middle step starts again every unit the run stopped", async () => {
    await scenario("restart-pve-services");
    const conf = sh`sha256sum /etc/corosync/corosync.conf`;
    const before = (await onNode("pve2", conf)).stdout;
    await addFault(bed.labDir, { node: "pve2", match: "systemctl start pvestatd", action: "fail", times: 1 });
    const result = await run(
      { node: "pve2" },
      gate(() => true),
    );
    expect(result.outcome).toBe("failed-rolled-back");
    expect(result.steps.find((s) => s.id === "start-pvestatd-pve2")?.status).toBe("failed");
    expect(result.steps.filter((s) => s.status === "undone").map((s) => s.id)).toEqual(
      expect.arrayContaining(STOPS),
    );
    const undos = readJournal(bed.stateDir, result.runId!)
      .filter((e) => e.type === "command" && e.phase === "undo")
      .map((e) => (e.type === "command" ? e.result.command : ""));
    expect(undos).toEqual(
      ["corosync", "pve-cluster", "spiceproxy", "pveproxy"].map((u) => `systemctl start ${u}`),
    );
    // pvestatd was failed before the run and its start failed again: it stays as it was.
    expect(await units("pve2")).toEqual(HUNG);
    expect(result.touchedFiles).toEqual([]);
    expect((await onNode("pve2", conf)).stdout).toBe(before);
  });

  it("undo after a successful run starts every stopped unit again and leaves them running", async () => {
    await scenario("restart-pve-services");
    const done = await run(
      { node: "pve2" },
      gate(() => true),
    );
    expect(done.outcome).toBe("done");
    const undone = await undoRun({
      ...bed.target(),
      stateDir: bed.stateDir,
      runId: done.runId!,
      runbookFor: () => rb,
      mode: "interactive",
      gate: answerGates(() => true),
    });
    expect(undone.outcome).toBe("undone");
    expect(await units("pve2")).toEqual(ALL_ACTIVE);
    expect((await onNode("pve2", "timeout -s KILL 5 stat -c %a /etc/pve/local")).exitCode).toBe(0);
  });

  it("refuses to restart pve2 while its HA watchdog is armed unless --with-ha is given", async () => {
    await scenario("restart-pve-services-ha");
    const [finding] = await diagnose({ ...bed.target(), runbooks: [rb] });
    expect(finding?.command).toBe(
      "pvefix plan restart-pve-services --node pve2 --services pvestatd,pve-cluster --with-ha",
    );
    const refused = await run(
      { node: "pve2" },
      gate(() => true),
    );
    expect(refused.outcome).toBe("refused");
    expect(refused.refusal).toMatchObject({ code: "ha-armed", node: "pve2" });
    expect(refused.refusal?.message).toContain("vm:300");
    expect(await units("pve2")).toEqual(HUNG);
  });

  it("with --with-ha stops the LRM then the CRM first behind node-name gates and starts them again last", async () => {
    await scenario("restart-pve-services-ha");
    const seen: GateRequest[] = [];
    const result = await run(
      { node: "pve2", withHa: true },
      gate(() => true, seen),
    );
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => s.id)).toEqual([
      "stop-pve-ha-lrm-pve2",
      "stop-pve-ha-crm-pve2",
      ...STOPS,
      ...STARTS,
      "start-pve-ha-crm-pve2",
      "start-pve-ha-lrm-pve2",
    ]);
    expect(new Set(seen.map((r) => r.confirm))).toEqual(new Set(["node-name"]));
    expect(await units("pve2")).toEqual(ALL_ACTIVE);
    const status = (await onNode("pve1", "ha-manager status")).stdout;
    expect(status).toContain("lrm pve2 (active, ");
    expect(status).toContain("service vm:300 (pve2, started)");
  });

  it("refuses quorum-at-risk when pve3 is down and pve2's departure would leave pve1 alone", async () => {
    await scenario("restart-pve-services-degraded");
    const result = await run(
      { node: "pve2" },
      gate(() => true),
    );
    expect(result.outcome).toBe("refused");
    expect(result.refusal).toMatchObject({
      code: "quorum-at-risk",
      message: "Stopping corosync on pve2 would leave the cluster 1 of the 2 votes it needs",
    });
    expect(await units("pve2")).toEqual(HUNG);
  });
});

describe("restart-pve-services for corosync over SSH against the lab", () => {
  const allRunbooks = () => [rb, notQuorateConfig];
  const runningVersion = async (node: string) =>
    (await onNode(node, "corosync-cmapctl -g totem.config_version")).stdout.trim();

  it("diagnose names the node whose corosync was stopped with its start as the fix, and the start quorates it", async () => {
    await scenario("corosync-stopped");
    const findings = await diagnose({ ...bed.target(), runbooks: allRunbooks() });
    expect(findings.map((f) => [f.runbook, f.severity, f.node, f.summary, f.command])).toEqual([
      [
        "restart-pve-services",
        "critical",
        "pve3",
        "PVE services on pve3 are not healthy: corosync is inactive",
        "pvefix run restart-pve-services --node pve3 --services corosync",
      ],
    ]);
    const result = await run(
      { node: "pve3", services: "corosync" },
      gate(() => true),
    );
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => s.id)).toEqual(["start-corosync-pve3"]);
    expect((await onNode("pve3", "pvecm status")).stdout).toContain("Quorate:          Yes");
    expect(await diagnose({ ...bed.target(), runbooks: allRunbooks() })).toEqual([]);
  });

  it("diagnose compares the running config with the files on every node; the restart loads the written one", async () => {
    await scenario("corosync-stale-config");
    const files = await Promise.all(
      ["pve1", "pve2", "pve3"].map((n) => onNode(n, "sha256sum /etc/corosync/corosync.conf")),
    );
    const findings = await diagnose({ ...bed.target(), runbooks: allRunbooks() });
    expect(findings.map((f) => [f.severity, f.node, f.summary, f.command])).toEqual([
      [
        "warning",
        "pve1",
        "PVE services on pve1 are not healthy: corosync runs config_version 3 (default token) but /etc/corosync/corosync.conf and /etc/pve/corosync.conf have version 4 (token 5000 ms): it has not loaded the written config",
        "pvefix run restart-pve-services --node pve1 --services corosync",
      ],
    ]);
    expect(await runningVersion("pve2")).toBe("totem.config_version (u64) = 4");
    const result = await run(
      { node: "pve1", services: "corosync" },
      gate(() => true),
    );
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => s.id)).toEqual(["stop-corosync-pve1", "start-corosync-pve1"]);
    expect(await runningVersion("pve1")).toBe("totem.config_version (u64) = 4");
    expect(await diagnose({ ...bed.target(), runbooks: allRunbooks() })).toEqual([]);
    // Only the running corosync changed: no file was written on any node.
    expect(result.touchedFiles).toEqual([]);
    expect(
      await Promise.all(
        ["pve1", "pve2", "pve3"].map((n) => onNode(n, "sha256sum /etc/corosync/corosync.conf")),
      ),
    ).toEqual(files);
  });
});
