/**
 * cluster-network: add a knet link to corosync, or move corosync to another network (add the new
 * link, prove it, then remove the old one), by Proxmox's own procedure with every guard it implies.
 */
import { defineRunbook, refuse } from "../src/kit/index.js";
import { clusterNetworkFindings } from "../src/pve/findings/cluster-network.js";
import { addressGuard, linkGuard, reachGuard, wholeClusterGuard } from "../src/pve/guards/cluster-network.js";
import {
  type ClusterNetworkFacts,
  ClusterNetworkParams,
  clusterNetworkFacts,
} from "../src/pve/probes/cluster-network.js";
import { clusterNetworkPlan, clusterNetworkSteps } from "../src/pve/steps/cluster-network.js";
import { clusterNetworkUndoGuard } from "../src/pve/steps/cluster-network-undo.js";

export default defineRunbook({
  meta: {
    id: "cluster-network",
    summary: "Add a second corosync link, or move corosync to a separate network, without a reboot",
    description:
      "Proxmox's \"Separate Cluster Network\" and \"Adding Redundant Links To An Existing Cluster\" procedures, guarded: every node online and quorate on one config version; the new address on every node, on an interface that is up; every node reaching every other there with unfragmented packets at the interface's MTU. Then corosync.conf gets `ring<link>_addr` on every node and the link's `interface` block with a config_version above every node's, staged as `.new` and moved into place; pmxcfs copies it everywhere and corosync reloads it live. A move (`--replace 0`) removes the old link only after the new one is connected on every node.",
    risk: "dangerous",
    unattended: "never",
    undo: "full",
    checks: [
      "every node answers over SSH, runs corosync and is quorate with every node of corosync.conf in its membership (`pvecm status`)",
      "config_version of /etc/pve/corosync.conf, of /etc/corosync/corosync.conf on every node and of the running corosync (`corosync-cmapctl -g totem.config_version`): all equal",
      "every node's interfaces, their state, MTU and addresses (`ip -j addr show`): the new address is there, once",
      "`ping -M do -s <MTU-28> -c 2 -W 1 <peer address>` from every node to every other on the new network",
      "the new corosync.conf parses and passes PVE's rules (every node has every link, unique addresses, links 0–7)",
      "after the change, on every node: the running config_version and `corosync-cfgtool -s` (the new link connected to every peer; after a move, the old link gone)",
    ],
    asks: [
      "a typed confirmation before the first change: corosync on every node reloads the new config at once",
    ],
    refuses: {
      "cluster-degraded":
        "a node is offline, not quorate, missing from the membership, the inventory or corosync.conf, or runs another config version",
      "link-conflict":
        "the link exists with other addresses, --replace names a link corosync.conf lacks, a new address is already a link address, or corosync.conf is not usable",
      "link-address-missing":
        "a node lacks the address (or has several in --cidr), an --addr names an unknown node or misses one, or the interface is down",
      "link-unreachable":
        "a DF ping at the interface MTU from one node to another on the new addresses got no reply",
      "node-unreachable": "a node stopped answering during the probe",
    },
    notes: [
      "Reboots are never part of it: corosync loads added and removed links on reload (`corosync-cfgtool -R`, which pmxcfs runs after the copy).",
      "A moved cluster keeps the new link's number (`--link 1 --replace 0` leaves link 1 only); knet needs no link 0.",
      "Give each node its address with `--addr pve1=10.10.11.1 --addr pve2=…`, or `--cidr 10.10.11.0/24` to take the one address each node has there.",
      "Passive mode sends on the link with the highest knet_link_priority (`--priority`), equal priorities on the lowest link number.",
    ],
    seeAlso: [
      'Proxmox VE admin guide, pvecm: "Separate Cluster Network", "Adding Redundant Links To An Existing Cluster", "Edit corosync.conf"',
      "proxmox-facts §2 (corosync-cfgtool), §3 (corosync.conf and its propagation)",
    ],
  },
  params: ClusterNetworkParams,
  examples: [
    {
      intent: "Add the 10.10.11.0/24 network as a second corosync link",
      params: { link: 1, cidr: "10.10.11.0/24" },
    },
    {
      intent: "Add link 1 with an address per node",
      params: { link: 1, addr: "pve1=10.10.11.1,pve2=10.10.11.2,pve3=10.10.11.3" },
    },
    {
      intent: "Move corosync off the shared network: link 1 on 10.10.11.0/24, then drop link 0",
      params: { link: 1, cidr: "10.10.11.0/24", replace: 0 },
    },
  ],
  steps: [clusterNetworkSteps],

  probe: (ctx, params): Promise<ClusterNetworkFacts> => clusterNetworkFacts(ctx, params),

  decide(p, f: ClusterNetworkFacts) {
    const whole = wholeClusterGuard(f);
    if ("refusal" in whole) return { kind: "refusal", refusal: whole.refusal };
    const addrs = addressGuard(p, f);
    if ("refusal" in addrs) return { kind: "refusal", refusal: addrs.refusal };
    const change = linkGuard(p, whole.conf, addrs);
    if ("refusal" in change) return { kind: "refusal", refusal: change.refusal };
    if (change.kind === "done") return { kind: "nothing-to-do", reason: change.reason };
    const reach = reachGuard(f);
    if ("refusal" in reach) return { kind: "refusal", refusal: reach.refusal };
    const built = clusterNetworkPlan({
      writer: f.writer!,
      members: whole.conf.nodes.map((n) => ({ name: n.name, nodeid: n.nodeid ?? 0 })),
      text: whole.text,
      highest: whole.highest,
      link: p.link,
      addrs: Object.fromEntries(addrs.map((a) => [a.node, a.addr])),
      priority: p.priority ?? null,
      add: change.kind === "add",
      remove: change.kind === "add" ? change.removeAfter : change.remove,
      evidence: reach.evidence,
    });
    if ("problems" in built)
      return refuse("link-conflict", { case: "conf-unusable", problem: built.problems.join("; ") });
    return { kind: "plan", plan: built.plan };
  },

  guardUndo: (_p, facts: ClusterNetworkFacts, step) => clusterNetworkUndoGuard(facts, step),

  detect: (ctx) => clusterNetworkFindings(ctx),
});
