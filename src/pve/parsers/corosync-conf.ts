/**
 * corosync.conf as PVE keeps it in /etc/pve/corosync.conf: `name {` … `}` sections, `key: value` lines and
 * `#` comments. Only `node` and `interface` sections may repeat (as in PVE's own parser); files edited by
 * hand may use any order and indentation. Writing follows PVE's `write_conf` byte for byte.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { validated } from "./parser-support.js";

export const ConfSection = z.object({
  props: z.record(z.string(), z.string()),
  get sections() {
    return z.record(z.string(), z.array(ConfSection));
  },
});
export type ConfSection = z.infer<typeof ConfSection>;

export const CorosyncNode = z.object({
  /** `name`, falling back to `ring0_addr` like PVE; empty when both are missing. */
  name: z.string(),
  nodeid: z.number().int().nullable(),
  /** `quorum_votes`, default 1. */
  quorumVotes: z.number().int(),
  /** `ring0_addr` … `ring7_addr` keyed by link number. */
  rings: z.record(z.number(), z.string()),
  props: z.record(z.string(), z.string()),
});
export type CorosyncNode = z.infer<typeof CorosyncNode>;

export const CorosyncConf = z.object({
  tree: ConfSection,
  clusterName: z.string().nullable(),
  /** totem.config_version; null when missing or not a number. */
  configVersion: z.number().int().nullable(),
  transport: z.string().nullable(),
  linkMode: z.string().nullable(),
  /** totem.interface blocks, keyed by `linknumber` (fallback `ringnumber`, default 0). */
  interfaces: z.array(z.object({ linknumber: z.number().int(), props: z.record(z.string(), z.string()) })),
  nodes: z.array(CorosyncNode),
  quorum: z.record(z.string(), z.string()),
  hasQdevice: z.boolean(),
  twoNode: z.boolean(),
  /** Typed values a decision needs, with corosync's defaults where the file is silent. */
  summary: z
    .object({
      /** `knet` when absent (corosync 3 default; PVE never writes it). */
      transport: z.string(),
      /** `on`/`off` as written; null when absent (corosync then defaults to on). */
      secauth: z.string().nullable(),
      /** totem token timeout in ms, and token_coefficient; null when absent. */
      token: z.number().int().nullable(),
      tokenCoefficient: z.number().int().nullable(),
      links: z.array(
        z.object({
          linknumber: z.number().int(),
          /** knet_link_priority; passive mode uses the HIGHEST number. null when unset. */
          priority: z.number().int().nullable(),
        }),
      ),
      quorumDevice: z
        .object({
          model: z.string().nullable(),
          votes: z.number().int().nullable(),
          host: z.string().nullable(),
          algorithm: z.string().nullable(),
          tls: z.string().nullable(),
        })
        .nullable(),
      /** 0/1 as corosync reads them; wait_for_all defaults to two_node's value. */
      twoNode: z.number().int(),
      waitForAll: z.number().int(),
      /** Derived: quorum.expected_votes, else the sum of node votes plus the device's votes. */
      expectedVotes: z.number().int(),
      /** Derived like votequorum: expected/2+1, or 1 with two_node and two nodes. */
      quorum: z.number().int(),
    })
    .optional(),
});
export type CorosyncConf = z.infer<typeof CorosyncConf>;

const FORMAT = "corosync-conf";
const fail = (message: string, line?: number) => new ParseError(FORMAT, message, line);
const REPEATABLE = new Set(["node", "interface"]);
const OPEN = /^([A-Za-z0-9_.-]+)\s*\{$/;
const KEY_VALUE = /^([A-Za-z0-9_.-]+):\s*(.*)$/;

type Draft = {
  name: string;
  no: number;
  props: Map<string, { value: string; no: number }>;
  sections: Map<string, Draft[]>;
};
type KeyLine = { path: string[]; key: string; no: number };

/** Builds the section tree and lists every `key: value` line with its section path. */
function buildTree(text: string): { tree: ConfSection; keys: KeyLine[] } {
  const keys: KeyLine[] = [];
  const root: Draft = { name: "", no: 0, props: new Map(), sections: new Map() };
  const stack: Draft[] = [root];
  for (const [i, raw] of text.split("\n").entries()) {
    const no = i + 1;
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const top = stack[stack.length - 1]!;
    const open = OPEN.exec(line);
    const kv = KEY_VALUE.exec(line);
    if (open) {
      const name = open[1]!;
      const siblings = top.sections.get(name) ?? [];
      if (siblings.length > 0 && !REPEATABLE.has(name)) {
        const first = siblings[0]!.no;
        throw fail(`section '${name}' already exists and not marked as array (first on line ${first})`, no);
      }
      const child: Draft = { name, no, props: new Map(), sections: new Map() };
      top.sections.set(name, [...siblings, child]);
      stack.push(child);
    } else if (line === "}") {
      if (stack.length === 1) throw fail("unexpected '}'", no);
      stack.pop();
    } else if (kv) {
      const [, key = "", value = ""] = kv;
      if (value === "") throw fail(`no value for '${key}'`, no);
      const earlier = top.props.get(key);
      // corosync keeps the last value but pmxcfs reads the first config_version: refuse the ambiguity.
      if (earlier) throw fail(`key '${key}' is set twice in one section (first on line ${earlier.no})`, no);
      top.props.set(key, { value, no });
      keys.push({ path: stack.slice(1).map((d) => d.name), key, no });
    } else {
      throw fail(`expected 'key: value', 'name {' or '}', got '${line}'`, no);
    }
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1]!;
    throw fail(`section '${open.name}' opened on line ${open.no} is never closed`);
  }
  const freeze = (d: Draft): ConfSection => ({
    props: Object.fromEntries([...d.props].map(([k, v]) => [k, v.value])),
    sections: Object.fromEntries([...d.sections].map(([k, list]) => [k, list.map(freeze)])),
  });
  return { tree: freeze(root), keys };
}

