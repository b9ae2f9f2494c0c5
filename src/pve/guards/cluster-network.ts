/**
 * Guards for changing the corosync network, pure: the whole cluster is online, quorate and runs the
 * config in /etc/pve; the requested link fits the links corosync.conf has; every node has its new
 * address on an interface that is up; and every node reached every other there with a DF ping at
 * the link's MTU (PVE's wiki: "Separate Cluster Network", "Adding Redundant Links").
 */
import { type CodedRefusal, refusal } from "../../kit/refuse.js";
import { type CorosyncConf, parseCorosyncConf, verifyCorosyncConf } from "../parsers/corosync-conf.js";
import { ParseError } from "../parsers/format.js";
import type {
  AddressPick,
  ClusterNetworkFacts,
  ClusterNetworkParams,
  NodeInterface,
} from "../probes/cluster-network.js";
import { headerBytes, pickAddress } from "../probes/cluster-network.js";

type Refused<C extends Parameters<typeof refusal>[0]> = { refusal: CodedRefusal<C> };

export interface WholeCluster {
  conf: CorosyncConf;
  text: string;
  /** The highest config_version on any node, in any copy, running or on disk. */
  highest: number;
  /** Node name → node id, from corosync.conf. */
  ids: Record<string, number>;
}

function whyOffline(s: ClusterNetworkFacts["states"][number], ids: readonly number[]): string | null {
  if (!s.reachable) return "does not answer over SSH";
  if (s.corosync !== "active") return `corosync is ${s.corosync ?? "unknown"}`;
  if (s.quorum === null) return s.quorumProblem ?? "no quorum view";
  if (!s.quorum.quorate)
    return `not quorate (${s.quorum.totalVotes ?? 0} of ${s.quorum.expectedVotes ?? "?"} votes)`;
  const missing = ids.filter((id) => !s.quorum!.members.includes(id));
  return missing.length > 0 ? `its membership lacks node id ${missing.join(", ")}` : null;
}

/** Every node online and quorate, every copy of corosync.conf on the version in /etc/pve. */
export function wholeClusterGuard(
  f: ClusterNetworkFacts,
): WholeCluster | Refused<"cluster-degraded" | "link-conflict"> {
  if (f.conf === null)
    return {
      refusal: refusal("link-conflict", { case: "conf-unusable", problem: f.confProblem ?? "not read" }),
    };
  let conf: CorosyncConf;
  try {
    conf = parseCorosyncConf(f.conf);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return { refusal: refusal("link-conflict", { case: "conf-unusable", problem: error.message }) };
  }
  const problems = verifyCorosyncConf(conf);
  const unnamed = conf.nodes.filter((n) => n.props.name === undefined).map((n) => n.name);
  if (unnamed.length > 0)
    problems.push(`node ${unnamed.join(", ")} has no 'name' (PVE's wiki: add it first)`);
  if (conf.summary?.transport !== "knet")
    problems.push(`transport ${conf.summary?.transport} has no knet links`);
  if (problems.length > 0)
    return { refusal: refusal("link-conflict", { case: "conf-unusable", problem: problems.join("; ") }) };
  const names = conf.nodes.map((n) => n.name);
  const outside = names.filter((n) => !f.nodes.includes(n));
  if (outside.length > 0)
    return {
      refusal: refusal("cluster-degraded", { case: "not-in-inventory", nodes: outside, inventory: f.nodes }),
    };
  const extra = f.nodes.filter((n) => !names.includes(n));
  if (extra.length > 0)
    return { refusal: refusal("cluster-degraded", { case: "not-in-config", nodes: extra }) };
  const ids = Object.fromEntries(conf.nodes.map((n) => [n.name, n.nodeid ?? 0]));
  const found = f.states.flatMap((s) => {
    const why = whyOffline(s, Object.values(ids));
    return why === null ? [] : [{ node: s.node, why, own: !why.startsWith("its membership") }];
  });
  // A node cut off makes the others' membership incomplete too: name the node itself when there is one.
  const own = found.filter((x) => x.own);
  const offline = (own.length > 0 ? own : found).map(({ node, why }) => ({ node, why }));
  if (offline.length > 0)
    return { refusal: refusal("cluster-degraded", { case: "offline", nodes: offline }) };
  const version = conf.configVersion ?? 0;
  const drift = f.states.flatMap((s) => {
    const running = f.nets.find((n) => n.node === s.node)?.running ?? null;
    const why =
      running !== version
        ? `corosync runs config_version ${running ?? "(none)"}`
        : s.corosyncConfVersion !== version
          ? `/etc/corosync/corosync.conf has config_version ${s.corosyncConfVersion ?? "(none)"}`
          : null;
    return why === null ? [] : [{ node: s.node, why: `${why}, /etc/pve has ${version}` }];
  });
  if (drift.length > 0)
    return { refusal: refusal("cluster-degraded", { case: "version-drift", nodes: drift }) };
  const seen = f.states.flatMap((s) => [s.corosyncConfVersion ?? 0, s.pveConfVersion ?? 0]);
  const highest = Math.max(version, ...seen, ...f.nets.map((n) => n.running ?? 0));
  return { conf, text: f.conf, highest, ids };
}

