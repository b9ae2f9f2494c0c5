/**
 * iputils `ping` between lab nodes, for the flags a reachability sweep uses (`-M do|want|dont`,
 * `-s`, `-c`, `-W`, `-q`): the route is the interface whose IPv4 subnet holds the target, else the
 * default route. A DF packet above the outgoing interface's MTU fails locally (`message too long`),
 * a frame above the receiving interface's MTU (either way) is dropped there; no carrier on either end, switch ports in
 * different VLANs, or a node that is down leave ARP unanswered (`Destination Host Unreachable`). Output as Debian's iputils prints it.
 */
import { framesPass, linkWithAddress, nodeLinks } from "../model/network.js";
import type { LabNode } from "../state.js";
import { type CommandHandler, fail, unsupported } from "./types.js";

const ipv4 = (ip: string) => ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);
const isIpv4 = (ip: string) => /^\d+\.\d+\.\d+\.\d+$/.test(ip);

function sameSubnet(cidr: string, ip: string): boolean {
  const [net = "", bits = "32"] = cidr.split("/");
  if (!isIpv4(net) || !isIpv4(ip)) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(net) / size) === Math.floor(ipv4(ip) / size);
}

/** The outgoing interface and its source address towards `ip`, or null when there is no route. */
function route(node: LabNode, ip: string) {
  for (const link of nodeLinks(node)) {
    const cidr = link.addrs.find((a) => sameSubnet(a, ip));
    if (cidr) return { link, src: cidr.split("/")[0] ?? "", onLink: true };
  }
  const dev = node.defaultRoute?.dev;
  const link = nodeLinks(node).find((l) => l.name === dev);
  const src = link?.addrs.find((a) => isIpv4(a.split("/")[0] ?? ""))?.split("/")[0];
  return link && src ? { link, src, onLink: false } : null;
}

interface Options {
  df: boolean;
  size: number;
  count: number;
  target: string;
}

function options(args: string[]): Options | null {
  const o: Partial<Options> & { df: boolean; size: number; count: number } = {
    df: false,
    size: 56,
    count: 4,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = args[i + 1];
    if (a === "-q") continue;
    if (["-M", "-s", "-c", "-W"].includes(a)) {
      if (value === undefined) return null;
      i += 1;
      if (a === "-M") {
        if (!["do", "want", "dont"].includes(value)) return null;
        o.df = value === "do";
      } else if (!/^\d+$/.test(value)) return null;
      else if (a === "-s") o.size = Number(value);
      else if (a === "-c") o.count = Math.max(1, Number(value));
    } else if (a.startsWith("-") || o.target !== undefined) return null;
    else o.target = a;
  }
  return o.target === undefined ? null : (o as Options);
}

const ping: CommandHandler = (ctx) => {
  const o = options(ctx.argv.slice(1));
  if (!o || !isIpv4(o.target)) return unsupported(ctx);
  const way = route(ctx.node, o.target);
  if (!way) return fail("ping: connect: Network is unreachable", 2);
  const packet = o.size + 28;
  const { count, target } = o;
  let out = `PING ${target} (${target}) ${o.size}(${packet}) bytes of data.\n`;
  const stats = (received: number, errors: number) => {
    const loss = Math.round(((count - received) / count) * 100);
    return `\n--- ${target} ping statistics ---\n${count} packets transmitted, ${received} received, ${errors > 0 ? `+${errors} errors, ` : ""}${loss}% packet loss, time ${(count - 1) * 1000 + 2}ms\n`;
  };
  if (o.df && packet > way.link.mtu) {
    const stderr = `ping: local error: message too long, mtu=${way.link.mtu}\n`.repeat(count);
    return { stdout: out + stats(0, count), stderr, exitCode: 1 };
  }
  const peer = ctx.state.nodes.find((n) => linkWithAddress(n, target) !== null);
  const peerLink = peer ? linkWithAddress(peer, target) : null;
  const self = peer === ctx.node;
  const answers =
    peer !== undefined &&
    peerLink !== null &&
    (self || (peer.up && (way.onLink ? framesPass(way.link, peerLink) : peerLink.carrier)));
  if (!answers) {
    // On the subnet: ARP goes unanswered. Through the gateway: the packets are simply lost.
    if (!way.onLink) return { stdout: out + stats(0, 0), stderr: "", exitCode: 1 };
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
  times.forEach((t, i) => {
    out += `${o.size + 8} bytes from ${target}: icmp_seq=${i + 1} ttl=64 time=${t.toFixed(3)} ms\n`;
  });
  const avg = times.reduce((a, b) => a + b, 0) / count;
  const mdev = Math.sqrt(times.reduce((a, t) => a + (t - avg) ** 2, 0) / count);
  const rtt = `rtt min/avg/max/mdev = ${Math.min(...times).toFixed(3)}/${avg.toFixed(3)}/${Math.max(...times).toFixed(3)}/${mdev.toFixed(3)} ms\n`;
  return { stdout: out + stats(count, 0) + rtt, stderr: "", exitCode: 0 };
};

export const pingCommands: Record<string, CommandHandler> = { ping };
