/**
 * Facts for moving corosync to another network or adding a knet link: every node's membership and
 * config versions (running and on disk), /etc/pve/corosync.conf, every node's interfaces, and a DF
 * ping at the link's MTU from every node to every other on the new addresses. Read-only and
 * bounded: one `ping -c 2 -W 1` per ordered pair, all at once.
 */
import { z } from "zod";
import { ProbeError } from "../../engine/probe-context.js";
import type { ProbeContext } from "../../engine/runbook.js";
import { sh } from "../../shell/quote.js";
import { cmapDown, cmapInteger, parseCorosyncCmapctl } from "../parsers/corosync-cmapctl.js";
import { parseCorosyncConf } from "../parsers/corosync-conf.js";
import { ParseError } from "../parsers/format.js";
import { parseIpAddr, parseIpLink } from "../parsers/ip-link.js";
import { parsePing, pingProblem } from "../parsers/ping.js";
import { clusterStates, NodeClusterState, readPveCorosyncConf } from "./corosync.js";

const linkNumber = (what: string) =>
  z
    .union([z.string(), z.number()])
    .transform((v) => String(v).trim())
    .pipe(
      z
        .string()
        .regex(/^[0-7]$/, `Expected ${what}: a knet link number from 0 to 7`)
        .transform(Number),
    );

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^(?=.*:.*:)[0-9a-fA-F:]+(\.[0-9.]+)?$/;
export const isIpAddress = (s: string): boolean => IPV4.test(s) || IPV6.test(s);

/** `pve1=10.10.11.1`: a node name and the IP address its new link uses. */
const NodeAddr = z
  .string()
  .refine(
    (s) => /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?=/.test(s) && isIpAddress(s.slice(s.indexOf("=") + 1)),
    {
      error: (i) => `Expected <node>=<IP address> such as pve1=10.10.11.1, got '${String(i.input)}'`,
    },
  );

export const ClusterNetworkParams = z
  .object({
    link: linkNumber("--link").describe(
      "The knet link to add (0–7, a number corosync.conf does not use yet)",
    ),
    addr: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .transform((v) =>
        v === undefined
          ? undefined
          : (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter((s) => s !== ""),
      )
      .pipe(z.array(NodeAddr).min(1, "Expected at least one <node>=<address>").optional())
      .describe("The new link's address per node, <node>=<ip> (repeat the flag or give a comma list)"),
    cidr: z
      .string()
      .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, "Expected an IPv4 network such as 10.10.11.0/24")
      .refine((s) => IPV4.test(s.split("/")[0] ?? ""), "Expected an IPv4 network such as 10.10.11.0/24")
      .optional()
      .describe("Or: the new network; each node's address is the one it has in it (`ip addr`)"),
    replace: linkNumber("--replace")
      .optional()
      .describe("Move: the link to remove once the new one is connected everywhere (e.g. 0)"),
    priority: z
      .union([z.string(), z.number()])
      .transform((v) => String(v).trim())
      .pipe(
        z
          .string()
          .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/, "Expected a knet_link_priority from 0 to 255")
          .transform(Number),
      )
      .optional()
      .describe("knet_link_priority of the new link (passive mode sends on the highest)"),
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.addr === undefined) === (p.cidr === undefined))
      ctx.addIssue({ code: "custom", path: ["addr"], message: "Expected exactly one of --addr or --cidr" });
    if (p.replace !== undefined && p.replace === p.link)
      ctx.addIssue({
        code: "custom",
        path: ["replace"],
        message: `Expected --replace to name the old link, not the new link ${p.link}: the new link needs a free number`,
      });
    const names = (p.addr ?? []).flatMap((a) => (a.includes("=") ? [a.slice(0, a.indexOf("="))] : []));
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    if (twice.length > 0)
      ctx.addIssue({
        code: "custom",
        path: ["addr"],
        message: `Expected one address per node; ${twice[0]} has two`,
      });
  });
