/**
 * The few facts the simulator needs from a corosync.conf (cluster name, version, nodelist, votes).
 * Deliberately independent of `src/pve/parsers/corosync-conf.ts`: the lab is what those parsers
 * are tested against, so sharing code would let one bug hide itself on both sides.
 */
export interface LabCorosyncNode {
  name: string;
  nodeid: number;
  quorumVotes: number;
  /** ring0_addr … ring7_addr by link number. */
  rings: Record<number, string>;
}

/** `quorum { device { model: net; votes; net { host; algorithm; tls } } }` as written. */
export interface LabQuorumDevice {
  model: string | null;
  /** `votes:`; null when absent (ffsplit then counts 1, lms nodes - 1). */
  votes: number | null;
  host: string | null;
  algorithm: string | null;
}

export interface LabCorosyncConf {
  clusterName: string | null;
  configVersion: number | null;
  transport: string | null;
  secauth: string | null;
  twoNode: boolean;
  nodes: LabCorosyncNode[];
  /** Every `key: value` of the top-level totem section, as written. */
  totem: Record<string, string>;
  /** The totem `interface` blocks, each `key: value` as written. */
  interfaces: Array<Record<string, string>>;
  /** quorum.device; null when no QDevice is configured. */
  device: LabQuorumDevice | null;
  /** quorum.wait_for_all as written; null when absent (it then follows two_node). */
  waitForAll: boolean | null;
}

export function readCorosyncConf(text: string): LabCorosyncConf {
  const conf: LabCorosyncConf = {
    clusterName: null,
    configVersion: null,
    transport: null,
    secauth: null,
    twoNode: false,
    nodes: [],
    totem: {},
    interfaces: [],
    device: null,
    waitForAll: null,
  };
  const stack: string[] = [];
  let node: Record<string, string> | null = null;
  let iface: Record<string, string> | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const open = /^(\S+)\s*\{$/.exec(line);
    if (open) {
      stack.push(open[1] ?? "");
      if (stack.join(".") === "quorum.device")
        conf.device = { model: null, votes: null, host: null, algorithm: null };
      if (stack.join(".") === "nodelist.node") node = {};
      if (stack.join(".") === "totem.interface") iface = {};
      continue;
    }
    if (line === "}") {
      if (stack.join(".") === "nodelist.node" && node) conf.nodes.push(toNode(node));
      if (stack.join(".") === "totem.interface" && iface) conf.interfaces.push(iface);
      stack.pop();
      node = null;
      iface = null;
      continue;
    }
    const kv = /^([A-Za-z0-9_]+)\s*:\s*(.*)$/.exec(line);
    if (!kv) continue;
    const key = kv[1] ?? "";
    const value = kv[2] ?? "";
    const where = stack.join(".");
    if (node) node[key] = value;
    else if (iface) iface[key] = value;
    else if (where === "totem") {
      conf.totem[key] = value;
      if (key === "cluster_name") conf.clusterName = value;
      if (key === "config_version") conf.configVersion = Number.parseInt(value, 10);
      if (key === "transport") conf.transport = value;
      if (key === "secauth") conf.secauth = value;
    } else if (where === "quorum" && key === "two_node") conf.twoNode = value === "1";
    else if (where === "quorum" && key === "wait_for_all") conf.waitForAll = value === "1";
    else if (where === "quorum.device" && conf.device) {
      if (key === "model") conf.device.model = value;
      if (key === "votes") conf.device.votes = Number.parseInt(value, 10);
    } else if (where === "quorum.device.net" && conf.device) {
      if (key === "host") conf.device.host = value;
      if (key === "algorithm") conf.device.algorithm = value;
    }
  }
  return conf;
}

function toNode(props: Record<string, string>): LabCorosyncNode {
  const rings: Record<number, string> = {};
  for (const [key, value] of Object.entries(props)) {
    const ring = /^ring(\d)_addr$/.exec(key);
    if (ring) rings[Number(ring[1])] = value;
  }
  return {
    name: props.name ?? props.ring0_addr ?? "",
    nodeid: Number.parseInt(props.nodeid ?? "0", 10),
    quorumVotes: Number.parseInt(props.quorum_votes ?? "1", 10),
    rings,
  };
}

/** pmxcfs' own version probe: the first `config_version: N` anywhere in the file. */
export function configVersionOf(text: string): number | null {
  const match = /config_version\s*:\s*(\d+)/.exec(text);
  return match ? Number.parseInt(match[1] ?? "0", 10) : null;
}

/** A corosync.conf exactly as `pvecm create`/`pvecm add` write it (sorted sections and keys). */
export function writeCorosyncConf(opts: {
  clusterName: string;
  configVersion: number;
  /** `ring1` adds a second knet link (and its `interface` block). */
  nodes: Array<{ name: string; nodeid: number; ip: string; ring1?: string }>;
}): string {
  const nodes = opts.nodes
    .map(
      (n) =>
        `  node {\n    name: ${n.name}\n    nodeid: ${n.nodeid}\n    quorum_votes: 1\n    ring0_addr: ${n.ip}\n` +
        `${n.ring1 === undefined ? "" : `    ring1_addr: ${n.ring1}\n`}  }\n`,
    )
    .join("");
  const links = opts.nodes.some((n) => n.ring1 !== undefined) ? [0, 1] : [0];
  return (
    "logging {\n  debug: off\n  to_syslog: yes\n}\n\n" +
    `nodelist {\n${nodes}}\n\n` +
    "quorum {\n  provider: corosync_votequorum\n}\n\n" +
    "totem {\n" +
    `  cluster_name: ${opts.clusterName}\n` +
    `  config_version: ${opts.configVersion}\n` +
    links.map((l) => `  interface {\n    linknumber: ${l}\n  }\n`).join("") +
    "  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n"
  );
}
