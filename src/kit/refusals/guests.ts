/** Refusals about guests and their locks. */
import { entry } from "./entry.js";

export interface LockHolder {
  upid: string;
  node: string;
  type: string;
  source: string;
  why: string;
}

/** How to stop the holder properly, instead of pulling the lock from under it. */
function stopHint(task: LockHolder): string {
  if (task.type === "vzdump") return `\`vzdump -stop\` on ${task.node}`;
  return `\`pvesh delete /nodes/${task.node}/tasks/${encodeURIComponent(task.upid)}\` (the task's Stop button in the GUI)`;
}

export const guestRefusals = {
  "guest-not-found": entry<{ vmid: number }>("no such guest in the cluster", ({ vmid }) => ({
    message: `No guest ${vmid} in the cluster`,
    detail: "it is not in /etc/pve/.vmlist",
  })),
  "task-holds-lock": entry<{ guest: string; node: string; lock: string; task: LockHolder }>(
    "a running task still holds the guest's lock",
    ({ guest, node, lock, task }) => ({
      message: `${guest} is locked (${lock}) by running task ${task.upid}`,
      detail: `${task.type} task (${task.source}): ${task.why}. Wait for it to finish, or stop it first: ${stopHint(task)}`,
      node,
    }),
  ),
  "lock-not-stale": entry<
    { guest: string; node: string } & ({ lock: "suspended" } | { lock: "mounted"; vmid: number })
  >("the lock marks a state the guest is really in, not a dead task", (d) =>
    d.lock === "suspended"
      ? {
          message: `${d.guest} is hibernated (lock: suspended)`,
          detail: "`qm start` resumes it; unlocking would throw its saved state away",
          node: d.node,
        }
      : {
          message: `${d.guest} is mounted (lock: mounted)`,
          detail: `run \`pct unmount ${d.vmid}\` on ${d.node} instead`,
          node: d.node,
        },
  ),
};
