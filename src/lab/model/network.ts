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
        portVlan: null,
        ifindex: node.links.length + 1 + i,
        tap: true,
      });
    });
  }
  return links;
}

/** up, down or no-carrier, as the kernel derives it: a bridge or bond has a carrier while one port has. */
export function linkState(link: LabLink, all: readonly LabLink[]): "up" | "down" | "no-carrier" {
  const own = link.state ?? "up";
  if (own !== "up" || (link.type !== "bridge" && link.type !== "bond")) return own;
  const ports = all.filter((l) => l.master === link.name);
  if (ports.length === 0) return link.type === "bridge" ? "up" : "no-carrier";
  return ports.some((p) => linkState(p, all) === "up") ? "up" : "no-carrier";
}

function flags(link: LinkView, all: LinkView[]): string[] {
  const state = linkState(link, all);
  if (link.type === "loopback") return ["LOOPBACK", "UP", "LOWER_UP"];
  const inBond = all.some((l) => l.name === link.master && l.type === "bond");
  // iproute2 prints NO-CARRIER first (print_link_flags), LOWER_UP only with a carrier.
  return [
    ...(state === "no-carrier" ? ["NO-CARRIER"] : []),
    "BROADCAST",
    "MULTICAST",
    ...(link.type === "bond" ? ["MASTER"] : []),
    ...(inBond ? ["SLAVE"] : []),
    ...(state === "down" ? [] : ["UP"]),
    ...(state === "up" ? ["LOWER_UP"] : []),
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
  json.operstate = loopback || link.tap ? "UNKNOWN" : linkState(link, all) === "up" ? "UP" : "DOWN";
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

/**
 * `ip -s -d -j link show`: the same keys, then the details iproute2 adds with `-d` (promiscuity,
 * MTU bounds, `linkinfo` with `info_kind` for bridges and bonds and `info_slave_kind` for their
 * ports; the kernel's long `info_data`/`info_slave_data` blocks are left out) and `stats64`.
 */
export function ipLinkDetailsJson(node: LabNode): string {
  const all = nodeLinks(node);
  const rows = all.map((l) => {
    const json = linkFields(l, all, true);
    const master = all.find((m) => m.name === l.master);
    const kind = l.type === "bridge" || l.type === "bond" ? l.type : l.tap ? "tun" : null;
    const linkinfo = {
      ...(kind ? { info_kind: kind } : {}),
      ...(master && (master.type === "bridge" || master.type === "bond")
        ? { info_slave_kind: master.type }
        : {}),
    };
    Object.assign(json, {
      promiscuity: l.master === null ? 0 : 1,
      allmulti: l.master === null ? 0 : 1,
      min_mtu: l.type === "loopback" ? 0 : 68,
      max_mtu: l.type === "loopback" ? 0 : l.type === "ether" && !l.tap ? 9216 : 65535,
      ...(Object.keys(linkinfo).length > 0 ? { linkinfo } : {}),
      inet6_addr_gen_mode: "eui64",
      num_tx_queues: 1,
      num_rx_queues: 1,
      gso_max_size: 65536,
      gso_max_segs: 65535,
      stats64: {
        rx: { bytes: 0, packets: 0, errors: 0, dropped: l.rxDropped ?? 0, over_errors: 0, multicast: 0 },
        tx: { bytes: 0, packets: 0, errors: 0, dropped: 0, carrier_errors: 0, collisions: 0 },
      },
    });
    return json;
  });
  return `${JSON.stringify(rows)}\n`;
}

/** ifupdown2 installs the default route with `proto kernel onlink`. */
export function ipDefaultRouteJson(node: LabNode): string {
  const route = node.defaultRoute;
  const routes = route
    ? [{ dst: "default", gateway: route.gateway, dev: route.dev, protocol: "kernel", flags: ["onlink"] }]
    : [];
  return `${JSON.stringify(routes)}\n`;
}

/**
 * Whether frames pass between two interfaces on one segment: both up with a carrier (`aAll`/`bAll`:
 * the interfaces of each node, a bridge has a carrier through its ports), same switch VLAN.
 */
export function framesPass(
  a: LabLink,
  aAll: readonly LabLink[],
  b: LabLink,
  bAll: readonly LabLink[],
): boolean {
  return (
    linkState(a, aAll) === "up" &&
    linkState(b, bAll) === "up" &&
    (a.portVlan ?? null) === (b.portVlan ?? null)
  );
}

/** The interface of `node` that holds `ip` (any prefix), or null. */
export function linkWithAddress(node: LabNode, ip: string): LinkView | null {
  return nodeLinks(node).find((l) => l.addrs.some((a) => a.split("/")[0] === ip)) ?? null;
}
