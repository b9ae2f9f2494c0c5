import { describe, expect, it } from "vitest";
import { type Approval, decide, effectiveStatus, planHash } from "../../src/serve/approvals/approval.js";

const HOUR = 3_600_000;

function approval(over: Partial<Approval> = {}): Approval {
  return {
    id: "a1b2c3d4e5f6",
    runbook: "stuck-lock",
    params: { vmid: 100 },
    cluster: "lab",
    planHash: planHash({ steps: [1] }),
    fingerprint: "f",
    key: "k",
    requestedBy: "alertmanager",
    reason: "r",
    createdAt: 0,
    expiresAt: HOUR,
    required: 1,
    dangerousNodes: [],
    decisions: [],
    status: "pending",
    runId: null,
    outcome: null,
    markdown: "",
    ...over,
  };
}

describe("approvals", () => {
  it("an approver approves; the requester cannot (four eyes)", () => {
    expect(() => decide(approval(), { by: "alertmanager", verdict: "approve" }, 1)).toThrow(
      /requested a1b2c3d4e5f6 and cannot approve it \(four eyes\)/,
    );
    expect(decide(approval(), { by: "alice", verdict: "approve" }, 1).status).toBe("approved");
  });

  it("needs `required` distinct approvers; one person counts once", () => {
    const one = decide(approval({ required: 2 }), { by: "alice", verdict: "approve" }, 1);
    expect(one.status).toBe("pending");
    expect(() => decide(one, { by: "alice", verdict: "approve" }, 2)).toThrow(/alice has already decided/);
    expect(decide(one, { by: "bob", verdict: "approve" }, 2).status).toBe("approved");
  });

  it("expires after its time and fails closed, even half approved", () => {
    const half = decide(approval({ required: 2 }), { by: "alice", verdict: "approve" }, 1);
    expect(effectiveStatus(half, HOUR)).toBe("expired");
    expect(() => decide(half, { by: "bob", verdict: "approve" }, HOUR)).toThrow(
      /expired at 1970-01-01T01:00:00.000Z: nothing will run/,
    );
  });

  it("is bound to the plan's hash: a decision on another plan is refused", () => {
    const other = planHash({ steps: [2] });
    expect(other).not.toBe(approval().planHash);
    expect(() => decide(approval(), { by: "alice", verdict: "approve", planHash: other }, 1)).toThrow(
      /is for plan/,
    );
    expect(
      decide(approval(), { by: "alice", verdict: "approve", planHash: approval().planHash }, 1).status,
    ).toBe("approved");
  });

  it("planHash ignores key order but not values", () => {
    expect(planHash({ a: 1, b: { c: 2, d: 3 } })).toBe(planHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(planHash({ a: 1 })).not.toBe(planHash({ a: 2 }));
  });

  it("dangerous steps need their node names typed", () => {
    const a = approval({ dangerousNodes: ["pve2", "pve3"] });
    expect(() => decide(a, { by: "alice", verdict: "approve" }, 1)).toThrow(
      /type pve2,pve3 to approve them \(got nothing\)/,
    );
    expect(() => decide(a, { by: "alice", verdict: "approve", confirm: "pve2" }, 1)).toThrow(/got "pve2"/);
    const ok = decide(a, { by: "alice", verdict: "approve", confirm: "pve2, pve3" }, 1);
    expect(ok.status).toBe("approved");
    expect(ok.decisions[0]).toMatchObject({ by: "alice", confirm: "pve2, pve3" });
  });

  it("a denial ends it; nothing is decided after", () => {
    const denied = decide(approval(), { by: "bob", verdict: "deny" }, 1);
    expect(denied.status).toBe("denied");
    expect(() => decide(denied, { by: "alice", verdict: "approve" }, 2)).toThrow(/is denied, not pending/);
  });
});
