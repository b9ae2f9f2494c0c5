/** Plans and results for the view tests, made the way the engine makes them: decide on facts, then finishPlan. */

import hungNfs from "../../runbooks/hung-nfs.js";
import stuckLock from "../../runbooks/stuck-lock.js";
import type { Decision, Plan } from "../../src/engine/model.js";
import { finishPlan } from "../../src/engine/plan.js";
import type { AnyRunbook } from "../../src/engine/runbook.js";

export const NOW = new Date("2026-11-23T10:35:00.000Z");

/** CT 100 on pve2 left locked by a vzdump whose process is gone (its task claim is stale). */
export function staleBackupLockFacts(overrides: { alive?: boolean; lock?: string } = {}) {
  return {
    guest: { vmid: 100, node: "pve2", kind: "lxc" as const },
    lock: overrides.lock ?? "backup",
    holders: [
      {
        upid: "UPID:pve2:00012F3A:0089A1B2:673F0A10:vzdump::root@pam:",
        node: "pve2",
        type: "vzdump",
        id: "",
        user: "root@pam",
        pid: 77626,
        source: "tasks-active" as const,
        alive: overrides.alive ?? false,
        why: "pid 77626 is gone",
      },
    ],
    rootfsMounted: false,
    quorate: true,
  };
}

/** nfs-backup hangs on pve2, where running CT 101 has a mount point on it; pve3 answers. */
export function hungBackupStoreFacts() {
  return {
    storage: {
      id: "nfs-backup",
      type: "nfs",
      mountpoint: "/mnt/pve/nfs-backup",
      content: ["backup", "rootdir"],
      network: true,
    },
    known: ["nfs-backup", "nfs-iso"],
    mounts: [
      {
        node: "pve2",
        mount: {
          source: "10.10.0.5:/export/backup",
          fstype: "nfs4",
          options: "rw,relatime,vers=4.2,hard,proto=tcp",
        },
        liveness: "hung" as const,
        server: { address: { host: "10.10.0.5", port: 2049 }, answers: true, detail: "answers" },
      },
      {
        node: "pve3",
        mount: {
          source: "10.10.0.5:/export/backup",
          fstype: "nfs4",
          options: "rw,relatime,vers=4.2,hard,proto=tcp",
        },
        liveness: "responsive" as const,
        server: null,
      },
    ],
    guests: [{ vmid: 101, node: "pve2", kind: "lxc" as const, running: true, keys: ["mp0"] }],
    unreachable: [],
  };
}

function planFrom(runbook: AnyRunbook, params: Record<string, unknown>, facts: unknown): Plan {
  const decision: Decision = runbook.decide(params, facts);
  if (decision.kind !== "plan") throw new Error(`expected a plan, got ${decision.kind}`);
  return finishPlan(runbook, params, facts, decision.plan, "lab", NOW);
}

export function stuckLockPlan(): Plan {
  return planFrom(stuckLock, { vmid: 100 }, staleBackupLockFacts());
}

export function hungNfsPlan(): Plan {
  return planFrom(hungNfs, { storage: "nfs-backup" }, hungBackupStoreFacts());
}

export { hungNfs, stuckLock };
