import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/index.js";
import { stuckLockPlan } from "../views/sample-data.js";
import { fakeRemediator, firing, LOCK_RULE, makeService } from "./helpers.js";

const MIN = 60_000;

describe("the service", () => {
  it("runs a matched alert once and drops Alertmanager's repeats of it", async () => {
    const { remediator, calls } = fakeRemediator();
    const { service, queue } = makeService({ rules: { version: 1, rules: [LOCK_RULE] }, remediator });
    const a = firing({ alertname: "PveGuestLocked", vmid: "100", cluster: "lab" }, "fp1");
    expect((await service.receiveAlerts([a], "am"))[0]).toMatchObject({
      verdict: "queued",
      runbook: "stuck-lock",
      cluster: "lab",
    });
    expect((await service.receiveAlerts([a], "am"))[0]?.verdict).toBe("duplicate");
    await queue.idle();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.params).toEqual({ vmid: "100" });
    expect(calls[0]?.trigger).toMatchObject({
      by: "am",
      rule: "locked",
      policy: { verdict: "start", attempts: 0, maxAttempts: 3 },
    });
  });

  it("throttles a flapping alert: cooldown, then the attempt cap pages a human", async () => {
    let now = 0;
    const { remediator, calls } = fakeRemediator({ outcome: () => "failed-rolled-back" });
    const { service, queue, sent, metrics } = makeService({
      rules: {
        version: 1,
        rules: [LOCK_RULE],
        policy: { cooldown: "5m", maxAttempts: 2, storm: { maxAlerts: 100 } },
      },
      remediator,
      now: () => now,
    });
    const labels = { alertname: "PveGuestLocked", vmid: "100", cluster: "lab" };
    // Resolved and firing again every minute for 20 minutes: 20 new alerts.
    for (let i = 0; i < 20; i++) {
      now = i * MIN;
      await service.receiveAlerts([firing(labels, "flap", new Date(now).toISOString())], "am");
      await queue.idle();
    }
    expect(calls.filter((c) => c.kind === "run")).toHaveLength(2);
    const refusals = (await metrics.refusals.get()).values;
    // minute 0 runs, 1–4 cool down, 5 runs, 6–19 hit the cap (2 attempts, no success).
    expect(refusals.find((v) => v.labels.reason === "cooldown")?.value).toBe(4);
    expect(refusals.find((v) => v.labels.reason === "attempt-cap")?.value).toBe(14);
    expect(sent.filter((n) => n.event === "needs-human").length).toBeGreaterThan(0);
    expect(sent.find((n) => n.event === "needs-human")?.title).toMatch(
      /2 attempts since the last verified success \(cap 2\)/,
    );
  });

  it("pauses a cluster in an alert storm, tells a human, and runs nothing more until resumed", async () => {
    const { remediator, calls } = fakeRemediator();
    const { service, queue, sent } = makeService({
      rules: { version: 1, rules: [LOCK_RULE], policy: { storm: { maxAlerts: 3, maxNodeShare: 1 } } },
      remediator,
    });
    const alerts = Array.from({ length: 6 }, (_, i) =>
      firing({ alertname: "PveGuestLocked", vmid: String(100 + i), cluster: "lab" }, `s${i}`),
    );
    const results = await service.receiveAlerts(alerts, "am");
    expect(results.map((r) => r.verdict)).toEqual([
      "queued",
      "queued",
      "queued",
      "storm-pause",
      "paused",
      "paused",
    ]);
    await queue.idle();
    expect(sent.map((n) => n.event)).toContain("storm-pause");
    // The three queued before the storm was seen are refused at start: the pause holds for new runs at once.
    expect(calls.filter((c) => c.kind === "run").length).toBeLessThanOrEqual(1);
    await service.resume("lab");
    await service.receiveAlerts(
      [firing({ alertname: "PveGuestLocked", vmid: "200", cluster: "lab" }, "after")],
      "am",
    );
    await queue.idle();
    expect(calls.some((c) => c.params?.vmid === "200")).toBe(true);
  });

  it("refuses bad input by name: unknown cluster, bad params", async () => {
    const { remediator } = fakeRemediator();
    const { service } = makeService({ rules: { version: 1, rules: [LOCK_RULE] }, remediator });
    const [bad] = await service.receiveAlerts(
      [firing({ alertname: "PveGuestLocked", vmid: "abc", cluster: "lab" }, "b")],
      "am",
    );
    expect(bad).toMatchObject({ verdict: "bad-params", message: expect.stringMatching(/--vmid/) });
    const [unknown] = await service.receiveAlerts(
      [firing({ alertname: "PveGuestLocked", vmid: "1", cluster: "other" }, "u")],
      "am",
    );
    expect(unknown).toMatchObject({ verdict: "unknown-cluster", cluster: "other" });
    await expect(
      service.requestRun({ runbook: "stuck-lock", params: { vmid: 1 }, cluster: "nope" }, "ci"),
    ).rejects.toThrow(/Unknown cluster "nope"/);
  });

  it("asks for approval when the rule does not allow the run unattended, and applies once approved by another person", async () => {
    const sample = stuckLockPlan();
    const plan: Plan = { ...sample, steps: sample.steps.map((s) => ({ ...s, risk: "dangerous" as const })) };
    const { remediator, calls } = fakeRemediator({ plan });
    const { service, queue, stores, sent } = makeService({
      rules: {
        version: 1,
        rules: [{ ...LOCK_RULE, unattended: false }],
        approvals: { required: 1, ttl: "1h" },
      },
      remediator,
    });
    await service.receiveAlerts(
      [firing({ alertname: "PveGuestLocked", vmid: "100", cluster: "lab" }, "ap")],
      "am",
    );
    await queue.idle();
    const [approval] = await stores.approvals.list();
    expect(approval).toMatchObject({
      status: "pending",
      requestedBy: "am",
      dangerousNodes: [...new Set(plan.steps.map((s) => s.node))],
    });
    expect(sent.find((n) => n.event === "approval-requested")?.title).toContain(
      `pvefix approve ${approval!.id} --confirm ${plan.steps[0]!.node}`,
    );
    await expect(
      service.decideApproval(approval!.id, { by: "am", verdict: "approve", confirm: plan.steps[0]!.node }),
    ).rejects.toThrow(/four eyes/);
    await expect(service.decideApproval(approval!.id, { by: "alice", verdict: "approve" })).rejects.toThrow(
      /to approve them/,
    );
    const done = await service.decideApproval(approval!.id, {
      by: "alice",
      verdict: "approve",
      confirm: plan.steps[0]!.node,
    });
    expect(done.status).toBe("approved");
    await queue.idle();
    expect(calls.filter((c) => c.kind === "apply")).toHaveLength(1);
    expect(calls.find((c) => c.kind === "apply")?.trigger).toMatchObject({
      approval: approval!.id,
      approvers: ["alice"],
    });
    expect((await stores.approvals.get(approval!.id))?.status).toBe("applied");
    // Applied once: a second poll does not apply again.
    await service.pollApprovals();
    await queue.idle();
    expect(calls.filter((c) => c.kind === "apply")).toHaveLength(1);
  });

  it("an approval that expires before it is applied runs nothing", async () => {
    let now = 0;
    const plan = stuckLockPlan();
    const { remediator, calls } = fakeRemediator({ plan });
    const { service, queue, stores } = makeService({
      rules: { version: 1, rules: [{ ...LOCK_RULE, unattended: false }] },
      remediator,
      now: () => now,
    });
    await service.receiveAlerts(
      [firing({ alertname: "PveGuestLocked", vmid: "100", cluster: "lab" }, "ex")],
      "am",
    );
    await queue.idle();
    const [a] = await stores.approvals.list();
    now = 61 * MIN;
    await expect(service.decideApproval(a!.id, { by: "alice", verdict: "approve" })).rejects.toThrow(
      /expired/,
    );
    expect(calls.filter((c) => c.kind === "apply")).toHaveLength(0);
  });

  it("a paused cluster starts nothing; pause takes effect for the next run at once", async () => {
    const { remediator, calls } = fakeRemediator();
    const { service, queue } = makeService({ rules: { version: 1, rules: [LOCK_RULE] }, remediator });
    await service.pause(null, "user:ops", "3 a.m.");
    const [r] = await service.receiveAlerts(
      [firing({ alertname: "PveGuestLocked", vmid: "101", cluster: "lab" }, "p")],
      "am",
    );
    expect(r).toMatchObject({ verdict: "paused", message: "paused by user:ops: 3 a.m." });
    await queue.idle();
    expect(calls).toHaveLength(0);
  });

  it("a sweep's findings take the alert path: only rules for their runbook and severity run, the policy dedupes", async () => {
    let now = 0;
    const finding = (runbook: string, severity: "warning" | "critical" | "info", vmid: number) => ({
      runbook,
      severity,
      summary: "s",
      params: { vmid },
      command: `pvefix run ${runbook} --vmid ${vmid}`,
      node: "pve1",
    });
    const { remediator, calls } = fakeRemediator({
      findings: [
        finding("stuck-lock", "warning", 100),
        finding("stuck-lock", "info", 101),
        finding("hung-nfs", "critical", 102),
      ],
    });
    const { service, queue } = makeService({
      rules: {
        version: 1,
        findings: [{ runbook: "stuck-lock", unattended: true }],
        policy: { cooldown: "10m" },
      },
      remediator,
      now: () => now,
    });
    const first = await service.sweep("lab");
    expect(first.map((r) => r.verdict).sort()).toEqual(["no-rule", "no-rule", "queued"]);
    await queue.idle();
    expect(calls.filter((c) => c.kind === "run").map((c) => c.params)).toEqual([{ vmid: 100 }]);
    // The finding is still there at the next sweep: a new alert, but the cooldown holds the run.
    now = 60_000;
    await service.sweep("lab");
    await queue.idle();
    expect(calls.filter((c) => c.kind === "run")).toHaveLength(1);
  });

  it("a run refused by the engine's cluster lock (a person's pvefix run) is not an attempt", async () => {
    let locked = true;
    const { remediator, calls } = fakeRemediator({
      fail: () =>
        locked
          ? Object.assign(new Error("Another pvefix run is active on cluster lab"), { code: "PVEFIX_LOCKED" })
          : null,
    });
    const { service, queue, stores, metrics } = makeService({
      rules: { version: 1, rules: [LOCK_RULE] },
      remediator,
    });
    const labels = { alertname: "PveGuestLocked", vmid: "100", cluster: "lab" };
    await service.receiveAlerts([firing(labels, "l1")], "am");
    await queue.idle();
    expect((await stores.policy.read()).targets).toEqual({});
    expect((await metrics.refusals.get()).values.find((v) => v.labels.reason === "cluster-busy")?.value).toBe(
      1,
    );
    // The alert firing again runs at once: no cooldown was set by the run that never started.
    locked = false;
    await service.receiveAlerts([firing(labels, "l1", "2026-12-01T00:01:00Z")], "am");
    await queue.idle();
    expect(calls.filter((c) => c.kind === "run")).toHaveLength(2);
    expect((await stores.policy.read()).targets['stuck-lock|lab|vmid="100"']).toMatchObject({
      attempts: 0,
      lastOutcome: "done",
    });
  });
});
