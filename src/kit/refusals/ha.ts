/** Refusals about HA resources and replication. */
import { pvefixCommand } from "../../views/command-line.js";
import { entry } from "./entry.js";

type NoValidReplica =
  | { case: "only-self"; label: string; current: string; sid: string; vmid: number; stranded: string[] }
  | { case: "recover"; label: string; to: string | undefined; replicas: string };

export const haRefusals = {
  "ha-armed": entry<{ node: string; sids: string[]; why: string }>(
    "the node's HA watchdog is armed: stopping corosync or pmxcfs could make it reset the node",
    ({ node, sids, why }) => ({
      message: `The HA watchdog of ${node} is armed (${sids.join(", ") || "LRM active"})`,
      detail: `${why}. Stopping pve-cluster or corosync under an armed watchdog can make it reset the node (fencing). Re-run with --with-ha to stop pve-ha-lrm then pve-ha-crm first (services freeze, nothing is killed) and start them again at the end.`,
      node,
    }),
  ),
  "node-not-down": entry<{ owner: string; label: string; alive: string[] }>(
    "the node that owns a guest is not proven down",
    ({ owner, label, alive }) => ({
      message: `${owner}, which owns ${label}, is not proven down`,
      detail: `${alive.join("; ")}. Moving the config of a guest that may still run there starts it twice on diverging disks.`,
      node: owner,
    }),
  ),
  "no-valid-replica": entry<NoValidReplica>("no node the fix could use holds a replica of the guest", (d) =>
    d.case === "only-self"
      ? {
          message: `No node but ${d.current} holds a replica of ${d.label}: restricting HA to it would leave ${d.sid} no node to fail over to`,
          detail: `${d.stranded.join("; ")}. Re-target it first: \`${pvefixCommand("plan", "ha-replication-mismatch", { vmid: d.vmid, fix: "add-replication" })}\``,
          node: d.current,
        }
      : {
          message: d.to
            ? `No replication job of ${d.label} targets ${d.to}`
            : `No node holding a replica of ${d.label} is online`,
          detail: d.replicas,
        },
  ),
};
