/**
 * `/etc/pve/.members` (proxmox-facts §4.4): pmxcfs' view of the cluster. Lists every configured
 * node (unlike `pvecm status`), and `cluster.version` is the *running* corosync config_version.
 */
import { z } from "zod";
import type { ParserFormat } from "./format.js";
import { parsePmxcfsJson } from "./pmxcfs-json.js";

export const MemberNode = z.object({
  name: z.string(),
  id: z.number().int(),
  /** In pmxcfs' CPG group right now. */
  online: z.boolean(),
  /** Absent for nodes whose address pmxcfs never learned. */
  ip: z.string().nullable(),
});
export type MemberNode = z.infer<typeof MemberNode>;

export const PmxcfsMembers = z.object({
  nodename: z.string(),
  /** pmxcfs' membership-info counter, not a config version. */
  version: z.number().int(),
  /** `null` on a standalone node (no corosync.conf). */
  cluster: z
    .object({
      name: z.string(),
      version: z.number().int(),
      /** Configured nodes. */
      nodes: z.number().int(),
      quorate: z.boolean(),
    })
    .nullable(),
  /** Sorted by node id (pmxcfs prints hash order). */
  nodelist: z.array(MemberNode),
});
export type PmxcfsMembers = z.infer<typeof PmxcfsMembers>;

const Flag = z.union([z.literal(0), z.literal(1)]);
const RawMembers = z.object({
  nodename: z.string(),
  version: z.number().int(),
  cluster: z
    .object({ name: z.string(), version: z.number().int(), nodes: z.number().int(), quorate: Flag })
    .optional(),
  nodelist: z
    .record(z.string(), z.object({ id: z.number().int(), online: Flag, ip: z.string().optional() }))
    .optional(),
});

export function parsePmxcfsMembers(text: string): PmxcfsMembers {
  const raw = parsePmxcfsJson("members", RawMembers, text);
  return {
    nodename: raw.nodename,
    version: raw.version,
    cluster: raw.cluster ? { ...raw.cluster, quorate: raw.cluster.quorate === 1 } : null,
    nodelist: Object.entries(raw.nodelist ?? {})
      .map(([name, node]) => ({ name, id: node.id, online: node.online === 1, ip: node.ip ?? null }))
      .sort((a, b) => a.id - b.id),
  };
}

export const membersFormat: ParserFormat<PmxcfsMembers> = {
  name: "members",
  description: "/etc/pve/.members: local node name, cluster name/version/quorate and every configured node",
  schema: PmxcfsMembers,
  parse: parsePmxcfsMembers,
};
