/**
 * What not-quorate-config decides on: every node's cluster state, and on the node to write on the
 * file as it is now, the running nodelist, its disconnected peers and the new content.
 */
import { z } from "zod";
import type { ProbeContext } from "../../engine/runbook.js";
import {
  ConfNode,
  clusterStates,
  disconnectedPeers,
  LOCAL_COROSYNC_CONF,
  NodeClusterState,
  nodelistOf,
  PVE_COROSYNC_CONF,
} from "./corosync.js";
import { NewContent, readNewContentFrom } from "./new-content.js";

export const ClusterFileFacts = z.object({
  target: z.string(),
  path: z.string(),
  states: z.array(NodeClusterState),
  /** Peers the target sees disconnected on every knet link; null when corosync does not run there. */
  disconnected: z.array(z.string()).nullable(),
  /** The running nodelist: the target's /etc/corosync/corosync.conf, else /etc/pve's. */
  nodelist: z.array(ConfNode),
  /** The file as the target sees it now; null when missing. */
  current: z.string().nullable(),
  newContent: NewContent,
});
export type ClusterFileFacts = z.infer<typeof ClusterFileFacts>;

export async function clusterFileFacts(
  ctx: ProbeContext,
  params: { node: string; target: string; file?: string | undefined; restoreBackup?: string | undefined },
): Promise<ClusterFileFacts> {
  const newContent = await readNewContentFrom((node, path) => ctx.readFile(node, path), {
    ...params,
    path: params.target,
    stateDir: ctx.stateDir,
  });
  const states = await clusterStates(ctx);
  const base = { target: params.node, path: params.target, states, newContent };
  if (!states.some((s) => s.node === params.node && s.reachable))
    return { ...base, disconnected: null, nodelist: [], current: null };
  const [current, running, pve, peers] = await Promise.all([
    ctx.readFile(params.node, params.target),
    ctx.readFile(params.node, LOCAL_COROSYNC_CONF),
    ctx.readFile(params.node, PVE_COROSYNC_CONF),
    disconnectedPeers(ctx, params.node),
  ]);
  const nodelist = nodelistOf(running) ?? nodelistOf(pve) ?? [];
  const nameOf = (id: number) => nodelist.find((n) => n.nodeid === id)?.name ?? `nodeid ${id}`;
  return { ...base, current, nodelist, disconnected: peers?.map(nameOf) ?? null };
}
