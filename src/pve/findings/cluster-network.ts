/**
 * What diagnose says about the corosync network: a cluster whose corosync has one knet link while
 * every node has an address on one more network (not the way out, not used by corosync) has a
 * ready second link — propose adding it. A single link without such a network is left to the
 * corosync-links diagnosis: there is nothing this runbook could do yet.
 */
import type { ProbeContext } from "../../engine/runbook.js";
import { type FindingInput, finding } from "../../kit/finding.js";
import { confLinks, interfacesOf, type NodeInterface } from "../probes/cluster-network.js";
import { readPveCorosyncConf } from "../probes/corosync.js";
import { parseDefaultRoutes } from "../probes/network.js";
import { isNodeUnreachable } from "../probes/unreachable.js";

const ipv4 = (ip: string) => ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);
const dotted = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

/** `10.10.11.1/24` → `10.10.11.0/24`; null for IPv6, loopback and link-local. */
export function networkOf(cidr: string): string | null {
  const [ip = "", bits = "32"] = cidr.split("/");
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip) || ip.startsWith("127.") || ip.startsWith("169.254.")) return null;
  const size = 2 ** (32 - Number(bits));
  return `${dotted(Math.floor(ipv4(ip) / size) * size)}/${bits}`;
}

interface NodeView {
  node: string;
  interfaces: NodeInterface[];
  outside: string[];
}

/** IPv4 networks every node has exactly one address in, on an interface that is up and not the way out. Pure. */
export function spareNetworks(views: readonly NodeView[], used: readonly string[]): string[] {
  const per = views.map((v) => {
    const nets = v.interfaces
      .filter((i) => i.operstate === "UP" && !v.outside.includes(i.ifname))
      .flatMap((i) => i.addrs.flatMap((a) => (networkOf(a) === null ? [] : [networkOf(a)!])));
    return nets.filter((n, i) => nets.indexOf(n) === i && nets.lastIndexOf(n) === i);
  });
  const usedNets = new Set(
    views.flatMap((v) =>
      v.interfaces.flatMap((i) => i.addrs.filter((a) => used.includes(a.split("/")[0]!)).map(networkOf)),
    ),
  );
  return (per[0] ?? []).filter((n) => per.every((p) => p.includes(n)) && !usedNets.has(n));
}

export async function clusterNetworkFindings(ctx: ProbeContext): Promise<FindingInput[]> {
  const { up, down } = await ctx.reachable();
  if (down.length > 0 || up.length < 2) return [];
  const text = await readPveCorosyncConf(ctx, up[0]!);
  if (typeof text !== "string") return [];
  const conf = confLinks(text);
  if (conf === null || conf.nodes.some((n) => !up.includes(n))) return [];
  const { links, addrs: used } = conf;
  if (links.length !== 1) return [];
  let views: NodeView[];
  try {
    views = await Promise.all(
      up.map(async (node) => {
        const route = await ctx.run(node, "ip -j route show default");
        const outside = route.exitCode === 0 ? parseDefaultRoutes(route.stdout) : [];
        return { node, interfaces: await interfacesOf(ctx, node), outside };
      }),
    );
  } catch (error) {
    if (isNodeUnreachable(error)) return [];
    throw error;
  }
  const spare = spareNetworks(views, used)[0];
  if (spare === undefined) return [];
  const link = links[0] === 0 ? 1 : 0;
  return [
    finding({
      severity: "warning",
      summary: `corosync has a single knet link (link ${links[0]}): one switch or NIC failure costs the quorum, and every node also has an address in ${spare}, unused by corosync — add it as link ${link}`,
      verb: "plan",
      params: { link, cidr: spare },
    }),
  ];
}
