/**
 * A corosync QDevice in the lab: the corosync-qdevice daemon on each node, the corosync-qnetd host
 * it connects to (TCP 5403, TLS with the certificates `pvecm qdevice setup` exchanged) and the
 * ffsplit vote. qnetd gives its one vote to one partition of the nodes whose daemon is connected:
 * the one with more nodes, on a tie the one with the lowest node id (tie_breaker: lowest).
 */
import type { LabNode, LabState } from "../state.js";
import type { LabCorosyncConf } from "./corosync-conf.js";
import { corosyncRunning, partitionOf, runningConf } from "./quorum.js";

export const QNETD_PORT = 5403;
/** The node's QDevice certificate store (`corosync-qdevice-net-certutil -i`). */
export const QDEVICE_CERT_STORE = "/etc/corosync/qdevice/net/nssdb";
export const QDEVICE_UNIT = "corosync-qdevice";
/** Present when the corosync-qdevice package is installed. */
export const QDEVICE_BIN = "/usr/sbin/corosync-qdevice";
export const QNETD_UNIT = "corosync-qnetd";

/** The votes a configured device carries: `votes:`, else 1 for ffsplit and nodes - 1 for lms. */
export function deviceVotes(conf: LabCorosyncConf): number {
  if (!conf.device) return 0;
  return conf.device.votes ?? (conf.device.algorithm === "lms" ? Math.max(conf.nodes.length - 1, 1) : 1);
}

/** corosync-qdevice runs on the node and has registered the device with its votequorum. */
export function qdeviceRegistered(node: LabNode): boolean {
  return (
    corosyncRunning(node) && node.services[QDEVICE_UNIT] === "active" && runningConf(node).device !== null
  );
}

/** The node's qdevice holds a TLS connection to the qnetd its running config names. */
export function qdeviceConnected(state: LabState, node: LabNode): boolean {
  const qnetd = state.qnetd;
  const conf = runningConf(node);
  return (
    qdeviceRegistered(node) &&
    qnetd?.up === true &&
    qnetd.service === "active" &&
    conf.device?.host === qnetd.ip &&
    qnetd.clusters.includes(conf.clusterName ?? "") &&
    node.dirs.includes(QDEVICE_CERT_STORE)
  );
}

const lowestId = (nodes: readonly LabNode[]) => Math.min(...nodes.map((n) => n.nodeid));
const key = (nodes: readonly LabNode[]) => nodes.map((n) => n.name).join(",");

/** Whether qnetd's ffsplit vote goes to `partition` (a corosync membership as partitionOf returns it). */
export function qnetdVotesFor(state: LabState, partition: readonly LabNode[]): boolean {
  const groups = new Map<string, LabNode[]>();
  for (const node of state.nodes) {
    if (!qdeviceConnected(state, node)) continue;
    const members = partitionOf(state, node) ?? [node];
    groups.set(key(members), members);
  }
  const winner = [...groups.values()].sort((a, b) => b.length - a.length || lowestId(a) - lowestId(b))[0];
  return winner !== undefined && key(winner) === key(partition);
}

/** A member's Qdevice column: `A`/`NA` alive, `V`/`NV` casts a vote, `NMW`; `NR` not registered. */
export function qdeviceFlags(state: LabState, node: LabNode, partition: readonly LabNode[]): string {
  if (!qdeviceRegistered(node)) return "NR";
  const votes = qdeviceConnected(state, node) && qnetdVotesFor(state, partition);
  return `A,${votes ? "V" : "NV"},NMW`;
}

/** `corosync-qdevice-tool -s` of the daemon on `node` (qdevice-ipc-cmd.c, qdevice-net-ipc-cmd.c). */
export function qdeviceToolStatus(state: LabState, node: LabNode): string {
  const conf = runningConf(node);
  const partition = partitionOf(state, node) ?? [node];
  const self = conf.nodes.find((n) => n.name === node.name)?.nodeid ?? node.nodeid;
  const configured = [...conf.nodes]
    .sort((a, b) => a.nodeid - b.nodeid)
    .map((n, i) => `    ${i}\tNode ID = ${n.nodeid}\n`)
    .join("");
  const connected = qdeviceConnected(state, node);
  const algorithm = conf.device?.algorithm === "lms" ? "LMS" : "Fifty-Fifty split";
  return (
    "Qdevice information\n-------------------\n" +
    "Model:\t\t\tNet\n" +
    `Node ID:\t\t${self}\n` +
    (conf.configVersion !== null ? `Configuration version:\t${conf.configVersion}\n` : "") +
    `Configured node list:\n${configured}` +
    `Membership node list:\t${partition.map((n) => n.nodeid).join(", ")}\n\n` +
    "Qdevice-net information\n----------------------\n" +
    `Cluster name:\t\t${conf.clusterName ?? ""}\n` +
    `QNetd host:\t\t${conf.device?.host ?? ""}:${QNETD_PORT}\n` +
    `Algorithm:\t\t${algorithm}\n` +
    "Tie-breaker:\t\tNode with lowest node ID\n" +
    `State:\t\t\t${connected ? "Connected" : "Connect failed"}\n`
  );
}

/** PVE's `write_conf` order inside `quorum`: device { model, net { algorithm, host, tls }, votes }, then provider. */
export function withDevice(text: string, host: string, algorithm: string): string {
  const votes = algorithm === "ffsplit" ? "    votes: 1\n" : "";
  const device = `  device {\n    model: net\n    net {\n      algorithm: ${algorithm}\n      host: ${host}\n      tls: on\n    }\n${votes}  }\n`;
  return text.replace(/^quorum \{\n/m, `quorum {\n${device}`);
}

export function withoutDevice(text: string): string {
  return text.replace(/^ {2}device \{\n(?:^ {4}.*\n)*^ {2}\}\n/m, "");
}

/** atomic_write_conf: config_version + 1. */
export function bumpVersion(text: string): string {
  return text.replace(/^(\s*config_version:\s*)(\d+)/m, (_, k: string, v: string) => `${k}${Number(v) + 1}`);
}
