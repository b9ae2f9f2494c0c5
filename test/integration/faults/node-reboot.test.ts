/**
 * Fault matrix row 5: a node reboots mid-run. The reboot happens inside the gate of the guarded
 * step (nfs-backup on pve2 is used by CT 105), after probing and before approval, so the timing
 * is exact: the node goes down, then comes back with its processes killed, its units restarted,
 * its mounts fresh and /run empty.
 */
import { describe, expect, it } from "vitest";
import hungNfs from "../../../runbooks/hung-nfs.js";
import type { Gate } from "../../../src/engine/apply.js";
import { NODE_LOCK_DIR } from "../../../src/engine/lock.js";
import { exitCodeFor, undoRun } from "../../../src/engine/session.js";
import { addFault, type LabState, labExec, loadLab, updateLab } from "../../../src/lab/index.js";
import { TransportError } from "../../../src/transport/errors.js";
import {
  approve,
  commands,
  journal,
  mountOn,
  mutations,
  type ServedCluster,
  serveForEachTest,
  stepTrail,
} from "../served-lab.js";
import { expectRolledBack } from "./expect-run.js";

const BACKUP = "/mnt/pve/nfs-backup";

function setUp(state: LabState, node: string, up: boolean): void {
  const found = state.nodes.find((n) => n.name === node);
  if (!found) throw new Error(`no node ${node}`);
  found.up = up;
}

/** What a reboot leaves: a new boot, only init running, units restarted, fresh mounts, /run empty. */
function reboot(state: LabState, name: string): void {
  const node = state.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  node.up = true;
  node.bootTime = state.clock;
  node.procs = node.procs.filter((p) => p.pid === 1);
  node.services = Object.fromEntries(Object.keys(node.services).map((unit) => [unit, "active" as const]));
  node.expectedVotesOverride = null;
  node.pmxcfsLocalMode = false;
  // pvestatd mounts the storages again at boot; the NFS servers answer, so nothing hangs.
  node.mounts = node.mounts.map((m) => ({ ...m, hung: false }));
  for (const path of Object.keys(node.files)) if (path.startsWith("/run/")) delete node.files[path];
  node.dirs = node.dirs.filter((d) => !d.startsWith("/run/") || d === "/run/lock");
  for (const key of Object.keys(state.pve)) {
    const guest = new RegExp(`^nodes/${name}/(?:lxc|qemu-server)/(\\d+)\\.conf$`).exec(key);
    if (guest?.[1]) state.guests[guest[1]] = { status: "stopped", pid: null };
  }
}

let bed: ServedCluster;
serveForEachTest("default", (served) => {
  bed = served;
});

/** A gate that runs `during` before it approves, recording that it was asked. */
function gateThat(during: () => Promise<void>): Gate {
  return async () => {
    await during();
    return { approved: true, answer: "yes" };
  };
}

async function nodeLockExists(node: string): Promise<boolean> {
  const result = await labExec({ stateDir: bed.labDir, node, command: `cat ${NODE_LOCK_DIR}/owner` });
  return typeof result !== "string" && result.exitCode === 0;
}

