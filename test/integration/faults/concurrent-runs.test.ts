/**
 * Fault matrix row 8: a second pvefix run on the same cluster while the first one waits at its
 * gate. The state-directory lock refuses it when both share a state directory; the node-side lock
 * refuses it when they do not (two operators on two machines).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import hungNfs from "../../../runbooks/hung-nfs.js";
import type { GateAnswer } from "../../../src/engine/apply.js";
import { readJournal } from "../../../src/engine/journal.js";
import { commands, journal, mutations, type ServedCluster, serveCluster, stepTrail } from "../served-lab.js";
import { assertBuilt, runCli } from "./cli.js";

let bed: ServedCluster;
let otherStateDir: string;

beforeAll(async () => {
  assertBuilt();
  bed = await serveCluster("default");
  otherStateDir = mkdtempSync(join(tmpdir(), "pvefix-faults-other-"));
});

afterAll(async () => {
  await bed.close();
  rmSync(otherStateDir, { recursive: true, force: true });
});

describe("a second run while the first one is in progress", () => {
  it("is refused with exit 3 naming the run that holds the cluster, by either lock", async () => {
    let reachedGate!: () => void;
    const atGate = new Promise<void>((resolve) => {
      reachedGate = resolve;
    });
    let answer!: (a: GateAnswer) => void;
    const first = bed.run({
      runbook: hungNfs,
      params: { storage: "nfs-backup" },
      gate: () => {
        reachedGate();
        return new Promise<GateAnswer>((resolve) => {
          answer = resolve;
        });
      },
    });
    await atGate;
    const firstRunId = readdirSync(join(bed.stateDir, "runs"))[0]?.replace(/\.jsonl$/, "") ?? "";
    expect(firstRunId).toMatch(/-hung-nfs-/);

    // Interactive (the default): an unattended run would stop at exit 4 before taking node locks.
    const run = ["run", "hung-nfs", "--storage", "nfs-backup"];
    const [sameDir, otherDir] = await Promise.all([
      runCli(["-i", bed.server.inventoryPath, "--state-dir", bed.stateDir, ...run]),
      runCli(["-i", bed.server.inventoryPath, "--state-dir", otherStateDir, ...run]),
    ]);

    // Same state directory: refused before it writes anything.
    expect(sameDir.code).toBe(3);
    expect(sameDir.stderr).toContain(`Another pvefix run is active on cluster lab: ${firstRunId}`);
    expect(readdirSync(join(bed.stateDir, "runs"))).toEqual([`${firstRunId}.jsonl`]);

    // Another state directory: it probes and plans, then pve2's node lock refuses it.
    expect(otherDir.code).toBe(3);
    expect(otherDir.stderr).toContain(`Node pve2 is locked by another pvefix run (${firstRunId})`);
    const [otherRun] = readdirSync(join(otherStateDir, "runs"));
    const otherEntries = readJournal(otherStateDir, otherRun?.replace(/\.jsonl$/, "") ?? "");
    expect(stepTrail(otherEntries)).toEqual(["run-end:refused:3"]);
    expect(commands(otherEntries).filter((e) => e.phase === "step" || e.phase === "undo")).toEqual([]);

    answer({ approved: true, answer: "yes" });
    const result = await first;
    expect(result.outcome).toBe("done");
    expect(stepTrail(journal(bed.stateDir, result.runId))).toEqual([
      "gate:remount-nfs-backup-pve2:approved",
      "start:remount-nfs-backup-pve2",
      "end:remount-nfs-backup-pve2:done",
      "run-end:done:0",
    ]);
    // With the first run over, the second operator's run finds nothing left to do.
    const later = await bed.run({
      runbook: hungNfs,
      params: { storage: "nfs-backup" },
      stateDir: otherStateDir,
    });
    expect(later.outcome).toBe("nothing-to-do");
    expect(mutations(bed.stateDir, "pve2", "umount")).toHaveLength(1);
    expect(mutations(otherStateDir, "pve2", "umount")).toHaveLength(0);
  });
});