export type ClusterNetworkParams = z.output<typeof ClusterNetworkParams>;

export const NodeInterface = z.object({
  ifname: z.string(),
  operstate: z.string(),
  mtu: z.number().int(),
  /** `address/prefixlen`. */
  addrs: z.array(z.string()),
});
export type NodeInterface = z.infer<typeof NodeInterface>;

export const NodeNetFacts = z.object({
  node: z.string(),
  interfaces: z.array(NodeInterface),
  /** totem.config_version of the running corosync; null when corosync does not answer. */
  running: z.number().int().nullable(),
});
export type NodeNetFacts = z.infer<typeof NodeNetFacts>;

export const PingFact = z.object({
  from: z.string(),
  to: z.string(),
  addr: z.string(),
  /** The ICMP payload: the outgoing interface's MTU minus the IP and ICMP headers. */
  size: z.number().int(),
  /** Why no reply came back; null when one did. */
  problem: z.string().nullable(),
});
export type PingFact = z.infer<typeof PingFact>;

export const ClusterNetworkFacts = z.object({
  nodes: z.array(z.string()),
  states: z.array(NodeClusterState),
  /** The node that reads and writes /etc/pve: the first that answers. */
  writer: z.string().nullable(),
  /** /etc/pve/corosync.conf as the writer reads it; null with `confProblem` when unreadable. */
  conf: z.string().nullable(),
  confProblem: z.string().nullable(),
  nets: z.array(NodeNetFacts),
  pings: z.array(PingFact),
});
export type ClusterNetworkFacts = z.infer<typeof ClusterNetworkFacts>;

/** The running config_version (`corosync-cmapctl -g totem.config_version`); null when corosync is down. */
export async function runningVersion(ctx: ProbeContext, node: string): Promise<number | null> {
  const command = "corosync-cmapctl -g totem.config_version";
  const result = await ctx.run(node, command, { fresh: true });
  if (result.exitCode !== 0 && cmapDown(result.stderr)) return null;
  try {
    if (result.exitCode !== 0) throw new ParseError("corosync-cmapctl", result.stderr.trim());
    return cmapInteger(parseCorosyncCmapctl(result.stdout), "totem.config_version");
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new ProbeError(`unexpected answer of \`${command}\` on ${node}: ${error.message}`, node, result);
  }
}

/** `ip -j addr show` read twice over: interface state and MTU, and the addresses. */
export async function interfacesOf(ctx: ProbeContext, node: string): Promise<NodeInterface[]> {
  const result = await ctx.run(node, "ip -j addr show");
  try {
    if (result.exitCode !== 0)
      throw new ParseError("ip-addr", result.stderr.trim() || `exit ${result.exitCode}`);
    const addrs = new Map(parseIpAddr(result.stdout).map((a) => [a.ifname, a.addrs]));
    return parseIpLink(result.stdout).map((l) => ({
      ifname: l.ifname,
      operstate: l.operstate,
      mtu: l.mtu,
      addrs: (addrs.get(l.ifname) ?? []).map((a) => `${a.local}/${a.prefixlen}`),
    }));
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    throw new ProbeError(
      `unexpected answer of \`ip -j addr show\` on ${node}: ${error.message}`,
      node,
      result,
    );
  }
}

/** IPv4 (20) or IPv6 (40) header plus the ICMP header (8): what `-s` leaves out of the packet. */
export const headerBytes = (addr: string): number => (addr.includes(":") ? 48 : 28);

/** One DF ping of `size` bytes payload; `-c 2 -W 1` keeps it within about two seconds. */
export async function dfPing(
  ctx: ProbeContext,
  from: string,
  to: string,
  addr: string,
  size: number,
): Promise<PingFact> {
  const result = await ctx.run(from, sh`ping -M do -s ${size} -c 2 -W 1 ${addr}`, { timeoutMs: 15_000 });
  try {
    return {
      from,
      to,
      addr,
      size,
      problem: pingProblem(parsePing(result.stdout, result.stderr), size, headerBytes(addr)),
    };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return { from, to, addr, size, problem: error.message };
  }
}

