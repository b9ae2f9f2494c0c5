/** `/etc/pve/ha/resources.cfg` (proxmox-facts §6.1): which guests HA manages and how. */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { isTrue, validated } from "./parser-support.js";
import { orderSectionProps, parseSectionConfig, serializeSectionConfig } from "./section-config.js";
import { setProp } from "./section-props.js";

export const HaResource = z.object({
  /** `vm:100` / `ct:101`. */
  sid: z.string(),
  type: z.enum(["vm", "ct"]),
  vmid: z.number().int().positive(),
  /** As written; `enabled` is PVE's alias of `started`. Default `started`. */
  state: z.enum(["started", "stopped", "enabled", "disabled", "ignored"]),
  /** Legacy HA group (groups are migrated to rules in PVE 9). */
  group: z.string().nullable(),
  /** Default true; `failback 0` is what a migrated `nofailback 1` group becomes. */
  failback: z.boolean(),
  maxRestart: z.number().int().nonnegative(),
  maxRelocate: z.number().int().nonnegative(),
  comment: z.string().nullable(),
  /** Every raw property in file order, including ones pvefix does not know. */
  props: z.record(z.string(), z.string()),
});
export type HaResource = z.infer<typeof HaResource>;

const FORMAT = "ha-resources";

function count(props: Record<string, string>, key: string): number {
  const raw = props[key];
  if (raw === undefined) return 1;
  if (!/^\d+$/.test(raw)) throw new ParseError(FORMAT, `expected ${key} to be a number, got '${raw}'`);
  return Number(raw);
}

/** Parse resources.cfg; also reads `ha-manager config` output (`vm:100` headers, no space). */
export function parseHaResources(text: string): HaResource[] {
  const resources = parseSectionConfig(text, FORMAT).map(({ type, id, props }) => {
    if ((type !== "vm" && type !== "ct") || !/^[1-9]\d*$/.test(id)) {
      throw new ParseError(FORMAT, `expected a 'vm: <vmid>' or 'ct: <vmid>' section, got '${type}: ${id}'`);
    }
    return {
      sid: `${type}:${id}`,
      type,
      vmid: Number(id),
      state: props.state ?? "started",
      group: props.group ?? null,
      failback: props.failback === undefined || isTrue(props.failback),
      maxRestart: count(props, "max_restart"),
      maxRelocate: count(props, "max_relocate"),
      comment: props.comment ?? null,
      props,
    };
  });
  return validated(FORMAT, z.array(HaResource), resources);
}

/** Write resources.cfg from typed resources, keeping unknown keys and unchanged spellings. */
export function serializeHaResources(resources: readonly HaResource[]): string {
  return serializeSectionConfig(
    resources.map((resource) => {
      const props = { ...resource.props };
      setProp(props, "comment", resource.comment);
      setProp(props, "state", resource.state, "started");
      setProp(props, "group", resource.group);
      setProp(props, "failback", resource.failback, true);
      setProp(props, "max_restart", resource.maxRestart, 1);
      setProp(props, "max_relocate", resource.maxRelocate, 1);
      return { type: resource.type, id: String(resource.vmid), props: orderSectionProps(props) };
    }),
  );
}

export const haResourcesFormat: ParserFormat<HaResource[]> = {
  name: FORMAT,
  description: "/etc/pve/ha/resources.cfg (or ha-manager config): HA-managed guests and their settings",
  schema: z.array(HaResource),
  parse: parseHaResources,
};
