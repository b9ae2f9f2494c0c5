/**
 * pmxcfs copies /etc/pve/corosync.conf to /etc/corosync/corosync.conf when its version is higher
 * or equal-but-different, never backwards (dcdb.c); it does so on every node connected to the
 * writer's partition, and at pmxcfs start. Local mode never syncs. After a write the writer runs
 * `corosync-cfgtool -R`, so its partition reloads; a node outside it keeps running the old config.
 */
import type { LabNode, LabState } from "../state.js";
import { configVersionOf } from "./corosync-conf.js";
import { COROSYNC_CONF, corosyncRunning, partitionOf, reloadCorosync } from "./quorum.js";

export function syncCorosyncConf(state: LabState, writer: LabNode): void {
  if (writer.pmxcfsLocalMode) return;
  const hadFile = writer.files[COROSYNC_CONF] !== undefined;
  for (const node of partitionOf(state, writer) ?? [writer]) {
    if (node.services["pve-cluster"] === "active" && !node.pmxcfsLocalMode) syncNode(state, node);
  }
  // The writer's pmxcfs then runs `corosync-cfgtool -R`: its partition reloads; nodes cut off do not.
  if (hadFile && corosyncRunning(writer)) reloadCorosync(state, writer);
}

export function syncNode(state: LabState, node: LabNode): void {
  const text = state.pve["corosync.conf"];
  if (text === undefined) return;
  const version = configVersionOf(text);
  if (!version) return;
  const local = node.files[COROSYNC_CONF];
  if (local === text) return;
  const localVersion = local === undefined ? null : configVersionOf(local);
  if (localVersion !== null && version < localVersion) return;
  node.files[COROSYNC_CONF] = text;
}