/** Where the new link would run on each node: from the params and the node's interfaces. Pure. */
export type AddressPick =
  | { node: string; addr: string; iface: NodeInterface }
  | {
      node: string;
      missing: "not-on-node" | "none-in-cidr" | "several-in-cidr" | "no-addr-given";
      found: string[];
    };

const ipv4Value = (ip: string) => ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);

function inCidr(ip: string, cidr: string): boolean {
  const [net = "", bits = "0"] = cidr.split("/");
  if (!IPV4.test(ip)) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4Value(ip) / size) === Math.floor(ipv4Value(net) / size);
}

export function pickAddress(
  p: ClusterNetworkParams,
  node: string,
  interfaces: readonly NodeInterface[],
): AddressPick {
  const all = interfaces.flatMap((i) => i.addrs.map((a) => ({ ip: a.split("/")[0] ?? "", iface: i })));
  if (p.cidr !== undefined) {
    const hits = all.filter((a) => inCidr(a.ip, p.cidr!));
    if (hits.length === 1) return { node, addr: hits[0]!.ip, iface: hits[0]!.iface };
    return {
      node,
      missing: hits.length === 0 ? "none-in-cidr" : "several-in-cidr",
      found: hits.map((h) => h.ip),
    };
  }
  const given = (p.addr ?? []).find((a) => a.startsWith(`${node}=`));
  if (given === undefined) return { node, missing: "no-addr-given", found: [] };
  const ip = given.slice(node.length + 1);
  const hit = all.find((a) => a.ip.toLowerCase() === ip.toLowerCase());
  return hit ? { node, addr: ip, iface: hit.iface } : { node, missing: "not-on-node", found: [ip] };
}

export async function clusterNetworkFacts(
  ctx: ProbeContext,
  p: ClusterNetworkParams,
): Promise<ClusterNetworkFacts> {
  const states = await clusterStates(ctx);
  const up = states.filter((s) => s.reachable).map((s) => s.node);
  const writer = up[0] ?? null;
  const read = writer === null ? null : await readPveCorosyncConf(ctx, writer);
  const conf = typeof read === "string" ? read : null;
  const confProblem =
    read === null
      ? "/etc/pve/corosync.conf does not exist"
      : typeof read === "string"
        ? null
        : read.unreadable;
  const nets = await Promise.all(
    up.map(async (node) => {
      const [interfaces, running] = await Promise.all([interfacesOf(ctx, node), runningVersion(ctx, node)]);
      return { node, interfaces, running };
    }),
  );
  const picks = nets.map((n) => pickAddress(p, n.node, n.interfaces));
  const usable = picks.filter((x): x is Extract<AddressPick, { addr: string }> => "addr" in x);
  // Pings prove the path only when every node has its address; otherwise decide refuses anyway.
  const pings =
    usable.length === picks.length
      ? await Promise.all(
          usable.flatMap((a) =>
            usable
              .filter((b) => b !== a)
              .map((b) => dfPing(ctx, a.node, b.node, b.addr, a.iface.mtu - headerBytes(b.addr))),
          ),
        )
      : [];
  return { nodes: [...ctx.nodes], states, writer, conf, confProblem, nets, pings };
}

/** The knet links of a corosync.conf, the addresses on them and the node names; null when it does not parse. */
export function confLinks(text: string): { links: number[]; addrs: string[]; nodes: string[] } | null {
  try {
    const conf = parseCorosyncConf(text);
    return {
      links: [...new Set(conf.nodes.flatMap((n) => Object.keys(n.rings).map(Number)))].sort((a, b) => a - b),
      addrs: conf.nodes.flatMap((n) => Object.values(n.rings)),
      nodes: conf.nodes.map((n) => n.name),
    };
  } catch (error) {
    if (error instanceof ParseError) return null;
    throw error;
  }
}
