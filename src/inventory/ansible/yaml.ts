/**
 * Ansible's YAML inventory format (the `yaml` inventory plugin): top-level groups (usually
 * `all`), each a mapping of `hosts` (host → its variables), `vars` and `children` (group →
 * the same shape again). Read from the YAML syntax tree so every variable keeps its line.
 * Pure: a parsed document in, model out.
 */
import { type Document, isMap, isScalar, type LineCounter, type Node, type Pair, type YAMLMap } from "yaml";
import { expandHostRange } from "./ini.js";
import {
  type AnsibleInventory,
  addHost,
  ansibleProblem,
  emptyInventory,
  group,
  type VarMap,
} from "./model.js";

const GROUP_KEYS = new Set(["hosts", "vars", "children"]);

function lineOf(
  lines: LineCounter,
  node: { range?: [number, number, number] | null } | null | undefined,
): number {
  return node?.range ? lines.linePos(node.range[0]).line : 1;
}

function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/** A YAML Ansible inventory: a mapping whose every value is a group (null or a mapping of hosts/vars/children only). */
export function looksLikeAnsibleYaml(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const groups = Object.values(value);
  return (
    groups.length > 0 &&
    groups.every(
      (g) =>
        g === null ||
        (typeof g === "object" && !Array.isArray(g) && Object.keys(g).every((k) => GROUP_KEYS.has(k))),
    )
  );
}

/** Variables of a `vars:` mapping or a host entry, each with its line. */
export function varsOf(node: unknown, file: string, lines: LineCounter, what: string): VarMap {
  const vars: VarMap = new Map();
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return vars;
  if (!isMap(node))
    throw ansibleProblem(file, lineOf(lines, node as Node), null, `${what} must be a mapping`);
  for (const pair of node.items) {
    const value = pair.value as Node | null;
    vars.set(keyName(pair), {
      value: value === null ? null : value.toJSON(),
      file,
      line: lineOf(lines, (pair.key as Node | null) ?? value),
    });
  }
  return vars;
}

function readGroup(inv: AnsibleInventory, name: string, node: unknown, lines: LineCounter): void {
  const file = inv.file;
  const g = group(inv, name);
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) {
    throw ansibleProblem(
      file,
      lineOf(lines, node as Node),
      name,
      "a group must be a mapping of hosts, vars and children",
    );
  }
  for (const pair of (node as YAMLMap).items) {
    const key = keyName(pair);
    const value = pair.value as Node | null;
    const at = lineOf(lines, pair.key as Node);
    if (key === "vars") {
      for (const [k, v] of varsOf(value, file, lines, `${name}.vars`)) g.vars.set(k, v);
    } else if (key === "hosts" || key === "children") {
      if (value !== null && !(isScalar(value) && value.value === null) && !isMap(value)) {
        throw ansibleProblem(
          file,
          at,
          `${name}.${key}`,
          `must be a mapping (name: …), not a list or a value`,
        );
      }
      for (const item of isMap(value) ? value.items : []) {
        const itemName = keyName(item);
        if (key === "children") {
          g.children.add(itemName);
          readGroup(inv, itemName, item.value, lines);
          continue;
        }
        const hostLine = lineOf(lines, item.key as Node);
        const names = expandHostRange(itemName);
        if (names === null) throw ansibleProblem(file, hostLine, itemName, "cannot expand the host range");
        const vars = varsOf(item.value, file, lines, `host ${itemName}`);
        for (const host of names) addHost(inv, name, host, vars, { file, line: hostLine });
      }
    } else {
      throw ansibleProblem(
        file,
        at,
        `${name}.${key}`,
        "unknown key in a group (expected hosts, vars or children)",
      );
    }
  }
}

export function parseAnsibleYaml(doc: Document, lines: LineCounter, file: string): AnsibleInventory {
  const inv = emptyInventory(file);
  const root = doc.contents;
  if (!isMap(root)) throw ansibleProblem(file, 1, null, "an Ansible YAML inventory is a mapping of groups");
  for (const pair of root.items) readGroup(inv, keyName(pair), pair.value, lines);
  return inv;
}