describe("a node that reboots while the run waits at its gate", () => {
  it("runs the approved step on a fresh connection to the rebooted node and ends done", async () => {
    const result = await bed.run({
      runbook: hungNfs,
      params: { storage: "nfs-backup" },
      gate: gateThat(async () => {
        await updateLab(bed.labDir, (s) => setUp(s, "pve2", false));
        const other = bed.newTransport();
        try {
          await expect(other.exec("pve2", "true")).rejects.toBeInstanceOf(TransportError);
        } finally {
          await other.close();
        }
        // Shutting down ends every SSH session of pve2: the engine's pooled connection goes with it
        // (the served lab cuts it on its next use). Closing the transport instead would end the run's
        // transport for good: a closed transport never connects again.
        expect(await bed.transport.exec("pve2", "true")).toMatchObject({ connectionLost: true });
        await updateLab(bed.labDir, (s) => reboot(s, "pve2"));
      }),
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
    // The facts were taken before the reboot and are not taken again: the umount hit a mount that
    // no longer hung. Harmless here, and visible in the journal.
    expect(commands(entries, "umount -nlf").map((e) => e.result.exitCode)).toEqual([0]);
    // The node lock lived in /run and went with the reboot: releasing it finds nothing.
    const release = commands(entries, `rmdir ${NODE_LOCK_DIR}`);
    expect(release.map((e) => [e.result.node, e.result.exitCode === 0])).toEqual([["pve2", false]]);
    expect(await nodeLockExists("pve2")).toBe(false);
    // CT 105 stopped with the reboot; pvefix does not start guests.
    expect((await loadLab(bed.labDir)).guests["105"]?.status).toBe("stopped");

    expect((await bed.run({ runbook: hungNfs, params: { storage: "nfs-backup" } })).outcome).toBe(
      "nothing-to-do",
    );
    expect(mutations(bed.stateDir, "pve2", "umount")).toHaveLength(1);
  });

  it("undoes the step whose first command met the connection the reboot had reset", async () => {
    const result = await bed.run({
      runbook: hungNfs,
      params: { storage: "nfs-backup" },
      gate: gateThat(async () => {
        await updateLab(bed.labDir, (s) => setUp(s, "pve2", false));
        await updateLab(bed.labDir, (s) => reboot(s, "pve2"));
        // The pooled connection survived on our side; the rebooted node answers its next packet
        // with a reset: the command is lost before it runs.
        await addFault(bed.labDir, { node: "pve2", match: "umount -nlf", action: "drop", times: 1 });
      }),
    });

    expect(result.outcome).toBe("failed-rolled-back");
    expect(exitCodeFor(result.outcome)).toBe(1);
    const entries = journal(bed.stateDir, result.runId);
    expectRolledBack(entries, "remount-nfs-backup-pve2", { gated: true });
    // The undo saw the storage in /proc/mounts (its skipIf) and did not mount over it.
    expect(commands(entries, "mount -t")).toEqual([]);
    expect(commands(entries, "cat /proc/mounts | grep").map((e) => [e.phase, e.result.exitCode])).toEqual([
      ["undo", 0],
    ]);
    expect(mountOn(await loadLab(bed.labDir), "pve2", BACKUP)?.hung).toBe(false);

    expect((await bed.run({ runbook: hungNfs, params: { storage: "nfs-backup" } })).outcome).toBe(
      "nothing-to-do",
    );
    expect(mutations(bed.stateDir, "pve2", "umount").map((r) => r.exitCode)).toEqual([null]);
  });

  it("reports an incomplete rollback while the node stays down, and `undo` finishes it once the node is back", async () => {
    const result = await bed.run({
      runbook: hungNfs,
      params: { storage: "nfs-backup" },
      gate: gateThat(async () => {
        await updateLab(bed.labDir, (s) => setUp(s, "pve2", false));
      }),
    });

    // The umount went out on the pooled connection, which the dead node cut: outcome unknown.
    // The undo cannot reach the node, so the run says exactly what is left.
    expect(result.outcome).toBe("rollback-incomplete");
    expect(exitCodeFor(result.outcome)).toBe(5);
    const entries = journal(bed.stateDir, result.runId);
    expect(stepTrail(entries)).toEqual([
      "gate:remount-nfs-backup-pve2:approved",
      "start:remount-nfs-backup-pve2",
      "end:remount-nfs-backup-pve2:failed",
      "undo:remount-nfs-backup-pve2",
      "undo-end:remount-nfs-backup-pve2:failed",
      "run-end:rollback-incomplete:5",
    ]);
    expect(commands(entries, "umount -nlf").map((e) => e.result.connectionLost)).toEqual([true]);

    await updateLab(bed.labDir, (s) => reboot(s, "pve2"));
    const undo = await undoRun({
      transport: bed.transport,
      nodes: bed.nodes,
      cluster: bed.cluster,
      stateDir: bed.stateDir,
      runId: result.runId ?? "",
      runbookFor: () => hungNfs,
      mode: "interactive",
      gate: approve,
    });
    expect(undo.outcome).toBe("undone");
    expect(exitCodeFor(undo.outcome)).toBe(0);
    // The step was guarded (CT 105 uses nfs-backup), so its undo asks at the same gate.
    expect(stepTrail(journal(bed.stateDir, undo.runId))).toEqual([
      "gate:remount-nfs-backup-pve2:approved",
      "undo:remount-nfs-backup-pve2",
      "undo-end:remount-nfs-backup-pve2:ok",
      "run-end:undone:0",
    ]);
    expect(journal(bed.stateDir, result.runId).at(-1)).toMatchObject({
      type: "undone-by",
      runId: undo.runId,
    });
    expect((await bed.run({ runbook: hungNfs, params: { storage: "nfs-backup" } })).outcome).toBe(
      "nothing-to-do",
    );
    expect(mutations(bed.stateDir, "pve2", "umount")).toHaveLength(1);
  });
});