function int(value: string | undefined): number | null {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : null;
}

export function parseCorosyncConf(text: string): CorosyncConf {
  const { tree } = buildTree(text);
  const totem = tree.sections.totem?.[0];
  const quorum = tree.sections.quorum?.[0];
  const interfaces = (totem?.sections.interface ?? []).map((s) => {
    const raw = s.props.linknumber ?? s.props.ringnumber ?? "0";
    const linknumber = int(raw);
    if (linknumber === null) throw fail(`interface linknumber '${raw}' is not a number`);
    return { linknumber, props: s.props };
  });
  const nodes = (tree.sections.nodelist?.[0]?.sections.node ?? []).map((s) => {
    const rings: Record<number, string> = {};
    for (const [key, value] of Object.entries(s.props)) {
      const ring = /^ring([0-7])_addr$/.exec(key);
      if (ring) rings[Number(ring[1])] = value;
    }
    const votes = s.props.quorum_votes;
    const quorumVotes = votes === undefined ? 1 : int(votes);
    if (quorumVotes === null) throw fail(`quorum_votes '${votes}' is not a number`);
    return {
      name: s.props.name ?? s.props.ring0_addr ?? "",
      nodeid: int(s.props.nodeid),
      quorumVotes,
      rings,
      props: s.props,
    };
  });
  const device = quorum?.sections.device?.[0];
  const net = device?.sections.net?.[0];
  const deviceVotes = device
    ? (int(device.props.votes) ?? (net?.props.algorithm === "lms" ? nodes.length - 1 : 1))
    : 0;
  const twoNode = int(quorum?.props.two_node) ?? 0;
  const expectedVotes =
    int(quorum?.props.expected_votes) ?? nodes.reduce((sum, n) => sum + n.quorumVotes, 0) + deviceVotes;
  const summary = {
    transport: totem?.props.transport ?? "knet",
    secauth: totem?.props.secauth ?? null,
    token: int(totem?.props.token),
    tokenCoefficient: int(totem?.props.token_coefficient),
    links: interfaces.map((i) => ({ linknumber: i.linknumber, priority: int(i.props.knet_link_priority) })),
    quorumDevice: device
      ? {
          model: device.props.model ?? null,
          votes: int(device.props.votes),
          host: net?.props.host ?? null,
          algorithm: net?.props.algorithm ?? null,
          tls: net?.props.tls ?? null,
        }
      : null,
    twoNode,
    waitForAll: int(quorum?.props.wait_for_all) ?? twoNode,
    expectedVotes,
    quorum: twoNode === 1 && nodes.length <= 2 ? 1 : Math.floor(expectedVotes / 2) + 1,
  };
  return validated("corosync-conf", CorosyncConf, {
    summary,
    tree,
    clusterName: totem?.props.cluster_name ?? null,
    configVersion: int(totem?.props.config_version),
    transport: totem?.props.transport ?? null,
    linkMode: totem?.props.link_mode ?? null,
    interfaces,
    nodes,
    quorum: quorum?.props ?? {},
    hasQdevice: (quorum?.sections.device?.length ?? 0) > 0,
    twoNode: quorum?.props.two_node === "1",
  });
}

const PMXCFS_VERSION = /config_version\s*:\s*(\d+)/;

/** The version pmxcfs reads when deciding whether to copy the file: the FIRST match anywhere, even in a comment. */
export function configVersionOf(text: string): number | null {
  const m = PMXCFS_VERSION.exec(text);
  return m ? Number(m[1]) : null;
}

/** Rewrites totem.config_version to `n`, leaving every other byte untouched. */
export function setConfigVersion(text: string, n: number): string {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`Expected config_version to be a positive integer, got ${n}`);
  const target = buildTree(text).keys.find(
    (k) => k.key === "config_version" && k.path.length === 1 && k.path[0] === "totem",
  );
  if (!target) throw fail("totem has no config_version to set");
  const lines = text.split("\n");
  lines[target.no - 1] = lines[target.no - 1]!.replace(/^(\s*config_version\s*:\s*)\S+/, `$1${n}`);
  const out = lines.join("\n");
  const seen = configVersionOf(out);
  if (seen !== n) {
    // pmxcfs would compare a different number and copy (or refuse) the file for the wrong reason.
    throw fail(`pmxcfs would read config_version ${seen} from an earlier line, not ${n}`, target.no);
  }
  return out;
}

