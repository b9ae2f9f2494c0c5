/**
 * zerotier-blacklist's refusals: a local.conf whose blacklist cannot be merged, a node that does not
 * answer, and a node whose only way out is ZeroTier itself.
 */
import { nodeOf, powerOff } from "./build/cluster.js";
import { installZerotier } from "./build/zerotier.js";
import type { Scenario } from "./types.js";
import { buildBase } from "./zerotier-blacklist.js";

/** `interfacePrefixBlacklist` must be an array: zerotier-one ignores a string, and so must a merge. */
export const MISTYPED_LOCAL_CONF = `{
  "settings": {
    "interfacePrefixBlacklist": "vmbr1"
  }
}
`;

export const zerotierBlacklistMistypedScenario: Scenario = {
  name: "zerotier-blacklist-mistyped",
  description:
    "pve1 loops through vmbr1 and its local.conf has `interfacePrefixBlacklist` as a string, not a list; pve2 lost power",
  build() {
    const state = buildBase("zerotier-blacklist-mistyped");
    installZerotier(state, "pve1", {
      bridge: "vmbr1",
      ips: [],
      looping: true,
      localConf: MISTYPED_LOCAL_CONF,
    });
    powerOff(state, "pve2");
    return state;
  },
};

export const zerotierBlacklistNoRouteScenario: Scenario = {
  name: "zerotier-blacklist-no-route",
  description:
    "pve1 loops through vmbr1 and has no default route: which interface leads out cannot be told, so nothing may be blacklisted blindly",
  build() {
    const state = buildBase("zerotier-blacklist-no-route");
    installZerotier(state, "pve1", { bridge: "vmbr1", ips: [], looping: true });
    nodeOf(state, "pve1").defaultRoute = null;
    return state;
  },
};

/** This file's scenarios, in the order `pvefix lab list` shows them (the registry is generated). */
export const scenarios: readonly Scenario[] = [
  zerotierBlacklistMistypedScenario,
  zerotierBlacklistNoRouteScenario,
];
