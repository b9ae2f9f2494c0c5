/**
 * The QDevice guards, pure: what the facts say about the cluster's quorum device (`qdeviceHealth`,
 * shared by decide and detect) and whether `pvecm qdevice setup` may run now (`setupGuard`).
 */
import { type CodedRefusal, refusal } from "../../kit/refuse.js";
import type { QdeviceFacts, QdeviceNode } from "../probes/qdevice.js";

export interface QdeviceHealth {
  /** Node names in corosync.conf. */
  configured: string[];
  /** Votes corosync.conf gives: every node's quorum_votes plus the device's (or expected_votes). */
  configuredExpected: number;
  /** Nodes whose runtime expected votes are below `configuredExpected` (`pvecm expected N`). */
  forced: Array<{ node: string; expected: number }>;
  /** `two_node` / `wait_for_all` keys written by hand (PVE never writes them). */
  handSet: string[];
  /** With a device configured: nodes whose view does not count its vote, with what they show. */
  notVoting: Array<{
    node: string;
    shows: string;
    /** `daemon`: corosync-qdevice does not run there; `qnetd`: it runs but qnetd gives no vote. */
    cause: "daemon" | "qnetd";
  }>;
}

const viewed = (f: QdeviceFacts) =>
  f.nodes.filter((n): n is QdeviceNode & { votes: NonNullable<QdeviceNode["votes"]> } => n.votes !== null);

export function qdeviceHealth(f: QdeviceFacts): QdeviceHealth {
  const nodeVotes = f.conf.nodes.reduce((sum, n) => sum + n.votes, 0);
  const configuredExpected =
    f.conf.expectedVotes !== null && /^\d+$/.test(f.conf.expectedVotes)
      ? Number(f.conf.expectedVotes)
      : nodeVotes + (f.conf.device?.votes ?? 0);
  const handSet = [
    ...(f.conf.twoNode !== null ? [`two_node: ${f.conf.twoNode}`] : []),
    ...(f.conf.waitForAll !== null ? [`wait_for_all: ${f.conf.waitForAll}`] : []),
  ];
  const forced = viewed(f)
    .filter((n) => n.votes.expectedVotes < configuredExpected)
    .map((n) => ({ node: n.node, expected: n.votes.expectedVotes }));
  const notVoting: QdeviceHealth["notVoting"] = [];
  if (f.conf.device) {
    for (const n of f.nodes) {
      if (!n.reachable) continue;
      const v = n.votes;
      const running = n.daemon?.running === true;
      const daemon = running
        ? `corosync-qdevice-tool: ${n.daemon?.state ?? "no state"}`
        : (n.daemon?.error ?? "corosync-qdevice-tool gave no answer");
      if (!v) continue;
      // votequorum's own word decides: a registered device (Flags: Qdevice) whose vote is missing means qnetd.
      const cause = v.flags.includes("Qdevice") ? "qnetd" : "daemon";
      if (!v.flags.includes("Qdevice"))
        notVoting.push({ node: n.node, shows: `Flags: ${v.flags.join(" ")} (no Qdevice); ${daemon}`, cause });
      else if (!v.qdeviceVotes?.casting)
        notVoting.push({
          node: n.node,
          shows: `Qdevice ${v.qdeviceColumn ?? "NV"}, device row 0 votes; ${daemon}`,
          cause,
        });
    }
  }
  return { configured: f.conf.nodes.map((n) => n.name), configuredExpected, forced, handSet, notVoting };
}

export type SetupGuard =
  | { kind: "ok"; handSet: string[]; expectedAfter: number }
  | { kind: "nothing-to-do"; reason: string }
  | {
      kind: "refusal";
      refusal: CodedRefusal<
        | "qdevice-node-joining"
        | "qdevice-odd-nodes"
        | "qdevice-exists"
        | "qdevice-not-ready"
        | "qnetd-unreachable"
        | "node-unreachable"
      >;
    };

const unreachable = (node: string, why: string) =>
  refusal("node-unreachable", {
    message: `${node} does not answer over SSH`,
    detail: `${why}: pick another node with --node, or bring ${node} back`,
    node,
  });

