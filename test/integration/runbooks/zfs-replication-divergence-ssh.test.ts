/**
 * zfs-replication-divergence over real SSH on loopback (the lab served by `lab serve`): the same
 * rename, trigger and undo as through the CLI, with every command and check crossing an SSH
 * channel (quoting, `2>&1 |` in the skip checks, stderr of zfs).
 */
import { describe, expect, it } from "vitest";
import runbook from "../../../runbooks/zfs-replication-divergence.js";
import { undoRun } from "../../../src/engine/session.js";
import { approve, nodeResult, type ServedCluster, serveForEachTest } from "../served-lab.js";

let bed: ServedCluster;
serveForEachTest("zfs-replication-divergence", (b) => {
  bed = b;
});

const datasets = async () =>
  (await nodeResult(bed.labDir, "pve2", "zfs list -H -p -o name,guid -r rpool/data")).stdout;

describe("zfs-replication-divergence over SSH", () => {
  it("sets the replica aside, resyncs, and undo puts it back", async () => {
    const before = await datasets();
    const run = await bed.run({ runbook, params: { job: "100-0" }, gate: approve });
    expect(run.outcome).toBe("done");
    expect(run.steps.map((s) => [s.id, s.status])).toEqual([
      ["set-aside-vm-100-disk-0", "done"],
      ["resync", "done"],
    ]);
    expect(await datasets()).toContain(
      "rpool/data/pvefix-14256297334175800688-vm-100-disk-0\t14256297334175800688\n",
    );

    const undone = await undoRun({
      ...bed.target(),
      stateDir: bed.stateDir,
      runId: run.runId!,
      runbookFor: () => runbook,
      mode: "interactive",
      gate: approve,
    });
    expect(undone.outcome).toBe("undone");
    expect((await datasets()).replace(/^rpool\/data\/pvefix-.*\n/m, "")).toBe(before);
  });
});
