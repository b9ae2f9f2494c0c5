/**
 * `ip -s -d -j link show` (iproute2 ip/ipaddress.c, print_linkinfo and print_link_stats with JSON
 * output): per interface its flags (`NO-CARRIER`, `LOWER_UP`), operstate, MTU, master, kind
 * (`linkinfo.info_kind`), slave kind, and the `stats64` counters. Unknown keys are ignored: iproute2
 * adds keys between versions, never renames these.
 */
import { z } from "zod";
import { ParseError } from "./format.js";
import { validated } from "./parser-support.js";

export const LinkDetail = z.object({
  ifname: z.string(),
  master: z.string().nullable(),
  /** `UP`, `DOWN`, `LOWERLAYERDOWN`, `UNKNOWN` (loopback, tun/tap, some bridges). */
  operstate: z.string(),
  /** Administratively up (`UP` flag). */
  adminUp: z.boolean(),
  /** The driver reports a carrier (`LOWER_UP`, and no `NO-CARRIER`). */
  carrier: z.boolean(),
  mtu: z.number().int(),
  /** `bridge`, `bond`, `vlan`, `veth`, …; null for a plain NIC (no linkinfo). */
  kind: z.string().nullable(),
  slaveKind: z.string().nullable(),
  /** For a vlan or macvlan: the interface it sits on (`link`); null when not printed. */
  lowerDev: z.string().nullable(),
  rxDropped: z.number().int().nullable(),
  rxErrors: z.number().int().nullable(),
  txDropped: z.number().int().nullable(),
  txErrors: z.number().int().nullable(),
});
export type LinkDetail = z.infer<typeof LinkDetail>;
export const LinkDetails = z.array(LinkDetail);

const Counters = z.object({ errors: z.number().optional(), dropped: z.number().optional() }).optional();
const Raw = z.object({
  ifname: z.string(),
  master: z.string().optional(),
  link: z.string().optional(),
  flags: z.array(z.string()).default([]),
  operstate: z.string().optional(),
  mtu: z.number().int(),
  linkinfo: z.object({ info_kind: z.string().optional(), info_slave_kind: z.string().optional() }).optional(),
  stats64: z.object({ rx: Counters, tx: Counters }).optional(),
  stats: z.object({ rx: Counters, tx: Counters }).optional(),
});

const STACKED = new Set(["vlan", "macvlan", "ipvlan", "macvtap"]);

export function parseIpLinkDetails(text: string): LinkDetail[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ParseError("ip-link-details", `not JSON (was -j given?): ${(e as Error).message}`);
  }
  if (!Array.isArray(value)) throw new ParseError("ip-link-details", "expected a JSON array of interfaces");
  return validated(
    "ip-link-details",
    LinkDetails,
    value.map((item, i) => {
      const r = Raw.safeParse(item);
      if (!r.success)
        throw new ParseError(
          "ip-link-details",
          `interface #${i}: ${r.error.issues[0]?.message ?? "invalid"}`,
        );
      const raw = r.data;
      const stats = raw.stats64 ?? raw.stats;
      const flags = new Set(raw.flags);
      return {
        ifname: raw.ifname,
        master: raw.master ?? null,
        operstate: raw.operstate ?? "UNKNOWN",
        adminUp: flags.has("UP"),
        carrier: flags.has("LOWER_UP") && !flags.has("NO-CARRIER"),
        mtu: raw.mtu,
        kind: raw.linkinfo?.info_kind ?? null,
        slaveKind: raw.linkinfo?.info_slave_kind ?? null,
        // A veth names its peer in `link` too: only stacked devices sit on another interface.
        lowerDev: STACKED.has(raw.linkinfo?.info_kind ?? "") ? (raw.link ?? null) : null,
        rxDropped: stats?.rx?.dropped ?? null,
        rxErrors: stats?.rx?.errors ?? null,
        txDropped: stats?.tx?.dropped ?? null,
        txErrors: stats?.tx?.errors ?? null,
      };
    }),
  );
}

/**
 * The interface and everything under it, top first: a bridge's ports, a bond's slaves, a VLAN's
 * parent, recursively (`vmbr1` → `bond0` → `eno2`, `eno3`). Pure.
 */
export function lowerChain(links: readonly LinkDetail[], top: string): LinkDetail[] {
  const byName = new Map(links.map((l) => [l.ifname, l]));
  const out: LinkDetail[] = [];
  const visit = (name: string) => {
    const link = byName.get(name);
    if (!link || out.includes(link)) return;
    out.push(link);
    for (const port of links) if (port.master === name) visit(port.ifname);
    if (link.lowerDev !== null) visit(link.lowerDev);
  };
  visit(top);
  return out;
}

/** The physical ends of a chain: interfaces with nothing under them (NICs, veths, taps). */
export function physicalEnds(links: readonly LinkDetail[], top: string): string[] {
  return lowerChain(links, top)
    .filter((l) => l.lowerDev === null && !links.some((p) => p.master === l.ifname))
    .map((l) => l.ifname);
}
