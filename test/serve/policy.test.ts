import { describe, expect, it } from "vitest";
import type { IncomingAlert } from "../../src/serve/alerts/alertmanager.js";
import { admit, dedupeKey, finish, pause, prune, receive, resume } from "../../src/serve/policy/policy.js";
import { emptyPolicyState, MAX_SEEN, type PolicyState } from "../../src/serve/policy/state.js";
import { PolicyConfig } from "../../src/serve/rules/schema.js";

const config = PolicyConfig.parse({
  cooldown: "10m",
  maxAttempts: 2,
  storm: { window: "5m", maxAlerts: 3, maxNodeShare: 0.5 },
});
const MIN = 60_000;

function alert(
  fp: string,
  status: "firing" | "resolved" = "firing",
  startsAt = "2026-01-01T00:00:00Z",
): IncomingAlert {
  return { source: "alertmanager", status, labels: {}, fingerprint: fp, startsAt };
}
const t = { cluster: "c1", node: "pve1", key: "stuck-lock|c1|vmid=100" };

describe("receive", () => {
  it("drops a repeated delivery of the same alert (fingerprint, status, start) and keeps a new start", () => {
    let s = emptyPolicyState();
    const first = receive(s, alert("a"), t, 3, 0, config);
    expect(first.verdict.kind).toBe("accept");
    s = first.state;
    const again = receive(s, alert("a"), t, 3, 1000, config);
    expect(again.verdict).toEqual({ kind: "duplicate", numbers: { firstSeenAt: 0 } });
    const resolved = receive(again.state, alert("a", "resolved"), t, 3, 2000, config);
    expect(resolved.verdict.kind).toBe("resolved");
    const refired = receive(resolved.state, alert("a", "firing", "2026-01-01T00:05:00Z"), t, 3, 3000, config);
    expect(refired.verdict.kind).toBe("accept");
  });

  it("pauses the cluster when the window holds more alerts than maxAlerts, with the numbers", () => {
    let s = emptyPolicyState();
    const kinds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = receive(s, alert(`f${i}`), { ...t, node: "pve1" }, 10, i * 1000, config);
      s = r.state;
      kinds.push(r.verdict.kind);
    }
    expect(kinds).toEqual(["accept", "accept", "accept", "storm-pause", "paused"]);
    expect(s.paused.clusters.c1?.by).toBe("storm-guard");
    expect(s.paused.clusters.c1?.reason).toMatch(/4 alerts in 5 min \(more than 3\)/);
  });

  it("pauses when more than maxNodeShare of the cluster's nodes alert, but never for one node", () => {
    let s = emptyPolicyState();
    s = receive(s, alert("x1"), { cluster: "c1", node: "pve1" }, 2, 0, config).state;
    const second = receive(s, alert("x2"), { cluster: "c1", node: "pve1" }, 2, 1, config);
    expect(second.verdict.kind).toBe("accept");
    const third = receive(second.state, alert("x3"), { cluster: "c1", node: "pve2" }, 2, 2, config);
    expect(third.verdict.kind).toBe("storm-pause");
    if (third.verdict.kind === "storm-pause")
      expect(third.verdict.numbers).toMatchObject({ nodesInWindow: 2, nodeCount: 2, nodeShare: 1 });
  });

  it("forgets alerts that left the window: a slow trickle never pauses", () => {
    let s = emptyPolicyState();
    for (let i = 0; i < 20; i++) {
      const r = receive(s, alert(`slow${i}`), t, 10, i * 2 * MIN, config);
      expect(r.verdict.kind).toBe("accept");
      s = r.state;
    }
  });

  it("keeps at most MAX_SEEN dedupe entries however many alerts come", () => {
    let s: PolicyState = emptyPolicyState();
    const wide = PolicyConfig.parse({ storm: { maxAlerts: 1_000_000 } });
    // Deliveries of 500 alerts, pruned once per transaction as the service does.
    for (let i = 0; i < 20 * 500; i++) {
      if (i % 500 === 0) s = prune(s, i, wide);
      s = receive(s, alert(`m${i}`), { cluster: `c${i % 20}`, node: null }, 3, i, wide).state;
    }
    expect(Object.keys(s.seen).length).toBeLessThanOrEqual(MAX_SEEN + 500);
    expect(Object.keys(prune(s, 20 * 500, wide).seen).length).toBe(MAX_SEEN);
    expect(JSON.stringify(s).length).toBeLessThan(400_000);
  });

  it("dedupe keys differ by status and start", () => {
    expect(dedupeKey(alert("a"))).not.toBe(dedupeKey(alert("a", "resolved")));
    expect(dedupeKey(alert("a"))).not.toBe(dedupeKey(alert("a", "firing", "2026-01-02T00:00:00Z")));
  });
});

