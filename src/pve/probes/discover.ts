/**
 * Discovery: build an inventory from what one reachable node knows about its cluster
 * (`/etc/pve/corosync.conf` for the configured nodes, `/etc/pve/.members` for names and IPs).
 * It only reads; it never writes on the node. It lives with the probes, not in src/inventory/,
 * because it reads through a transport and inventory files sit below the transport.
 */
import { z } from "zod";
import { InventoryError, parseInventory } from "../../inventory/load.js";
import { type Inventory, InventoryNode } from "../../inventory/schema.js";
import { readFile } from "../../transport/files.js";
import type { Transport } from "../../transport/types.js";
import { parseCorosyncConf } from "../parsers/corosync-conf.js";
import { parsePmxcfsMembers } from "../parsers/pmxcfs-members.js";

export const DiscoverOptions = z.object({
  /** Connection settings every discovered node gets (user, port, identity, jump). @default {} */
  defaults: InventoryNode.omit({ name: true }).partial().default({}),
  /** known_hosts file written into the inventory. */
  knownHosts: z.string().min(1).optional(),
  /** Used only when neither file names the cluster. @default "pve" */
  clusterName: z.string().min(1).default("pve"),
  /** Per-command timeout for the two reads. @default 15000 */
  timeoutMs: z.number().int().positive().default(15_000),
});
export type DiscoverOptions = z.input<typeof DiscoverOptions>;

const COROSYNC_CONF = "/etc/pve/corosync.conf";
const MEMBERS = "/etc/pve/.members";
/** corosync's own copy: still there when pmxcfs is down and /etc/pve is an empty directory. */
const LOCAL_COROSYNC_CONF = "/etc/corosync/corosync.conf";

/**
 * Ask `seedNode` which nodes make up its cluster. The address of each node is its corosync
 * `ring0_addr`, else the IP pmxcfs learned, else its name (resolved by DNS or ~/.ssh/config).
 * When pmxcfs is down on the seed, corosync's local copy of corosync.conf is used instead.
 * @example const inv = await discoverInventory(transport, "pve1", { defaults: { user: "root" } });
 */
export async function discoverInventory(
  t: Transport,
  seedNode: string,
  options: DiscoverOptions = {},
): Promise<Inventory> {
  const opts = DiscoverOptions.parse(options);
  const source = `inventory discovered from ${seedNode}`;
  const read = (path: string) => readFile(t, seedNode, path, { timeoutMs: opts.timeoutMs });
  const [pveConf, members] = await Promise.all([read(COROSYNC_CONF), read(MEMBERS)]);
  const conf = pveConf.exists || members.exists ? pveConf : await read(LOCAL_COROSYNC_CONF);
  if (!conf.exists && !members.exists) {
    throw new InventoryError(source, [
      `none of ${COROSYNC_CONF}, ${MEMBERS} and ${LOCAL_COROSYNC_CONF} exists on ${seedNode}: ` +
        "pmxcfs (pve-cluster) is not running there and corosync is not configured. Write an inventory file and pass it with -i.",
    ]);
  }
  const parsedMembers = members.exists ? parsePmxcfsMembers(members.content.toString("utf8")) : null;
  const ipOf = new Map((parsedMembers?.nodelist ?? []).map((n) => [n.name, n.ip]));

  let clusterName: string | null = parsedMembers?.cluster?.name ?? null;
  let nodes: Inventory["nodes"];
  if (conf.exists) {
    const parsedConf = parseCorosyncConf(conf.content.toString("utf8"));
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
  return parseInventory(
    {
      cluster: clusterName ?? opts.clusterName,
      defaults: opts.defaults,
      ...(opts.knownHosts ? { knownHosts: opts.knownHosts } : {}),
      nodes,
    },
    source,
  );
}
