/**
 * Lazy unmount of a hung network storage, then PVE's own activation to mount it again. The undo
 * mounts the recorded `/proc/mounts` entry (source, type, options) back, but never on a server
 * that does not answer: that mount would hang exactly like the one this step removed.
 */
import type { Risk, StepInput } from "../../engine/model.js";
import { sh } from "../../shell/quote.js";
import { type MountEntry, type ServerAddress, serverProbeCommand } from "../probes/storage.js";

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

export function lazyUnmountAndRemountStep(o: RemountOptions): StepInput {
  return {
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
      {
        name: "storage-responsive",
        node: o.node,
        description: `${o.storage} is mounted on ${o.mountpoint}, answers statfs and is active in pvesm`,
        args: { storage: o.storage, mountpoint: o.mountpoint },
        waitMs: 30_000,
      },
    ],
  };
}
