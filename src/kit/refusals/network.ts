/** Refusals about the corosync network: the cluster as a whole, link numbers, addresses, reachability. */
import { entry, onNode } from "./entry.js";

const list = (names: readonly string[]) => names.join(", ");

type ClusterDegraded =
  | { case: "offline"; nodes: ReadonlyArray<{ node: string; why: string }> }
  | { case: "not-in-inventory"; nodes: readonly string[]; inventory: readonly string[] }
  | { case: "not-in-config"; nodes: readonly string[] }
  | { case: "version-drift"; nodes: ReadonlyArray<{ node: string; why: string }> };

type LinkConflict =
  | { case: "other-addresses"; link: number; differs: readonly string[] }
  | { case: "no-such-link"; link: number; links: readonly number[] }
  | { case: "address-in-use"; addr: string; node: string; link: number }
  | { case: "conf-unusable"; problem: string }
  | { case: "changed-since"; version: number; undoVersion: number; step: string };

type AddressMissing =
  | { case: "not-on-node"; node: string; addr: string; has: readonly string[] }
  | { case: "none-in-cidr"; node: string; cidr: string; has: readonly string[] }
  | { case: "several-in-cidr"; node: string; cidr: string; found: readonly string[] }
  | { case: "no-addr-given"; nodes: readonly string[] }
  | { case: "unknown-node"; nodes: readonly string[]; known: readonly string[] }
  | { case: "interface-down"; node: string; ifname: string; addr: string; operstate: string };

type LinkUnreachable = {
  failures: ReadonlyArray<{ from: string; to: string; addr: string; size: number; why: string }>;
};

export const networkRefusals = {
  "cluster-degraded": entry<ClusterDegraded>(
    "the corosync network may only change while every node of the cluster is online, quorate and on the same config",
    (d) => {
      switch (d.case) {
        case "offline":
          return {
            message: `Not every node is online and quorate: ${list(d.nodes.map((n) => n.node))}`,
            detail: `${d.nodes.map((n) => `${n.node}: ${n.why}`).join("\n")}\nA node that misses the change keeps the old links and drops out when they go. Bring every node back first.`,
            ...onNode(d.nodes[0]?.node),
          };
        case "not-in-inventory":
          return {
            message: `corosync.conf lists ${list(d.nodes)}, which the inventory does not have`,
            detail: `pvefix must check the new address on every node of the cluster; add them to the inventory (it has ${list(d.inventory)}).`,
          };
        case "not-in-config":
          return {
            message: `${list(d.nodes)} ${d.nodes.length === 1 ? "is" : "are"} in the inventory but not in corosync.conf`,
            detail: "Use an inventory of this cluster's nodes only.",
            ...onNode(d.nodes[0]),
          };
        case "version-drift":
          return {
            message: `Not every node runs the config in /etc/pve/corosync.conf: ${list(d.nodes.map((n) => n.node))}`,
            detail: `${d.nodes.map((n) => `${n.node}: ${n.why}`).join("\n")}\nFinish the earlier change first (\`pvefix diagnose\`).`,
            ...onNode(d.nodes[0]?.node),
          };
      }
    },
  ),
  "link-conflict": entry<LinkConflict>(
    "the requested knet link clashes with the links corosync.conf already has",
    (d) => {
      switch (d.case) {
        case "other-addresses":
          return {
            message: `Link ${d.link} already exists with other addresses`,
            detail: `${d.differs.join("\n")}\nTo move a link, add the new network under a free link number with --replace ${d.link}.`,
          };
        case "no-such-link":
          return {
            message: `corosync.conf has no link ${d.link} to replace`,
            detail: `its links are ${d.links.join(", ") || "(none)"}`,
          };
        case "address-in-use":
          return {
            message: `${d.addr} is already ring${d.link}_addr of ${d.node}`,
            detail:
              "every link address must be unique (PVE's verify_conf): the new link needs addresses on another network",
            node: d.node,
          };
        case "conf-unusable":
          return { message: "/etc/pve/corosync.conf cannot be edited safely", detail: d.problem };
        case "changed-since":
          return {
            message: `/etc/pve/corosync.conf is at config_version ${d.version} now: it changed after the run`,
            detail: `undoing ${d.step} would write config_version ${d.undoVersion}, which pmxcfs would not copy over a newer file, and would drop that later change. Edit corosync.conf by Proxmox's procedure instead.`,
          };
      }
    },
  ),
  "link-address-missing": entry<AddressMissing>(
    "a node does not have the address the new link would use",
    (d) => {
      switch (d.case) {
        case "not-on-node":
          return {
            message: `${d.node} has no interface with ${d.addr}`,
            detail: `its addresses: ${list(d.has) || "(none)"}. Configure the address first (/etc/network/interfaces, \`ifreload -a\`).`,
            node: d.node,
          };
        case "none-in-cidr":
          return {
            message: `${d.node} has no address in ${d.cidr}`,
            detail: `its addresses: ${list(d.has) || "(none)"}. Configure the address first, or name it with --addr ${d.node}=<address>.`,
            node: d.node,
          };
        case "several-in-cidr":
          return {
            message: `${d.node} has more than one address in ${d.cidr}: ${list(d.found)}`,
            detail: `name the one corosync should use with --addr ${d.node}=<address>`,
            node: d.node,
          };
        case "no-addr-given":
          return {
            message: `No --addr for ${list(d.nodes)}`,
            detail:
              "every node needs an address on the new link: give --addr <node>=<address> for each, or --cidr",
            ...onNode(d.nodes[0]),
          };
        case "unknown-node":
          return {
            message: `--addr names ${list(d.nodes)}, not a node of this cluster`,
            detail: `nodes: ${list(d.known)}`,
          };
        case "interface-down":
          return {
            message: `${d.ifname} (${d.addr}) on ${d.node} is ${d.operstate}`,
            detail:
              "corosync cannot use a link whose interface has no carrier: check the cable and the switch port",
            node: d.node,
          };
      }
    },
  ),
  "link-unreachable": entry<LinkUnreachable>(
    "a node cannot reach another on the new network with an unfragmented packet of the link's MTU",
    (d) => {
      const ends = d.failures.map((f) => [f.from, f.to]);
      // One node in every failed pair: that node's port, cable or VLAN, not the network as a whole.
      const common = ends.length > 1 ? ends[0]?.find((n) => ends.every((e) => e.includes(n))) : undefined;
      return {
        message: `${common === undefined ? "Not every node reaches every other" : `${common} and the other nodes do not reach each other`} on the new network: ${list(d.failures.map((f) => `${f.from} → ${f.to}`))}`,
        detail: d.failures
          .map((f) => `${f.from} → ${f.to} (${f.addr}), \`ping -M do -s ${f.size}\`: ${f.why}`)
          .join("\n"),
        ...onNode(common ?? d.failures[0]?.from),
      };
    },
  ),
};
