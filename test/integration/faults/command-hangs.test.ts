/**
 * Fault matrix row 4: a command hangs past its timeout. A timed-out mutating command has an
 * unknown outcome (like a dropped connection); a timed-out read is an answer, never retried.
 * The shipped steps wait 30–60 s and probes 10 s; here actions and probe reads get 1.5 s.
 */
import { beforeEach, describe, expect, it } from "vitest";
import hungNfs from "../../../runbooks/hung-nfs.js";
import type { Action, Decision } from "../../../src/engine/model.js";
import { planRunbook } from "../../../src/engine/plan.js";
import { createProbeContext, PROBE_TIMEOUT_MS } from "../../../src/engine/probe-context.js";
import type { AnyRunbook } from "../../../src/engine/runbook.js";
import { exitCodeFor } from "../../../src/engine/session.js";
import { addFault, loadLab } from "../../../src/lab/index.js";
import type { CommandResult } from "../../../src/transport/types.js";
import {
  commands,
  hangMount,
  journal,
  mountOn,
  mutations,
  type ServedCluster,
  serveForEachTest,
} from "../served-lab.js";
import { converge, expectRolledBack } from "./expect-run.js";

const ISO = "/mnt/pve/nfs-iso";
const ACTION_TIMEOUT_MS = 1_500;

/** The same runbook, with every step and undo action given a short timeout. */
function withActionTimeout(runbook: AnyRunbook, timeoutMs: number): AnyRunbook {
  const short = (a: Action): Action => (a.kind === "exec" ? { ...a, timeoutMs } : a);
  return {
    ...runbook,
    decide(params: unknown, facts: unknown): Decision {
      const decision = runbook.decide(params, facts);
      if (decision.kind !== "plan") return decision;
      const steps = decision.plan.steps.map((s) => ({
        ...s,
        actions: s.actions.map(short),
        undo: s.undo.kind === "actions" ? { ...s.undo, actions: s.undo.actions.map(short) } : s.undo,
      }));
      return { kind: "plan", plan: { ...decision.plan, steps } };
    },
  };
}

const fastHungNfs = withActionTimeout(hungNfs, ACTION_TIMEOUT_MS);

let bed: ServedCluster;
serveForEachTest("default", (served) => {
  bed = served;
});

beforeEach(async () => {
  await hangMount(bed.labDir, "pve1", ISO);
});

describe("a step command that hangs past its timeout", () => {
  it("gives up after the action's timeout, undoes the step and ends rolled back", async () => {
    // The umount went through; PVE's activation (which mounts the storage again) never answers.
    await addFault(bed.labDir, {
      node: "pve1",
      match: "pvesm status --storage nfs-iso",
      action: "hang",
      times: 1,
    });

    const started = performance.now();
    const result = await bed.run({ runbook: fastHungNfs, params: { storage: "nfs-iso" } });
    const elapsed = performance.now() - started;

    expect(result.outcome).toBe("failed-rolled-back");
    expect(exitCodeFor(result.outcome)).toBe(1);
    const entries = journal(bed.stateDir, result.runId);
    const hung = commands(entries, "pvesm status").find((e) => e.phase === "step");
    expect(hung?.result).toMatchObject({ node: "pve1", exitCode: null, timedOut: true, failed: true });
    // The timer and the clock that measures the command start a hair apart.
    expect(hung?.result.durationMs).toBeGreaterThanOrEqual(ACTION_TIMEOUT_MS - 50);
    expect(hung?.result.durationMs).toBeLessThan(ACTION_TIMEOUT_MS + 1_000);
    expect(result.error).toMatch(
      /^step remount-nfs-iso-pve1 failed: Command timed out after \d+ ms: pvesm status --storage nfs-iso \(on pve1\)$/,
    );
    expectRolledBack(entries, "remount-nfs-iso-pve1");
    // Probing, one timeout and the undo: well under the 60 s the shipped step would wait.
    expect(elapsed).toBeLessThan(8_000);
    expect(mountOn(await loadLab(bed.labDir), "pve1", ISO)?.hung).toBe(false);

    expect(await converge(bed, { runbook: fastHungNfs, params: { storage: "nfs-iso" } })).toEqual([
      "done",
      "nothing-to-do",
    ]);
    // The timed-out activation was not sent again by the failed run; the rerun did pve3 only.
    expect(mutations(bed.stateDir, "pve1", "pvesm status")).toHaveLength(1);
    expect(mutations(bed.stateDir, "pve1", "umount")).toHaveLength(1);
    expect(mutations(bed.stateDir, "pve3", "umount")).toHaveLength(1);
  });

  it("does not hang in the undo when the timed-out umount never took effect", async () => {
    // The lazy umount itself never answers, so the hung mount is still there. The undo's
    // `mount` then stats the dead mount point and blocks too (mount(8) on a hung NFS mount does).
    await addFault(bed.labDir, { node: "pve1", match: "umount -nlf", action: "hang", times: 1 });

    const result = await bed.run({ runbook: fastHungNfs, params: { storage: "nfs-iso" } });

    const entries = journal(bed.stateDir, result.runId);
    expect(commands(entries, "umount -nlf")[0]?.result.timedOut).toBe(true);
    // Nothing changed on pve1: an undo that finds the storage still mounted has nothing to do.
    expect(mountOn(await loadLab(bed.labDir), "pve1", ISO)?.hung).toBe(true);
    expect(commands(entries).filter((e) => e.phase === "undo" && e.result.timedOut)).toEqual([]);
    expectRolledBack(entries, "remount-nfs-iso-pve1");
  });
});

describe("a probe read that hangs", () => {
  it("is cut at its timeout, not retried, and the plan is refused before anything changes", async () => {
    // Probing gives each read PROBE_TIMEOUT_MS (10 s); the same context with 1.5 s keeps this fast.
    expect(PROBE_TIMEOUT_MS).toBe(10_000);
    await addFault(bed.labDir, { node: "pve1", match: "cat /etc/pve/storage.cfg", action: "hang", times: 1 });
    const reads: CommandResult[] = [];
    const ctx = createProbeContext({
      transport: bed.transport,
      nodes: bed.nodes,
      cluster: bed.cluster,
      timeoutMs: ACTION_TIMEOUT_MS,
      onCommand: (r) => reads.push(r),
    });

    const started = performance.now();
    const planned = await planRunbook({ runbook: hungNfs, params: { storage: "nfs-iso" }, ctx });
    const elapsed = performance.now() - started;

    expect(planned.kind).toBe("refusal");
    const refusal = planned.kind === "refusal" ? planned.refusal : null;
    expect(refusal).toMatchObject({ code: "probe-failed", node: "pve1" });
    expect(refusal?.detail).toMatch(
      /^could not read \/etc\/pve\/storage\.cfg on pve1: Command timed out after \d+ ms: cat \/etc\/pve\/storage\.cfg \(on pve1\)$/,
    );
    expect(exitCodeFor("refused")).toBe(3);
    // One timeout, not retried: a timeout is an answer. Nothing but that read was sent.
    expect(reads.map((r) => [r.command, r.timedOut])).toEqual([
      ["true", false],
      ["cat /etc/pve/storage.cfg", true],
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(ACTION_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(ACTION_TIMEOUT_MS + 2_000);

    expect((await bed.run({ runbook: hungNfs, params: { storage: "nfs-iso" } })).outcome).toBe("done");
  });
});
