/**
 * A folder of inventories, one cluster a file: what `pvefix serve --inventory-dir` serves and
 * `pvefix diagnose --inventory-dir` sweeps. Which files count is decided here once, so both
 * commands see the same clusters in the same folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { InventoryError } from "./errors.js";

/** The names an inventory file may have (pvefix YAML, Ansible YAML or INI, JSON). */
export const INVENTORY_FILE = /\.(ya?ml|ini|json)$/;

/**
 * The inventory files directly in `dir`, sorted by name (sub-folders and other files are left
 * alone). A folder that cannot be read, or holds no inventory, is bad input naming `flag`.
 */
export function inventoryFiles(dir: string, flag = "--inventory-dir"): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such folder"
        : code === "ENOTDIR"
          ? "not a folder"
          : code === "EACCES"
            ? "permission denied"
            : (error as Error).message;
    throw new InventoryError(dir, [`${flag}: cannot read ${dir}: ${why}`], { cause: error });
  }
  const files = entries
    .filter(
      (e) =>
        (e.isFile() || (e.isSymbolicLink() && isFile(path.join(dir, e.name)))) && INVENTORY_FILE.test(e.name),
    )
    .map((e) => path.join(dir, e.name))
    .sort();
  if (files.length === 0) {
    throw new InventoryError(dir, [`${flag}: no inventory (*.yaml, *.yml, *.ini, *.json) in ${dir}`]);
  }
  return files;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
