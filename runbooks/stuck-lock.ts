/**
 * stuck-lock: remove a guest lock that no running task holds any more.
 */
import { z } from "zod";
import type { Decision, Finding } from "../src/engine/model.js";
import { VmidParam } from "../src/engine/params.js";
import { keepAnswered } from "../src/engine/reachability.js";
import { defineRunbook } from "../src/engine/runbook.js";
import { parseGuestConfig } from "../src/pve/parsers/guest-config.js";
import {
  GuestRef,
  guestConfigPath,
  guestLabel,
  listGuests,
  locateGuest,
  readGuestConfig,
} from "../src/pve/probes/guests.js";
import { quorumOf } from "../src/pve/probes/quorum.js";
import { LiveTask, runningTasks } from "../src/pve/probes/tasks.js";
import { unlockGuestStep } from "../src/pve/steps/guest-lock.js";

const Params = z.object({ vmid: VmidParam.describe("Guest id (CT or VM) whose lock to remove") }).strict();

const Facts = z.object({
  guest: GuestRef.nullable(),
  lock: z.string().nullable(),
  /** Tasks on the owning node that claim to run and concern this guest (or every guest, for vzdump). */
  holders: z.array(LiveTask),
  /** `/var/lib/lxc/<id>/rootfs` is mounted (a `mounted` lock is then real). */
  rootfsMounted: z.boolean(),
  quorate: z.boolean(),
});
type Facts = z.infer<typeof Facts>;

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
    changes: [
      "`pct unlock <id>` or `qm unlock <id>` on the owning node (rewrites the guest config without `lock:`)",
    ],
    undoes: [
      "`pct set <id> --lock <previous>` / `qm set <id> --lock <previous>` puts the previous lock back",
    ],
    refuses: [
      "guest-not-found: no such guest in the cluster",
      "task-holds-lock: a running task (verified by pid and start time) still holds the lock",
      "lock-not-stale: the lock is `suspended` (a hibernated VM: `qm start` resumes it) or a CT's rootfs is still mounted",
      "not-quorate: the owning node has no quorum, so /etc/pve is read-only; a lock no task holds is still called stale, it can only be removed once quorum is back",
    ],
    notes: [
      "`qm unlock` succeeds even when nothing is locked; `pct unlock` fails. Neither checks for running tasks: this runbook does.",
      "A half-made vzdump snapshot or a `snapstate` left in a snapshot section is not cleaned up; check `pct/qm listsnapshot` afterwards.",
    ],
    seeAlso: ["proxmox-facts §5 (locks, tasks, UPIDs)"],
  },
  params: Params,
  examples: [
    { intent: "Unlock CT 100 left locked by a killed vzdump", params: { vmid: 100 } },
    { intent: "See why VM 200 is still locked by a migration", params: { vmid: 200 } },
  ],

  async probe(ctx, { vmid }): Promise<Facts> {
    const guest = await locateGuest(ctx, vmid);
    if (!guest) return { guest: null, lock: null, holders: [], rootfsMounted: false, quorate: false };
    const [config, tasks, quorum, mounts] = await Promise.all([
      readGuestConfig(ctx, guest),
      runningTasks(ctx, guest.node),
      quorumOf(ctx, guest.node),
      guest.kind === "lxc" ? ctx.readFile(guest.node, "/proc/mounts") : Promise.resolve(null),
    ]);
    const holders = tasks.filter((t) => t.id === String(vmid) || (t.type === "vzdump" && t.id === ""));
    const rootfs = `/var/lib/lxc/${vmid}/rootfs`;
    const rootfsMounted = (mounts ?? "").split("\n").some((line) => line.split(" ")[1] === rootfs);
    return { guest, lock: config?.lock ?? null, holders, rootfsMounted, quorate: quorum.quorate };
  },

  decide({ vmid }, facts): Decision {
    const { guest, lock } = facts;
    if (!guest)
      return refuse("guest-not-found", `No guest ${vmid} in the cluster`, "it is not in /etc/pve/.vmlist");
    const label = guestLabel(guest);
    if (!lock) return { kind: "nothing-to-do", reason: `${label} on ${guest.node} is not locked` };
    const alive = facts.holders.filter((t) => t.alive && (t.id !== "" || lock === "backup"));
    if (alive.length > 0) {
      const t = alive[0]!;
      return refuse(
        "task-holds-lock",
        `${label} is locked (${lock}) by running task ${t.upid}`,
        `${t.type} task (${t.source}): ${t.why}. Wait for it to finish, or stop it first: ${stopHint(t)}`,
        guest.node,
      );
    }
    if (lock === "suspended") {
      return refuse(
        "lock-not-stale",
        `${label} is hibernated (lock: suspended)`,
        "`qm start` resumes it; unlocking would throw its saved state away",
        guest.node,
      );
    }
    if (lock === "mounted" && facts.rootfsMounted) {
      return refuse(
        "lock-not-stale",
        `${label} is mounted (lock: mounted)`,
        `run \`pct unmount ${vmid}\` on ${guest.node} instead`,
        guest.node,
      );
    }
    if (!facts.quorate) {
      return refuse(
        "not-quorate",
        `${guest.node} has no quorum: /etc/pve is read-only`,
        `the lock '${lock}' is stale (no running task holds it), but it can only be removed on ${guest.node} once it is quorate again: restore quorum first (see \`pvefix explain not-quorate-config\`)`,
        guest.node,
      );
    }
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

  checks: {
    async "guest-unlocked"(ctx, check) {
      const guest = GuestRef.parse({ vmid: check.args.vmid, kind: check.args.kind, node: check.node });
      const config = await readGuestConfig(ctx, guest);
      return config?.lock
        ? { ok: false, detail: `still locked (${config.lock})` }
        : { ok: true, detail: "no lock in the main section" };
    },
  },

  async detect(ctx): Promise<Finding[]> {
    const guests = await listGuests(ctx);
    const { up } = await ctx.reachable();
    // Configs live in /etc/pve: read on any node that answers, so a dead owner hides no lock.
    const reader = await ctx.anyNode();
    const locked = await Promise.all(
      guests.map(async (g) => {
        const text = await ctx.readFile(reader, guestConfigPath(g));
        const lock = text === null ? null : (parseGuestConfig(text).lock ?? null);
        return lock ? { g, lock } : null;
      }),
    );
    const found = locked.filter((x): x is { g: GuestRef; lock: string } => x !== null);
    // Whether a task holds the lock can only be asked on the owning node: judge those that answer.
    const judged = await keepAnswered(
      found.filter(({ g }) => up.includes(g.node)).map(({ g }) => g.vmid),
      async (vmid) => {
        const facts = await this.probe(ctx, { vmid });
        return { facts, decision: this.decide({ vmid }, facts) };
      },
    );
    const findings: Finding[] = [];
    for (const { g, lock } of found) {
      const label = `${guestLabel(g)} on ${g.node}`;
      const base = { runbook: "stuck-lock", node: g.node, params: { vmid: g.vmid } };
      const verdict = judged.find((j) => j.key === g.vmid)?.value;
      if (!verdict) {
        findings.push({
          ...base,
          severity: "info",
          summary: `${label} is locked '${lock}'; whether a task still holds it cannot be checked: ${g.node} does not answer`,
          command: `pvefix plan stuck-lock --vmid ${g.vmid}`,
        });
        continue;
      }
      const { facts, decision } = verdict;
      if (decision.kind === "plan") {
        findings.push({
          ...base,
          severity: "warning",
          summary: `${label} has a stale lock '${facts.lock}': no running task holds it`,
          command: `pvefix run stuck-lock --vmid ${g.vmid}`,
        });
      } else if (decision.kind === "refusal" && decision.refusal.code === "not-quorate") {
        findings.push({
          ...base,
          severity: "warning",
          summary: `${label} has a stale lock '${facts.lock}' (no running task holds it) but it cannot be removed now: ${decision.refusal.message}`,
          command: `pvefix plan stuck-lock --vmid ${g.vmid}`,
        });
      } else if (decision.kind === "refusal") {
        findings.push({
          ...base,
          severity: "info",
          summary: `${label} is locked '${facts.lock}' and not stale: ${decision.refusal.message}`,
          command: `pvefix plan stuck-lock --vmid ${g.vmid}`,
        });
      }
    }
    return findings;
  },
});

/** How to stop the holder properly, instead of pulling the lock from under it. */
function stopHint(task: LiveTask): string {
  if (task.type === "vzdump") return `\`vzdump -stop\` on ${task.node}`;
  return `\`pvesh delete /nodes/${task.node}/tasks/${encodeURIComponent(task.upid)}\` (the task's Stop button in the GUI)`;
}

function refuse(
  code: "guest-not-found" | "task-holds-lock" | "lock-not-stale" | "not-quorate",
  message: string,
  detail: string,
  node?: string,
): Decision {
  return { kind: "refusal", refusal: { code, message, detail, ...(node ? { node } : {}) } };
}
