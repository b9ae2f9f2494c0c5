import { describe, expect, it } from "vitest";
import type { Refusal } from "../../src/engine/model.js";
import { renderNothingToDo, renderRefusal } from "../../src/views/refusal.js";
import { staleBackupLockFacts, stuckLock } from "./sample-data.js";

const plain = { color: false };

/** What stuck-lock says when the vzdump that set the lock is still running. */
function taskHoldsLock(): Refusal {
  const decision = stuckLock.decide({ vmid: 100 }, staleBackupLockFacts({ alive: true }));
  if (decision.kind !== "refusal") throw new Error(`expected a refusal, got ${decision.kind}`);
  return decision.refusal;
}

describe("renderRefusal", () => {
  it("renders text as the code, the message, the detail and the node, and says nothing changed", () => {
    expect(renderRefusal(taskHoldsLock(), "stuck-lock", "text", plain)).toMatchInlineSnapshot(`
      "✖ Refused (task-holds-lock): CT 100 is locked (backup) by running task UPID:pve2:00012F3A:0089A1B2:673F0A10:vzdump::root@pam:
        vzdump task (tasks-active): pid 77626 is gone. Wait for it to finish, or stop it first: \`vzdump -stop\` on pve2
        node: pve2
        runbook: stuck-lock · nothing was changed"
    `);
  });

  it("renders Markdown with the message as the title and the code in a table", () => {
    expect(renderRefusal(taskHoldsLock(), "stuck-lock", "md", plain)).toMatchInlineSnapshot(`
      "# Refused: CT 100 is locked (backup) by running task UPID:pve2:00012F3A:0089A1B2:673F0A10:vzdump::root@pam:

      | Fact | Value |
      |---|---|
      | Runbook | \`stuck-lock\` |
      | Code | \`task-holds-lock\` |
      | Node | pve2 |

      - vzdump task (tasks-active): pid 77626 is gone. Wait for it to finish, or stop it first: \`vzdump -stop\` on pve2

      Nothing was changed."
    `);
  });

  it("renders JSON as the refusal data under kind and runbook", () => {
    const refusal = taskHoldsLock();
    expect(JSON.parse(renderRefusal(refusal, "stuck-lock", "json", plain))).toEqual({
      kind: "refusal",
      runbook: "stuck-lock",
      refusal,
    });
  });

  it("indents every line of a multi-line detail under the headline", () => {
    const refusal: Refusal = {
      code: "stale-plan",
      message: "Saved plan is stale",
      detail: "changed: a\nchanged: b",
    };
    expect(renderRefusal(refusal, "stuck-lock", "text", plain).split("\n").slice(0, 3)).toEqual([
      "✖ Refused (stale-plan): Saved plan is stale",
      "  changed: a",
      "  changed: b",
    ]);
  });
});

describe("renderRefusal's suggested commands", () => {
  it("point at the same cluster as the command that was refused", () => {
    const refusal: Refusal = {
      code: "stale-plan",
      message: "Saved plan is stale",
      detail: "changed: a\nrun `pvefix plan stuck-lock --vmid 100` again to get a fresh plan",
    };
    const opts = { ...plain, target: "-i inv.yaml" };
    expect(renderRefusal(refusal, "stuck-lock", "text", opts)).toContain(
      "run `pvefix plan stuck-lock --vmid 100 -i inv.yaml` again",
    );
    expect(JSON.parse(renderRefusal(refusal, "stuck-lock", "json", opts)).refusal.detail).toContain(
      "`pvefix plan stuck-lock --vmid 100 -i inv.yaml`",
    );
  });
});

describe("renderNothingToDo", () => {
  it("says why there is nothing to do in text and keeps the reason as data in JSON", () => {
    expect(
      renderNothingToDo("CT 100 on pve2 is not locked", "stuck-lock", "text", plain),
    ).toMatchInlineSnapshot(`
      "✔ Nothing to do: CT 100 on pve2 is not locked
        runbook: stuck-lock · nothing was changed"
    `);
    expect(
      JSON.parse(renderNothingToDo("CT 100 on pve2 is not locked", "stuck-lock", "json", plain)),
    ).toEqual({
      kind: "nothing-to-do",
      runbook: "stuck-lock",
      reason: "CT 100 on pve2 is not locked",
    });
  });
});
