/**
 * An Ansible inventory as `ansible-inventory` sees it, before pvefix reads a cluster out of it:
 * groups with their hosts, child groups and variables, hosts with their own variables. Every
 * variable remembers the file and line it was set on, so an error can point at it.
 */
import { InventoryError } from "../errors.js";

/** One variable as written: its value and where. */
export interface AnsibleVar {
  value: unknown;
  file: string;
  line: number;
}

export type VarMap = Map<string, AnsibleVar>;

export interface AnsibleGroup {
  name: string;
  hosts: Set<string>;
  children: Set<string>;
  vars: VarMap;
}

export interface AnsibleHost {
  name: string;
  vars: VarMap;
  /** Where the host was first named. */
  file: string;
  line: number;
}

export interface AnsibleInventory {
  file: string;
  groups: Map<string, AnsibleGroup>;
  hosts: Map<string, AnsibleHost>;
}

export function emptyInventory(file: string): AnsibleInventory {
  const inv: AnsibleInventory = { file, groups: new Map(), hosts: new Map() };
  group(inv, "all");
  group(inv, "ungrouped");
  return inv;
}

/** The group named `name`, created empty on first use (Ansible creates groups as they are named). */
export function group(inv: AnsibleInventory, name: string): AnsibleGroup {
  let found = inv.groups.get(name);
  if (!found) {
    found = { name, hosts: new Set(), children: new Set(), vars: new Map() };
    inv.groups.set(name, found);
  }
  return found;
}

/** Add `name` to `groupName`; a host named in several places keeps every place's variables, the later winning. */
export function addHost(
  inv: AnsibleInventory,
  groupName: string,
  name: string,
  vars: VarMap,
  where: { file: string; line: number },
): void {
  group(inv, groupName).hosts.add(name);
  const host = inv.hosts.get(name);
  if (!host) {
    inv.hosts.set(name, { name, vars: new Map(vars), ...where });
    return;
  }
  for (const [key, value] of vars) host.vars.set(key, value);
}

/** An error naming the file, the line and (when there is one) the key. */
export function ansibleProblem(
  file: string,
  line: number,
  key: string | null,
  problem: string,
): InventoryError {
  return new InventoryError(file, [`line ${line}: ${key ? `${key}: ` : ""}${problem}`]);
}
