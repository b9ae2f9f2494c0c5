/** Refusals about a corosync QDevice (an external vote from corosync-qnetd) and the nodes it serves. */
import { entry, onNode, type RefusalWords } from "./entry.js";

const list = (names: readonly string[]) => names.join(", ");
const verb = (names: { length: number }, one: string, many: string) => (names.length === 1 ? one : many);

type NotReady =
  | { case: "offline"; nodes: string[]; seen: string }
  | { case: "not-quorate"; nodes: string[] }
  | { case: "not-installed"; nodes: string[] }
  | { case: "cert-store"; nodes: string[] }
  | { case: "forced-expected"; node: string; expected: number; configured: number }
  | { case: "ha-in-flight"; resources: string[] };

function notReadyWords(d: NotReady): RefusalWords {
  switch (d.case) {
    case "offline":
      return {
        message: `${list(d.nodes)} ${verb(d.nodes, "is", "are")} not online in the cluster`,
        detail: `${d.seen}. \`pvecm qdevice setup\` needs every node online ("All nodes must be online!"): bring ${verb(d.nodes, "it", "them")} back first.`,
        ...onNode(d.nodes[0]),
      };
    case "not-quorate":
      return {
        message: `${list(d.nodes)} ${verb(d.nodes, "is", "are")} not quorate`,
        detail: "The QDevice is added by writing /etc/pve/corosync.conf, which needs quorum on every node.",
        ...onNode(d.nodes[0]),
      };
    case "not-installed":
      return {
        message: `corosync-qdevice is not installed on ${list(d.nodes)}`,
        detail: `Install it on every node first: \`apt install corosync-qdevice\` (on ${list(d.nodes)}).`,
        ...onNode(d.nodes[0]),
      };
    case "cert-store":
      return {
        message: `A QDevice certificate store from an earlier setup is left on ${list(d.nodes)}`,
        detail:
          '/etc/corosync/qdevice/net/nssdb exists although no QDevice is configured; `pvecm qdevice setup` stops on it ("QDevice certificate store already initialised"). Check that no QDevice is half set up, then move it aside on those nodes.',
        ...onNode(d.nodes[0]),
      };
    case "forced-expected":
      return {
        message: `${d.node} runs with expected votes forced to ${d.expected} (the config says ${d.configured})`,
        detail: `\`pvecm expected ${d.expected}\` was run there: undo it first (\`systemctl restart corosync\` on ${d.node} once every node is back, or \`pvecm expected ${d.configured}\`), then add the QDevice.`,
        node: d.node,
      };
    case "ha-in-flight":
      return {
        message: `HA is moving ${list(d.resources)}`,
        detail:
          "A corosync reload while HA migrates, relocates, fences or recovers a guest can stall it: wait until `ha-manager status` shows every resource settled.",
      };
  }
}

type QnetdUnreachable =
  | { case: "ssh"; addr: string; from: string; error: string }
  | { case: "not-running"; addr: string; from: string; state: string };

export const quorumDeviceRefusals = {
  "qdevice-odd-nodes": entry<{ nodes: string[] }>(
    "the cluster has an odd number of nodes: a QDevice there only adds a way to lose quorum",
    ({ nodes }) => ({
      message: `The cluster has ${nodes.length} nodes (${list(nodes)}): an odd number`,
      detail:
        'With an odd node count the nodes already break ties themselves; Proxmox refuses it too ("Clusters with an odd node count are not officially supported!"). A QDevice helps an even number of nodes.',
    }),
  ),
  "qdevice-node-joining": entry<{ nodes: string[]; how: string }>(
    "a node is being added to the cluster: remove the QDevice first, not add one",
    ({ nodes, how }) => ({
      message: `${list(nodes)} ${verb(nodes, "is", "are")} being added to the cluster (${how})`,
      detail:
        "The field report's rule: remove a QDevice (`pvecm qdevice remove`) before adding a node, and set one up again only if the node count ends even. Finish the join first.",
      ...onNode(nodes[0]),
    }),
  ),
  "qdevice-not-ready": entry<NotReady>(
    "a precondition of `pvecm qdevice setup` does not hold on the nodes",
    notReadyWords,
  ),
  "qnetd-unreachable": entry<QnetdUnreachable>(
    "the qnetd host does not answer over root SSH from the node that runs the setup, or corosync-qnetd does not run there",
    (d) =>
      d.case === "ssh"
        ? {
            message: `${d.from} cannot reach root@${d.addr} over SSH without a password`,
            detail: `${d.error}. \`pvecm qdevice setup\` copies certificates with \`ssh -o BatchMode=yes root@${d.addr}\`: put ${d.from}'s root key on the qnetd host first (\`ssh-copy-id root@${d.addr}\` on ${d.from}).`,
            node: d.from,
          }
        : {
            message: `corosync-qnetd is ${d.state} on ${d.addr}`,
            detail: `Install and start it on the qnetd host: \`apt install corosync-qnetd && systemctl enable --now corosync-qnetd\`.`,
            node: d.from,
          },
  ),
  "qdevice-exists": entry<{ host: string | null; wanted: string; problem: string }>(
    "a QDevice is already configured (another host, or one that does not vote)",
    ({ host, wanted, problem }) => ({
      message: `A QDevice is already configured${host ? ` with qnetd ${host}` : ""}`,
      detail: `${problem}. Setting up ${wanted} needs \`pvecm qdevice remove\` first; pvefix does not replace a QDevice.`,
    }),
  ),
};
