import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { findMount, parseProcMounts } from "../../../src/pve/parsers/proc-mounts.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseProcMounts", () => {
  const mounts = parseProcMounts(fixture("proc-mounts-nfs-stacked.txt"));

  it("reads source, mount point, type and options of every line", () => {
    expect(mounts).toHaveLength(6);
    expect(mounts[2]).toMatchObject({ source: "/dev/fuse", mountpoint: "/etc/pve", fstype: "fuse" });
    expect(mounts[3]?.optionList).toContain("hard");
    expect(mounts[3]?.options.startsWith("rw,relatime,vers=4.2,")).toBe(true);
  });

  it("decodes octal escapes in paths", () => {
    expect(mounts[5]?.mountpoint).toBe("/mnt/usb disk");
  });

  it("refuses a line with fewer than four fields", () => {
    expect(() => parseProcMounts("/dev/sda1 /boot\n")).toThrowError(expect.objectContaining({ line: 1 }));
    expect(() => parseProcMounts("x\n")).toThrow(ParseError);
  });
});

describe("findMount", () => {
  const mounts = parseProcMounts(fixture("proc-mounts-nfs-stacked.txt"));

  it("returns the last of stacked mounts, the one the kernel shows", () => {
    expect(findMount(mounts, "/mnt/pve/nfs-backup")?.source).toBe("10.0.0.51:/export/pve-backup");
  });

  it("ignores a trailing slash in the asked path", () => {
    expect(findMount(mounts, "/mnt/pve/nfs-backup/")?.fstype).toBe("nfs4");
    expect(findMount(mounts, "/")?.source).toBe("/dev/mapper/pve-root");
  });

  it("returns null when nothing is mounted there", () => {
    expect(findMount(mounts, "/mnt/pve/smb-iso")).toBeNull();
  });
});
