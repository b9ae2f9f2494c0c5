/** The list values inside HA config files: `nodes pve1:2,pve2` and `resources vm:100,ct:101`. */
import { z } from "zod";
import { ParseError } from "./format.js";

export const NodePriority = z.object({
  node: z.string().min(1),
  /** Higher wins. `null` when the file gives no number (PVE then uses 0); kept so files round-trip. */
  priority: z.number().int().nullable(),
  /**
   * The priority PVE decides with: the number, or 0 when the file gives none (pve-ha-manager
   * `parse_node_priority` / rules `nodes` defaults). Filled by the parser; optional only so that
   * callers building a list to write need not repeat it.
   */
  effectivePriority: z.number().int().optional(),
});
export type NodePriority = z.infer<typeof NodePriority>;

/** PVE's `split_list`: commas, semicolons and whitespace all separate items. */
export function splitList(value: string | undefined): string[] {
  return (value ?? "").split(/[,;\s]+/).filter((item) => item !== "");
}

export function parseNodePriorities(format: string, value: string | undefined): NodePriority[] {
  return splitList(value).map((item) => {
    const m = /^([^:\s]+)(?::(\d+))?$/.exec(item);
    if (!m) throw new ParseError(format, `expected 'node[:priority]', got '${item}'`);
    const priority = m[2] === undefined ? null : Number(m[2]);
    return { node: m[1] as string, priority, effectivePriority: priority ?? 0 };
  });
}

export function formatNodePriorities(nodes: readonly NodePriority[]): string[] {
  return nodes.map(({ node, priority }) => (priority === null ? node : `${node}:${priority}`));
}

/** Keep the file's own spelling of a list when its items did not change. */
export function sameList(raw: string | undefined, items: readonly string[]): boolean {
  const current = splitList(raw);
  return current.length === items.length && current.every((item, i) => item === items[i]);
}

/** Write a list property, keeping the file's spelling when the items are unchanged; empty removes it. */
export function setListProp(props: Record<string, string>, key: string, items: readonly string[]): void {
  if (items.length === 0) delete props[key];
  else if (!sameList(props[key], items)) props[key] = items.join(",");
}
