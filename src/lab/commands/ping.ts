/**
 * iputils `ping` (20221126) between lab nodes, for the flags the sweeps use (`-n -q -M do|want|dont
 * -s -c -i -W -I`): the route is the interface whose IPv4 subnet holds the target, else the default
 * route (an interface set down has no routes); `-I` names the source address or binds an interface.
 * A DF packet above the outgoing interface's MTU fails locally (`message too long`), a frame above
 * the receiving interface's MTU (either way) is dropped there; no carrier on either end, switch ports
 * in different VLANs, or a node that is down leave ARP unanswered (`Destination Host Unreachable`).
 * `-q` prints only the header and the statistics, as iputils does: no reply or `From` lines, and a
 * local error is neither printed nor counted (ping_common.c/ping.c `receive_error_msg`).
 */
import { framesPass, linkState, linkWithAddress, nodeLinks } from "../model/network.js";
import type { LabNode } from "../state.js";
import { type CommandHandler, fail, unsupported } from "./types.js";

const ipv4 = (ip: string) => ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);
const isIpv4 = (ip: string) => /^\d+\.\d+\.\d+\.\d+$/.test(ip);
const firstIpv4 = (addrs: string[]) => addrs.map((a) => a.split("/")[0] ?? "").find(isIpv4);

function sameSubnet(cidr: string, ip: string): boolean {
  const [net = "", bits = "32"] = cidr.split("/");
  if (!isIpv4(net) || !isIpv4(ip)) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(net) / size) === Math.floor(ipv4(ip) / size);
}

/** The outgoing interface and its source address towards `ip`, or null when there is no route. */
function route(node: LabNode, ip: string, device: string | null) {
  const all = nodeLinks(node);
  // The kernel drops the routes of an interface set down; without a carrier they stay.
  const links = all.filter((l) => linkState(l, all) !== "down" && (device === null || l.name === device));
  for (const link of links) {
    const cidr = link.addrs.find((a) => sameSubnet(a, ip));
    if (cidr) return { link, src: cidr.split("/")[0] ?? "", onLink: true };
  }
  const link = links.find((l) => l.name === node.defaultRoute?.dev);
  const src = link ? firstIpv4(link.addrs) : undefined;
  return link && src ? { link, src, onLink: false } : null;
}

interface Options {
  df: boolean;
  size: number;
  count: number;
  interval: number;
  quiet: boolean;
  /** `-I`: an address to send from, or an interface to bind. */
  from: string | null;
  target: string;
}

type Parsed = { options: Options } | { error: string } | null;

function options(args: string[]): Parsed {
  let df = false;
  let size = 56;
  let count: number | null = null;
  let interval = 1;
  let quiet = false;
  let from: string | null = null;
  let target: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-n") continue;
    if (a === "-q") {
      quiet = true;
      continue;
    }
    if (!["-M", "-s", "-c", "-i", "-W", "-I"].includes(a)) {
      if (a.startsWith("-") || target !== null) return null;
      target = a;
      continue;
    }
    const value = args[++i];
    if (value === undefined) return { error: `ping: option requires an argument -- '${a.slice(1)}'` };
    if (a === "-M") {
      if (!["do", "want", "dont"].includes(value)) return { error: `ping: invalid -M argument: ${value}` };
      df = value === "do";
    } else if (a === "-I") from = value;
    else if (!/^\d+(\.\d+)?$/.test(value) || (a !== "-i" && a !== "-W" && value.includes(".")))
      return { error: `ping: invalid argument: '${value}'` };
    else if (a === "-s") size = Number(value);
    else if (a === "-c") count = Number(value);
    else if (a === "-i") interval = Number(value);
  }
  // Without -c ping never ends: the lab has no use for that.
  if (target === null || count === null || count < 1) return null;
  return { options: { df, size, count, interval, quiet, from, target } };
}