const no = (r: Extract<SetupGuard, { kind: "refusal" }>["refusal"]): SetupGuard => ({
  kind: "refusal",
  refusal: r,
});

/** May `pvecm qdevice setup <qnetd>` run on `setupNode` now? The preconditions in the order they matter. */
export function setupGuard(f: QdeviceFacts, qnetd: string, setupNode: string): SetupGuard {
  const h = qdeviceHealth(f);
  if (f.joining.length > 0) {
    const how = `in corosync.conf (config_version ${f.conf.configVersion ?? "?"}) but never a member: no /etc/pve/nodes/${f.joining[0]}`;
    return no(refusal("qdevice-node-joining", { nodes: f.joining, how }));
  }
  if (h.configured.length % 2 === 1) return no(refusal("qdevice-odd-nodes", { nodes: h.configured }));
  const device = f.conf.device;
  if (device) {
    const problem =
      device.host !== qnetd
        ? `corosync.conf names qnetd ${device.host ?? "(no host)"}, not ${qnetd}`
        : h.notVoting.length > 0
          ? `its vote does not count: ${h.notVoting.map((n) => `${n.node}: ${n.shows}`).join("; ")}`
          : null;
    if (problem === null) {
      const nodes = viewed(f)
        .map((n) => n.node)
        .join(", ");
      return {
        kind: "nothing-to-do",
        reason: `a QDevice with qnetd ${qnetd} votes: Flags Quorate Qdevice on ${nodes}, expected votes ${h.configuredExpected}`,
      };
    }
    return no(refusal("qdevice-exists", { host: device.host, wanted: qnetd, problem }));
  }
  const forced = h.forced[0];
  if (forced)
    return no(
      refusal("qdevice-not-ready", {
        case: "forced-expected",
        node: forced.node,
        expected: forced.expected,
        configured: h.configuredExpected,
      }),
    );
  const setup = f.nodes.find((n) => n.node === setupNode);
  if (!setup?.reachable) return no(unreachable(setupNode, "it runs `pvecm qdevice setup`"));
  const members = new Set(setup.votes?.members ?? []);
  const offline = h.configured.filter(
    (n) => !members.has(n) || !f.nodes.find((x) => x.node === n)?.reachable,
  );
  if (offline.length > 0) {
    const seen = setup.votes
      ? `${setupNode}'s membership: ${[...members].join(", ") || "none"}`
      : `${setupNode}: ${setup.problem ?? "no quorum view"}`;
    return no(refusal("qdevice-not-ready", { case: "offline", nodes: offline, seen }));
  }
  const notQuorate = f.nodes
    .filter((n) => h.configured.includes(n.node) && !n.votes?.quorate)
    .map((n) => n.node);
  if (notQuorate.length > 0)
    return no(refusal("qdevice-not-ready", { case: "not-quorate", nodes: notQuorate }));
  const missing = f.nodes
    .filter((n) => h.configured.includes(n.node) && n.installed === false)
    .map((n) => n.node);
  if (missing.length > 0) return no(refusal("qdevice-not-ready", { case: "not-installed", nodes: missing }));
  const stores = f.nodes.filter((n) => n.certStore === true).map((n) => n.node);
  if (stores.length > 0) return no(refusal("qdevice-not-ready", { case: "cert-store", nodes: stores }));
  if (f.haMoving.length > 0)
    return no(refusal("qdevice-not-ready", { case: "ha-in-flight", resources: f.haMoving }));
  const q = f.qnetd;
  if (!q) return no(unreachable(setupNode, "the qnetd host is checked from it"));
  if (!q.ssh)
    return no(
      refusal("qnetd-unreachable", {
        case: "ssh",
        addr: q.addr,
        from: q.from,
        error: q.error ?? "ssh failed",
      }),
    );
  if (q.service !== "active")
    return no(
      refusal("qnetd-unreachable", {
        case: "not-running",
        addr: q.addr,
        from: q.from,
        state: q.service ?? "unknown",
      }),
    );
  // ffsplit: the device adds one vote to the nodes' votes.
  return { kind: "ok", handSet: h.handSet, expectedAfter: h.configuredExpected + 1 };
}
