/**
 * Fault matrix rows 1–3: the SSH connection drops before, during and after a mutating step.
 * A lost connection leaves the outcome unknown, so the engine must undo the step it was in and
 * never send the mutating command again; a lost read is simply read again.
 */
import { describe, expect, it } from "vitest";
import hungNfs from "../../../runbooks/hung-nfs.js";
import stuckLock from "../../../runbooks/stuck-lock.js";
import { exitCodeFor } from "../../../src/engine/session.js";
import { addFault, loadLab } from "../../../src/lab/index.js";
import {
  commands,
  hangMount,
  journal,
  mountOn,
  mutations,
  type ServedCluster,
  serveForEachTest,
  sha256OnNode,
  stepTrail,
} from "../served-lab.js";
import { converge, expectBytesAsBefore, expectRolledBack } from "./expect-run.js";

const ISO = "/mnt/pve/nfs-iso";
const CT100 = "/etc/pve/nodes/pve1/lxc/100.conf";

let bed: ServedCluster;
serveForEachTest("default", (served) => {
  bed = served;
});

/** nfs-iso hangs on pve1 and pve3: a plan of two two-action steps (umount, then PVE's activation). */
async function twoHungNodes(): Promise<void> {
  await hangMount(bed.labDir, "pve1", ISO);
}

describe("a connection that drops before a mutating command runs", () => {
  it("undoes the half-done step, never starts the next one, and a rerun finishes the job", async () => {
    await twoHungNodes();
    // umount ran on pve1; the connection dies before PVE's activation command is executed.
    await addFault(bed.labDir, {
      node: "pve1",
      match: "pvesm status --storage nfs-iso",
      action: "drop",
      times: 1,
    });

    const result = await bed.run({ runbook: hungNfs, params: { storage: "nfs-iso" } });

    expect(result.outcome).toBe("failed-rolled-back");
    expect(exitCodeFor(result.outcome)).toBe(1);
    expect(result.error).toBe(
      "step remount-nfs-iso-pve1 failed: Connection lost while running: pvesm status --storage nfs-iso (on pve1)",
    );
    const entries = journal(bed.stateDir, result.runId);
    expectRolledBack(entries, "remount-nfs-iso-pve1");
    const stepCommands = commands(entries).filter((e) => e.phase === "step" || e.phase === "undo");
    expect(
      stepCommands.map((e) => [e.phase, e.result.node, e.result.command.split(" ")[0], e.result.exitCode]),
    ).toEqual([
      ["step", "pve1", "umount", 0],
      ["step", "pve1", "pvesm", null],
      // The undo first asks /proc/mounts (its skipIf): not mounted, so it mounts.
      ["undo", "pve1", "cat", 1],
      ["undo", "pve1", "mount", 0],
    ]);
    expect(stepCommands[1]?.result.connectionLost).toBe(true);

    // The undo mounted nfs-iso again on pve1; pve3 was never touched and still hangs.
    const lab = await loadLab(bed.labDir);
    expect(mountOn(lab, "pve1", ISO)?.hung).toBe(false);
    expect(mountOn(lab, "pve3", ISO)?.hung).toBe(true);

    expect(await converge(bed, { runbook: hungNfs, params: { storage: "nfs-iso" } })).toEqual([
      "done",
      "nothing-to-do",
    ]);
    // Nothing ran twice: one umount per node over all runs, and the dropped command was not resent.
    expect(mutations(bed.stateDir, "pve1", "umount")).toHaveLength(1);
    expect(mutations(bed.stateDir, "pve3", "umount")).toHaveLength(1);
    expect(mutations(bed.stateDir, "pve1", "pvesm status")).toHaveLength(1);
  });

  it("ends rolled back (exit 1) when the dropped unlock never ran, because putting the lock back must be idempotent", async () => {
    const before = await sha256OnNode(bed.labDir, "pve1", CT100);
    await addFault(bed.labDir, { node: "pve1", match: "pct unlock 100", action: "drop", times: 1 });

    const result = await bed.run({ runbook: stuckLock, params: { vmid: 100 } });

    // Nothing changed on the node, and the journal knows the backup that proves it.
    const entries = journal(bed.stateDir, result.runId);
    await expectBytesAsBefore(bed, entries, { node: "pve1", path: CT100, before });
    // The outcome of `pct unlock` is unknown, so the engine undoes the step; the lock is still in
    // place, so the undo has nothing to put back and must not fail (apply.ts relies on
    // "its undo is idempotent by design").
    expectRolledBack(entries, "unlock-100");
    expect(result.outcome).toBe("failed-rolled-back");
    expect((await bed.run({ runbook: stuckLock, params: { vmid: 100 } })).outcome).toBe("done");
    expect(mutations(bed.stateDir, "pve1", "pct unlock")).toHaveLength(2);
    expect(mutations(bed.stateDir, "pve1", "pct unlock").filter((r) => r.exitCode === 0)).toHaveLength(1);
  });
});

