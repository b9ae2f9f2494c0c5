/** Refusals about quorum, corosync and pmxcfs. */
import { entry, onNode } from "./entry.js";

export const clusterRefusals = {
  "not-quorate": entry<{ node: string; staleLock: string }>(
    "the node has no quorum, so /etc/pve is read-only",
    ({ node, staleLock }) => ({
      message: `${node} has no quorum: /etc/pve is read-only`,
      detail: `the lock '${staleLock}' is stale (no running task holds it), but it can only be removed on ${node} once it is quorate again: restore quorum first (see \`pvefix explain not-quorate-config\`)`,
      ...onNode(node),
    }),
  ),
};
