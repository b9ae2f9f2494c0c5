import { describe, expect, it } from "vitest";
import type { RunResult } from "../../src/engine/session.js";
import { renderRunResult } from "../../src/views/run-result.js";
import { hungNfsPlan, stuckLockPlan } from "./sample-data.js";

const plain = { color: false };
const RUN_ID = "20261123T103500Z-stuck-lock-1a2b";

function doneResult(): RunResult {
  return {
    runId: RUN_ID,
    runbook: "stuck-lock",
    outcome: "done",
    params: { vmid: 100 },
    plan: stuckLockPlan(),
    steps: [
      {
        id: "unlock-100",
        title: "Remove lock 'backup' from CT 100",
        node: "pve2",
        risk: "safe",
        status: "done",
      },
    ],
    touchedFiles: [{ node: "pve2", path: "/etc/pve/nodes/pve2/lxc/100.conf" }],
  };
}

describe("renderRunResult text", () => {
  it("says done, lists each step with its status and the touched files, and how to see and undo the run", () => {
    expect(renderRunResult(doneResult(), "text", plain)).toMatchInlineSnapshot(`
      "✔ Done: Remove the stale lock 'backup' from CT 100 on pve2
        run 20261123T103500Z-stuck-lock-1a2b · stuck-lock --vmid 100 · exit 0

      Steps:
        ✔ [pve2] Remove lock 'backup' from CT 100 (unlock-100: done)

      Touched files (backed up before the change):
        pve2:/etc/pve/nodes/pve2/lxc/100.conf

      journal: pvefix show 20261123T103500Z-stuck-lock-1a2b
      undo:    pvefix undo 20261123T103500Z-stuck-lock-1a2b"
    `);
  });

  it("adds the target flags to the undo command, which talks to the cluster, and not to show", () => {
    const text = renderRunResult(doneResult(), "text", { color: false, target: "--lab" });
    expect(text).toContain("journal: pvefix show 20261123T103500Z-stuck-lock-1a2b\n");
    expect(text).toContain("undo:    pvefix undo 20261123T103500Z-stuck-lock-1a2b --lab");
    expect(renderRunResult(doneResult(), "md", { color: false, target: "--lab" })).toContain(
      "pvefix undo 20261123T103500Z-stuck-lock-1a2b --lab",
    );
  });

  it("points show at the same state directory when one was given", () => {
    const state = "--state-dir /srv/pvefix";
    const text = renderRunResult(doneResult(), "text", { color: false, target: `--lab ${state}`, state });
    expect(text).toContain(`journal: pvefix show 20261123T103500Z-stuck-lock-1a2b ${state}\n`);
    expect(text).toContain(`undo:    pvefix undo 20261123T103500Z-stuck-lock-1a2b --lab ${state}`);
  });

  it("shows the plan and how to run it interactively when unattended mode needs a human", () => {
    const plan = hungNfsPlan();
    const result: RunResult = {
      runId: "20261123T103500Z-hung-nfs-9f9f",
      runbook: "hung-nfs",
      outcome: "needs-human",
      params: { storage: "nfs-backup" },
      plan,
      reason: plan.unattended.reason,
      steps: plan.steps.map((s) => ({
        id: s.id,
        title: s.title,
        node: s.node,
        risk: s.risk,
        status: "pending" as const,
      })),
      touchedFiles: [],
    };
    const text = renderRunResult(result, "text", plain);
    expect(text.split("\n")[0]).toBe("? Needs a human: step remount-nfs-backup-pve2 is guarded");
    expect(text).toContain("~ 1. [pve2] Lazy-unmount /mnt/pve/nfs-backup");
    expect(text).toContain("Run it interactively: pvefix run hung-nfs --storage nfs-backup");
    expect(text).not.toContain("pvefix undo");
    // The command to paste reaches the same cluster.
    expect(renderRunResult(result, "text", { ...plain, target: "-i inv.yaml" })).toContain(
      "Run it interactively: pvefix run hung-nfs --storage nfs-backup -i inv.yaml",
    );
  });

  it("says nothing was changed when the first gate was declined, and rolled back only when something ran", () => {
    const step = {
      id: "unlock-100",
      title: "Remove lock 'backup' from CT 100",
      node: "pve2",
      risk: "guarded" as const,
    };
    const declined: RunResult = {
      ...doneResult(),
      outcome: "declined",
      error: "step unlock-100 was not approved (no)",
      steps: [{ ...step, status: "skipped", error: "not approved: no" }],
      touchedFiles: [],
    };
    expect(renderRunResult(declined, "text", plain).split("\n")[0]).toBe(
      "✖ Declined at a gate; nothing was changed: step unlock-100 was not approved (no)",
    );
    const rolledBack: RunResult = {
      ...declined,
      steps: [
        { ...step, id: "a", status: "undone" },
        { ...step, status: "skipped" },
      ],
    };
    expect(renderRunResult(rolledBack, "text", plain).split("\n")[0]).toBe(
      "✖ Declined at a gate and rolled back: step unlock-100 was not approved (no)",
    );
  });

  it("lists what is left in place when the rollback is incomplete", () => {
    const result: RunResult = {
      ...doneResult(),
      outcome: "rollback-incomplete",
      error: "postcondition failed on pve2: CT 100 has no lock: still locked (backup)",
      steps: [
        {
          id: "unlock-100",
          title: "Remove lock 'backup' from CT 100",
          node: "pve2",
          risk: "safe",
          status: "undo-failed",
          error: "Command failed with exit code 255: pct set 100 --lock backup (on pve2)",
        },
      ],
    };
    expect(renderRunResult(result, "text", plain)).toMatchInlineSnapshot(`
      "‼ Rollback incomplete: manual attention: postcondition failed on pve2: CT 100 has no lock: still locked (backup)
        run 20261123T103500Z-stuck-lock-1a2b · stuck-lock --vmid 100 · exit 5

      Steps:
        ‼ [pve2] Remove lock 'backup' from CT 100 (unlock-100: undo-failed)
            Command failed with exit code 255: pct set 100 --lock backup (on pve2)

      Left in place (check these by hand):
        - [pve2] unlock-100: Remove lock 'backup' from CT 100 (undo-failed)

      Touched files (backed up before the change):
        pve2:/etc/pve/nodes/pve2/lxc/100.conf

      journal: pvefix show 20261123T103500Z-stuck-lock-1a2b
      undo:    pvefix undo 20261123T103500Z-stuck-lock-1a2b"
    `);
  });

  it("does not offer an undo when the failed run was rolled back completely", () => {
    const result: RunResult = {
      ...doneResult(),
      outcome: "failed-rolled-back",
      error: "step unlock-100 failed: Command failed with exit code 2: pct unlock 100 (on pve2)",
      steps: [
        {
          ...doneResult().steps[0]!,
          status: "failed",
          error: "Command failed with exit code 2: pct unlock 100 (on pve2)",
        },
      ],
    };
    const text = renderRunResult(result, "text", plain);
    expect(text.split("\n")[0]).toBe(
      "✖ Failed and rolled back: step unlock-100 failed: Command failed with exit code 2: pct unlock 100 (on pve2)",
    );
    expect(text).toContain(`journal: pvefix show ${RUN_ID}`);
    expect(text).not.toContain("pvefix undo");
  });

  it("renders a refused run as the refusal", () => {
    const result: RunResult = {
      runId: RUN_ID,
      runbook: "stuck-lock",
      outcome: "refused",
      params: { vmid: 100 },
      refusal: { code: "not-quorate", message: "pve2 has no quorum: /etc/pve is read-only", node: "pve2" },
      steps: [],
      touchedFiles: [],
    };
    expect(renderRunResult(result, "text", plain).split("\n")[0]).toBe(
      "✖ Refused (not-quorate): pve2 has no quorum: /etc/pve is read-only",
    );
  });

  it("escapes remote text in step errors", () => {
    const result: RunResult = { ...doneResult(), outcome: "failed-rolled-back", error: "boom\x1b[2J" };
    expect(renderRunResult(result, "text", plain)).not.toContain("\x1b");
  });
});

