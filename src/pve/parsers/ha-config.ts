/**
 * The HA SectionConfig files under `/etc/pve/ha/`: resources, legacy groups and PVE 9 rules.
 * Each is parsed into typed records that keep their raw `props`, and written back through
 * `serializeSectionConfig` so keys pvefix does not know survive an edit.
 */
export { HaGroup, haGroupsFormat, parseHaGroups, serializeHaGroups } from "./ha-groups.js";
export { NodePriority } from "./ha-lists.js";
export { HaResource, haResourcesFormat, parseHaResources, serializeHaResources } from "./ha-resources.js";
export {
  HaRule,
  haRulesFormat,
  NodeAffinityRule,
  parseHaRules,
  ResourceAffinityRule,
  serializeHaRules,
} from "./ha-rules.js";
