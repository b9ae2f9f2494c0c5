/**
 * A node's interfaces as iproute2 reports them in JSON (`ip -j`): key order and values as
 * ip/ipaddress.c prints them (no `linkmode` in `addr show`, `label` only on IPv4 addresses), plus
 * the ZeroTier taps, which exist only while zerotier-one runs.
 */
import type { LabLink, LabNode } from "../state.js";

type Json = Record<string, unknown>;

interface LinkView extends LabLink {
  ifindex: number;
  tap: boolean;
}

export function nodeLinks(node: LabNode): LinkView[] {
  const links: LinkView[] = node.links.map((l, i) => ({ ...l, ifindex: i + 1, tap: false }));
  if (node.zerotier && node.services["zerotier-one"] === "active") {
    node.zerotier.networks.forEach((n, i) => {
      links.push({
        name: n.dev,
        type: "ether",
        master: n.bridge,
        mac: n.mac,
        mtu: 2800,
        addrs: n.ips,
        altnames: [],
        carrier: true,
        portVlan: null,
        ifindex: node.links.length + 1 + i,
        tap: true,
      });
    });
  }
  return links;
}

function flags(link: LinkView, all: LinkView[]): string[] {
  if (link.type === "loopback") return ["LOOPBACK", "UP", "LOWER_UP"];
  const inBond = all.some((l) => l.name === link.master && l.type === "bond");
  return [
    ...(link.carrier ? [] : ["NO-CARRIER"]),
    "BROADCAST",
    "MULTICAST",
    ...(link.type === "bond" ? ["MASTER"] : []),
    ...(inBond ? ["SLAVE"] : []),
    "UP",
    ...(link.carrier ? ["LOWER_UP"] : []),
  ];
}

function linkFields(link: LinkView, all: LinkView[], withLinkmode: boolean): Json {
  const loopback = link.type === "loopback";
  const qdisc =
    loopback || link.type === "bridge" || link.type === "bond" ? "noqueue" : link.tap ? "pfifo_fast" : "mq";
  const json: Json = {
    ifindex: link.ifindex,
    ifname: link.name,
    flags: flags(link, all),
    mtu: link.mtu,
    qdisc,
  };
  if (link.master !== null) json.master = link.master;
  json.operstate = loopback || link.tap ? "UNKNOWN" : link.carrier ? "UP" : "DOWN";
  if (withLinkmode) json.linkmode = "DEFAULT";
  json.group = "default";
  json.txqlen = 1000;
  json.link_type = loopback ? "loopback" : "ether";
  json.address = link.mac;
  json.broadcast = loopback ? "00:00:00:00:00:00" : "ff:ff:ff:ff:ff:ff";
  if (link.altnames.length > 0) json.altnames = link.altnames;
  return json;
}

function broadcastOf(address: string, prefix: number): string {
  const value = address.split(".").reduce((n, p) => n * 256 + Number(p), 0);
  const size = 2 ** (32 - prefix);
  const last = Math.floor(value / size) * size + size - 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(last / 2 ** shift) % 256).join(".");
}

function addrInfo(link: LinkView): Json[] {
  return link.addrs.map((cidr) => {
    const [local = "", prefixText = "0"] = cidr.split("/");
    const prefixlen = Number(prefixText);
    const forever = { valid_life_time: 4294967295, preferred_life_time: 4294967295 };
    if (!local.includes(":")) {
      const scope = local.startsWith("127.") ? "host" : "global";
      const broadcast =
        scope === "global" && prefixlen < 31 ? { broadcast: broadcastOf(local, prefixlen) } : {};
      return { family: "inet", local, prefixlen, ...broadcast, scope, label: link.name, ...forever };
    }
    const scope = local === "::1" ? "host" : local.startsWith("fe80:") ? "link" : "global";
    // Kernels ≥ 6.x report the loopback address without a prefix route.
    const noprefixroute = local === "::1" ? { noprefixroute: true } : {};
    return { family: "inet6", local, prefixlen, scope, ...noprefixroute, ...forever };
  });
}

/** iproute2 prints JSON on one line, then a newline. */
export function ipLinkJson(node: LabNode): string {
  const all = nodeLinks(node);
  return `${JSON.stringify(all.map((l) => linkFields(l, all, true)))}\n`;
}

export function ipAddrJson(node: LabNode): string {
  const all = nodeLinks(node);
  return `${JSON.stringify(all.map((l) => ({ ...linkFields(l, all, false), addr_info: addrInfo(l) })))}\n`;
}

/** ifupdown2 installs the default route with `proto kernel onlink`. */
export function ipDefaultRouteJson(node: LabNode): string {
  const route = node.defaultRoute;
  const routes = route
    ? [{ dst: "default", gateway: route.gateway, dev: route.dev, protocol: "kernel", flags: ["onlink"] }]
    : [];
  return `${JSON.stringify(routes)}\n`;
}

/** Whether frames pass between two interfaces on one segment: both have carrier, same switch VLAN. */
export function framesPass(a: LabLink, b: LabLink): boolean {
  return a.carrier && b.carrier && (a.portVlan ?? null) === (b.portVlan ?? null);
}

/** The interface of `node` that holds `ip` (any prefix), or null. */
export function linkWithAddress(node: LabNode, ip: string): LinkView | null {
  return nodeLinks(node).find((l) => l.addrs.some((a) => a.split("/")[0] === ip)) ?? null;
}
