/**
 * From an Ansible inventory to a pvefix inventory: pick the group that is the cluster, give every
 * host its variables in Ansible's order (group `all`, then groups by depth, child groups over
 * their parents, `ansible_group_priority`, name; the host's own last) and read the connection
 * variables pvefix needs. Every problem names the file, line and variable it came from. Pure.
 */
import { InventoryError } from "../errors.js";
import { type Inventory, InventoryNode } from "../schema.js";
import type { AnsibleInventory, AnsibleVar, VarMap } from "./model.js";
import { parseSshArgs } from "./ssh-args.js";

/** Ansible groups pvefix never offers as a cluster by themselves. */
const IMPLICIT = new Set(["all", "ungrouped"]);
const SSH_CONNECTIONS = new Set([
  "ssh",
  "smart",
  "paramiko",
  "paramiko_ssh",
  "ansible.builtin.ssh",
  "ansible.builtin.paramiko_ssh",
  "ansible.legacy.ssh",
]);

function parentsOf(inv: AnsibleInventory): Map<string, Set<string>> {
  const parents = new Map<string, Set<string>>();
  for (const g of inv.groups.values()) {
    for (const child of g.children) {
      if (!parents.has(child)) parents.set(child, new Set());
      parents.get(child)?.add(g.name);
    }
  }
  // Every group is below `all`, named there or not.
  for (const name of inv.groups.keys()) {
    if (name !== "all" && !parents.has(name)) parents.set(name, new Set(["all"]));
  }
  return parents;
}

/** Ansible's group depth: the longest path from `all`. */
function depths(inv: AnsibleInventory, parents: Map<string, Set<string>>): Map<string, number> {
  const depth = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (name === "all" || seen.has(name)) return 0;
    seen.add(name);
    const d = 1 + Math.max(0, ...[...(parents.get(name) ?? [])].map((p) => visit(p, seen)));
    depth.set(name, d);
    return d;
  };
  for (const name of inv.groups.keys()) visit(name, new Set());
  depth.set("all", 0);
  return depth;
}

/** Every host in `name`, through its child groups (a cycle is cut, as Ansible refuses to make one). */
export function hostsOf(inv: AnsibleInventory, name: string, seen = new Set<string>()): Set<string> {
  const g = inv.groups.get(name);
  if (!g || seen.has(name)) return new Set();
  seen.add(name);
  if (name === "all") return new Set(inv.hosts.keys());
  const out = new Set(g.hosts);
  for (const child of g.children) for (const h of hostsOf(inv, child, seen)) out.add(h);
  return out;
}

function groupPriority(vars: VarMap): number {
  const value = vars.get("ansible_group_priority")?.value;
  return typeof value === "number" ? value : 1;
}

/** The groups a host is in, directly or through parents, in the order their variables apply. */
function groupsOfHost(inv: AnsibleInventory, host: string): string[] {
  const parents = parentsOf(inv);
  const depth = depths(inv, parents);
  const found = new Set<string>(["all"]);
  const up = (name: string) => {
    if (found.has(name)) return;
    found.add(name);
    for (const p of parents.get(name) ?? []) up(p);
  };
  for (const g of inv.groups.values()) if (g.hosts.has(host)) up(g.name);
  const vars = (name: string) => inv.groups.get(name)?.vars ?? new Map();
  return [...found].sort(
    (a, b) =>
      (depth.get(a) ?? 0) - (depth.get(b) ?? 0) ||
      groupPriority(vars(a)) - groupPriority(vars(b)) ||
      a.localeCompare(b),
  );
}

/** The variables of one host, as `ansible-inventory --host` merges them. */
export function hostVars(inv: AnsibleInventory, host: string): VarMap {
  const merged: VarMap = new Map();
  for (const name of groupsOfHost(inv, host)) {
    for (const [k, v] of inv.groups.get(name)?.vars ?? []) merged.set(k, v);
  }
  for (const [k, v] of inv.hosts.get(host)?.vars ?? []) merged.set(k, v);
  return merged;
}

