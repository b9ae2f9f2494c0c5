import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parsePvesmStatus, parsePvesmStatusErrors } from "../../../src/pve/parsers/pvesm-status.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parsePvesmStatus", () => {
  it("reads the header without units used before libpve-storage-perl 9.0.14", () => {
    const rows = parsePvesmStatus(fixture("pvesm-status-pve8.txt"));
    expect(rows.map((r) => r.name)).toEqual(["cephfs", "local", "local-lvm", "nfs-backup", "smb-iso"]);
    expect(rows[1]).toEqual({
      name: "local",
      type: "dir",
      status: "active",
      total: 98497780,
      used: 23056712,
      available: 70391520,
      percent: 23.41,
    });
  });

  it("reads the 9.x header with (KiB) the same way", () => {
    expect(parsePvesmStatus(fixture("pvesm-status-pve9-kib.txt"))).toEqual(
      parsePvesmStatus(fixture("pvesm-status-pve8.txt")),
    );
  });

  it("shows an unreachable storage as inactive with zeros", () => {
    const nfs = parsePvesmStatus(fixture("pvesm-status-pve9-kib.txt")).find((r) => r.name === "nfs-backup");
    expect(nfs).toMatchObject({ status: "inactive", total: 0, percent: 0 });
  });

  it("turns the N/A percentage of a disabled storage into null", () => {
    const smb = parsePvesmStatus(fixture("pvesm-status-pve9-kib.txt")).find((r) => r.name === "smb-iso");
    expect(smb).toMatchObject({ status: "disabled", percent: null });
  });

  it("reads a header with no storages as an empty list", () => {
    expect(parsePvesmStatus("Name Type Status Total Used Available %\n")).toEqual([]);
  });

  it("refuses a status word pvesm never prints", () => {
    const text = "Name   Type Status Total Used Available %\nnas nfs unknown 0 0 0 0.00%\n";
    expect(() => parsePvesmStatus(text)).toThrowError(expect.objectContaining({ line: 2 }));
  });

  it("refuses output that does not start with the header", () => {
    expect(() => parsePvesmStatus("storage 'nas' is not online\n")).toThrow(ParseError);
    expect(() => parsePvesmStatus("")).toThrow(ParseError);
  });
});

describe("parsePvesmStatusErrors", () => {
  it("classifies each stderr line and names its storage", () => {
    expect(parsePvesmStatusErrors(fixture("pvesm-status-stderr-hung-nfs.txt"))).toEqual([
      { storage: "nfs-backup", kind: "not-online", message: "storage 'nfs-backup' is not online" },
      {
        storage: "nfs-iso",
        kind: "unreachable-path",
        message:
          "unable to activate storage 'nfs-iso' - directory '/mnt/pve/nfs-iso' does not exist or is unreachable",
      },
      {
        storage: "pbs-main",
        kind: "connection-check",
        message: "connection check for storage 'pbs-main' failed - connect to 10.0.0.70:8007 failed",
      },
      { storage: null, kind: "mount-error", message: "mount error: mount.nfs: Connection timed out" },
      { storage: "old-nas", kind: "does-not-exist", message: "storage 'old-nas' does not exist" },
      { storage: null, kind: "other", message: "got timeout" },
    ]);
  });

  it("returns nothing for empty stderr", () => {
    expect(parsePvesmStatusErrors("\n")).toEqual([]);
  });
});
