/**
 * A guest's lock and what may still hold it: the owning node, the `lock:` of the config's main
 * section, the tasks that claim to run for it (verified by pid and start time), a CT's mounted
 * rootfs, and the owning node's quorum (unlocking writes /etc/pve).
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { notInReport } from "../../transport/errors.js";
import { parseGuestConfig } from "../parsers/guest-config.js";
import { GuestRef, guestConfigPath, knownGuests, locateGuest, readGuestConfig } from "./guests.js";
import { quorumOf } from "./quorum.js";
import { LiveTask, runningTasks } from "./tasks.js";

export const GuestLock = z.object({
  guest: GuestRef.nullable(),
  lock: z.string().nullable(),
  /** Tasks on the owning node that claim to run and concern this guest (or every guest, for vzdump). */
  holders: z.array(LiveTask),
  /** `/var/lib/lxc/<id>/rootfs` is mounted (a `mounted` lock is then real). */
  rootfsMounted: z.boolean(),
  quorate: z.boolean(),
});
export type GuestLock = z.infer<typeof GuestLock>;

export async function guestLockOf(ctx: ProbeContext, vmid: number): Promise<GuestLock> {
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
}

/**
 * Every guest whose config has a `lock:`, read on any node that answers (configs live in /etc/pve).
 * From a pvereport: the guests of the reported nodes (knownGuests), whose configs it holds.
 */
export async function lockedGuests(ctx: ProbeContext): Promise<Array<{ g: GuestRef; lock: string }>> {
  const { guests, unknown } = await knownGuests(ctx);
  // Read on any node that answers, so a dead owner hides no lock. A report holds only its own
  // node's configs, and offline every listed guest's owner is a reported node: read it there.
  const reader = await ctx.anyNode();
  const locked = await Promise.all(
    guests.map(async (g) => {
      const text = await ctx.readFile(unknown ? g.node : reader, guestConfigPath(g));
      const lock = text === null ? null : (parseGuestConfig(text).lock ?? null);
      return lock ? { g, lock } : null;
    }),
  );
  return locked.filter((x): x is { g: GuestRef; lock: string } => x !== null);
}

/**
 * Why a report cannot tell whether a guest's lock is stale, in words; null when `error` is not a
 * "not in report" failure. A pvereport has no tasks/active: when the owning node's running tasks
 * are what is missing, that is named; else the first command the probe could not read.
 */
export async function staleNotInReport(
  ctx: ProbeContext,
  vmid: number,
  error: unknown,
): Promise<string | null> {
  if (!notInReport(error)) return null;
  const guest = await locateGuest(ctx, vmid).catch(() => null);
  const tasks = guest ? await runningTasks(ctx, guest.node).then(() => null, notInReport) : null;
  if (tasks)
    return `whether a running task holds it, so whether it is stale, is not in the report (not in report: ${tasks.command})`;
  return `whether it is stale is not in the report (${(error as Error).message})`;
}
