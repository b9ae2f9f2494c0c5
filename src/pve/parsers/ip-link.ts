/**
 * iproute2 JSON output: `ip -j [-d] link show` and `ip -j addr show`. Used to see which interfaces sit in
 * which bridge (a ZeroTier port in a bridge loops traffic back into ZeroTier) and which addresses a node has.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";

export const IpLink = z.object({
  ifname: z.string(),
  /** Bridge or bond this interface is enslaved to. */
  master: z.string().nullable(),
  /** `UP`, `DOWN`, `UNKNOWN`, `LOWERLAYERDOWN`, … as the kernel reports it. */
  operstate: z.string(),
  mtu: z.number().int(),
  /** `linkinfo.info_kind` (`bridge`, `bond`, `vlan`, `tun`, …); only printed with `-d`, else null. */
  kind: z.string().nullable(),
  /** `linkinfo.info_slave_kind` (`bridge`, `bond`) for enslaved ports with `-d`, else null. */
  slaveKind: z.string().nullable(),
});
export type IpLink = z.infer<typeof IpLink>;
export const IpLinks = z.array(IpLink);
export type IpLinks = z.infer<typeof IpLinks>;

export const IpAddr = z.object({
  ifname: z.string(),
  addrs: z.array(z.object({ family: z.string(), local: z.string(), prefixlen: z.number().int() })),
});
export type IpAddr = z.infer<typeof IpAddr>;
export const IpAddrs = z.array(IpAddr);
export type IpAddrs = z.infer<typeof IpAddrs>;

// What iproute2 prints; unknown keys are ignored so newer versions keep parsing.
const RawLink = z.object({
  ifname: z.string(),
  master: z.string().optional(),
  operstate: z.string().optional(),
  mtu: z.number().int(),
  linkinfo: z.object({ info_kind: z.string().optional(), info_slave_kind: z.string().optional() }).optional(),
});
const RawAddr = z.object({
  ifname: z.string(),
  // Some iproute2 versions emit `{}` entries in addr_info (e.g. for VFs); they carry no address.
  addr_info: z
    .array(
      z.object({
        family: z.string().optional(),
        local: z.string().optional(),
        prefixlen: z.number().optional(),
      }),
    )
    .default([]),
});

function readJsonArray(text: string, format: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ParseError(format, `not JSON (was -j given?): ${(e as Error).message}`);
  }
  if (!Array.isArray(value)) throw new ParseError(format, "expected a JSON array of interfaces");
  return value;
}

function check<T>(schema: z.ZodType<T>, item: unknown, index: number, format: string): T {
  const result = schema.safeParse(item);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = [index, ...(issue?.path ?? [])].join(".");
    throw new ParseError(format, `interface #${index}: ${issue?.message ?? "invalid"} at ${path}`);
  }
  return result.data;
}

export function parseIpLink(text: string): IpLinks {
  return validated(
    "ip-link",
    IpLinks,
    readJsonArray(text, "ip-link").map((item, i) => {
      const raw = check(RawLink, item, i, "ip-link");
      return {
        ifname: raw.ifname,
        master: raw.master ?? null,
        operstate: raw.operstate ?? "UNKNOWN",
        mtu: raw.mtu,
        kind: raw.linkinfo?.info_kind ?? null,
        slaveKind: raw.linkinfo?.info_slave_kind ?? null,
      };
    }),
  );
}

export function parseIpAddr(text: string): IpAddrs {
  return validated(
    "ip-addr",
    IpAddrs,
    readJsonArray(text, "ip-addr").map((item, i) => {
      const raw = check(RawAddr, item, i, "ip-addr");
      const addrs = raw.addr_info.flatMap((a) =>
        a.family !== undefined && a.local !== undefined && a.prefixlen !== undefined
          ? [{ family: a.family, local: a.local, prefixlen: a.prefixlen }]
          : [],
      );
      return { ifname: raw.ifname, addrs };
    }),
  );
}

/**
 * Bridge → enslaved interfaces, in `ip link` order. A master counts as a bridge when `-d` says so
 * (`kind`/`slaveKind` = `bridge`); without `-d` the kind is unknown and every master is listed, so a bond
 * shows up too — callers that must tell them apart need `ip -j -d link show`.
 */
export function bridgeMembers(links: IpLinks): Record<string, string[]> {
  const byName = new Map(links.map((l) => [l.ifname, l]));
  const result = new Map<string, string[]>();
  for (const link of links) if (link.kind === "bridge") result.set(link.ifname, []);
  for (const link of links) {
    if (link.master === null) continue;
    const masterKind = byName.get(link.master)?.kind ?? null;
    const isBridge =
      link.slaveKind !== null ? link.slaveKind === "bridge" : masterKind === null || masterKind === "bridge";
    if (!isBridge) continue;
    result.set(link.master, [...(result.get(link.master) ?? []), link.ifname]);
  }
  return Object.fromEntries(result);
}

export const ipLinkFormat: ParserFormat<IpLinks> = {
  name: "ip-link",
  description: "`ip -j [-d] link show`: interfaces, master (bridge/bond), state, MTU, kind",
  schema: IpLinks,
  parse: parseIpLink,
};

export const ipAddrFormat: ParserFormat<IpAddrs> = {
  name: "ip-addr",
  description: "`ip -j addr show`: addresses per interface",
  schema: IpAddrs,
  parse: parseIpAddr,
};
