/** `/etc/pve/ha/groups.cfg` (legacy, deprecated in PVE 9, migrated to rules; proxmox-facts §6.1). */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { formatNodePriorities, NodePriority, parseNodePriorities, setListProp } from "./ha-lists.js";
import { isTrue, validated } from "./parser-support.js";
import { orderSectionProps, parseSectionConfig, serializeSectionConfig } from "./section-config.js";
import { setProp } from "./section-props.js";

export const HaGroup = z.object({
  group: z.string().min(1),
  nodes: z.array(NodePriority),
  /** Resources may run only on the listed nodes. */
  restricted: z.boolean(),
  nofailback: z.boolean(),
  comment: z.string().nullable(),
  props: z.record(z.string(), z.string()),
});
export type HaGroup = z.infer<typeof HaGroup>;

const FORMAT = "ha-groups";

export function parseHaGroups(text: string): HaGroup[] {
  const groups = parseSectionConfig(text, FORMAT).map(({ type, id, props }) => {
    if (type !== "group")
      throw new ParseError(FORMAT, `expected a 'group: <name>' section, got '${type}: ${id}'`);
    return {
      group: id,
      nodes: parseNodePriorities(FORMAT, props.nodes),
      restricted: isTrue(props.restricted),
      nofailback: isTrue(props.nofailback),
      comment: props.comment ?? null,
      props,
    };
  });
  return validated(FORMAT, z.array(HaGroup), groups);
}

export function serializeHaGroups(groups: readonly HaGroup[]): string {
  return serializeSectionConfig(
    groups.map((group) => {
      const props = { ...group.props };
      setProp(props, "comment", group.comment);
      setListProp(props, "nodes", formatNodePriorities(group.nodes));
      setProp(props, "restricted", group.restricted, false);
      setProp(props, "nofailback", group.nofailback, false);
      return { type: "group", id: group.group, props: orderSectionProps(props, ["nodes"]) };
    }),
  );
}

export const haGroupsFormat: ParserFormat<HaGroup[]> = {
  name: FORMAT,
  description: "/etc/pve/ha/groups.cfg: legacy HA groups with node priorities, restricted, nofailback",
  schema: z.array(HaGroup),
  parse: parseHaGroups,
};