describe("renderRunResult json and md", () => {
  it("emits the documented keys with the exit code of the outcome", () => {
    const json = JSON.parse(renderRunResult(doneResult(), "json", plain));
    expect(Object.keys(json)).toEqual([
      "runId",
      "outcome",
      "exitCode",
      "runbook",
      "params",
      "steps",
      "touchedFiles",
      "plan",
    ]);
    expect(json.exitCode).toBe(0);
    const refused = JSON.parse(
      renderRunResult(
        {
          ...doneResult(),
          outcome: "refused",
          plan: undefined,
          refusal: { code: "not-quorate", message: "no quorum" },
        } as RunResult,
        "json",
        plain,
      ),
    );
    expect(refused.exitCode).toBe(3);
    expect(refused.refusal).toEqual({ code: "not-quorate", message: "no quorum" });
    expect("plan" in refused).toBe(false);
  });

  it("renders a ticket-friendly Markdown summary", () => {
    expect(renderRunResult(doneResult(), "md", plain)).toMatchInlineSnapshot(`
      "# Run 20261123T103500Z-stuck-lock-1a2b: done

      | Fact | Value |
      |---|---|
      | Runbook | \`stuck-lock\` |
      | Parameters | \`--vmid 100\` |
      | Outcome | done (exit 0) |
      | Plan | Remove the stale lock 'backup' from CT 100 on pve2 |

      ## Steps

      | Step | Node | Risk | Status | Error |
      |---|---|---|---|---|
      | unlock-100: Remove lock 'backup' from CT 100 | pve2 | safe | done |  |

      ## Touched files

      - \`pve2:/etc/pve/nodes/pve2/lxc/100.conf\`

      ## Next

      \`\`\`sh
      pvefix show 20261123T103500Z-stuck-lock-1a2b
      pvefix undo 20261123T103500Z-stuck-lock-1a2b
      \`\`\`"
    `);
  });
});
