/**
 * stuck-lock: remove a guest lock that no running task holds any more.
 */
import { z } from "zod";
import { VmidParam } from "../src/engine/params.js";
import { keepAnswered } from "../src/engine/reachability.js";
import { defineRunbook, type FindingInput, finding, refuse } from "../src/kit/index.js";
import { guestLockOf, lockedGuests, staleNotInReport } from "../src/pve/probes/guest-lock.js";
import { guestLabel } from "../src/pve/probes/guests.js";
import { unlockGuestStep } from "../src/pve/steps/guest-lock.js";

export default defineRunbook({
  meta: {
    id: "stuck-lock",
    summary: "Remove a guest lock (backup, migrate, snapshot…) that no running task holds any more",
    description:
      "Config changes, backups, clones and migrations put a `lock:` on a guest. When the task dies the lock can stay and block every other operation. This runbook proves that no task still holds the lock, then runs `pct unlock` or `qm unlock` on the node that owns the guest.",
    risk: "safe",
    unattended: "eligible",
    undo: "full",
    checks: [
      "which node owns the guest, and whether it is a CT or a VM (`/etc/pve/.vmlist`)",
      "the `lock:` of the config's main section only (snapshot and pending sections do not count)",
      "running tasks on the owning node: `/var/log/pve/tasks/active` and `/var/run/vzdump.pid`, each verified by pid and start time",
      "multi-guest vzdump jobs (their UPID has an empty id) as holders of any `backup` lock",
      "quorum on the owning node (unlocking writes /etc/pve)",
    ],
    asks: ["nothing: the unlock is safe once no task holds the lock"],
    refuses: {
      "guest-not-found": "no such guest in the cluster",
      "task-holds-lock": "a running task (verified by pid and start time) still holds the lock",
      "lock-not-stale":
        "the lock is `suspended` (a hibernated VM: `qm start` resumes it) or a CT's rootfs is still mounted",
      "not-quorate":
        "the owning node has no quorum, so /etc/pve is read-only; a lock no task holds is still called stale, it can only be removed once quorum is back",
    },
    notes: [
      "`qm unlock` succeeds even when nothing is locked; `pct unlock` fails. Neither checks for running tasks: this runbook does.",
      "From a pvereport (`diagnose --from`), which holds no task list: a locked guest is reported as info, with whether a running task holds it 'not in report'; plan it against the cluster before removing anything.",
      "A half-made vzdump snapshot or a `snapstate` left in a snapshot section is not cleaned up; check `pct/qm listsnapshot` afterwards.",
    ],
    seeAlso: ["proxmox-facts §5 (locks, tasks, UPIDs)"],
  },
  params: z.object({ vmid: VmidParam.describe("Guest id (CT or VM) whose lock to remove") }).strict(),
  examples: [
    { intent: "Unlock CT 100 left locked by a killed vzdump", params: { vmid: 100 } },
    { intent: "See why VM 200 is still locked by a migration", params: { vmid: 200 } },
  ],
  steps: [unlockGuestStep],

  probe: (ctx, { vmid }) => guestLockOf(ctx, vmid),

  decide({ vmid }, facts) {
    const { guest, lock } = facts;
    if (!guest) return refuse("guest-not-found", { vmid });
    const label = guestLabel(guest);
    const at = { guest: label, node: guest.node };
    if (!lock) return { kind: "nothing-to-do", reason: `${label} on ${guest.node} is not locked` };
    const alive = facts.holders.filter((t) => t.alive && (t.id !== "" || lock === "backup"));
    if (alive.length > 0) return refuse("task-holds-lock", { ...at, lock, task: alive[0]! });
    if (lock === "suspended") return refuse("lock-not-stale", { ...at, lock });
    if (lock === "mounted" && facts.rootfsMounted) return refuse("lock-not-stale", { ...at, lock, vmid });
    if (!facts.quorate) return refuse("not-quorate", { node: guest.node, staleLock: lock });
    const stale =
      // The same dead task is often claimed twice (tasks/active and vzdump.pid): say it once.
      facts.holders.length > 0
        ? `; stale task claims: ${[...new Set(facts.holders.map((t) => t.why))].join("; ")}`
        : "";
    return {
      kind: "plan",
      plan: {
        summary: `Remove the stale lock '${lock}' from ${label} on ${guest.node}`,
        steps: [unlockGuestStep(guest, lock, `no running task holds the lock${stale}`)],
      },
    };
  },

  async detect(ctx) {
    const [found, { up }] = await Promise.all([lockedGuests(ctx), ctx.reachable()]);
    // Whether a task holds the lock can only be asked on the owning node: judge those that answer.
    const judged = await keepAnswered(
      found.filter(({ g }) => up.includes(g.node)).map(({ g }) => g.vmid),
      async (vmid) => {
        try {
          const facts = await this.probe(ctx, { vmid });
          return this.decide({ vmid }, facts);
        } catch (error) {
          // Offline, a report holds the lock but not always what proves it stale: say which.
          const missing = await staleNotInReport(ctx, vmid, error);
          if (missing === null) throw error;
          return { kind: "not-in-report" as const, missing };
        }
      },
    );
    return found.flatMap(({ g, lock }): FindingInput[] => {
      const label = `${guestLabel(g)} on ${g.node} is locked '${lock}'`;
      const at = { node: g.node, params: { vmid: g.vmid } };
      const decision = judged.find((j) => j.key === g.vmid)?.value;
      if (!decision) {
        const summary = `${label}; whether a task still holds it cannot be checked: ${g.node} does not answer`;
        return [finding({ ...at, severity: "info", summary, verb: "plan" })];
      }
      if (decision.kind === "not-in-report") {
        // Never `run`: whether the lock is stale is exactly what is not known; plan it on the cluster.
        const summary = `${label}; ${decision.missing}`;
        return [finding({ ...at, severity: "info", summary, verb: "plan" })];
      }
      if (decision.kind === "plan") {
        const summary = `${guestLabel(g)} on ${g.node} has a stale lock '${lock}': no running task holds it`;
        return [finding({ ...at, severity: "warning", summary, verb: "run" })];
      }
      if (decision.kind !== "refusal") return [];
      const { code, message } = decision.refusal;
      return code === "not-quorate"
        ? [
            finding({
              ...at,
              severity: "warning",
              summary: `${guestLabel(g)} on ${g.node} has a stale lock '${lock}' (no running task holds it) but it cannot be removed now: ${message}`,
              verb: "plan",
            }),
          ]
        : [finding({ ...at, severity: "info", summary: `${label} and not stale: ${message}`, verb: "plan" })];
    });
  },
});
