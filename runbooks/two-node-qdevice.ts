/**
 * two-node-qdevice: give a two-node (even) cluster an external tie-breaking vote, a corosync QDevice
 * on a qnetd host, with `pvecm qdevice setup` behind its preconditions and a typed confirmation.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { NodeParam } from "../src/engine/params.js";
import { defineRunbook } from "../src/kit/index.js";
import { qdeviceFindings } from "../src/pve/findings/qdevice.js";
import { setupGuard } from "../src/pve/guards/qdevice.js";
import { clusterQdeviceFacts, type QdeviceFacts, qdeviceFactsOf } from "../src/pve/probes/qdevice.js";
import { qdeviceSteps } from "../src/pve/steps/qdevice.js";

export default defineRunbook({
  meta: {
    id: "two-node-qdevice",
    summary:
      "Give a two-node cluster a QDevice (an external vote on a qnetd host) so one node down keeps quorum",
    description:
      "A plain two-node cluster has 2 expected votes and a quorum of 2: when either node goes down the other loses quorum, guests cannot be started or stopped and /etc/pve is read-only. `pvecm expected 1` on the survivor is the unsafe way out (a split brain when the other comes back cut off). This runbook adds the proper third vote: it checks every precondition of `pvecm qdevice setup`, takes `two_node`/`wait_for_all` out of corosync.conf when they were set by hand, runs the setup behind a typed confirmation and verifies that every node shows `Flags: Quorate Qdevice` with expected votes = nodes + 1.",
    risk: "dangerous",
    unattended: "never",
    undo: "full",
    checks: [
      "/etc/pve/corosync.conf: the nodelist (an even count), the quorum section (`two_node`, `wait_for_all`, `expected_votes`, `device`)",
      "every node answers, is in the setup node's membership and is quorate (`pvecm status`: flags, expected votes, the Qdevice column)",
      "corosync-qdevice installed on every node (`test -e /usr/sbin/corosync-qdevice`), no certificate store left over (`/etc/corosync/qdevice/net/nssdb`)",
      "with a QDevice configured: `corosync-qdevice-tool -s` on every node (connection state to qnetd)",
      "from the setup node, as pvecm will: `ssh -o BatchMode=yes -l root <qnetd> systemctl is-active corosync-qnetd`",
      "HA resources in motion (`ha-manager status`: migrate, relocate, fence, recovery …)",
      "nodes in corosync.conf that never joined (not in any membership, no /etc/pve/nodes/<name>)",
      "runtime expected votes below the configured ones (`pvecm expected` was run)",
    ],
    asks: [
      "the setup node's name before `pvecm qdevice setup` (dangerous: it writes corosync.conf and reloads corosync on every node)",
      "yes/no before taking hand-set `two_node`/`wait_for_all` out of corosync.conf",
    ],
    refuses: {
      "qdevice-odd-nodes": "corosync.conf lists an odd number of nodes",
      "qdevice-node-joining":
        "a node is in corosync.conf but has never joined (`pvecm addnode` ran, the join did not finish)",
      "qdevice-exists": "a QDevice is configured with another qnetd, or one whose vote does not count",
      "qdevice-not-ready":
        "a node is offline or not quorate, corosync-qdevice is missing, a certificate store is left over, expected votes were forced, or HA is moving a guest",
      "qnetd-unreachable":
        "the setup node cannot `ssh -o BatchMode=yes root@<qnetd>`, or corosync-qnetd does not run there",
      "node-unreachable": "the setup node does not answer over SSH",
    },
    notes: [
      "The qnetd host is not a cluster node and not in the inventory: pvefix checks it from the setup node, over the same root SSH `pvecm qdevice setup` uses (`ssh -o BatchMode=yes root@<qnetd>`), so the check proves the path the setup takes. A jump host or another port belongs in that node's /root/.ssh/config, where both read it.",
      "`pvecm qdevice setup` first runs `ssh-copy-id root@<qnetd>`, which asks for a password unless the setup node's root key is already on the qnetd host: put it there first (the refusal says how).",
      "Before adding a third node, remove the QDevice (`pvecm qdevice remove`); set one up again only when the node count ends even.",
      "`diagnose` also reports a node forced quorate with `pvecm expected` (undo it with `systemctl restart corosync` there once every node is back) and a QDevice whose vote no longer counts (qnetd down: the tiebreaker is gone).",
    ],
    seeAlso: [
      "proxmox-facts §1.2 (Qdevice column), §1.5 (corosync-qdevice-tool, pvecm qdevice setup), §3.1 (quorum.device)",
      'Proxmox VE admin guide, pvecm: "Corosync External Vote Support"',
      "seed 004 (two-node cluster done right)",
    ],
  },
  params: z
    .object({
      qnetd: z
        .string()
        .refine(
          (v) => isIP(v) !== 0,
          "Expected the qnetd host's IP address (IPv4 or IPv6), as pvecm requires",
        )
        .describe(
          "IP address of the qnetd host (what `pvecm qdevice setup` writes as quorum.device.net.host)",
        ),
      node: NodeParam.optional().describe(
        "Node that runs `pvecm qdevice setup` (default: the first inventory node)",
      ),
    })
    .strict(),
  examples: [
    {
      intent: "Give the two-node cluster pve1+pve2 the qnetd on 10.10.10.9 as third vote",
      params: { qnetd: "10.10.10.9" },
    },
    { intent: "Set up the QDevice from pve2", params: { qnetd: "10.10.10.9", node: "pve2" } },
  ],
  steps: [qdeviceSteps],

  probe: (ctx, { qnetd, node }) => qdeviceFactsOf(ctx, { qnetd, node: node ?? ctx.nodes[0] }),

  decide({ qnetd, node }, f: QdeviceFacts) {
    const setupNode = node ?? f.nodes[0]?.node ?? "";
    const found = setupGuard(f, qnetd, setupNode);
    if (found.kind !== "ok") return found;
    const nodes = f.conf.nodes.map((n) => n.name);
    const edit =
      found.handSet.length > 0 ? { node: setupNode, current: f.conf.text, keys: found.handSet, nodes } : null;
    return {
      kind: "plan",
      plan: {
        summary: `Set up a QDevice with qnetd ${qnetd} for ${nodes.join(" and ")} (expected votes ${found.expectedAfter})`,
        warnings:
          found.handSet.length > 0
            ? [`corosync.conf sets ${found.handSet.join(", ")} by hand: they go first`]
            : [],
        steps: qdeviceSteps({
          edit,
          setup: { node: setupNode, qnetd, nodes, expected: found.expectedAfter },
        }),
      },
    };
  },

  async detect(ctx) {
    const facts = await clusterQdeviceFacts(ctx);
    return facts ? qdeviceFindings(facts) : [];
  },
});
