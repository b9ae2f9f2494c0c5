/**
 * Discovery: build an inventory from what one reachable node knows about its cluster
 * (`/etc/pve/corosync.conf` for the configured nodes, `/etc/pve/.members` for names and IPs).
 * It only reads; it never writes on the node. It lives with the probes, not in src/inventory/,
 * because it reads through a transport and inventory files sit below the transport.
 */
import { z } from "zod";
import { InventoryError, parseInventory } from "../../inventory/load.js";
import { type Inventory, NodeDefaults } from "../../inventory/schema.js";
import { readFile } from "../../transport/files.js";
import type { Transport } from "../../transport/types.js";
import { parseCorosyncConf } from "../parsers/corosync-conf.js";
import { parsePmxcfsMembers } from "../parsers/pmxcfs-members.js";

export const DiscoverOptions = z.object({
  /** Connection settings every discovered node gets (user, port, identity, jump). @default {} */
  defaults: NodeDefaults.default({}),
  /** known_hosts file written into the inventory. */
  knownHosts: z.string().min(1).optional(),
  /** Used only when neither file names the cluster. @default "pve" */
  clusterName: z.string().min(1).default("pve"),
  /**
   * Look every node's host key up under its node name (`hostKeyAlias`), as PVE itself does
   * (`ssh -o HostKeyAlias=<node>` against /etc/pve/priv/known_hosts). @default false
   */
  pinByName: z.boolean().default(false),
  /** Per-command timeout for the two reads. @default 15000 */
  timeoutMs: z.number().int().positive().default(15_000),
});
export type DiscoverOptions = z.input<typeof DiscoverOptions>;

export const COROSYNC_CONF = "/etc/pve/corosync.conf";
export const MEMBERS = "/etc/pve/.members";
/** corosync's own copy: still there when pmxcfs is down and /etc/pve is an empty directory. */
export const LOCAL_COROSYNC_CONF = "/etc/corosync/corosync.conf";

/**
 * Ask `seedNode` which nodes make up its cluster (see inventoryFromClusterFiles). When pmxcfs is
 * down on the seed, corosync's local copy of corosync.conf is used instead.
 * @example const inv = await discoverInventory(transport, "pve1", { defaults: { user: "root" } });
 */
export async function discoverInventory(
  t: Transport,
  seedNode: string,
  options: DiscoverOptions = {},
): Promise<Inventory> {
  const opts = DiscoverOptions.parse(options);
  const read = async (path: string) => {
    const file = await readFile(t, seedNode, path, { timeoutMs: opts.timeoutMs });
    return file.exists ? file.content.toString("utf8") : undefined;
  };
  const [pveCorosyncConf, members] = await Promise.all([read(COROSYNC_CONF), read(MEMBERS)]);
  const localCorosyncConf =
    pveCorosyncConf !== undefined || members !== undefined ? undefined : await read(LOCAL_COROSYNC_CONF);
  return inventoryFromClusterFiles(
    { pveCorosyncConf, members, localCorosyncConf },
    seedNode,
    `inventory discovered from ${seedNode}`,
    opts,
  );
}

/** The three cluster files as one node has them; `undefined` for a file that does not exist (or cannot be read). */
export interface ClusterFiles {
  /** /etc/pve/corosync.conf (pmxcfs). */
  pveCorosyncConf?: string | undefined;
  /** /etc/pve/.members (pmxcfs). */
  members?: string | undefined;
  /** /etc/corosync/corosync.conf: corosync's own copy, read when pmxcfs is down. */
  localCorosyncConf?: string | undefined;
}

/**
 * The inventory the cluster files describe (pure). The address of each node is its corosync
 * `ring0_addr`, else the IP pmxcfs learned, else its name; a standalone node is just `seedNode`.
 * `source` names where the files came from in every error.
 */
export function inventoryFromClusterFiles(
  files: ClusterFiles,
  seedNode: string,
  source: string,
  options: DiscoverOptions = {},
): Inventory {
  const opts = DiscoverOptions.parse(options);
  const conf = files.pveCorosyncConf ?? files.localCorosyncConf;
  if (conf === undefined && files.members === undefined) {
    throw new InventoryError(source, [
      `none of ${COROSYNC_CONF}, ${MEMBERS} and ${LOCAL_COROSYNC_CONF} exists on ${seedNode}: ` +
        "pmxcfs (pve-cluster) is not running there and corosync is not configured. Write an inventory file and pass it with -i.",
    ]);
  }
  const parsedMembers = files.members !== undefined ? parsePmxcfsMembers(files.members) : null;
  const ipOf = new Map((parsedMembers?.nodelist ?? []).map((n) => [n.name, n.ip]));

  let clusterName: string | null = parsedMembers?.cluster?.name ?? null;
  let nodes: Inventory["nodes"];
  if (conf !== undefined) {
    const parsedConf = parseCorosyncConf(conf);
    clusterName = parsedConf.clusterName ?? clusterName;
    nodes = [...parsedConf.nodes]
      .sort((a, b) => (a.nodeid ?? Number.MAX_SAFE_INTEGER) - (b.nodeid ?? Number.MAX_SAFE_INTEGER))
      .map((n) => ({ name: n.name, host: n.rings[0] ?? ipOf.get(n.name) ?? n.name }));
  } else if (parsedMembers && parsedMembers.nodelist.length > 0) {
    nodes = parsedMembers.nodelist.map((n) => ({ name: n.name, host: n.ip ?? n.name }));
  } else {
    // A standalone node (pmxcfs runs, no corosync.conf): the inventory is just that node.
    nodes = [{ name: parsedMembers?.nodename ?? seedNode }];
  }
  if (nodes.length === 0) {
    throw new InventoryError(source, [`${COROSYNC_CONF} on ${seedNode} lists no nodes in its nodelist`]);
  }
  const pinned = opts.pinByName ? nodes.map((n) => ({ ...n, hostKeyAlias: n.name })) : nodes;
  return parseInventory(
    {
      cluster: clusterName ?? opts.clusterName,
      defaults: opts.defaults,
      ...(opts.knownHosts ? { knownHosts: opts.knownHosts } : {}),
      nodes: pinned,
    },
    source,
  );
}
