/**
 * Where a network storage's mount hangs: per node, the /proc/mounts entry, whether it answers
 * statfs and (where it hangs) whether its server answers; the guests with volumes on it there.
 * A node that does not answer is named, never silently skipped.
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import { TransportError } from "../../transport/errors.js";
import { isNetworkStorage, storageMountPath } from "../parsers/storage-cfg.js";
import {
  GuestUse,
  guestsUsingStorage,
  Liveness,
  MountEntry,
  mountLiveness,
  mountOf,
  readStorageCfg,
  ServerState,
  serverAddress,
  serverState,
} from "./storage.js";

export const NodeMount = z.object({
  node: z.string(),
  mount: MountEntry.nullable(),
  liveness: Liveness,
  /** Checked only where the mount hangs: it decides whether a remount can help. */
  server: ServerState.nullable(),
});
export type NodeMount = z.infer<typeof NodeMount>;

export const HungMounts = z.object({
  storage: z
    .object({
      id: z.string(),
      type: z.string(),
      mountpoint: z.string(),
      content: z.array(z.string()),
      network: z.boolean(),
    })
    .nullable(),
  known: z.array(z.string()),
  mounts: z.array(NodeMount),
  guests: z.array(GuestUse),
  /** Nodes that could not be checked (no node given): named, never silently skipped. */
  unreachable: z.array(z.object({ node: z.string(), reason: z.string() })),
});
export type HungMounts = z.infer<typeof HungMounts>;

/** The storage `id` on every node it is for, or on `node` only (whose failure then throws). */
export async function hungMountsOf(ctx: ProbeContext, id: string, node?: string): Promise<HungMounts> {
  const entries = await readStorageCfg(ctx);
  const entry = entries.find((e) => e.id === id);
  const known = entries.filter(isNetworkStorage).map((e) => e.id);
  const none = { mounts: [], guests: [], unreachable: [] };
  if (!entry) return { storage: null, known, ...none };
  const mountpoint = storageMountPath(entry) ?? `/mnt/pve/${id}`;
  const storage = {
    id,
    type: entry.type,
    mountpoint,
    content: entry.content,
    network: isNetworkStorage(entry),
  };
  if (!storage.network) return { storage, known, ...none };
  const nodes = ctx.nodes.filter(
    (n) => (entry.nodes === null || entry.nodes.includes(n)) && (!node || n === node),
  );
  const address = serverAddress(entry);
  const unreachable: HungMounts["unreachable"] = [];
  const mounts = await Promise.all(
    nodes.map(async (n) => {
      try {
        const mount = await mountOf(ctx, n, mountpoint);
        const liveness = await mountLiveness(ctx, n, mountpoint, mount !== null);
        const server = liveness === "hung" && address ? await serverState(ctx, n, address) : null;
        return { node: n, mount, liveness, server };
      } catch (error) {
        // The one node asked for is needed: its failure refuses the plan (node-unreachable).
        if (node || !(error instanceof TransportError)) throw error;
        unreachable.push({ node: n, reason: error.message });
        return null;
      }
    }),
  );
  const answered = mounts.filter((m): m is NonNullable<typeof m> => m !== null);
  const hungOn = answered.filter((m) => m.liveness === "hung").map((m) => m.node);
  // Guests matter only where the mount hangs; their configs are read on a node that answered.
  const guests =
    hungOn.length > 0 ? await guestsUsingStorage(ctx, id, { nodes: hungOn, readOn: hungOn[0]! }) : [];
  return { storage, known, mounts: answered, guests, unreachable };
}
