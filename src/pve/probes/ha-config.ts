/**
 * HA placement versus storage replication: the HA and replication files of /etc/pve, the cluster's
 * nodes (reachable, quorate, in the membership), and which nodes HA may pick for a resource
 * compared with the nodes that hold a replica of its disks. Reads only.
 */
import { z } from "zod";
import { ProbeError } from "../../engine/probe-context.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { ParseError } from "../parsers/format.js";
import {
  HaGroup,
  HaResource,
  HaRule,
  parseHaGroups,
  parseHaResources,
  parseHaRules,
  serializeHaGroups,
  serializeHaResources,
  serializeHaRules,
} from "../parsers/ha-config.js";
import { parseHaManagerStatus } from "../parsers/ha-manager-status.js";
import { parsePmxcfsMembers } from "../parsers/pmxcfs-members.js";
import { parsePvesrStatus } from "../parsers/pvesr-status.js";
import { parseReplicationCfg, ReplicationJob, serializeReplicationCfg } from "../parsers/replication-cfg.js";
import { PVE_TOOL } from "./pve-tools.js";
import { quorumOf } from "./quorum.js";

export const HA_FILES = {
  resources: "/etc/pve/ha/resources.cfg",
  groups: "/etc/pve/ha/groups.cfg",
  rules: "/etc/pve/ha/rules.cfg",
  replication: "/etc/pve/replication.cfg",
} as const;
export type HaFile = keyof typeof HA_FILES;

export const HaConfig = z.object({
  resources: z.array(HaResource),
  groups: z.array(HaGroup),
  rules: z.array(HaRule),
  jobs: z.array(ReplicationJob),
  /** groups.cfg disappears when PVE 9 migrates groups to rules; rules.cfg does not exist before PVE 9. */
  exists: z.object({
    resources: z.boolean(),
    groups: z.boolean(),
    rules: z.boolean(),
    replication: z.boolean(),
  }),
  /** Files the serializers would not reproduce byte for byte (comments, hand-made order). */
  normalised: z.array(z.enum(["resources", "groups", "rules", "replication"])),
  /** The bytes read (null: no such file): a rewrite is shown as a diff against them. */
  text: z.object({
    resources: z.string().nullable(),
    groups: z.string().nullable(),
    rules: z.string().nullable(),
    replication: z.string().nullable(),
  }),
});
export type HaConfig = z.infer<typeof HaConfig>;

const READERS = {
  resources: [parseHaResources, serializeHaResources],
  groups: [parseHaGroups, serializeHaGroups],
  rules: [parseHaRules, serializeHaRules],
  replication: [parseReplicationCfg, serializeReplicationCfg],
} as const;

async function readOne<T>(
  ctx: ProbeContext,
  node: string,
  file: HaFile,
  parse: (text: string) => T[],
  serialize: (items: T[]) => string,
): Promise<{ items: T[]; exists: boolean; canonical: boolean; text: string | null }> {
  const text = await ctx.readFile(node, HA_FILES[file]);
  if (text === null) return { items: [], exists: false, canonical: true, text };
  try {
    const items = parse(text);
    return { items, exists: true, canonical: serialize(items) === text, text };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    // A file pvefix cannot read must never be rewritten from a partial understanding of it.
    throw new ProbeError(`cannot parse ${HA_FILES[file]} on ${node}: ${error.message}`, node);
  }
}

/** resources.cfg, groups.cfg, rules.cfg and replication.cfg as one node of the cluster sees them. */
export async function readHaConfig(ctx: ProbeContext, node: string): Promise<HaConfig> {
  const [resources, groups, rules, replication] = await Promise.all([
    readOne(ctx, node, "resources", ...READERS.resources),
    readOne(ctx, node, "groups", ...READERS.groups),
    readOne(ctx, node, "rules", ...READERS.rules),
    readOne(ctx, node, "replication", ...READERS.replication),
  ]);
  const all = { resources, groups, rules, replication };
  return {
    resources: resources.items,
    groups: groups.items,
    rules: rules.items,
    jobs: replication.items,
    exists: {
      resources: resources.exists,
      groups: groups.exists,
      rules: rules.exists,
      replication: replication.exists,
    },
    normalised: (Object.keys(all) as HaFile[]).filter((k) => !all[k].canonical),
    text: {
      resources: resources.text,
      groups: groups.text,
      rules: rules.text,
      replication: replication.text,
    },
  };
}

export const ClusterNode = z.object({
  name: z.string(),
  /** corosync node id (from `.members`); null when pmxcfs does not list the node. */
  id: z.number().int().nullable(),
  /** Answered `true` over SSH. */
  reachable: z.boolean(),
  /** Its own `pvecm status` says quorate (false when unreachable). */
  quorate: z.boolean(),
});
export type ClusterNode = z.infer<typeof ClusterNode>;

export const ClusterView = z.object({
  /** Configured nodes (`.members`, else the inventory), in node id order. */
  nodes: z.array(ClusterNode),
  /** The quorate node whose membership is reported; null when no reachable node is quorate. */
  seenBy: z.string().nullable(),
  /** Names in that node's current quorum membership. */
  members: z.array(z.string()),
});
export type ClusterView = z.infer<typeof ClusterView>;

