/**
 * What ha-replication-mismatch decides on: the cluster, the HA and replication files, HA's own view
 * and, for one guest, the health of its replication jobs.
 */
import { z } from "zod";
import { ProbeError } from "../../engine/probe-context.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { GuestRef, listGuests } from "./guests.js";
import {
  ClusterView,
  clusterView,
  HaConfig,
  HaService,
  haServices,
  JobHealth,
  readHaConfig,
  replicationHealth,
} from "./ha-config.js";

export const HaReplicationFacts = z.object({
  cluster: ClusterView,
  /** The node /etc/pve is read from and written through: a quorate one when there is one. */
  writer: z.string(),
  guest: GuestRef.nullable(),
  config: HaConfig,
  services: z.array(HaService),
  /** `pvesr status` of the guest's jobs; volatile (fail counts), kept out of the fingerprint. */
  health: z.array(JobHealth),
});
export type HaReplicationFacts = z.infer<typeof HaReplicationFacts>;

/** The facts of the whole cluster, without a guest: what diagnose looks at for every guest. */
export type HaSurvey = Omit<HaReplicationFacts, "guest" | "health">;

/** Everything but the one guest: the cluster, the HA and replication files, HA's own view. */
export async function haSurvey(ctx: ProbeContext): Promise<HaSurvey & { guests: GuestRef[] }> {
  const cluster = await clusterView(ctx);
  const writer = cluster.seenBy ?? cluster.nodes.find((n) => n.reachable)?.name;
  if (!writer) throw new ProbeError(`no node of cluster ${ctx.cluster} answers over SSH`, "*");
  const [config, guests, services] = await Promise.all([
    readHaConfig(ctx, writer),
    listGuests(ctx),
    cluster.seenBy ? haServices(ctx, writer) : Promise.resolve([]),
  ]);
  return { cluster, writer, config, services, guests };
}

export async function haReplicationFacts(ctx: ProbeContext, vmid: number): Promise<HaReplicationFacts> {
  const { guests, ...rest } = await haSurvey(ctx);
  const guest = guests.find((g) => g.vmid === vmid) ?? null;
  const up = guest && rest.cluster.nodes.some((n) => n.name === guest.node && n.reachable);
  const health = guest && up ? await replicationHealth(ctx, guest.node, vmid) : [];
  return { ...rest, guest, health };
}
