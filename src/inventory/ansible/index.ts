/**
 * Ansible inventories for `-i`: INI or YAML, recognised by their content, with the
 * `group_vars/` and `host_vars/` folders beside the file read the way Ansible reads them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import { InventoryError } from "../errors.js";
import { parseAnsibleIni } from "./ini.js";
import type { AnsibleInventory, VarMap } from "./model.js";
import { type AnsibleSelection, hostsOf, toPvefixInventory } from "./resolve.js";
import { parseAnsibleYaml, varsOf } from "./yaml.js";

export { looksLikeAnsibleYaml } from "./yaml.js";
export type { AnsibleSelection };

export type AnsibleFormat = "ansible-ini" | "ansible-yaml";

/** The variable files Ansible reads for `name` in `dir` (group_vars/ or host_vars/): NAME, NAME.yml|.yaml|.json, or every file in NAME/. */
function varFiles(dir: string, name: string): string[] {
  const base = path.join(dir, name);
  const files = ["", ".yml", ".yaml", ".json"]
    .map((ext) => base + ext)
    .filter((f) => existsSync(f) && statSync(f).isFile());
  if (existsSync(base) && statSync(base).isDirectory()) {
    for (const entry of readdirSync(base).sort()) {
      if (/\.(ya?ml|json)$/.test(entry) || !entry.includes(".")) files.push(path.join(base, entry));
    }
  }
  return files;
}

function readVarFile(file: string): VarMap {
  const lines = new LineCounter();
  const doc = parseDocument(readFileSync(file, "utf8"), { lineCounter: lines, prettyErrors: true });
  const error = doc.errors[0];
  if (error) {
    throw new InventoryError(file, [`line ${error.linePos?.[0].line ?? 1}: ${error.message.split("\n")[0]}`]);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new InventoryError(file, ["line 1: a variables file is a mapping of name: value"]);
  }
  return varsOf(doc.contents, file, lines, "the file");
}

/** group_vars/ and host_vars/ beside the inventory: they override what the inventory itself sets. */
function addVarDirs(inv: AnsibleInventory, dir: string): void {
  for (const g of inv.groups.values()) {
    for (const file of varFiles(path.join(dir, "group_vars"), g.name)) {
      for (const [k, v] of readVarFile(file)) g.vars.set(k, v);
    }
  }
  for (const h of inv.hosts.values()) {
    for (const file of varFiles(path.join(dir, "host_vars"), h.name)) {
      for (const [k, v] of readVarFile(file)) h.vars.set(k, v);
    }
  }
}

/** The groups of an Ansible inventory that have hosts, with how many (for --group completion). */
export function ansibleGroups(
  text: string,
  file: string,
  format: AnsibleFormat,
): Array<{ name: string; hosts: number }> {
  let inv: AnsibleInventory;
  if (format === "ansible-yaml") {
    const lines = new LineCounter();
    inv = parseAnsibleYaml(parseDocument(text, { lineCounter: lines }), lines, file);
  } else {
    inv = parseAnsibleIni(text, file);
  }
  return [...inv.groups.keys()]
    .filter((g) => g !== "ungrouped")
    .map((name) => ({ name, hosts: hostsOf(inv, name).size }))
    .filter((g) => g.hosts > 0);
}

/**
 * Read an Ansible inventory's cluster: `group` (as `ansible -l GROUP`), or the only group.
 * @example readAnsibleInventory(text, "hosts.ini", "ansible-ini", { group: "pve_prod" }).inventory.nodes
 */
export function readAnsibleInventory(
  text: string,
  file: string,
  format: AnsibleFormat,
  options: { group?: string | undefined } = {},
): AnsibleSelection & { format: AnsibleFormat } {
  let inv: AnsibleInventory;
  if (format === "ansible-yaml") {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines });
    inv = parseAnsibleYaml(doc, lines, file);
  } else {
    inv = parseAnsibleIni(text, file);
  }
  addVarDirs(inv, path.dirname(file));
  const fallback = path.basename(file).replace(/\.[^.]*$/, "") || "ansible";
  return { ...toPvefixInventory(inv, options.group, fallback), format };
}
