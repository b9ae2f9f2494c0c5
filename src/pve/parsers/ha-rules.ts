/** `/etc/pve/ha/rules.cfg` (PVE 9; proxmox-facts §6.1): node-affinity and resource-affinity rules. */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import {
  formatNodePriorities,
  NodePriority,
  parseNodePriorities,
  setListProp,
  splitList,
} from "./ha-lists.js";
import { isTrue, validated } from "./parser-support.js";
import {
  orderSectionProps,
  parseSectionConfig,
  type Section,
  serializeSectionConfig,
} from "./section-config.js";
import { setDisable, setProp } from "./section-props.js";

const Common = {
  rule: z.string().min(1),
  /** HA SIDs such as `vm:100`. */
  resources: z.array(z.string()),
  disabled: z.boolean(),
  comment: z.string().nullable(),
  props: z.record(z.string(), z.string()),
};

export const NodeAffinityRule = z.object({
  ...Common,
  type: z.literal("node-affinity"),
  nodes: z.array(NodePriority),
  /** Resources may run only on the listed nodes (the old group `restricted`). */
  strict: z.boolean(),
});
export const ResourceAffinityRule = z.object({
  ...Common,
  type: z.literal("resource-affinity"),
  affinity: z.enum(["positive", "negative"]),
});
export const HaRule = z.discriminatedUnion("type", [NodeAffinityRule, ResourceAffinityRule]);
export type HaRule = z.infer<typeof HaRule>;

const FORMAT = "ha-rules";

function toRule({ type, id, props }: Section): unknown {
  const common = {
    rule: id,
    resources: splitList(props.resources),
    disabled: isTrue(props.disable),
    comment: props.comment ?? null,
    props,
  };
  if (type === "node-affinity") {
    return { ...common, type, nodes: parseNodePriorities(FORMAT, props.nodes), strict: isTrue(props.strict) };
  }
  if (type === "resource-affinity") return { ...common, type, affinity: props.affinity };
  throw new ParseError(FORMAT, `unknown rule type '${type}' in section '${type}: ${id}'`);
}

export function parseHaRules(text: string): HaRule[] {
  return validated(FORMAT, z.array(HaRule), parseSectionConfig(text, FORMAT).map(toRule));
}

export function serializeHaRules(rules: readonly HaRule[]): string {
  return serializeSectionConfig(
    rules.map((rule) => {
      const props = { ...rule.props };
      setProp(props, "comment", rule.comment);
      setDisable(props, rule.disabled);
      setListProp(props, "resources", rule.resources);
      if (rule.type === "node-affinity") {
        setListProp(props, "nodes", formatNodePriorities(rule.nodes));
        setProp(props, "strict", rule.strict, false);
        return { type: rule.type, id: rule.rule, props: orderSectionProps(props, ["nodes", "resources"]) };
      }
      setProp(props, "affinity", rule.affinity);
      return { type: rule.type, id: rule.rule, props: orderSectionProps(props, ["affinity", "resources"]) };
    }),
  );
}

export const haRulesFormat: ParserFormat<HaRule[]> = {
  name: FORMAT,
  description: "/etc/pve/ha/rules.cfg: node-affinity and resource-affinity rules (PVE 9)",
  schema: z.array(HaRule),
  parse: parseHaRules,
};
