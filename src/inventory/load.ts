/**
 * Inventory files: read a YAML inventory, validate it, and say exactly which field is wrong.
 * This layer knows nothing about SSH; it only turns files into validated `Inventory` objects.
 */
import { readFileSync } from "node:fs";
import { parseDocument, stringify } from "yaml";
import { z } from "zod";
import {
  type AnsibleFormat,
  ansibleGroups,
  looksLikeAnsibleYaml,
  readAnsibleInventory,
} from "./ansible/index.js";
import { InventoryError } from "./errors.js";
import { Inventory, InventoryNode, NodeDefaults } from "./schema.js";

export { InventoryError };

/** `nodes[1].port`: the path as an operator reads it in the YAML. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(top level)" : out;
}

const NODE_KEYS = new Set(Object.keys(InventoryNode.shape));
const TOP_KEYS = new Set(["cluster", "defaults", "knownHosts", "nodes"]);

/** The schema strips unknown keys; a typo such as `identity_file` would then silently fall back to defaults. */
function unknownKeys(raw: unknown): string[] {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return [];
  const problems: string[] = [];
  const check = (value: unknown, allowed: Set<string>, at: PropertyKey[]) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      if (allowed.has(key)) continue;
      problems.push(`${fieldPath([...at, key])}: Unknown key (expected one of ${[...allowed].join(", ")})`);
    }
  };
  check(raw, TOP_KEYS, []);
  const record = raw as Record<string, unknown>;
  const defaults = new Set(Object.keys(NodeDefaults.shape));
  check(record.defaults, defaults, ["defaults"]);
  if (Array.isArray(record.nodes)) {
    for (const [i, node] of record.nodes.entries()) check(node, NODE_KEYS, ["nodes", i]);
  }
  return problems;
}

/** ` (node pve2)` for a problem inside `nodes[i]`, so the operator finds the node by its name. */
function nodeOf(raw: unknown, at: ReadonlyArray<PropertyKey>): string {
  if (at[0] !== "nodes" || typeof at[1] !== "number" || at[2] === "name") return "";
  const nodes = (raw as { nodes?: unknown } | null)?.nodes;
  const name = Array.isArray(nodes) ? (nodes[at[1]] as { name?: unknown } | null)?.name : undefined;
  return typeof name === "string" ? ` (node ${name})` : "";
}

/** Validate an already-parsed object; `source` names where it came from in every message. */
export function parseInventory(raw: unknown, source: string): Inventory {
  const result = Inventory.safeParse(raw);
  const problems = unknownKeys(raw);
  if (!result.success) {
    problems.unshift(
      ...result.error.issues.map(
        (issue) => `${fieldPath(issue.path)}${nodeOf(raw, issue.path)}: ${issue.message}`,
      ),
    );
  }
  if (problems.length > 0 || !result.success) throw new InventoryError(source, problems);
  return result.data;
}

export type InventoryFormat = "pvefix" | AnsibleFormat;

export interface LoadedInventory {
  inventory: Inventory;
  format: InventoryFormat;
  /** The Ansible group read as the cluster. */
  group?: string;
  /** Things the operator should know (ssh options pvefix does not follow). */
  notes: string[];
}

export interface LoadOptions {
  /** For an Ansible inventory: the group that is the cluster (as `ansible -l GROUP`). */
  group?: string | undefined;
}

/** A `[section]` line or a plain `host key=value` line: what YAML cannot be but Ansible's INI is. */
function looksLikeIni(text: string): boolean {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .some((l) => /^\[[^\]]+\]$/.test(l) || /^[^\s:#;=]+(\s+[\w.-]+=\S*)+$/.test(l));
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error);
    throw new InventoryError(path, [`cannot read the inventory: ${reason}`], { cause: error });
  }
}

