/**
 * Zero configuration on a Proxmox VE node: when pvefix runs on a node and is given no inventory,
 * the node itself says which cluster it belongs to. The node list and addresses come from
 * /etc/pve/.members and /etc/pve/corosync.conf (corosync's /etc/corosync/corosync.conf when pmxcfs
 * is down), the peers are reached the way PVE reaches them (root's key, every node's host key
 * pinned by node name in /etc/pve/priv/known_hosts), and this node needs no SSH at all.
 * It only reads local files; it never writes.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import * as path from "node:path";
import { InventoryError } from "../../inventory/load.js";
import type { Inventory } from "../../inventory/schema.js";
import { COROSYNC_CONF, inventoryFromClusterFiles, LOCAL_COROSYNC_CONF, MEMBERS } from "./discover.js";

/** PVE's cluster-wide known_hosts, which pmxcfs serves and `pvecm updatecerts` keeps. */
export const PVE_KNOWN_HOSTS = "/etc/pve/priv/known_hosts";
/**
 * pmxcfs's database: on every PVE node, whether pmxcfs runs or not. It tells a PVE node whose
 * pmxcfs is down from a machine that merely has corosync installed (Debian ships a sample
 * /etc/corosync/corosync.conf with the package).
 */
export const PMXCFS_DB = "/var/lib/pve-cluster/config.db";
/** The keys PVE's own SSH uses (pvecm creates id_rsa); tried in this order. */
const ROOT_KEYS = ["id_ed25519", "id_rsa"];

/**
 * Where the node's files are read from: `/`, or the tree in `$PVEFIX_PVE_ROOT`. That variable
 * exists for tests (a fake /etc tree); on a node it is never set.
 */
export function pveRoot(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.PVEFIX_PVE_ROOT;
  return root ? path.resolve(root) : "/";
}

export interface ThisNodeOptions {
  /** The file system root the node's /etc is under. @default "/" */
  root?: string;
  /** Home of the user pvefix runs as (root on a node): its ~/.ssh keys and known_hosts. @default os.homedir() */
  home?: string;
}

export interface ThisNode {
  inventory: Inventory;
  /** The node pvefix runs on, reached without SSH; `null` when its name is not in the node list. */
  localNode: string | null;
  /** The files the inventory was read from, as the node names them. */
  sources: string[];
  /** What the operator should know about how it was found (pmxcfs down, no key, …), one line each. */
  notes: string[];
}

function readText(root: string, file: string): string | undefined {
  try {
    return readFileSync(path.join(root, file), "utf8");
  } catch {
    // Missing, unreadable or (pmxcfs down) an empty mount point: all mean "not there".
    return undefined;
  }
}

/** Is this machine a Proxmox VE node, pmxcfs running or not? */
export function isPveNode(options: ThisNodeOptions = {}): boolean {
  const root = options.root ?? "/";
  if (readText(root, MEMBERS) !== undefined || readText(root, COROSYNC_CONF) !== undefined) return true;
  return existsSync(path.join(root, PMXCFS_DB)) && readText(root, LOCAL_COROSYNC_CONF) !== undefined;
}

/** The node name PVE uses for this machine: the short host name (PVE's `nodename`). */
function localName(root: string, members: string | undefined): string {
  const fromMembers = members ? /"nodename"\s*:\s*"([^"]+)"/.exec(members)?.[1] : undefined;
  if (fromMembers) return fromMembers;
  const etcHostname = readText(root, "/etc/hostname")?.trim();
  return (etcHostname || hostname()).split(".")[0] ?? "";
}

/**
 * The inventory of the cluster this node belongs to.
 * @throws InventoryError when this is not a PVE node or its files cannot be read as a cluster.
 * @example const { inventory, localNode } = discoverThisNode(); // localNode "pve1"
 */
export function discoverThisNode(options: ThisNodeOptions = {}): ThisNode {
  const root = options.root ?? "/";
  const home = options.home ?? homedir();
  const notes: string[] = [];
  const members = readText(root, MEMBERS);
  const pveConf = readText(root, COROSYNC_CONF);
  const pmxcfsUp = members !== undefined || pveConf !== undefined;
  const pveNode = pmxcfsUp || existsSync(path.join(root, PMXCFS_DB));
  const localConf = pmxcfsUp || !pveNode ? undefined : readText(root, LOCAL_COROSYNC_CONF);
  const sources = [
    ...(members !== undefined ? [MEMBERS] : []),
    ...(pveConf !== undefined ? [COROSYNC_CONF] : []),
    ...(localConf !== undefined ? [LOCAL_COROSYNC_CONF] : []),
  ];
  const self = localName(root, members);
  if (!pmxcfsUp) {
    if (localConf === undefined) {
      throw new InventoryError("this machine", [
        `not a Proxmox VE node: neither ${MEMBERS} nor ${COROSYNC_CONF} can be read, and there is no ${PMXCFS_DB} with ${LOCAL_COROSYNC_CONF}. ` +
          "Pass the cluster's inventory with -i FILE, or --lab for the embedded lab cluster.",
      ]);
    }
    notes.push(
      `/etc/pve is not readable: pmxcfs (pve-cluster) is not running on ${self}. ` +
        `The node list comes from ${LOCAL_COROSYNC_CONF}; host keys are checked against ~/.ssh/known_hosts.`,
    );
  }
  const key = ROOT_KEYS.map((k) => path.join(home, ".ssh", k)).find((k) => existsSync(k));
  if (!key) {
    notes.push(
      `no ${ROOT_KEYS.map((k) => `~/.ssh/${k}`).join(" or ")}: peers are logged in to with ssh-agent or ~/.ssh/config only.`,
    );
  }
  const knownHosts = pmxcfsUp ? path.join(root, PVE_KNOWN_HOSTS) : path.join(home, ".ssh", "known_hosts");
  const inventory = inventoryFromClusterFiles(
    { pveCorosyncConf: pveConf, members, localCorosyncConf: localConf },
    self,
    `inventory found on ${self} (${sources.join(", ")})`,
    {
      defaults: { user: "root", ...(key ? { identity: key } : {}) },
      knownHosts,
      pinByName: true,
      clusterName: self,
    },
  );
  const localNode = inventory.nodes.some((n) => n.name === self) ? self : null;
  if (localNode === null) {
    notes.push(
      `this machine's node name ${self} is not in the node list (${inventory.nodes.map((n) => n.name).join(", ")}): every node is reached over SSH.`,
    );
  }
  return { inventory, localNode, sources, notes };
}
