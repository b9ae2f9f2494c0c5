/** A folder of inventories: which files are clusters, and the bad input a folder can be. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inventoryFiles } from "../../src/inventory/directory.js";
import { InventoryError } from "../../src/inventory/errors.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-invdir-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("inventoryFiles", () => {
  it("lists the inventory files in name order and leaves the rest alone", () => {
    for (const f of ["b.yml", "a.yaml", "c.ini", "d.json", "notes.txt", "e.yaml~"]) {
      fs.writeFileSync(path.join(dir, f), "");
    }
    fs.mkdirSync(path.join(dir, "sub.yaml"));
    fs.symlinkSync(path.join(dir, "a.yaml"), path.join(dir, "link.yaml"));
    expect(inventoryFiles(dir).map((f) => path.basename(f))).toEqual([
      "a.yaml",
      "b.yml",
      "c.ini",
      "d.json",
      "link.yaml",
    ]);
  });

  it("calls a missing folder and an empty one bad input, naming the flag", () => {
    const missing = path.join(dir, "nope");
    expect(() => inventoryFiles(missing)).toThrow(InventoryError);
    expect(() => inventoryFiles(missing)).toThrow(/--inventory-dir: cannot read .*nope: no such folder/);
    const empty = fs.mkdtempSync(path.join(dir, "empty-"));
    expect(() => inventoryFiles(empty, "--dir")).toThrow(/--dir: no inventory \(\*\.yaml/);
    try {
      inventoryFiles(empty);
    } catch (error) {
      expect((error as InventoryError).exitCode).toBe(2);
    }
  });
});
