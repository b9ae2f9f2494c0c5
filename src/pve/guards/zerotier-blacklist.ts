/**
 * What local.conf must blacklist so ZeroTier stops routing over itself, and what a given local.conf
 * already covers. Pure: reads only the facts of probes/zerotier.ts.
 */
import { z } from "zod";
import type { BlacklistRequest, ZerotierLocalConf } from "../parsers/zerotier.js";
import {
  cidrContains,
  internalInterfaces,
  isPrivateIpv4Cidr,
  networkCidr,
  outsideInterfaces,
} from "../probes/network.js";
import { type LocalConf, type ZerotierFacts, zerotierDevices } from "../probes/zerotier.js";

export const RequiredBlacklist = z.object({
  /** Every private IPv4 network of a non-ZeroTier interface, way out included. */
  cidrs: z.array(z.string()),
  /** Every internal interface whose name is safe to use as a prefix. */
  interfacePrefixes: z.array(z.string()),
  /** Internal interfaces whose name begins an outside interface's name (`vmbr1` vs `vmbr10`). */
  unprefixable: z.array(z.object({ name: z.string(), outside: z.string() })),
  /** The way out, which must stay usable. */
  outside: z.array(z.string()),
});
export type RequiredBlacklist = z.infer<typeof RequiredBlacklist>;

/** What local.conf must blacklist so ZeroTier uses only the way out (seed 000's fix, derived from facts). */
export function requiredBlacklist(facts: ZerotierFacts): RequiredBlacklist {
  const zt = zerotierDevices(facts);
  // The way out must be physical: a default route through ZeroTier says nothing about the uplink.
  const outside = outsideInterfaces(facts.network).filter((n) => !zt.has(n));
  const cidrs = new Set<string>();
  for (const i of facts.network.interfaces.filter((x) => !zt.has(x.name) && x.name !== "lo"))
    for (const a of i.addrs) {
      const cidr = networkCidr(a);
      if (cidr && isPrivateIpv4Cidr(cidr)) cidrs.add(cidr);
    }
  const interfacePrefixes: string[] = [];
  const unprefixable: RequiredBlacklist["unprefixable"] = [];
  for (const name of internalInterfaces(facts.network, zt)) {
    // zerotier-one compares prefixes with strncmp: `vmbr1` would also blacklist `vmbr10`.
    const clash = outside.find((o) => o.startsWith(name));
    if (clash) unprefixable.push({ name, outside: clash });
    else interfacePrefixes.push(name);
  }
  return { cidrs: [...cidrs], interfacePrefixes, unprefixable, outside };
}

/** The `physical` entry (with `blacklist: true`) that covers `cidr`, if any. */
export function blacklistingCidr(conf: ZerotierLocalConf | null, cidr: string): string | null {
  const physical = conf?.physical;
  if (typeof physical !== "object" || physical === null) return null;
  const hit = Object.entries(physical).find(
    ([key, entry]) =>
      (entry as { blacklist?: unknown } | null)?.blacklist === true && cidrContains(key, cidr),
  );
  return hit?.[0] ?? null;
}

/** The `settings.interfacePrefixBlacklist` entry that matches interface `name`, if any. */
export function blacklistingPrefix(conf: ZerotierLocalConf | null, name: string): string | null {
  const list = (conf?.settings as { interfacePrefixBlacklist?: unknown } | undefined)
    ?.interfacePrefixBlacklist;
  if (!Array.isArray(list)) return null;
  return list.find((p): p is string => typeof p === "string" && p !== "" && name.startsWith(p)) ?? null;
}

/** What `required` asks for that `conf` does not blacklist yet (null conf = no usable file). */
export function blacklistGaps(
  conf: ZerotierLocalConf | null,
  required: Pick<RequiredBlacklist, "cidrs" | "interfacePrefixes">,
): BlacklistRequest {
  return {
    cidrs: required.cidrs.filter((c) => blacklistingCidr(conf, c) === null),
    interfacePrefixes: required.interfacePrefixes.filter((n) => blacklistingPrefix(conf, n) === null),
  };
}

/** The parsed local.conf when zerotier-one can read it; null when absent or invalid. */
export function usableLocalConf(localConf: LocalConf): ZerotierLocalConf | null {
  return localConf.state === "valid" ? localConf.value : null;
}

/** A bridge stops looping once its name is prefix-blacklisted or each of its IPv4 networks is. */
export function bridgeBlacklisted(facts: ZerotierFacts, bridge: string): boolean {
  const conf = usableLocalConf(facts.localConf);
  if (blacklistingPrefix(conf, bridge) !== null) return true;
  const nets = (facts.network.interfaces.find((i) => i.name === bridge)?.addrs ?? [])
    .map(networkCidr)
    .filter((c): c is string => c !== null && !c.includes(":"));
  return nets.length > 0 && nets.every((c) => blacklistingCidr(conf, c) !== null);
}
