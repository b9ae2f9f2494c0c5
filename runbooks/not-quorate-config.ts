/**
 * not-quorate-config: fix or revert /etc/pve/corosync.conf (or another cluster file) while the cluster
 * has no quorum, by Proxmox's "Write Configuration When Not Quorate" procedure behind a split-brain guard.
 */
import { z } from "zod";
import { exactlyOne, NodeListParam, NodeParam, RunIdParam } from "../src/engine/params.js";
import { defineRunbook } from "../src/kit/index.js";
import { type ClusterFileFacts, clusterFileFacts } from "../src/pve/probes/cluster-file.js";
import { PVE_COROSYNC_CONF } from "../src/pve/probes/corosync.js";
import { PveFileParam } from "../src/pve/probes/new-content.js";
import { quorumFindings } from "../src/pve/probes/not-quorate.js";
import { configEditSteps } from "../src/pve/steps/cluster-config-edit.js";
import { clusterConfigUndoGuard } from "../src/pve/steps/cluster-config-undo.js";
import { writeGuard } from "../src/pve/steps/cluster-file-guard.js";
import { clusterFilePlan } from "../src/pve/steps/cluster-file-plan.js";

export default defineRunbook({
  meta: {
    id: "not-quorate-config",
    summary: "Fix or revert /etc/pve/corosync.conf (or another cluster file) while the cluster has no quorum",
    description:
      "Without quorum pmxcfs makes /etc/pve read-only, so a broken corosync.conf cannot be fixed the normal way. This runbook proves no other part of the cluster is or could become quorate, then makes the chosen node writable (`pvecm expected` while corosync runs, `pmxcfs -l` when it does not), replaces the file by the Proxmox procedure (`.new`, config_version above every node's, validation, one `mv`), copies corosync.conf to every node it reaches, and puts the services back.",
    risk: "dangerous",
    unattended: "never",
    undo: "full",
    checks: [
      "every node answers over SSH (`true`); its quorum view (`pvecm status`), corosync and pve-cluster (`systemctl is-active`), a local-mode pmxcfs (`ps -C pmxcfs -o pid=,args=`)",
      "config_version of /etc/corosync/corosync.conf and /etc/pve/corosync.conf on every node",
      "on the target: peers disconnected on every knet link (`corosync-cfgtool -s`) and the current file",
      "the new corosync.conf parses, passes PVE's checks and keeps the target in its nodelist",
      "split-brain guard: no other node is quorate, and the unreachable nodes plus the largest view among the others cannot reach quorum",
    ],
    asks: [
      "the node name before forcing quorum (`pvecm expected`, stopping pve-cluster, `pmxcfs -l`); the warning says what could split",
      "yes/no before replacing the file when the target is quorate",
    ],
    refuses: {
      "node-unreachable": "the target does not answer over SSH",
      "invalid-config":
        "no usable new content (file unreadable, no backup in that run, corosync.conf that does not parse or fails PVE's checks)",
      "local-mode-elsewhere": "pmxcfs already runs in local mode on some node",
      "probe-failed": "corosync runs on the target but `pvecm status` gives no quorum view",
      "split-brain-risk":
        "another node is quorate, cannot be assessed, or the nodes out of sight could form a quorate partition; a node named in --nodes-down answers; or the target shares a non-quorate partition (`pvecm expected` would reach its partners too)",
    },
    notes: [
      "The running corosync of other nodes keeps its old config until it restarts; reboot nodes one by one.",
      "After local mode, pmxcfs merges /etc/pve when it rejoins: conflicting changes made elsewhere can be lost.",
      "`pvefix diagnose` suggests this runbook only when no node is quorate, or when a corosync.conf is unusable: a node cut off from a quorate majority is reported as a network problem, a stopped corosync with a usable config as a `restart-pve-services --services corosync`.",
    ],
    seeAlso: [
      "proxmox-facts §1.4 (pvecm expected), §3 (corosync.conf), §4.1 (local mode)",
      'Proxmox VE admin guide, pvecm: "Write Configuration When Not Quorate"',
    ],
  },
  params: z
    .object({
      node: NodeParam.describe("Node to write on: the one that carries on (it must answer over SSH)"),
      file: z.string().min(1).optional().describe("Local file with the new content (read on this machine)"),
      restoreBackup: RunIdParam.optional().describe(
        "Put back what an earlier pvefix run backed up before it first changed the file",
      ),
      target: PveFileParam.default(PVE_COROSYNC_CONF).describe(
        "The cluster file to fix (a path under /etc/pve/)",
      ),
      nodesDown: NodeListParam.describe(
        "Comma list of nodes you have verified are powered off (pvefix cannot see them)",
      ),
    })
    .strict()
    .superRefine(exactlyOne("file", "restoreBackup")),
  examples: [
    {
      intent: "Put a fixed corosync.conf on pve1 while pve2 and pve3 are cut off",
      params: { node: "pve1", file: "corosync.conf.fixed" },
    },
    {
      intent: "Revert corosync.conf to what an earlier run replaced",
      params: { node: "pve1", restoreBackup: "20261123T103500Z-not-quorate-config-1a2b" },
    },
    {
      intent: "Fix storage.cfg on pve1 with pve3 powered off",
      params: { node: "pve1", file: "storage.cfg", target: "/etc/pve/storage.cfg", nodesDown: "pve3" },
    },
  ],
  steps: [configEditSteps],

  // `--file` is read on this machine: a saved plan whose file changed is not a changed cluster.
  localFacts: ["newContent"],
  probe: (ctx, params): Promise<ClusterFileFacts> => clusterFileFacts(ctx, params),

  decide(params, facts: ClusterFileFacts) {
    const found = writeGuard(facts, params.nodesDown);
    return found.kind === "ok" ? { kind: "plan", plan: clusterFilePlan(facts, found) } : found;
  },

  guardUndo: (params, facts, step, undo) =>
    clusterConfigUndoGuard({ ...facts, nodesDown: params.nodesDown }, step, undo),

  detect: (ctx) => quorumFindings(ctx),
});