/** The group that is the cluster: the one asked for, or the only one there is. */
export function selectGroup(inv: AnsibleInventory, wanted: string | undefined): string {
  const withHosts = [...inv.groups.keys()].filter((g) => !IMPLICIT.has(g) && hostsOf(inv, g).size > 0);
  const listing = () =>
    withHosts
      .map((g) => `${g} (${hostsOf(inv, g).size} host${hostsOf(inv, g).size === 1 ? "" : "s"})`)
      .join(", ");
  if (wanted !== undefined) {
    if (!inv.groups.has(wanted)) {
      throw new InventoryError(inv.file, [
        `--group ${wanted}: no such group (groups with hosts: ${listing() || "none"})`,
      ]);
    }
    if (hostsOf(inv, wanted).size === 0) {
      throw new InventoryError(inv.file, [`--group ${wanted}: the group has no hosts`]);
    }
    return wanted;
  }
  const all = hostsOf(inv, "all");
  if (all.size === 0) throw new InventoryError(inv.file, ["the Ansible inventory has no hosts"]);
  // Groups holding every host are the cluster itself under other names: take the outermost.
  const whole = withHosts.filter((g) => hostsOf(inv, g).size === all.size);
  const depth = depths(inv, parentsOf(inv));
  whole.sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || a.localeCompare(b));
  if (whole[0] !== undefined) return whole[0];
  if (withHosts.length === 0) return "all";
  throw new InventoryError(inv.file, [
    `the Ansible inventory has several groups: ${listing()}; choose the cluster with --group NAME (as ansible's -l NAME)`,
  ]);
}

type Field = keyof InventoryNode;

/** A host's node as pvefix reads it, and which variable each field came from (for errors). */
interface HostNode {
  node: Record<string, unknown>;
  from: Partial<Record<Field, { key: string; at: AnsibleVar | { file: string; line: number } }>>;
  knownHosts?: { value: string; key: string; at: AnsibleVar };
  notes: string[];
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:]+)$/i;

/** `line 6: ansible_port: …` in the inventory itself, `group_vars/pve.yml:3: …` in another file. */
function where(
  at: { file: string; line: number },
  key: string | null,
  problem: string,
  file: string,
): string {
  const place = at.file === file ? `line ${at.line}` : `${at.file}:${at.line}`;
  return `${place}${key ? `: ${key}` : ""}: ${problem}`;
}

function hostNode(inv: AnsibleInventory, host: string, problems: string[]): HostNode | null {
  const W = (at: { file: string; line: number }, key: string | null, problem: string) =>
    where(at, key, problem, inv.file);
  const vars = hostVars(inv, host);
  const decl = inv.hosts.get(host) ?? { file: inv.file, line: 1 };
  const out: HostNode = { node: {}, from: {}, notes: [] };
  const before = problems.length;
  const pick = (...keys: string[]): { key: string; v: AnsibleVar } | undefined => {
    for (const key of keys) {
      const v = vars.get(key);
      if (v !== undefined && v.value !== null) return { key, v };
    }
    return undefined;
  };
  for (const [key, v] of vars) {
    if (typeof v.value === "string" && v.value.includes("{{")) {
      if (!key.startsWith("ansible_") && !key.startsWith("pvefix_")) continue;
      problems.push(
        W(v, key, `'${v.value}' is a Jinja2 template; pvefix does not evaluate templates: write the value`),
      );
      return null;
    }
  }
  const password = pick("ansible_password", "ansible_ssh_pass", "ansible_ssh_password");
  if (password) {
    out.notes.push(
      `${host}: ${password.key}: ignored (pvefix logs in with keys: identity file or ssh-agent)`,
    );
  }
  const connection = pick("ansible_connection");
  if (connection && !SSH_CONNECTIONS.has(String(connection.v.value))) {
    problems.push(
      W(
        connection.v,
        connection.key,
        `'${String(connection.v.value)}': pvefix reaches nodes over SSH only (on a PVE node, run pvefix without -i)`,
      ),
    );
    return null;
  }
  const set = (
    field: Field,
    value: unknown,
    key: string,
    at: AnsibleVar | { file: string; line: number },
  ) => {
    out.node[field] = value;
    out.from[field] = { key, at };
  };
  const nameVar = pick("pvefix_node_name");
  if (nameVar) set("name", String(nameVar.v.value), nameVar.key, nameVar.v);
  else if (IP.test(host)) {
    problems.push(
      W(decl, host, "an IP address is not a Proxmox VE node name: set pvefix_node_name=<node> on the host"),
    );
    return null;
  } else set("name", host.split(".")[0], "host name", decl);
  const address = pick("ansible_host", "ansible_ssh_host");
  if (address) set("host", String(address.v.value), address.key, address.v);
  else if (host !== out.node.name) set("host", host, "host name", decl);
  const port = pick("ansible_port", "ansible_ssh_port");
  if (port) {
    const raw = port.v.value;
    const value = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof value === "number") set("port", value, port.key, port.v);
    else problems.push(W(port.v, port.key, `'${String(value)}' is not a port number (1-65535)`));
  }
  // pvefix's own settings, for the hosts that need them (a forced command, a slow link).
  const batch = pick("pvefix_batch_reads");
  if (batch) set("batchReads", batch.v.value, batch.key, batch.v);
  const timeout = pick("pvefix_connect_timeout");
  if (timeout) set("connectTimeout", timeout.v.value, timeout.key, timeout.v);
  const user = pick("ansible_user", "ansible_ssh_user", "ansible_ssh_user_name");
  if (user) set("user", String(user.v.value), user.key, user.v);
  const key = pick("ansible_ssh_private_key_file", "ansible_private_key_file");
  if (key) set("identity", String(key.v.value), key.key, key.v);
  for (const argsKey of ["ansible_ssh_common_args", "ansible_ssh_extra_args"]) {
    const args = pick(argsKey);
    if (!args) continue;
    const parsed = parseSshArgs(String(args.v.value));
    if ("error" in parsed) {
      problems.push(W(args.v, args.key, parsed.error));
      return null;
    }
    if (parsed.jump !== undefined) set("jump", parsed.jump, args.key, args.v);
    if (parsed.hostKeyAlias !== undefined) set("hostKeyAlias", parsed.hostKeyAlias, args.key, args.v);
    // Explicit ansible_* variables win over the same setting buried in ssh arguments.
    if (parsed.port !== undefined && !port) set("port", parsed.port, args.key, args.v);
    if (parsed.user !== undefined && !user) set("user", parsed.user, args.key, args.v);
    if (parsed.identity !== undefined && !key) set("identity", parsed.identity, args.key, args.v);
    if (parsed.knownHosts !== undefined)
      out.knownHosts = { value: parsed.knownHosts, key: args.key, at: args.v };
    out.notes.push(...parsed.ignored.map((i) => `${host}: ${args.key}: ignored ${i}`));
  }
  const checked = InventoryNode.safeParse(out.node);
  if (checked.success && problems.length > before) return null;
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = issue.path[0] as Field | undefined;
      const src = field ? out.from[field] : undefined;
      problems.push(
        W(
          src?.at ?? decl,
          src?.key ?? host,
          `${issue.message}${field ? ` (for pvefix's ${String(field)})` : ""}`,
        ),
      );
    }
    return null;
  }
  return out;
}

