/**
 * What diagnose reports about a cluster's quorum device, from its facts (pure): an even node count
 * without a QDevice, `two_node`/`wait_for_all` set by hand, a QDevice whose vote no longer counts
 * (qnetd unreachable, corosync-qdevice stopped), a node forced quorate with `pvecm expected`, and a
 * node being added while a QDevice is configured.
 */
import { type FindingInput, finding } from "../../kit/finding.js";
import { sh } from "../../shell/quote.js";
import { qdeviceHealth } from "../guards/qdevice.js";
import type { QdeviceFacts } from "../probes/qdevice.js";

const PLACEHOLDER = ["--qnetd QNETD-IP"];
const list = (items: readonly string[]) => items.join(", ");

export function qdeviceFindings(f: QdeviceFacts): FindingInput[] {
  const h = qdeviceHealth(f);
  const count = h.configured.length;
  const device = f.conf.device;
  const out: FindingInput[] = [];
  for (const forced of h.forced) {
    out.push(
      finding({
        severity: "critical",
        node: forced.node,
        summary: `${forced.node} runs with expected votes forced to ${forced.expected} (corosync.conf gives ${h.configuredExpected}): \`pvecm expected\` made it quorate on its own, a split brain if a node comes back cut off from it. Undo it once every node is back (\`systemctl restart corosync\` on ${forced.node}); a QDevice keeps quorum without it`,
        verb: "plan",
        params: {},
        placeholders: PLACEHOLDER,
      }),
    );
  }
  if (device && f.joining.length > 0) {
    out.push(
      finding({
        severity: "critical",
        summary: `${list(f.joining)} ${f.joining.length === 1 ? "is" : "are"} being added while a QDevice (qnetd ${device.host}) is configured: remove the QDevice first`,
        verb: "explain",
        params: {},
        manual: "pvecm qdevice remove",
      }),
    );
  }
  const host = device?.host ?? "(no host)";
  const lost = "The tiebreaker is gone: one node down and the cluster loses quorum";
  const qnetdLost = h.notVoting.filter((n) => n.cause === "qnetd");
  if (device && qnetdLost.length > 0) {
    out.push(
      finding({
        severity: "critical",
        node: qnetdLost[0]!.node,
        summary: `The QDevice's vote does not count (qnetd ${host}): ${qnetdLost.map((n) => `${n.node}: ${n.shows}`).join("; ")}. ${lost}`,
        verb: "explain",
        params: { qnetd: host },
        manual: sh`ssh -o BatchMode=yes -l root ${host} systemctl status corosync-qnetd`,
      }),
    );
  }
  for (const n of h.notVoting.filter((x) => x.cause === "daemon")) {
    out.push(
      finding({
        severity: "critical",
        node: n.node,
        summary: `corosync-qdevice does not run on ${n.node} (qnetd ${host}): ${n.shows}. ${n.node} does not count the QDevice's vote; ${lost.charAt(0).toLowerCase()}${lost.slice(1)} there`,
        verb: "explain",
        params: { qnetd: host },
        manual: "systemctl start corosync-qdevice",
      }),
    );
  }
  if (!device && count % 2 === 0 && f.joining.length === 0) {
    const hand = h.handSet.length > 0 ? `; ${list(h.handSet)} set by hand in corosync.conf instead` : "";
    out.push(
      finding({
        severity: "warning",
        summary:
          count === 2
            ? `${list(h.configured)} form a two-node cluster without a QDevice: either node down and the other loses quorum${hand}`
            : `${count} nodes (an even number) and no QDevice: half of them down and the rest loses quorum${hand}`,
        verb: "plan",
        params: {},
        placeholders: PLACEHOLDER,
      }),
    );
  }
  return out;
}