/** Who is configured, who answers SSH, who is quorate, and the membership a quorate node sees. */
export async function clusterView(ctx: ProbeContext): Promise<ClusterView> {
  const { up } = await ctx.reachable();
  const membersText = up.length > 0 ? await ctx.readFile(up[0]!, "/etc/pve/.members") : null;
  let listed: Array<{ name: string; id: number }> = [];
  try {
    listed = membersText === null ? [] : parsePmxcfsMembers(membersText).nodelist;
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new ProbeError(`cannot parse /etc/pve/.members on ${up[0]}: ${error.message}`, up[0]!);
  }
  const names = listed.length > 0 ? listed.map((n) => n.name) : [...ctx.nodes];
  const views = await Promise.all(
    up.map(async (node) => {
      try {
        return await quorumOf(ctx, node);
      } catch (error) {
        // An unreadable `pvecm status` proves nothing about quorum: count the node as not quorate.
        if (error instanceof ParseError) return null;
        throw error;
      }
    }),
  );
  const quorate = new Set(views.filter((v) => v?.quorate).map((v) => v!.node));
  const nodes = names.map((name) => ({
    name,
    id: listed.find((n) => n.name === name)?.id ?? null,
    reachable: up.includes(name),
    quorate: quorate.has(name),
  }));
  const seen = views.find((v) => v?.quorate) ?? null;
  const members = seen
    ? nodes.filter((n) => n.id !== null && seen.members.includes(n.id)).map((n) => n.name)
    : [];
  return { nodes, seenBy: seen?.node ?? null, members };
}

/**
 * Why `node` is not proven down; empty when it is: no SSH answer AND absent from the membership of a
 * quorate node (a node without a known id cannot be shown absent).
 */
export function whyNotDown(view: ClusterView, node: string): string[] {
  const entry = view.nodes.find((n) => n.name === node);
  return [
    entry?.reachable ? `${node} answers over SSH` : "",
    view.seenBy === null ? "no reachable node is quorate, so no membership view exists" : "",
    entry?.id == null ? `${node} has no node id in /etc/pve/.members, so its absence proves nothing` : "",
    view.members.includes(node) ? `${node} is in the quorum membership seen by ${view.seenBy}` : "",
  ].filter(Boolean);
}

/** Answers SSH, is quorate and is in the quorate membership: a node /etc/pve can be changed from. */
export function isQuorateMember(view: ClusterView, node: string): boolean {
  return view.members.includes(node) && view.nodes.some((n) => n.name === node && n.reachable && n.quorate);
}

export const HaService = z.object({ sid: z.string(), node: z.string().nullable(), state: z.string() });
export type HaService = z.infer<typeof HaService>;

/** Parsed output of a read-only command, or `fallback` when it failed or printed something else. */
async function readCommand<T>(
  ctx: ProbeContext,
  node: string,
  command: string,
  parse: (stdout: string) => T,
  fallback: T,
): Promise<T> {
  // Only PVE tools come through here (ha-manager, pvesr).
  const result = await ctx.run(node, command, PVE_TOOL);
  if (result.exitCode !== 0) return fallback;
  try {
    return parse(result.stdout);
  } catch (error) {
    if (error instanceof ParseError) return fallback;
    throw error;
  }
}

/** `service` lines of `ha-manager status` (trust it only from a quorate node); [] when it fails. */
export function haServices(ctx: ProbeContext, node: string): Promise<HaService[]> {
  return readCommand(ctx, node, "ha-manager status", (out) => parseHaManagerStatus(out).services, []);
}

export const JobHealth = z.object({
  jobId: z.string(),
  target: z.string(),
  state: z.string(),
  failCount: z.number().int(),
  synced: z.boolean(),
});
export type JobHealth = z.infer<typeof JobHealth>;

/** `pvesr status` rows of one guest's jobs, read on the node the guest is on ([] when unknown). */
export function replicationHealth(ctx: ProbeContext, node: string, vmid: number): Promise<JobHealth[]> {
  const rows = (out: string) =>
    parsePvesrStatus(out)
      .filter((r) => r.jobId.startsWith(`${vmid}-`))
      .map(({ jobId, target, state, failCount, lastSync }) => ({
        jobId,
        target,
        state,
        failCount,
        synced: lastSync !== null,
      }));
  return readCommand(ctx, node, "pvesr status", rows, []);
}

/** Replicas that exist on paper but may not hold usable data: disabled, failing, never synced. */
export function replicationWarnings(config: HaConfig, health: readonly JobHealth[], vmid: number): string[] {
  const disabled = config.jobs.filter((j) => j.guest === vmid && j.disabled && j.removeJob === null);
  return [
    ...disabled.map(
      (j) => `replication job ${j.id} to ${j.target} is disabled: its replica is as old as its last sync`,
    ),
    ...health.flatMap((h) => {
      if (!h.synced)
        return [
          `replication job ${h.jobId} to ${h.target} has never completed a sync: no usable replica there yet`,
        ];
      if (h.state === "OK" || h.state === "SYNCING") return [];
      return [`replication job ${h.jobId} to ${h.target} is failing (${h.failCount} failures): ${h.state}`];
    }),
  ];
}