export interface AnsibleSelection {
  inventory: Inventory;
  group: string;
  notes: string[];
}

/** The pvefix inventory of `group` (or the only group); InventoryError lists every problem with file:line: key. */
export function toPvefixInventory(
  inv: AnsibleInventory,
  wanted: string | undefined,
  fallbackCluster: string,
): AnsibleSelection {
  const groupName = selectGroup(inv, wanted);
  const W = (at: { file: string; line: number }, key: string | null, problem: string) =>
    where(at, key, problem, inv.file);
  const problems: string[] = [];
  const notes: string[] = [];
  const nodes: HostNode[] = [];
  for (const host of hostsOf(inv, groupName)) {
    const node = hostNode(inv, host, problems);
    if (node) nodes.push(node);
  }
  const seen = new Map<string, string>();
  for (const n of nodes) {
    const name = String(n.node.name);
    const at = n.from.name?.at ?? { file: inv.file, line: 1 };
    const first = seen.get(name);
    if (first)
      problems.push(
        W(
          at,
          n.from.name?.key ?? null,
          `node name ${name} is also ${first}'s: set pvefix_node_name on one of them`,
        ),
      );
    seen.set(name, `${at.file}:${at.line}`);
  }
  const knownHosts = new Set(nodes.flatMap((n) => (n.knownHosts ? [n.knownHosts.value] : [])));
  const firstKnown = nodes.find((x) => x.knownHosts)?.knownHosts;
  if (knownHosts.size > 1 && firstKnown) {
    problems.push(
      W(
        firstKnown.at,
        firstKnown.key,
        `UserKnownHostsFile differs between hosts (${[...knownHosts].join(", ")}): pvefix uses one known_hosts file per cluster`,
      ),
    );
  }
  if (problems.length > 0) throw new InventoryError(inv.file, problems);
  for (const n of nodes) notes.push(...n.notes);
  const groupVars =
    groupName === "all" ? new Map() : hostVars(inv, [...hostsOf(inv, groupName)][0] as string);
  const clusterVar =
    groupVars.get("pvefix_cluster")?.value ?? inv.groups.get(groupName)?.vars.get("pvefix_cluster")?.value;
  const cluster =
    typeof clusterVar === "string" && clusterVar !== ""
      ? clusterVar
      : groupName === "all"
        ? fallbackCluster
        : groupName;
  const inventory: Inventory = {
    cluster,
    defaults: {},
    ...(knownHosts.size === 1 ? { knownHosts: [...knownHosts][0] as string } : {}),
    nodes: nodes.map((n) => InventoryNode.parse(n.node)),
  };
  return { inventory, group: groupName, notes };
}
