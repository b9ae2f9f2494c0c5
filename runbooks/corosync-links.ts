/**
 * corosync-links: one read-only sweep over every node and knet link that names the broken link,
 * where, and the likely cause, with the evidence and the next command. A diagnostic: it plans nothing.
 */
import { z } from "zod";
import { NodeParam } from "../src/engine/params.js";
import { defineDiagnostic } from "../src/kit/index.js";
import { corosyncLinkFindings } from "../src/pve/findings/corosync-links.js";
import { linksFactsOf } from "../src/pve/probes/corosync-links.js";

export default defineDiagnostic({
  meta: {
    id: "corosync-links",
    summary: "Diagnose a flapping or down corosync link: which link, on which node, and why",
    description:
      "Reads, on every node and for every knet link, the link state and which peers are disconnected (`corosync-cfgtool -s`/`-n`), the interface under each ringX_addr, a DF ping at the link's MTU and the packet loss to every peer, knet statistics, corosync's journal, both copies of corosync.conf, the firewall, the clock and the kernel's backlog drops, and names the broken link, the node at its broken end and the likely cause. It changes nothing and never suggests raising the token timeout: a longer token hides a broken link, it does not mend it.",
    checks: [
      "link state per node and link, and which peers each node sees disconnected (`corosync-cfgtool -s`, `-n`)",
      "the interface under each ringX_addr: up, carrier, MTU along bridge/bond/ports, RX drops (`ip -s -d -j link`, `ip -j addr`)",
      "the ringX_addr of every node against the addresses it has",
      "a DF ping at each link's MTU and packet loss to every peer on every link (3 pings, at most 5 s each)",
      "knet link statistics: down count, latency, errors (`corosync-cmapctl -m stats stats.knet.`)",
      "corosync's journal: which node logged a link down first, token losses, retransmits, `Sync left`",
      "config_version and content of /etc/corosync/corosync.conf and /etc/pve/corosync.conf on every node",
      "nft and iptables rules that drop UDP 5405–5412, and `pve-firewall status`",
      "the clock (`chronyc tracking`, else `timedatectl show`) and /proc/net/softnet_stat backlog drops",
      "two links on one NIC, bond or bridge; a two-node cluster without a QDevice (`corosync-qdevice-tool -s`)",
    ],
    notes: [
      "A node with one link down and another up keeps quorum: a warning. A node down on every link is critical.",
      "Fixes other runbooks make are named by id in the finding: cluster-network (a second or separate link), two-node-qdevice (a tiebreaker), zerotier-blacklist (a link over ZeroTier).",
      "knet uses UDP 5405 for every link unless mcastport says otherwise; PVE documents 5405–5412.",
    ],
    seeAlso: [
      "proxmox-facts §2 (corosync-cfgtool), §3 (corosync.conf), §11 (log lines)",
      "pvecm(1) Cluster Network",
    ],
  },
  params: z
    .object({
      node: NodeParam.optional().describe("Only findings about this node (all nodes are still read)"),
    })
    .strict(),
  examples: [
    { intent: "Find out why corosync link 1 of pve3 keeps going down", params: { node: "pve3" } },
    { intent: "Sweep every corosync link of the cluster after a flap", params: {} },
  ],
  async detect(ctx, { node }) {
    return corosyncLinkFindings((await linksFactsOf(ctx)).nodes, node);
  },
});
