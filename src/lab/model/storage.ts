/**
 * Storages from /etc/pve/storage.cfg and their mounts: network storages live under
 * /mnt/pve/<id>, a mount is hung when its server stopped answering, and kernel mount
 * options look like the real ones (/proc/mounts is what probes read).
 */
import type { LabMount, LabNode, LabState } from "../state.js";
import { mainKeys } from "./guest-conf.js";
import { guestConfigPaths } from "./pmxcfs.js";

export interface LabStorage {
  type: string;
  id: string;
  props: Record<string, string>;
}

const NETWORK_TYPES = new Set(["nfs", "cifs", "glusterfs", "cephfs"]);

/** SectionConfig: `type: id` headers, indented `key value` lines, a bare key means 1. */
export function readStorageCfg(text: string): LabStorage[] {
  const storages: LabStorage[] = [];
  let current: LabStorage | null = null;
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const header = /^(\S+):\s*(\S+)\s*$/.exec(line);
    if (header && !/^\s/.test(line)) {
      current = { type: header[1] ?? "", id: header[2] ?? "", props: {} };
      storages.push(current);
      continue;
    }
    const prop = /^\s+(\S+)(?:\s+(.*))?$/.exec(line);
    if (prop && current) current.props[prop[1] ?? ""] = (prop[2] ?? "1").trim();
  }
  return storages;
}

export function isNetworkStorage(storage: LabStorage): boolean {
  return NETWORK_TYPES.has(storage.type);
}

export function storagePath(storage: LabStorage): string | null {
  if (isNetworkStorage(storage)) return storage.props.path ?? `/mnt/pve/${storage.id}`;
  return storage.props.path ?? null;
}

export function enabledOn(storage: LabStorage, node: string): boolean {
  const nodes = storage.props.nodes;
  return (
    nodes === undefined ||
    nodes
      .split(",")
      .map((n) => n.trim())
      .includes(node)
  );
}

export function serverUp(state: LabState, server: string): boolean {
  return (state.nfsServers[server] ?? "up") === "up";
}

/** The mount the kernel would show after mounting `source` (`server:/export` or `//server/share`). */
export function kernelMount(
  state: LabState,
  node: LabNode,
  opts: { fstype: string; source: string; mountpoint: string; options: string },
): LabMount {
  const server = opts.source.startsWith("//")
    ? (opts.source.slice(2).split("/")[0] ?? "")
    : (opts.source.split(":")[0] ?? "");
  const given = new Map(
    opts.options
      .split(",")
      .filter(Boolean)
      .map((o) => [o.split("=")[0] ?? "", o.split("=")[1] ?? ""]),
  );
  const hung = !serverUp(state, server);
  if (opts.fstype === "cifs") {
    const user = given.get("username") ?? "guest";
    const options =
      `rw,relatime,vers=3.1.1,cache=strict,username=${user},uid=0,noforceuid,gid=0,noforcegid,addr=${server},` +
      "file_mode=0755,dir_mode=0755,soft,nounix,serverino,mapposix,rsize=4194304,wsize=4194304,bsize=1048576," +
      "echo_interval=60,actimeo=1,closetimeo=1";
    return { source: opts.source, mountpoint: opts.mountpoint, fstype: "cifs", options, hung };
  }
  const vers = given.get("vers") ?? (opts.fstype === "nfs4" ? "4.2" : "4.2");
  const hard = given.has("soft") ? "soft" : "hard";
  if (vers.startsWith("4")) {
    const options =
      `rw,relatime,vers=${vers},rsize=1048576,wsize=1048576,namlen=255,${hard},proto=tcp,timeo=600,retrans=2,` +
      `sec=sys,clientaddr=${node.ip},local_lock=none,addr=${server}`;
    return { source: opts.source, mountpoint: opts.mountpoint, fstype: "nfs4", options, hung };
  }
  const options =
    `rw,relatime,vers=${vers},rsize=1048576,wsize=1048576,namlen=255,${hard},proto=tcp,timeo=600,retrans=2,` +
    `sec=sys,mountaddr=${server},mountvers=${vers},mountport=20048,mountproto=udp,local_lock=none,addr=${server}`;
  return { source: opts.source, mountpoint: opts.mountpoint, fstype: "nfs", options, hung };
}

/** How `pvesm` activation mounts a network storage. */
export function storageMount(state: LabState, node: LabNode, storage: LabStorage): LabMount {
  const p = storage.props;
  const mountpoint = storagePath(storage) ?? `/mnt/pve/${storage.id}`;
  if (storage.type === "cifs") {
    const options = p.username ? `username=${p.username}` : "";
    return kernelMount(state, node, {
      fstype: "cifs",
      source: `//${p.server}/${p.share}`,
      mountpoint,
      options,
    });
  }
  return kernelMount(state, node, {
    fstype: "nfs",
    source: `${p.server}:${p.export}`,
    mountpoint,
    options: p.options ?? "",
  });
}

/** A running guest on `node` has a volume on a storage mounted at `mountpoint`. */
export function mountInUse(
  state: LabState,
  node: LabNode,
  storages: LabStorage[],
  mountpoint: string,
): boolean {
  const ids = storages.filter((s) => storagePath(s) === mountpoint).map((s) => s.id);
  return guestConfigPaths(state).some((g) => {
    if (g.node !== node.name || state.guests[String(g.vmid)]?.status !== "running") return false;
    const values = Object.values(mainKeys(state.pve[g.rel] ?? ""));
    return values.some((v) => ids.some((id) => v.startsWith(`${id}:`)));
  });
}

/** Deterministic sizes (KiB) for storages the scenario did not size explicitly. */
export function storageUsage(state: LabState, id: string): { total: number; used: number } {
  const given = state.storageUsage[id];
  if (given) return given;
  let hash = 0;
  for (const c of id) hash = (hash * 31 + c.charCodeAt(0)) % 1000;
  const total = 98_497_780 + hash * 1_048_576;
  return { total, used: Math.floor(total * (0.1037 + (hash % 600) / 1000)) };
}