function arrayKey(name: string, s: ConfSection): string {
  return (
    (name === "node" ? (s.props.name ?? s.props.ring0_addr) : (s.props.linknumber ?? s.props.ringnumber)) ??
    ""
  );
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** PVE `write_conf` layout: keys and sections sorted, 2-space indent, empty line after top-level sections. */
export function serializeCorosyncConf(tree: ConfSection): string {
  const dump = (s: ConfSection, prefix: string): string => {
    const keys = [...Object.keys(s.props), ...Object.keys(s.sections)].sort(byteOrder);
    let out = "";
    for (const key of keys) {
      const value = s.props[key];
      if (value !== undefined) out += `${prefix}${key}: ${value}\n`;
      const list = s.sections[key] ?? [];
      // PVE stores node/interface sections in hashes keyed by name/linknumber, so they come out sorted.
      const ordered = REPEATABLE.has(key)
        ? [...list].sort((a, b) => byteOrder(arrayKey(key, a), arrayKey(key, b)))
        : list;
      for (const child of ordered) out += `${prefix}${key} {\n${dump(child, `${prefix}  `)}${prefix}}\n`;
      if (list.length > 0 && prefix === "" && !REPEATABLE.has(key)) out += "\n";
    }
    return out;
  };
  return dump(tree, "");
}

/**
 * Problems that make corosync (or PVE's `verify_conf`) reject the file, as sentences; empty when it is usable.
 * Link checks mirror PVE: with interface blocks every link needs one, without them links must match across nodes.
 */
export function verifyCorosyncConf(conf: CorosyncConf): string[] {
  const errors: string[] = [];
  const totem = conf.tree.sections.totem?.[0];
  if (!totem) errors.push("no totem section");
  else {
    if (!conf.clusterName) errors.push("totem has no cluster_name");
    const raw = totem.props.config_version;
    if (raw === undefined) errors.push("totem has no config_version");
    else if (conf.configVersion === null) errors.push(`totem config_version '${raw}' is not a number`);
  }
  if (conf.nodes.length === 0) errors.push("no nodes found");
  const nodes = [...conf.nodes].sort((a, b) => byteOrder(a.name, b.name));
  const seen = {
    name: new Map<string, string>(),
    nodeid: new Map<number, string>(),
    addr: new Map<string, string>(),
  };
  for (const node of nodes) {
    const label = node.name === "" ? "(unnamed)" : node.name;
    if (node.name === "") errors.push("a node has neither name nor ring0_addr");
    else if (seen.name.has(node.name)) errors.push(`node name '${node.name}' is used by more than one node`);
    seen.name.set(node.name, label);
    if (node.nodeid === null) errors.push(`node '${label}' has no valid nodeid`);
    else {
      const other = seen.nodeid.get(node.nodeid);
      if (other !== undefined)
        errors.push(`nodeid ${node.nodeid} is not unique (nodes '${other}' and '${label}')`);
      seen.nodeid.set(node.nodeid, label);
    }
    for (const [link, addr] of Object.entries(node.rings)) {
      const other = seen.addr.get(addr);
      if (other !== undefined)
        errors.push(`address '${addr}' of node '${label}' (ring${link}_addr) is also used by ${other}`);
      seen.addr.set(addr, `node '${label}' (ring${link}_addr)`);
    }
  }
  const interfaces = new Set(conf.interfaces.map((i) => i.linknumber));
  for (let link = 0; link <= 7; link++) {
    const onSomeNode = nodes.some((n) => n.rings[link] !== undefined);
    for (const node of nodes) {
      const has = node.rings[link] !== undefined;
      if (interfaces.size > 0) {
        if (has && !interfaces.has(link)) {
          errors.push(
            `node '${node.name}' has 'ring${link}_addr', but there is no interface number ${link} configured`,
          );
        }
        if (!has && interfaces.has(link))
          errors.push(`node '${node.name}' is missing address for interface number ${link}`);
      } else if (!has && onSomeNode) {
        errors.push(`node '${node.name}' is missing link ${link}, which is configured on other nodes`);
      }
    }
  }
  if (!conf.quorum.provider) errors.push("quorum has no provider (expected corosync_votequorum)");
  if (conf.twoNode && conf.hasQdevice)
    errors.push("two_node and quorum device cannot be configured at the same time");
  return errors;
}

/** The format refuses text with none of corosync.conf's sections rather than answer an empty config. */
export function readCorosyncConfFile(text: string): CorosyncConf {
  const conf = parseCorosyncConf(text);
  const sections = Object.keys(conf.tree.sections);
  if (!sections.some((name) => ["totem", "nodelist", "quorum"].includes(name))) {
    throw new ParseError(
      "corosync-conf",
      "no totem, nodelist or quorum section: this is not a corosync.conf",
    );
  }
  return conf;
}

export const corosyncConfFormat: ParserFormat<CorosyncConf> = {
  name: "corosync-conf",
  description: "corosync.conf (/etc/pve/corosync.conf or /etc/corosync/corosync.conf) with a typed summary",
  schema: CorosyncConf,
  parse: readCorosyncConfFile,
};
