/**
 * pmxcfs as seen from one node: mounted while pve-cluster runs (or a manual `pmxcfs -l`),
 * writable only with quorum (or in local mode), the per-node symlinks, and the generated
 * `.members` / `.vmlist` files in their exact, not-quite-pretty JSON shapes (status.c).
 */
import type { LabNode, LabState } from "../state.js";
import { corosyncRunning, nodeQuorate, partitionOf, runningConf } from "./quorum.js";

export const PVE_ROOT = "/etc/pve";
const SYMLINKS: Record<string, string> = {
  local: "",
  lxc: "/lxc",
  "qemu-server": "/qemu-server",
  openvz: "/openvz",
};
const VIRTUAL = new Set([".members", ".vmlist"]);

export function pmxcfsMounted(node: LabNode): boolean {
  return node.up && (node.services["pve-cluster"] === "active" || node.pmxcfsLocalMode);
}

/** pmxcfs accepts writes from this node (quorum, or forced local mode). */
export function pmxcfsQuorate(state: LabState, node: LabNode): boolean {
  if (node.pmxcfsLocalMode) return true;
  return node.services["pve-cluster"] === "active" && nodeQuorate(state, node);
}

/** Follow the pmxcfs symlinks in a path relative to /etc/pve (`local/lxc/1.conf` → `nodes/pve1/lxc/1.conf`). */
export function resolvePveRel(node: LabNode, rel: string): string {
  const [first = "", ...rest] = rel.split("/");
  const target = SYMLINKS[first];
  if (target === undefined) return rel;
  return [`nodes/${node.name}${target}`, ...rest].join("/");
}

export function isPveSymlink(rel: string): boolean {
  return rel in SYMLINKS;
}

export function isVirtualPveFile(rel: string): boolean {
  return VIRTUAL.has(rel);
}

export function virtualPveFile(state: LabState, node: LabNode, rel: string): string | null {
  if (rel === ".members") return membersFile(state, node);
  if (rel === ".vmlist") return vmlistFile(state);
  return null;
}

export function pveDirExists(state: LabState, rel: string): boolean {
  if (rel === "") return true;
  if (state.pveDirs.includes(rel)) return true;
  const prefix = `${rel}/`;
  return Object.keys(state.pve).some((path) => path.startsWith(prefix));
}

/** Guest configs found in pmxcfs, in file order (pmxcfs lists them in hash order, so never sorted). */
export function guestConfigPaths(
  state: LabState,
): Array<{ vmid: number; node: string; type: "qemu" | "lxc"; rel: string }> {
  const found: Array<{ vmid: number; node: string; type: "qemu" | "lxc"; rel: string }> = [];
  for (const rel of Object.keys(state.pve)) {
    const match = /^nodes\/([^/]+)\/(lxc|qemu-server)\/(\d+)\.conf$/.exec(rel);
    if (!match) continue;
    found.push({
      vmid: Number(match[3]),
      node: match[1] ?? "",
      type: match[2] === "lxc" ? "lxc" : "qemu",
      rel,
    });
  }
  return found;
}

function membersFile(state: LabState, node: LabNode): string {
  const conf = runningConf(node);
  if (node.pmxcfsLocalMode || conf.nodes.length === 0) {
    return `{\n"nodename": "${node.name}",\n"version": 0\n}\n`;
  }
  const online = new Set(corosyncRunning(node) ? (partitionOf(state, node) ?? []).map((n) => n.name) : []);
  const quorate = pmxcfsQuorate(state, node) ? 1 : 0;
  const lines = conf.nodes.map((entry) => {
    const ip = state.nodes.find((n) => n.name === entry.name)?.ip ?? entry.rings[0];
    const ipPart = ip ? `, "ip": "${ip}"` : "";
    return `  "${entry.name}": { "id": ${entry.nodeid}, "online": ${online.has(entry.name) ? 1 : 0}${ipPart}}`;
  });
  return (
    `{\n"nodename": "${node.name}",\n"version": ${state.membershipEpoch},\n` +
    `"cluster": { "name": "${conf.clusterName ?? ""}", "version": ${conf.configVersion ?? 0}, ` +
    `"nodes": ${conf.nodes.length}, "quorate": ${quorate} },\n` +
    `"nodelist": {\n${lines.join(",\n")}\n  }\n}\n`
  );
}

function vmlistFile(state: LabState): string {
  const guests = guestConfigPaths(state);
  const version = guests.length + state.membershipEpoch;
  if (guests.length === 0) return `{\n"version": ${version}\n\n}\n`;
  const entries = guests.map(
    (g, i) => `"${g.vmid}": { "node": "${g.node}", "type": "${g.type}", "version": ${i + 1} }`,
  );
  return `{\n"version": ${version},\n"ids": {\n${entries.join(",\n")}}\n\n}\n`;
}