const ping: CommandHandler = (ctx) => {
  const parsed = options(ctx.argv.slice(1));
  if (parsed === null) return unsupported(ctx);
  if ("error" in parsed) return fail(parsed.error, 2);
  const o = parsed.options;
  if (!isIpv4(o.target)) return unsupported(ctx);
  const all = nodeLinks(ctx.node);
  // -I with an address binds the source (it must be local); with a name it binds the interface.
  let device: string | null = null;
  if (o.from !== null && isIpv4(o.from)) {
    if (!all.some((l) => l.addrs.some((a) => a.split("/")[0] === o.from)))
      return fail("ping: bind: Cannot assign requested address", 2);
  } else if (o.from !== null) {
    if (!all.some((l) => l.name === o.from))
      return fail(`ping: SO_BINDTODEVICE ${o.from}: No such device`, 2);
    device = o.from;
  }
  const way = route(ctx.node, o.target, device);
  if (!way) return fail("ping: connect: Network is unreachable", 2);
  const src = o.from !== null && device === null ? o.from : way.src;
  const packet = o.size + 28;
  const { count, target } = o;
  const from = o.from === null ? "" : `from ${src} ${device ?? ""}: `;
  let out = `PING ${target} (${target}) ${from}${o.size}(${packet}) bytes of data.\n`;
  const stats = (received: number, errors: number) => {
    const loss = Math.round(((count - received) / count) * 100);
    const time = Math.round((count - 1) * o.interval * 1000) + 2;
    return `\n--- ${target} ping statistics ---\n${count} packets transmitted, ${received} received, ${errors > 0 ? `+${errors} errors, ` : ""}${loss}% packet loss, time ${time}ms\n`;
  };
  if (o.df && packet > way.link.mtu) {
    if (o.quiet) return { stdout: out + stats(0, 0), stderr: "", exitCode: 1 };
    const stderr = `ping: local error: message too long, mtu=${way.link.mtu}\n`.repeat(count);
    return { stdout: out + stats(0, count), stderr, exitCode: 1 };
  }
  const peer = ctx.state.nodes.find((n) => linkWithAddress(n, target) !== null);
  const peerLink = peer ? linkWithAddress(peer, target) : null;
  const self = peer === ctx.node;
  const peerLinks = peer ? nodeLinks(peer) : [];
  const answers =
    peer !== undefined &&
    peerLink !== null &&
    (self ||
      (peer.up &&
        (way.onLink
          ? framesPass(way.link, all, peerLink, peerLinks)
          : linkState(peerLink, peerLinks) === "up" && linkState(way.link, all) === "up")));
  if (!answers) {
    // On the subnet: ARP goes unanswered. Through the gateway: the packets are simply lost.
    if (!way.onLink) return { stdout: out + stats(0, 0), stderr: "", exitCode: 1 };
    if (!o.quiet)
      for (let i = 1; i <= count; i++) out += `From ${way.src} icmp_seq=${i} Destination Host Unreachable\n`;
    return { stdout: out + stats(0, count), stderr: "", exitCode: 1 };
  }
  // A frame above the receiving interface's MTU is dropped there, both ways: without DF the sender
  // fragments to its own MTU, and the peer sends its reply in frames up to its own.
  const request = o.df ? packet : Math.min(packet, way.link.mtu);
  const reply = Math.min(packet, peerLink.mtu);
  if (!self && (request > peerLink.mtu || reply > way.link.mtu))
    return { stdout: out + stats(0, 0), stderr: "", exitCode: 1 };
  const times = Array.from({ length: count }, (_, i) => 0.187 + 0.023 * (i % 2));
  if (!o.quiet)
    times.forEach((t, i) => {
      out += `${o.size + 8} bytes from ${target}: icmp_seq=${i + 1} ttl=64 time=${t.toFixed(3)} ms\n`;
    });
  const avg = times.reduce((a, b) => a + b, 0) / count;
  const mdev = Math.sqrt(times.reduce((a, t) => a + (t - avg) ** 2, 0) / count);
  const rtt = `rtt min/avg/max/mdev = ${Math.min(...times).toFixed(3)}/${avg.toFixed(3)}/${Math.max(...times).toFixed(3)}/${mdev.toFixed(3)} ms\n`;
  return { stdout: out + stats(count, 0) + rtt, stderr: "", exitCode: 0 };
};

export const pingCommands: Record<string, CommandHandler> = { ping };
