/**
 * HA placement versus storage replication, pure: which nodes HA may pick for a resource compared
 * with the nodes that hold a replica of its disks (facts from probes/ha-config.ts).
 */
import { z } from "zod";
import type { HaResource } from "../parsers/ha-config.js";
import type { HaConfig } from "../probes/ha-config.js";

export const Placement = z.object({
  sid: z.string(),
  vmid: z.number().int(),
  current: z.string(),
  /** Nodes HA may start the guest on (the current node first). */
  haNodes: z.array(z.string()),
  /** What narrows haNodes: `group g (restricted)`, `rule r (strict)`; empty = every cluster node. */
  restrictedBy: z.array(z.string()),
  /** The current node, then every target of the guest's replication jobs. */
  replicaNodes: z.array(z.string()),
  /** Job ids of the guest (not marked for removal) that replicate to another node. */
  jobs: z.array(z.string()),
  /**
   * Job ids whose target is the node the guest is on now (after a recovery by hand): pvesr never
   * replicates to the local node, so they hold no replica anywhere until re-targeted.
   */
  selfTargeted: z.array(z.string()),
  /** haNodes other than the current one that hold no replica: HA may pick them and fail to start. */
  missing: z.array(z.string()),
});
export type Placement = z.infer<typeof Placement>;

/** Pure: where HA may put `resource` and where its disks are replicated. */
export function placementOf(
  resource: HaResource,
  config: HaConfig,
  current: string,
  clusterNodes: readonly string[],
): Placement {
  let haNodes = [...clusterNodes];
  const restrictedBy: string[] = [];
  const group = resource.group ? config.groups.find((g) => g.group === resource.group) : undefined;
  if (group?.restricted) {
    haNodes = haNodes.filter((n) => group.nodes.some((p) => p.node === n));
    restrictedBy.push(`group ${group.group} (restricted)`);
  }
  const rules = config.rules.filter(
    (r) => r.type === "node-affinity" && !r.disabled && r.resources.includes(resource.sid),
  );
  // PVE drops every node-affinity rule of a resource named in more than one (a config error).
  const rule = rules.length === 1 ? rules[0] : undefined;
  if (rule?.type === "node-affinity" && rule.strict) {
    haNodes = haNodes.filter((n) => rule.nodes.some((p) => p.node === n));
    restrictedBy.push(`rule ${rule.rule} (strict)`);
  }
  const own = config.jobs.filter((j) => j.guest === resource.vmid && j.removeJob === null);
  const jobs = own.filter((j) => j.target !== current);
  const replicaNodes = unique([current, ...jobs.map((j) => j.target)]);
  const ordered = unique([current, ...haNodes]).filter((n) => n === current || haNodes.includes(n));
  return {
    sid: resource.sid,
    vmid: resource.vmid,
    current,
    haNodes: ordered,
    restrictedBy,
    replicaNodes,
    jobs: jobs.map((j) => j.id),
    selfTargeted: own.filter((j) => j.target === current).map((j) => j.id),
    missing: jobs.length === 0 ? [] : ordered.filter((n) => !replicaNodes.includes(n)),
  };
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
