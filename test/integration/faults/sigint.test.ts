/**
 * Fault matrix row 6: SIGINT (Ctrl-C) to the `pvefix` CLI while a command of the first step hangs.
 * One Ctrl-C lets the step in flight finish (its commands and its verification) and starts no
 * other: exit 5, `interrupted`. A second Ctrl-C stops at once (exit 5): it journals the stop (what
 * was in flight, what is left), releases the locks, prints the run id, and `pvefix undo` finishes
 * from that journal.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import hungNfs from "../../../runbooks/hung-nfs.js";
import { type JournalEntry, readJournal, summarizeRun } from "../../../src/engine/journal.js";
import { NODE_LOCK_DIR } from "../../../src/engine/lock.js";
import { PROBE_TIMEOUT_MS } from "../../../src/engine/probe-context.js";
import { undoRun } from "../../../src/engine/session.js";
import { addFault, loadLab } from "../../../src/lab/index.js";
import { livenessCommand } from "../../../src/pve/probes/storage.js";
import {
  approve,
  commands,
  hangMount,
  mountOn,
  mutations,
  type ServedCluster,
  serveCluster,
  stepTrail,
} from "../served-lab.js";
import { assertBuilt, runCli, startCli } from "./cli.js";

const ISO = "/mnt/pve/nfs-iso";

let bed: ServedCluster;

beforeAll(async () => {
  assertBuilt();
  bed = await serveCluster("default");
});

afterAll(async () => {
  await bed.close();
});

/** The one journal in the state directory, parsed as far as it is written. */
function liveJournal(stateDir: string): JournalEntry[] {
  let files: string[];
  try {
    files = readdirSync(join(stateDir, "runs")).filter((f) => f.endsWith(".jsonl"));
  } catch {
    return [];
  }
  const file = files[0];
  if (!file) return [];
  return readFileSync(join(stateDir, "runs", file), "utf8")
    .split("\n")
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalEntry];
      } catch {
        return [];
      }
    });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

