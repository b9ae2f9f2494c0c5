/**
 * A node's interfaces, addresses and default route (`ip -j …`), and the address arithmetic needed to
 * tell the way out from the internal networks: ZeroTier must keep the first and leave the others alone.
 */
import { z } from "zod";
import { ProbeError } from "../../engine/probe-context.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { parseIpAddr, parseIpLink } from "../parsers/ip-link.js";

export const NetInterface = z.object({
  name: z.string(),
  /** Bridge or bond this interface is a port of. */
  master: z.string().nullable(),
  /** Every address as `address/prefixlen`, IPv4 and IPv6. */
  addrs: z.array(z.string()),
});
export type NetInterface = z.infer<typeof NetInterface>;

export const NetworkView = z.object({
  interfaces: z.array(NetInterface),
  /** Devices of the IPv4 default route(s), multipath next hops included. */
  defaultRouteDevs: z.array(z.string()),
});
export type NetworkView = z.infer<typeof NetworkView>;

export async function networkOf(ctx: ProbeContext, node: string): Promise<NetworkView> {
  const read = async (command: string) => {
    const result = await ctx.run(node, command);
    if (result.exitCode !== 0)
      throw new ProbeError(`\`${command}\` failed on ${node}: ${result.stderr.trim()}`, node, result);
    return result.stdout;
  };
  const [links, addrs, routes] = await Promise.all([
    read("ip -j link show"),
    read("ip -j addr show"),
    read("ip -j route show default"),
  ]);
  const byName = new Map(parseIpAddr(addrs).map((a) => [a.ifname, a.addrs]));
  return {
    interfaces: parseIpLink(links).map((l) => ({
      name: l.ifname,
      master: l.master,
      addrs: (byName.get(l.ifname) ?? []).map((a) => `${a.local}/${a.prefixlen}`),
    })),
    defaultRouteDevs: parseDefaultRoutes(routes),
  };
}

const Route = z.object({
  dev: z.string().optional(),
  nexthops: z.array(z.object({ dev: z.string().optional() })).optional(),
});

/** `ip -j route show default`: the devices of every default route (empty output = no route). */
export function parseDefaultRoutes(text: string): string[] {
  if (text.trim() === "") return [];
  const routes = z.array(Route).parse(JSON.parse(text));
  const devs = routes.flatMap((r) => [r.dev, ...(r.nexthops ?? []).map((h) => h.dev)]);
  return [...new Set(devs.filter((d): d is string => d !== undefined))];
}

/**
 * The interfaces that lead outside: the default-route devices, the ports under them (bond0 in vmbr0,
 * eno1 in bond0) and, for a VLAN device such as `vmbr0.20`, its parent.
 */
export function outsideInterfaces(view: NetworkView): string[] {
  const out = new Set(view.defaultRouteDevs);
  for (const dev of view.defaultRouteDevs) if (dev.includes(".")) out.add(dev.slice(0, dev.indexOf(".")));
  for (let grew = true; grew; ) {
    grew = false;
    for (const i of view.interfaces) {
      if (i.master !== null && out.has(i.master) && !out.has(i.name)) {
        out.add(i.name);
        grew = true;
      }
    }
  }
  return view.interfaces.map((i) => i.name).filter((n) => out.has(n));
}

type Ip = { family: 4 | 6; value: bigint };

export function parseIp(text: string): Ip | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    if (parts.some((p) => p > 255)) return null;
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!text.includes(":") || !/^[0-9a-fA-F:]+$/.test(text)) return null;
  const [head = "", tail = ""] = text.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = text.includes("::") ? groups(tail) : [];
  const missing = 8 - h.length - t.length;
  if (missing < 0 || (!text.includes("::") && missing !== 0)) return null;
  const all = [...h, ...Array<string>(missing).fill("0"), ...t];
  if (all.some((g) => g.length > 4)) return null;
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g || "0"}`), 0n) };
}

function bitsOf(family: 4 | 6): bigint {
  return family === 4 ? 32n : 128n;
}

function parseCidr(cidr: string): { ip: Ip; prefix: bigint } | null {
  const [addr = "", len] = cidr.split("/");
  const ip = parseIp(addr);
  if (!ip || len === undefined || !/^\d+$/.test(len) || BigInt(len) > bitsOf(ip.family)) return null;
  return { ip, prefix: BigInt(len) };
}

function masked(ip: Ip, prefix: bigint): bigint {
  const host = bitsOf(ip.family) - prefix;
  return (ip.value >> host) << host;
}

function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) =>
    ((value >> BigInt(112 - i * 16)) & 0xffffn).toString(16),
  );
  // RFC 5952: the longest run of two or more zero groups becomes `::`.
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let len = 0;
    while (groups[i + len] === "0") len++;
    if (len > best.len) best = { at: i, len };
  }
  if (best.at < 0) return groups.join(":");
  return `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

/** `10.10.10.1/24` → `10.10.10.0/24`; null for anything that is not an address with a prefix. */
export function networkCidr(addressWithPrefix: string): string | null {
  const c = parseCidr(addressWithPrefix);
  if (!c) return null;
  return `${formatIp(c.ip.family, masked(c.ip, c.prefix))}/${c.prefix}`;
}

/** Does `cidr` contain the address `ip` (a bare address, or the network part of `a/len`)? */
export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const inner = ip.includes("/")
    ? parseCidr(ip)
    : (() => {
        const a = parseIp(ip);
        return a ? { ip: a, prefix: bitsOf(a.family) } : null;
      })();
  if (!c || !inner || c.ip.family !== inner.ip.family || inner.prefix < c.prefix) return false;
  return masked(inner.ip, c.prefix) === masked(c.ip, c.prefix);
}

const PRIVATE_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"];

/** RFC 1918 or carrier-grade NAT (100.64.0.0/10): networks that never lead to the Internet by themselves. */
export function isPrivateIpv4Cidr(cidr: string): boolean {
  return PRIVATE_IPV4.some((p) => cidrContains(p, cidr));
}

/** Guest ports and PVE firewall bridges: created per guest, never a path of the node itself. */
const GUEST_PORT_PREFIXES = ["tap", "veth", "fwbr", "fwpr", "fwln", "tun"];

/**
 * Interfaces of the node's own internal networks: not loopback, not a way out, not a port of another
 * interface (a port has no address of its own), not a guest port, and not in `exclude`.
 */
export function internalInterfaces(view: NetworkView, exclude: ReadonlySet<string>): string[] {
  const outside = new Set(outsideInterfaces(view));
  return view.interfaces
    .filter(
      (i) =>
        i.name !== "lo" &&
        !outside.has(i.name) &&
        !exclude.has(i.name) &&
        i.master === null &&
        !GUEST_PORT_PREFIXES.some((p) => i.name.startsWith(p)),
    )
    .map((i) => i.name);
}
