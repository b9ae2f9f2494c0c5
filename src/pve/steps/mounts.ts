/**
 * Lazy unmount of a hung network storage, then PVE's own activation to mount it again. The undo
 * mounts the recorded `/proc/mounts` entry (source, type, options) back, but never on a server
 * that does not answer: that mount would hang exactly like the one this step removed.
 */
import { z } from "zod";
import type { Risk, StepInput } from "../../engine/model.js";
import { defineCheck } from "../../kit/check.js";
import { defineStep } from "../../kit/step.js";
import { sh } from "../../shell/quote.js";
import { guestLabel } from "../probes/guests.js";
import type { HungMounts, NodeMount } from "../probes/hung-mounts.js";
import {
  type GuestUse,
  type MountEntry,
  mountLiveness,
  mountOf,
  pvesmState,
  type ServerAddress,
  serverProbeCommand,
} from "../probes/storage.js";

/** The storage is mounted again, answers statfs and is active in pvesm. */
export const storageResponsive = defineCheck(
  "storage-responsive",
  z.object({ storage: z.string(), mountpoint: z.string() }),
  async (ctx, node, { storage, mountpoint }) => {
    const mount = await mountOf(ctx, node, mountpoint);
    if (!mount) return { ok: false, detail: `${mountpoint} is not mounted` };
    const liveness = await mountLiveness(ctx, node, mountpoint, true);
    if (liveness !== "responsive")
      return { ok: false, detail: `${mountpoint} is mounted but does not answer statfs` };
    const state = await pvesmState(ctx, node, storage);
    return state === "active"
      ? { ok: true, detail: `${storage} is active and answers` }
      : { ok: false, detail: `pvesm reports ${storage} as ${state ?? "missing"}` };
  },
);

export interface RemountOptions {
  node: string;
  storage: string;
  mountpoint: string;
  mount: MountEntry;
  risk: Risk;
  reason: string;
  warning?: string;
  /**
   * The storage server: the probe found it answering; the undo asks again before it mounts. (If
   * it dies in between, the lazy unmount still only detaches: PVE mounts nothing while its
   * connection check fails, the verify fails, and the undo skips the mount.)
   */
  server: ServerAddress | null;
}

/** Exit 32 of mount(8): already mounted — the undo is then already satisfied. */
const MOUNT_ALREADY_MOUNTED = 32;

export const lazyUnmountAndRemountStep = defineStep(
  {
    changes: [
      "`umount -nlf <mountpoint>` on each node where the mount hangs",
      "`pvesm status --storage <id>` on that node, which makes PVE mount the storage again",
    ],
    undoes: [
      "`mount -t <type> -o <recorded options> <source> <mountpoint>` (already mounted counts as undone); skipped while the server does not answer, so the undo never mounts a dead export (PVE mounts it once the server is back)",
    ],
    checks: [storageResponsive],
  },
  (o: RemountOptions): StepInput => ({
    id: `remount-${o.storage}-${o.node}`.toLowerCase().replace(/[^a-z0-9.-]/g, "-"),
    title: `Lazy-unmount ${o.mountpoint} on ${o.node} and let PVE mount ${o.storage} again`,
    node: o.node,
    risk: o.risk,
    reason: o.reason,
    ...(o.warning ? { warning: o.warning } : {}),
    actions: [
      { kind: "exec", command: sh`umount -nlf ${o.mountpoint}`, timeoutMs: 30_000 },
      // `pvesm status` activates the storage, which mounts it: the same path pvestatd takes.
      { kind: "exec", command: sh`pvesm status --storage ${o.storage}`, timeoutMs: 60_000 },
    ],
    undo: {
      kind: "actions",
      description: `mount ${o.mount.source} on ${o.mountpoint} again (${o.mount.fstype}, options as before)${o.server ? `, only if ${o.server.host} answers on port ${o.server.port}` : ""}`,
      actions: [
        {
          kind: "exec",
          command: sh`mount -t ${o.mount.fstype} -o ${o.mount.options} ${o.mount.source} ${o.mountpoint}`,
          timeoutMs: 60_000,
          okExitCodes: [0, MOUNT_ALREADY_MOUNTED],
          // If the umount never took effect the old (hung) mount is still listed: mounting on top
          // would block on it. /proc/mounts itself never touches the filesystem. A server that
          // does not answer would hang the new mount too: leave it to PVE, which mounts the
          // storage again once the server answers its connection check.
          skipIf:
            sh`cat /proc/mounts | grep -q ${` ${o.mountpoint} `}` +
            (o.server ? ` || ! ${serverProbeCommand(o.server)}` : ""),
        },
      ],
    },
    verify: [
      storageResponsive.at(
        o.node,
        `${o.storage} is mounted on ${o.mountpoint}, answers statfs and is active in pvesm`,
        { storage: o.storage, mountpoint: o.mountpoint },
        { waitMs: 30_000 },
      ),
    ],
  }),
);

/** `CT 101 (running; rootfs), VM 200 (stopped; scsi0)`. */
export function describeGuestUse(gs: readonly GuestUse[]): string {
  return gs
    .map((g) => `${guestLabel(g)} (${g.running ? "running" : "stopped"}; ${g.keys.join(", ")})`)
    .join(", ");
}

/**
 * The remount of a hung mount on one node: safe when no guest there has a volume on the storage,
 * guarded (with what the guests lose) when one has.
 */
export function remountHungStep(
  storage: NonNullable<HungMounts["storage"]>,
  { node, mount, server }: NodeMount,
  guests: readonly GuestUse[],
): StepInput {
  const users = guests.filter((g) => g.node === node);
  const running = users.filter((g) => g.running);
  const hangs = `${storage.mountpoint} does not answer statfs within 5 s on ${node}`;
  return lazyUnmountAndRemountStep({
    node,
    storage: storage.id,
    mountpoint: storage.mountpoint,
    mount: mount!,
    server: server?.address ?? null,
    risk: users.length === 0 ? "safe" : "guarded",
    reason:
      (users.length === 0
        ? `${hangs}; no guest on ${node} has a volume on ${storage.id} (content: ${storage.content.join(",")})`
        : `${hangs}; guests on ${node} use ${storage.id}: ${describeGuestUse(users)}`) +
      (server
        ? `; its server ${server.address.host} ${server.answers ? `answers on port ${server.address.port}` : server.detail}`
        : ""),
    ...(users.length > 0
      ? {
          warning:
            running.length > 0
              ? `Running guests use ${storage.id} on ${node}: ${describeGuestUse(running)}. Processes already blocked on the hung mount stay blocked or get I/O errors (stale file handles); new file access goes to the fresh mount. Consider stopping these guests first.`
              : `Stopped guests use ${storage.id} on ${node}: ${describeGuestUse(users)}. They cannot start until the storage is mounted again.`,
        }
      : {}),
  });
}
