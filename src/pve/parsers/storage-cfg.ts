/** `/etc/pve/storage.cfg` (proxmox-facts §8.1): which storages exist, where they mount, for which nodes. */
import { z } from "zod";
import type { ParserFormat } from "./format.js";
import { isTrue, validated } from "./parser-support.js";
import { parseSectionConfig } from "./section-config.js";

export const StorageEntry = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  /** The `path` key as written; network storages default to `/mnt/pve/<id>` (see `storageMountPath`). */
  path: z.string().nullable(),
  server: z.string().optional(),
  export: z.string().optional(),
  share: z.string().optional(),
  content: z.array(z.string()),
  /** `null` = every node. */
  nodes: z.array(z.string()).nullable(),
  disabled: z.boolean(),
  /** Mount options (`vers=4.2,soft`); NFS mounts are hard unless this says otherwise. */
  options: z.string().optional(),
  props: z.record(z.string(), z.string()),
});
export type StorageEntry = z.infer<typeof StorageEntry>;

const NETWORK_TYPES = new Set(["nfs", "cifs", "glusterfs", "cephfs"]);

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/[,;\s]+/).filter((item) => item !== "");
}

export function parseStorageCfg(text: string): StorageEntry[] {
  const entries = parseSectionConfig(text, "storage-cfg").map(({ type, id, props }) => {
    const entry: StorageEntry = {
      id,
      type,
      path: props.path ?? null,
      content: list(props.content),
      nodes: props.nodes === undefined ? null : list(props.nodes),
      disabled: isTrue(props.disable),
      props,
    };
    if (props.server !== undefined) entry.server = props.server;
    if (props.export !== undefined) entry.export = props.export;
    if (props.share !== undefined) entry.share = props.share;
    if (props.options !== undefined) entry.options = props.options;
    return entry;
  });
  return validated("storage-cfg", z.array(StorageEntry), entries);
}

/** Storages that PVE mounts from another machine (and that can hang the node when it goes away). */
export function isNetworkStorage(entry: Pick<StorageEntry, "type">): boolean {
  return NETWORK_TYPES.has(entry.type);
}

/** Where the storage lives on the node: its `path`, or PVE's default `/mnt/pve/<id>` for mounts. */
export function storageMountPath(entry: Pick<StorageEntry, "id" | "type" | "path">): string | null {
  if (entry.path !== null) return entry.path;
  return isNetworkStorage(entry) ? `/mnt/pve/${entry.id}` : null;
}

/** Whether the storage is enabled on `node` (not disabled and, if restricted, listed). */
export function storageEnabledOn(entry: Pick<StorageEntry, "disabled" | "nodes">, node: string): boolean {
  return !entry.disabled && (entry.nodes === null || entry.nodes.includes(node));
}

export const storageCfgFormat: ParserFormat<StorageEntry[]> = {
  name: "storage-cfg",
  description: "/etc/pve/storage.cfg: storages with type, path, server/export, content, nodes",
  schema: z.array(StorageEntry),
  parse: parseStorageCfg,
};
