/** Refusals about storages and their mounts. */
import { entry } from "./entry.js";

export const storageRefusals = {
  "storage-not-found": entry<{ id: string; known: readonly string[] }>(
    "no such storage in /etc/pve/storage.cfg",
    ({ id, known }) => ({
      message: `No storage '${id}' in /etc/pve/storage.cfg`,
      detail: `network storages: ${known.join(", ") || "none"}`,
    }),
  ),
  "storage-not-network": entry<{ id: string; type: string }>(
    "the storage is not a network mount",
    ({ id, type }) => ({
      message: `Storage '${id}' is of type ${type}, not a network mount`,
      detail: "only nfs, cifs, glusterfs and cephfs mounts can hang this way",
    }),
  ),
  "server-down": entry<{
    id: string;
    type: string;
    mountpoint: string;
    server: { address: { host: string; port: number }; detail: string };
    /** Where the mount hangs and the server does not answer. */
    nodes: readonly string[];
  }>(
    "the storage server does not answer: a remount cannot help and a new mount would hang again",
    ({ id, type, mountpoint, server, nodes }) => ({
      message: `The server ${server.address.host} of ${type} storage '${id}' does not answer on port ${server.address.port} from ${nodes.join(", ")} (${server.detail})`,
      detail:
        `Unmounting and mounting again cannot bring '${id}' back while its server is down, and mounting a dead export hangs again. ` +
        `Bring the server back (or disable the storage: \`pvesm set ${id} --disable 1\`), then run this runbook again. ` +
        `To detach the dead mount now, by hand: \`umount -nlf ${mountpoint}\` on ${nodes.join(", ")}; PVE does not mount it again until the server answers its connection check.`,
      node: nodes[0]!,
    }),
  ),
};
