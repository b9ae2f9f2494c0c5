/**
 * Two services on one store, as two `serve` workers on one database are (here the state
 * directory, whose writes are file-locked transactions like the database's): an approved plan
 * both see at the same moment is applied by one of them only.
 */
import { describe, expect, it } from "vitest";
import { decide } from "../../src/serve/approvals/approval.js";
import { stuckLockPlan } from "../views/sample-data.js";
import { fakeRemediator, firing, LOCK_RULE, makeService, tempStateDir } from "./helpers.js";

describe("two workers on one store", () => {
  it("an approval both find approved at once is applied once", async () => {
    const plan = stuckLockPlan();
    const stateDir = tempStateDir();
    const rules = { version: 1 as const, rules: [{ ...LOCK_RULE, unattended: false }] };
    const a = fakeRemediator({ plan });
    const b = fakeRemediator({ plan });
    const one = makeService({ rules, remediator: a.remediator, stateDir });
    const two = makeService({ rules, remediator: b.remediator, stateDir });
    await one.service.receiveAlerts(
      [firing({ alertname: "PveGuestLocked", vmid: "100", cluster: "lab" }, "two")],
      "am",
    );
    await one.queue.idle();
    const [pending] = await one.stores.approvals.list();
    // Approved in the store, as `pvefix approve` does from another machine: no worker is told.
    await one.stores.approvals.update(pending!.id, (x) =>
      decide(x, { by: "alice", verdict: "approve", confirm: plan.steps[0]!.node }, Date.now()),
    );
    await Promise.all([one.service.pollApprovals(), two.service.pollApprovals()]);
    await Promise.all([one.queue.idle(), two.queue.idle()]);
    const applies = [...a.calls, ...b.calls].filter((c) => c.kind === "apply");
    expect(applies).toHaveLength(1);
    expect((await two.stores.approvals.get(pending!.id))?.status).toBe("applied");
  });
});
