import { describe, expect, it } from "vitest";
import stuckLock from "../../runbooks/stuck-lock.js";
import { parseParams } from "../../src/engine/params.js";
import type { LiveTask } from "../../src/pve/probes/tasks.js";

type Facts = Parameters<typeof stuckLock.decide>[1];

/** Facts for a locked guest on pve1; override what each case needs. */
function facts(over: Partial<Facts> = {}): Facts {
  return {
    guest: { vmid: 100, node: "pve1", kind: "lxc" },
    lock: "backup",
    holders: [],
    rootfsMounted: false,
    quorate: true,
    ...over,
  };
}

function task(over: Partial<LiveTask>): LiveTask {
  return {
    upid: "UPID:pve1:00001234:0000ABCD:6710A2C3:vzdump:100:root@pam:",
    node: "pve1",
    type: "vzdump",
    id: "100",
    user: "root@pam",
    pid: 0x1234,
    source: "tasks-active",
    alive: true,
    why: "pid 4660 alive with the task's start time 43981",
    ...over,
  };
}

const decide = (f: Facts, vmid = 100) => stuckLock.decide({ vmid }, f);

describe("stuck-lock decide", () => {
  it("plans `pct unlock` on the owning node when no task holds the lock", () => {
    const d = decide(facts());
    expect(d.kind).toBe("plan");
    if (d.kind !== "plan") return;
    const step = d.plan.steps[0]!;
    expect(step.node).toBe("pve1");
    expect(step.risk).toBe("safe");
    expect(step.actions).toEqual([{ kind: "exec", command: "pct unlock 100", timeoutMs: 30000 }]);
    expect(step.undo).toMatchObject({ kind: "actions", actions: [{ command: "pct set 100 --lock backup" }] });
    expect(step.files).toEqual(["/etc/pve/nodes/pve1/lxc/100.conf"]);
  });

  it("uses `qm unlock` for a VM and restores its previous lock on undo", () => {
    const d = decide(facts({ guest: { vmid: 200, node: "pve2", kind: "qemu" }, lock: "snapshot" }), 200);
    expect(d.kind === "plan" && d.plan.steps[0]?.actions[0]).toMatchObject({ command: "qm unlock 200" });
    expect(d.kind === "plan" && d.plan.steps[0]?.undo).toMatchObject({
      actions: [{ command: "qm set 200 --lock snapshot" }],
    });
  });

  it("refuses to unlock while a running task holds the lock, naming its UPID", () => {
    const d = decide(facts({ lock: "migrate", holders: [task({ type: "qmigrate" })] }));
    expect(d.kind === "refusal" && d.refusal.code).toBe("task-holds-lock");
    expect(d.kind === "refusal" && d.refusal.message).toContain(
      "UPID:pve1:00001234:0000ABCD:6710A2C3:vzdump:100:root@pam:",
    );
  });

  it("treats a running multi-guest vzdump (empty id) as the holder of a backup lock", () => {
    const d = decide(facts({ holders: [task({ id: "", source: "vzdump.pid" })] }));
    expect(d.kind === "refusal" && d.refusal.code).toBe("task-holds-lock");
  });

  it("does not let a multi-guest vzdump hold a non-backup lock", () => {
    const d = decide(facts({ lock: "snapshot", holders: [task({ id: "" })] }));
    expect(d.kind).toBe("plan");
  });

  it("unlocks when the only task claims are stale (dead or recycled pid) and says so", () => {
    const d = decide(facts({ holders: [task({ alive: false, why: "pid 4660 was reused" })] }));
    expect(d.kind === "plan" && d.plan.steps[0]?.reason).toContain("pid 4660 was reused");
  });

  it("names a dead task claimed by both tasks/active and vzdump.pid once", () => {
    const zombie = { alive: false, why: "pid 6301 is a zombie" };
    const d = decide(facts({ holders: [task(zombie), task({ ...zombie, source: "vzdump.pid" })] }));
    const reason = d.kind === "plan" ? (d.plan.steps[0]?.reason ?? "") : "";
    expect(reason.match(/pid 6301 is a zombie/g)).toHaveLength(1);
  });

  it("refuses a suspended VM: it is hibernated, not stuck", () => {
    const d = decide(facts({ guest: { vmid: 201, node: "pve1", kind: "qemu" }, lock: "suspended" }), 201);
    expect(d.kind === "refusal" && d.refusal.code).toBe("lock-not-stale");
  });

  it("refuses a `mounted` lock while the rootfs is still mounted", () => {
    const d = decide(facts({ lock: "mounted", rootfsMounted: true }));
    expect(d.kind === "refusal" && d.refusal.detail).toContain("pct unmount 100");
  });

  it("refuses when the owning node has no quorum", () => {
    const d = decide(facts({ quorate: false }));
    expect(d.kind === "refusal" && d.refusal.code).toBe("not-quorate");
  });

  it("refuses a guest that does not exist and has nothing to do for an unlocked one", () => {
    expect(decide(facts({ guest: null })).kind === "refusal").toBe(true);
    expect(decide(facts({ lock: null })).kind).toBe("nothing-to-do");
  });

  it("rejects a vmid with shell metacharacters before anything runs", () => {
    expect(() => parseParams(stuckLock, { vmid: "100; rm -rf /" })).toThrow(
      /100 to 999999999 \(got "100; rm -rf \/"\)\n {2}→ at --vmid/,
    );
    expect(parseParams(stuckLock, { vmid: "100" })).toEqual({ vmid: 100 });
  });
});