export type LinkAddress = { node: string; addr: string; iface: NodeInterface };

/** Every node's address on the new link, on an interface that is up. */
export function addressGuard(
  p: ClusterNetworkParams,
  f: ClusterNetworkFacts,
): LinkAddress[] | Refused<"link-address-missing"> {
  const named = (p.addr ?? []).map((a) => a.slice(0, a.indexOf("=")));
  const unknown = named.filter((n) => !f.nodes.includes(n));
  if (unknown.length > 0)
    return {
      refusal: refusal("link-address-missing", { case: "unknown-node", nodes: unknown, known: f.nodes }),
    };
  const picks: AddressPick[] = f.nets.map((n) => pickAddress(p, n.node, n.interfaces));
  const notGiven = picks.filter((x) => "missing" in x && x.missing === "no-addr-given").map((x) => x.node);
  if (notGiven.length > 0)
    return { refusal: refusal("link-address-missing", { case: "no-addr-given", nodes: notGiven }) };
  const out: LinkAddress[] = [];
  for (const pick of picks) {
    const net = f.nets.find((n) => n.node === pick.node)!;
    const has = net.interfaces
      .flatMap((i) => i.addrs)
      .filter((a) => !a.startsWith("127.") && a !== "::1/128");
    if ("missing" in pick) {
      const node = pick.node;
      const cidr = p.cidr ?? "";
      if (pick.missing === "several-in-cidr")
        return {
          refusal: refusal("link-address-missing", {
            case: "several-in-cidr",
            node,
            cidr,
            found: pick.found,
          }),
        };
      if (pick.missing === "none-in-cidr")
        return { refusal: refusal("link-address-missing", { case: "none-in-cidr", node, cidr, has }) };
      return {
        refusal: refusal("link-address-missing", {
          case: "not-on-node",
          node,
          addr: pick.found[0] ?? "",
          has,
        }),
      };
    }
    if (!["UP", "UNKNOWN"].includes(pick.iface.operstate))
      return {
        refusal: refusal("link-address-missing", {
          case: "interface-down",
          node: pick.node,
          ifname: pick.iface.ifname,
          addr: pick.addr,
          operstate: pick.iface.operstate,
        }),
      };
    out.push(pick);
  }
  return out;
}

/** What the requested link means against the links corosync.conf has. */
export type LinkChange =
  | { kind: "add"; removeAfter: number | null }
  | { kind: "remove-only"; remove: number }
  | { kind: "done"; reason: string };

export function linkGuard(
  p: ClusterNetworkParams,
  conf: CorosyncConf,
  addrs: readonly LinkAddress[],
): LinkChange | Refused<"link-conflict"> {
  const links = [...new Set(conf.nodes.flatMap((n) => Object.keys(n.rings).map(Number)))].sort(
    (a, b) => a - b,
  );
  const want = new Map(addrs.map((a) => [a.node, a.addr]));
  const replacing = p.replace !== undefined && links.includes(p.replace);
  if (links.includes(p.link)) {
    const differs = conf.nodes.flatMap((n) =>
      n.rings[p.link] === want.get(n.name)
        ? []
        : [`${n.name}: ring${p.link}_addr is ${n.rings[p.link] ?? "(none)"}, wanted ${want.get(n.name)}`],
    );
    if (differs.length > 0)
      return { refusal: refusal("link-conflict", { case: "other-addresses", link: p.link, differs }) };
    if (replacing) return { kind: "remove-only", remove: p.replace! };
    const moved = p.replace === undefined ? "" : ` and link ${p.replace} is gone`;
    return {
      kind: "done",
      reason: `link ${p.link} already runs on ${[...want.values()].join(", ")}${moved}`,
    };
  }
  if (p.replace !== undefined && !replacing)
    return { refusal: refusal("link-conflict", { case: "no-such-link", link: p.replace, links }) };
  for (const n of conf.nodes)
    for (const [link, addr] of Object.entries(n.rings))
      for (const a of addrs)
        if (a.addr.toLowerCase() === addr.toLowerCase())
          return {
            refusal: refusal("link-conflict", {
              case: "address-in-use",
              addr: a.addr,
              node: n.name,
              link: Number(link),
            }),
          };
  return { kind: "add", removeAfter: p.replace ?? null };
}

/** Every node reached every other on the new addresses with a DF ping at its interface's MTU. */
export function reachGuard(f: ClusterNetworkFacts): { evidence: string } | Refused<"link-unreachable"> {
  const failures = f.pings.flatMap((x) => (x.problem === null ? [] : [{ ...x, why: x.problem }]));
  if (failures.length > 0) return { refusal: refusal("link-unreachable", { failures }) };
  const sizes = [...new Set(f.pings.map((x) => x.size + headerBytes(x.addr)))].join("/");
  return {
    evidence: `${f.pings.length} DF pings between every pair of nodes (${sizes}-byte packets) got replies`,
  };
}