describe("admit", () => {
  it("starts once, then refuses within the cooldown with its numbers, then starts again after it", () => {
    let s = emptyPolicyState();
    const first = admit(s, t, false, 0, config);
    expect(first.verdict.kind).toBe("start");
    s = finish(first.state, t.key, "failed-rolled-back", "r1");
    const early = admit(s, t, false, 3 * MIN, config);
    expect(early.verdict).toMatchObject({
      kind: "refuse",
      reason: "cooldown",
      numbers: { attempts: 1, sinceLastStartMs: 3 * MIN, cooldownMs: 10 * MIN },
    });
    expect(early.state).toBe(s);
    expect(admit(s, t, false, 11 * MIN, config).verdict.kind).toBe("start");
  });

  it("caps attempts until a verified success, and `done` resets the count", () => {
    let s = emptyPolicyState();
    for (let i = 0; i < 2; i++) {
      const r = admit(s, t, false, i * 20 * MIN, config);
      expect(r.verdict.kind).toBe("start");
      s = finish(r.state, t.key, "failed-rolled-back", `r${i}`);
    }
    const capped = admit(s, t, false, 60 * MIN, config);
    expect(capped.verdict).toMatchObject({
      kind: "refuse",
      reason: "attempt-cap",
      numbers: { attempts: 2, maxAttempts: 2 },
    });
    // Time alone never lifts the cap.
    expect(admit(s, t, false, 10_000 * MIN, config).verdict).toMatchObject({ reason: "attempt-cap" });
    // A verified success does (an attempt that started before the cap).
    const ok = finish(s, t.key, "done", "r9");
    expect(ok.targets[t.key]?.attempts).toBe(0);
    expect(admit(ok, t, false, 100 * MIN, config).verdict.kind).toBe("start");
  });

  it("nothing-to-do and refusals do not reset the attempts", () => {
    const started = admit(emptyPolicyState(), t, false, 0, config).state;
    expect(finish(started, t.key, "nothing-to-do", "r").targets[t.key]?.attempts).toBe(1);
    expect(finish(started, t.key, "refused", "r").targets[t.key]?.attempts).toBe(1);
  });

  it("refuses on a paused cluster and globally, and resume takes effect at once", () => {
    let s = pause(emptyPolicyState(), "c1", "user:ops", "3 a.m. maintenance", 0);
    expect(admit(s, t, false, 1, config).verdict).toMatchObject({
      reason: "paused",
      message: expect.stringMatching(/cluster c1 is paused by user:ops: 3 a.m. maintenance/),
    });
    expect(admit(s, { ...t, cluster: "c2", key: "k2" }, false, 1, config).verdict.kind).toBe("start");
    s = pause(resume(s, "c1"), null, "user:ops", "everything", 2);
    expect(admit(s, { ...t, cluster: "c2", key: "k2" }, false, 3, config).verdict).toMatchObject({
      reason: "paused",
      message: expect.stringMatching(/every cluster/),
    });
    s = resume(s, null);
    expect(admit(s, t, false, 4, config).verdict.kind).toBe("start");
  });

  it("refuses while the cluster is busy and counts no attempt", () => {
    const r = admit(emptyPolicyState(), t, true, 0, config);
    expect(r.verdict).toMatchObject({ kind: "refuse", reason: "cluster-busy" });
    expect(r.state.targets[t.key]).toBeUndefined();
  });
});