/** What an inventory file holds, told from its content: pvefix's YAML, Ansible YAML or Ansible INI, or unreadable (`null`). */
function detectFormat(text: string): { format: InventoryFormat; value: unknown } | null {
  const doc = parseDocument(text);
  const value: unknown = doc.errors.length === 0 ? doc.toJS() : undefined;
  const isMapping = typeof value === "object" && value !== null && !Array.isArray(value);
  if (isMapping && ("nodes" in value || "cluster" in value)) return { format: "pvefix", value };
  if (isMapping && looksLikeAnsibleYaml(value)) return { format: "ansible-yaml", value };
  if (!isMapping && text.trim() !== "" && (doc.errors.length > 0 ? looksLikeIni(text) : true)) {
    return { format: "ansible-ini", value };
  }
  return null;
}

/** The Ansible groups with hosts in an inventory file; none for a pvefix inventory or a file that cannot be read. */
export function inventoryGroups(path: string): Array<{ name: string; hosts: number }> {
  try {
    const text = readFileSync(path, "utf8");
    const found = detectFormat(text);
    if (!found || found.format === "pvefix") return [];
    return ansibleGroups(text, path, found.format);
  } catch {
    return [];
  }
}

/**
 * Read and validate an inventory file: pvefix's YAML, or an Ansible inventory (INI or YAML),
 * told apart by what the file holds, not by its name.
 */
export function loadInventoryFile(path: string, options: LoadOptions = {}): LoadedInventory {
  const text = readText(path);
  const doc = parseDocument(text, { prettyErrors: true });
  const detected = detectFormat(text);
  const format = detected?.format;
  if (format === "ansible-ini" || format === "ansible-yaml") {
    return readAnsibleInventory(text, path, format, options);
  }
  if (options.group !== undefined) {
    throw new InventoryError(path, [
      `--group ${options.group}: --group picks a group of an Ansible inventory; this is a pvefix inventory, one cluster already`,
    ]);
  }
  if (doc.errors.length > 0) {
    throw new InventoryError(
      path,
      doc.errors.map((e) => {
        const where = e.linePos?.[0];
        return `${where ? `line ${where.line}, column ${where.col}: ` : ""}${e.message.split("\n")[0]}`;
      }),
    );
  }
  return { inventory: parseInventory(doc.toJS(), path), format: "pvefix", notes: [] };
}

/**
 * Read and validate an inventory file (see loadInventoryFile).
 * @example loadInventory("cluster.yaml") // throws InventoryError "cluster.yaml: nodes[1].port: Invalid input: ..."
 */
export function loadInventory(path: string, options: LoadOptions = {}): Inventory {
  return loadInventoryFile(path, options).inventory;
}

/** A node with the inventory defaults applied. `port` and `user` stay unset so ~/.ssh/config can fill them. */
export const ResolvedNode = z.object({
  name: z.string(),
  /** Address or ~/.ssh/config alias; the node name when the inventory gives none. */
  host: z.string(),
  port: z.number().int().optional(),
  user: z.string().optional(),
  identity: z.string().optional(),
  jump: z.string().optional(),
  hostKeyAlias: z.string().optional(),
});
export type ResolvedNode = z.infer<typeof ResolvedNode>;

/** The effective settings of one node (node fields win over `defaults`); `undefined` when not in the inventory. */
export function resolveNode(inv: Inventory, name: string): ResolvedNode | undefined {
  const node = inv.nodes.find((n) => n.name === name);
  if (!node) return undefined;
  const merged = { ...inv.defaults, ...definedOnly(node) };
  return ResolvedNode.parse({ ...merged, name: node.name, host: merged.host ?? node.name });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** YAML for `lab serve` and discovery output: stable key order, empty `defaults` left out. */
export function dumpInventory(inv: Inventory): string {
  const out: Record<string, unknown> = { cluster: inv.cluster };
  if (Object.keys(definedOnly(inv.defaults)).length > 0) out.defaults = definedOnly(inv.defaults);
  if (inv.knownHosts !== undefined) out.knownHosts = inv.knownHosts;
  out.nodes = inv.nodes.map((node) => definedOnly(node));
  return stringify(out);
}
