/**
 * corosync-quorumtool's text, byte for byte (tools/corosync-quorumtool.c): labels padded so values
 * start at column 19, `Quorum:` with two trailing spaces when quorate, `Flags:` with a trailing
 * space per flag, only current members listed, hex ids with -H and addresses with -i.
 */
import { ctime } from "../model/clock.js";
import { qdeviceFlags } from "../model/qdevice.js";
import type { QuorumView } from "../model/quorum.js";
import type { LabNode, LabState } from "../state.js";

export interface QuorumFormat {
  hex: boolean;
  ips: boolean;
}

const line = (label: string, value: string | number) => `${`${label}:`.padEnd(18)}${value}\n`;

function nodeId(id: number, hex: boolean): string {
  return hex ? `0x${id.toString(16).padStart(8, "0")}` : String(id).padStart(10);
}

export function membership(view: QuorumView, local: LabNode, format: QuorumFormat, state?: LabState): string {
  // With a configured device the tool adds the Qdevice column and the device's node-id-0 row (real
  // corosync 3 prints both even where the local corosync-qdevice is not registered: `NR`, 0 votes).
  const device = state && view.qdevice ? view.qdevice : null;
  const partition = view.members.map((m) => m.node);
  const rows = view.members.map((m) => {
    const entry = view.conf.nodes.find((n) => n.name === m.node.name);
    const name = format.ips ? (entry?.rings[0] ?? m.node.ip) : (entry?.name ?? m.node.name);
    const column = state && device ? `${qdeviceFlags(state, m.node, partition).padStart(10)} ` : "";
    return `${nodeId(m.nodeid, format.hex)} ${String(m.votes).padStart(10)} ${column}${name}${m.node === local ? " (local)" : ""}\n`;
  });
  if (device) {
    const votes = device.casting ? device.votes : 0;
    const suffix = device.casting ? "" : ` (votes ${device.votes})`;
    rows.push(`${nodeId(0, format.hex)} ${String(votes).padStart(10)} ${"".padStart(10)} Qdevice${suffix}\n`);
  }
  const header = device ? "    Nodeid      Votes    Qdevice Name" : "    Nodeid      Votes Name";
  return `Membership information\n----------------------\n${header}\n${rows.join("")}`;
}

/** votequorum's flags in corosync-quorumtool's fixed order, each followed by a space. */
function flagsOf(view: QuorumView): string {
  const waitForAll = view.conf.waitForAll ?? view.conf.twoNode;
  return [
    view.conf.twoNode && view.conf.nodes.length === 2 ? "2Node " : "",
    view.quorate ? "Quorate " : "",
    waitForAll ? "WaitForAll " : "",
    view.qdevice?.registered ? "Qdevice " : "",
  ].join("");
}

export function quorumStatus(
  state: LabState,
  view: QuorumView,
  local: LabNode,
  format: QuorumFormat,
): string {
  const self = view.members.find((m) => m.node === local);
  const lowest = Math.min(...view.members.map((m) => m.nodeid));
  return (
    "Quorum information\n------------------\n" +
    line("Date", ctime(state.clock)) +
    line("Quorum provider", "corosync_votequorum") +
    line("Nodes", view.members.length) +
    line("Node ID", nodeId(self?.nodeid ?? local.nodeid, format.hex).trim()) +
    line("Ring ID", `${lowest.toString(16)}.${state.membershipEpoch.toString(16)}`) +
    line("Quorate", view.quorate ? "Yes" : "No") +
    "\nVotequorum information\n----------------------\n" +
    line("Expected votes", view.expectedVotes) +
    line("Highest expected", view.highestExpected) +
    line("Total votes", view.totalVotes) +
    line("Quorum", `${view.quorum} ${view.quorate ? " " : "Activity blocked"}`) +
    line("Flags", flagsOf(view)) +
    "\n" +
    membership(view, local, format, state)
  );
}
