/** HA configuration files in PVE's SectionConfig format (resources.cfg, PVE 8 groups.cfg, PVE 9 rules.cfg). */
import { HA_RESOURCES } from "../../model/ha.js";
import { REQUIRED_KEYS, writeSections } from "../../model/section-config.js";
import type { LabState } from "../../state.js";

export interface HaResourceSpec {
  sid: string;
  props?: Record<string, string>;
}

export function setHaResources(state: LabState, ...resources: HaResourceSpec[]): void {
  state.pve[HA_RESOURCES] = writeSections(
    resources.map((r) => {
      const [type = "", id = ""] = r.sid.split(":");
      return { type, id, props: { state: "started", ...r.props } };
    }),
  );
}

/** PVE 8 groups: `nodes` as `node:prio,…`, `restricted` / `nofailback` 0|1. */
export function setHaGroups(state: LabState, groups: Record<string, Record<string, string>>): void {
  state.pve["ha/groups.cfg"] = writeSections(
    Object.entries(groups).map(([id, props]) => ({ type: "group", id, props })),
    REQUIRED_KEYS,
  );
}

/** PVE 9 rules: `node-affinity` / `resource-affinity` sections. */
export function setHaRules(
  state: LabState,
  rules: Array<{ type: "node-affinity" | "resource-affinity"; id: string; props: Record<string, string> }>,
): void {
  state.pve["ha/rules.cfg"] = writeSections(rules, REQUIRED_KEYS);
}