describe("SIGINT to the CLI while a step's command hangs", () => {
  it("finishes the step in flight, starts no other, exits 5, and `pvefix undo` converges", async () => {
    await hangMount(bed.labDir, "pve1", ISO);
    // The liveness read of nfs-iso on pve1: fails at once while probing (the mount hangs, as the
    // probe expects), then hangs during the first step's verification until its 10 s timeout.
    const liveness = livenessCommand(ISO);
    await addFault(bed.labDir, { node: "pve1", match: liveness, action: "fail", exitCode: 137, times: 1 });
    await addFault(bed.labDir, { node: "pve1", match: liveness, action: "hang", times: 1 });
    const target = ["-i", bed.server.inventoryPath, "--state-dir", bed.stateDir];

    const cli = startCli([...target, "run", "hung-nfs", "--storage", "nfs-iso", "--unattended"]);
    await waitFor(() => {
      const entries = liveJournal(bed.stateDir);
      const start = entries.findIndex((e) => e.type === "step-start");
      return start >= 0 && commands(entries.slice(start), "cat /proc/mounts").length > 0;
    }, 15_000);
    await sleep(300); // inside the hanging liveness read now
    const interruptedAt = performance.now();
    cli.child.kill("SIGINT");
    const result = await cli.done;

    expect(result.code).toBe(5);
    expect(result.stderr).toContain("Interrupted: stopping before the next step");
    // It waited for the hanging read's own timeout, then stopped; it did not quit mid-action.
    expect(performance.now() - interruptedAt).toBeLessThan(PROBE_TIMEOUT_MS + 5_000);

    const runId = readdirSync(join(bed.stateDir, "runs"))[0]?.replace(/\.jsonl$/, "") ?? "";
    const entries = readJournal(bed.stateDir, runId);
    expect(stepTrail(entries)).toEqual([
      "start:remount-nfs-iso-pve1",
      "end:remount-nfs-iso-pve1:done",
      "run-end:interrupted:5",
    ]);
    expect(entries.at(-1)).toMatchObject({ message: "interrupted before step remount-nfs-iso-pve3" });
    expect(commands(entries, liveness).map((e) => [e.result.node, e.result.timedOut])).toContainEqual([
      "pve1",
      true,
    ]);
    expect(commands(entries, "umount").map((e) => e.result.node)).toEqual(["pve1"]);

    const undo = await runCli([...target, "undo", runId]);
    expect(undo.code).toBe(0);
    expect(readJournal(bed.stateDir, runId).at(-1)).toMatchObject({ type: "undone-by" });

    // The rerun (through the API, to keep the suite fast) finds only pve3 left to do.
    const rerun = await bed.run({ runbook: hungNfs, params: { storage: "nfs-iso" }, mode: "unattended" });
    expect(rerun.plan?.steps.map((s) => s.node)).toEqual(["pve3"]);
    expect(rerun.outcome).toBe("done");
    expect((await bed.run({ runbook: hungNfs, params: { storage: "nfs-iso" } })).outcome).toBe(
      "nothing-to-do",
    );
    // Over the four runs, each node was unmounted exactly once.
    expect(mutations(bed.stateDir, "pve1", "umount")).toHaveLength(1);
    expect(mutations(bed.stateDir, "pve3", "umount")).toHaveLength(1);
  });

  it("stops at once on a second Ctrl-C, journals what was in flight, frees the locks, and undo finishes the cut-short step", async () => {
    await bed.reset("default");
    await hangMount(bed.labDir, "pve1", ISO);
    // The umount on pve1 goes through; PVE's activation then hangs (its timeout is 60 s).
    await addFault(bed.labDir, {
      node: "pve1",
      match: "pvesm status --storage nfs-iso",
      action: "hang",
      times: 1,
    });
    const target = ["-i", bed.server.inventoryPath, "--state-dir", bed.stateDir];

    const cli = startCli([
      ...target,
      "run",
      "hung-nfs",
      "--storage",
      "nfs-iso",
      "--unattended",
      "-o",
      "json",
    ]);
    await waitFor(() => commands(liveJournal(bed.stateDir), "umount -nlf").length > 0, 15_000);
    await sleep(300);
    const interruptedAt = performance.now();
    cli.child.kill("SIGINT");
    await sleep(200);
    cli.child.kill("SIGINT");
    const result = await cli.done;

    // Interrupted is exit 5, as documented; the node locks get at most 2 s.
    expect(result.code).toBe(5);
    expect(performance.now() - interruptedAt).toBeLessThan(6_000);
    const runId = readdirSync(join(bed.stateDir, "runs"))[0]?.replace(/\.jsonl$/, "") ?? "";
    expect(result.stderr).toContain(`Run ${runId} stopped at once`);
    expect(result.stderr).toContain(`pvefix undo ${runId} -i ${bed.server.inventoryPath}`);
    // A script reading -o json still gets one document saying what happened.
    expect(JSON.parse(result.stdout)).toMatchObject({
      schemaVersion: 1,
      kind: "interrupted",
      runId,
      exitCode: 5,
      inFlight: ["remount-nfs-iso-pve1"],
      notStarted: ["remount-nfs-iso-pve3"],
      nodeLocksKept: [],
    });
    const entries = readJournal(bed.stateDir, runId);
    // The journal says where the process stopped: the step started, its umount ran, then the stop.
    expect(stepTrail(entries)).toEqual(["start:remount-nfs-iso-pve1", "run-end:interrupted:5"]);
    expect(entries.at(-1)).toMatchObject({
      type: "run-end",
      message:
        "interrupted twice: stopped at once; in flight (may be half done): remount-nfs-iso-pve1; not started: remount-nfs-iso-pve3",
    });
    expect(
      commands(entries)
        .filter((e) => e.phase === "step")
        .map((e) => e.result.command),
    ).toEqual([`umount -nlf ${ISO}`]);
    expect(summarizeRun(entries).outcome).toBe("interrupted");
    // No lock is left behind: not the state lock, not the node locks.
    expect(readdirSync(join(bed.stateDir, "locks"))).toEqual([]);
    const lab = await loadLab(bed.labDir);
    for (const node of lab.nodes) {
      expect(Object.keys(node.files).filter((p) => p.startsWith(NODE_LOCK_DIR))).toEqual([]);
    }
    const show = await runCli([...target, "show", "last"]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("interrupted: manual attention");
    expect(show.stdout).toContain("in flight (may be half done): remount-nfs-iso-pve1");

    // The first test drives `pvefix undo`; the API is the same code and saves a process start.
    const undo = await undoRun({
      transport: bed.transport,
      nodes: bed.nodes,
      cluster: bed.cluster,
      stateDir: bed.stateDir,
      runId,
      runbookFor: () => hungNfs,
      mode: "interactive",
      gate: approve,
    });
    expect(undo.outcome).toBe("undone");
    expect(undo.steps.map((s) => [s.id, s.status])).toEqual([["remount-nfs-iso-pve1", "undone"]]);
    expect(mountOn(await loadLab(bed.labDir), "pve1", ISO)?.hung).toBe(false);

    // The stopped run released its node locks; the rerun takes them afresh.
    const rerun = await bed.run({ runbook: hungNfs, params: { storage: "nfs-iso" }, mode: "unattended" });
    expect(rerun.outcome).toBe("done");
    expect(rerun.plan?.steps.map((s) => s.node)).toEqual(["pve3"]);
    expect((await bed.run({ runbook: hungNfs, params: { storage: "nfs-iso" } })).outcome).toBe(
      "nothing-to-do",
    );
    expect(mutations(bed.stateDir, "pve1", "umount")).toHaveLength(1);
    expect(mutations(bed.stateDir, "pve1", "pvesm status")).toHaveLength(0);
  });
});
