/**
 * A guest's lock and what may still hold it: the owning node, the `lock:` of the config's main
 * section, the tasks that claim to run for it (verified by pid and start time), a CT's mounted
 * rootfs, and the owning node's quorum (unlocking writes /etc/pve).
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { parseGuestConfig } from "../parsers/guest-config.js";
import { GuestRef, guestConfigPath, listGuests, locateGuest, readGuestConfig } from "./guests.js";
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

/** Every guest whose config has a `lock:`, read on any node that answers (configs live in /etc/pve). */
export async function lockedGuests(ctx: ProbeContext): Promise<Array<{ g: GuestRef; lock: string }>> {
  const guests = await listGuests(ctx);
  // Read on any node that answers, so a dead owner hides no lock.
  const reader = await ctx.anyNode();
  const locked = await Promise.all(
    guests.map(async (g) => {
      const text = await ctx.readFile(reader, guestConfigPath(g));
      const lock = text === null ? null : (parseGuestConfig(text).lock ?? null);
      return lock ? { g, lock } : null;
    }),
  );
  return locked.filter((x): x is { g: GuestRef; lock: string } => x !== null);
}