describe("a connection that drops while a mutating command runs", () => {
  it("undoes the command that may have run, skips the step's second command and the next step", async () => {
    await twoHungNodes();
    // The umount on pve1 runs, then the connection dies before its exit status arrives.
    await addFault(bed.labDir, { node: "pve1", match: "umount -nlf", action: "drop", after: true, times: 1 });

    const result = await bed.run({ runbook: hungNfs, params: { storage: "nfs-iso" } });

    expect(result.outcome).toBe("failed-rolled-back");
    expect(exitCodeFor(result.outcome)).toBe(1);
    expect(result.steps.map((s) => s.status)).toEqual(["failed", "skipped"]);
    const entries = journal(bed.stateDir, result.runId);
    expectRolledBack(entries, "remount-nfs-iso-pve1");
    const umount = commands(entries, "umount -nlf");
    expect(umount.map((e) => [e.result.node, e.result.exitCode, e.result.connectionLost])).toEqual([
      ["pve1", null, true],
    ]);
    expect(commands(entries, "pvesm status").filter((e) => e.phase === "step")).toEqual([]);
    expect(commands(entries, "mount -t nfs4").map((e) => [e.phase, e.result.exitCode])).toEqual([
      ["undo", 0],
    ]);
    // The umount did happen; the undo mounted the storage again (now answering).
    expect(mountOn(await loadLab(bed.labDir), "pve1", ISO)?.hung).toBe(false);

    expect(await converge(bed, { runbook: hungNfs, params: { storage: "nfs-iso" } })).toEqual([
      "done",
      "nothing-to-do",
    ]);
    expect(mutations(bed.stateDir, "pve1", "umount")).toHaveLength(1);
    expect(mutations(bed.stateDir, "pve3", "umount")).toHaveLength(1);
  });

  it("puts back a lock removed just before the connection died, byte for byte", async () => {
    const before = await sha256OnNode(bed.labDir, "pve1", CT100);
    await addFault(bed.labDir, {
      node: "pve1",
      match: "pct unlock 100",
      action: "drop",
      after: true,
      times: 1,
    });

    const result = await bed.run({ runbook: stuckLock, params: { vmid: 100 } });

    expect(result.outcome).toBe("failed-rolled-back");
    expect(exitCodeFor(result.outcome)).toBe(1);
    const entries = journal(bed.stateDir, result.runId);
    expectRolledBack(entries, "unlock-100");
    const backup = await expectBytesAsBefore(bed, entries, { node: "pve1", path: CT100, before });
    // The node-side copy holds the same bytes.
    expect(await sha256OnNode(bed.labDir, "pve1", backup.nodeCopy ?? "")).toBe(before);

    const rerun = await bed.run({ runbook: stuckLock, params: { vmid: 100 } });
    expect(rerun.outcome).toBe("done");
    expect((await bed.run({ runbook: stuckLock, params: { vmid: 100 } })).outcome).toBe("nothing-to-do");
    // One unlock per run that planned one, and the dropped one was never re-sent within its run.
    expect(mutations(bed.stateDir, "pve1", "pct unlock").map((r) => r.connectionLost)).toEqual([true, false]);
  });
});

describe("a connection that drops after a mutating step", () => {
  it("reads the verification again on a new connection and finishes without repeating the step", async () => {
    // nfs-backup on pve2 is used by CT 105: a guarded step, so the fault can be armed at its gate,
    // after probing and before the step. Three drops outlast the read retries; the check polls on.
    const result = await bed.run({
      runbook: hungNfs,
      params: { storage: "nfs-backup" },
      gate: async () => {
        await addFault(bed.labDir, { node: "pve2", match: "cat /proc/mounts", action: "drop", times: 3 });
        return { approved: true, answer: "yes" };
      },
    });

    expect(result.outcome).toBe("done");
    expect(exitCodeFor(result.outcome)).toBe(0);
    const entries = journal(bed.stateDir, result.runId);
    expect(stepTrail(entries)).toEqual([
      "gate:remount-nfs-backup-pve2:approved",
      "start:remount-nfs-backup-pve2",
      "end:remount-nfs-backup-pve2:done",
      "run-end:done:0",
    ]);
    expect((await loadLab(bed.labDir)).faults).toEqual([]);
    expect(mutations(bed.stateDir, "pve2", "umount")).toHaveLength(1);
    expect(mutations(bed.stateDir, "pve2", "pvesm status")).toHaveLength(1);
    expect(entries.some((e) => e.type === "undo-start")).toBe(false);
    // The verification read /proc/mounts after the step's commands, once it got through.
    const start = entries.findIndex((e) => e.type === "step-start");
    const end = entries.findIndex((e) => e.type === "step-end");
    const verify = commands(entries.slice(start, end), "cat /proc/mounts");
    // The dropped attempts are journaled too (exit code null), then the read that got through:
    // the step's verify phase, with the check's verdict after it.
    expect(verify.map((e) => [e.phase, e.stepId, e.result.exitCode]).at(-1)).toEqual([
      "verify",
      "remount-nfs-backup-pve2",
      0,
    ]);
    expect(
      entries
        .slice(start, end)
        .filter((e) => e.type === "check")
        .map((e) => e.ok),
    ).toEqual([true]);
    expect(verify.slice(0, -1).every((e) => e.result.connectionLost)).toBe(true);

    expect((await bed.run({ runbook: hungNfs, params: { storage: "nfs-backup" } })).outcome).toBe(
      "nothing-to-do",
    );
  });
});
