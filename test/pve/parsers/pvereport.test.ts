/**
 * pvereport-pve1.txt follows proxmox/pve-manager PVE/Report.pm: `==== <title> ====` groups, a
 * `# <command>` line before each command's output (stdout and stderr together), `# cat <file>`
 * for dir2text, and comment lines inside outputs (`/etc/hosts`, dmidecode's own `# dmidecode`).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parserFormats } from "../../../src/pve/parsers/index.js";
import { parsePveReport } from "../../../src/pve/parsers/pvereport.js";

const report = parsePveReport(
  readFileSync(new URL("../../fixtures/pvereport-pve1.txt", import.meta.url), "utf8"),
  parserFormats,
);
const section = (command: string) => report.sections.find((s) => s.command === command);

describe("parsePveReport", () => {
  it("splits the report by its command headers, not by comment lines inside outputs", () => {
    expect(report.sections.map((s) => s.command)).toEqual([
      "hostname",
      "pveversion --verbose",
      "cat /etc/hosts",
      "cat /etc/pve/storage.cfg",
      "pvesm status",
      "qm list",
      "cat /etc/pve/qemu-server/100.conf",
      "pct list",
      "pvecm nodes",
      "pvecm status",
      "cat /etc/pve/corosync.conf 2>/dev/null",
      "dmidecode -t bios",
    ]);
    expect(section("cat /etc/hosts")?.text).toContain("# The following lines are desirable");
  });

  it("names the node, the version and each section's group", () => {
    expect(report.node).toBe("pve1");
    expect(report.pveVersion).toBe("9.1.4");
    expect(section("pvecm status")?.group).toBe("info about cluster");
  });

  it("parses each section with the format of its command, stderr included", () => {
    expect(section("pvesm status")).toMatchObject({ format: "pvesm-status" });
    expect(section("pvesm status")?.value).toMatchObject({
      warnings: [expect.any(String), expect.any(String), expect.any(String)],
    });
    expect(section("pct list")?.format).toBe("pct-list");
    expect(section("cat /etc/pve/qemu-server/100.conf")?.format).toBe("guest-config");
    expect(section("pvecm status")?.value).toMatchObject({ quorumState: "quorate" });
    expect(section("cat /etc/pve/corosync.conf 2>/dev/null")?.format).toBe("corosync-conf");
    expect(report.sections.every((s) => s.error === undefined)).toBe(true);
  });

  it("keeps commands without a parser as text", () => {
    expect(section("dmidecode -t bios")).toMatchObject({
      format: null,
      text: expect.stringContaining("SMBIOS"),
    });
  });

  it("keeps a section that does not parse, with its error, and reads the others", () => {
    const broken = parsePveReport("\n# pvesm status\nnot a table\n\n# hostname\npve2\n", parserFormats);
    expect(broken.sections[0]).toMatchObject({
      format: "pvesm-status",
      error: expect.stringContaining("header"),
    });
    expect(broken.node).toBe("pve2");
  });

  it("refuses text without any command header", () => {
    expect(() => parsePveReport("hello\n", parserFormats)).toThrow(ParseError);
  });
});

/**
 * pvereport-pve9-corosync-down.txt follows the current Report.pm (pve-manager 9.x): `date -R`,
 * `dir2text` opening its files with `# output '<dir><regex>' file(s)` glued to the previous output,
 * `ha-manager status` and `cat /etc/pve/replication.cfg`; corosync is down on this node.
 */
describe("parsePveReport on the pve-manager 9 layout", () => {
  const r = parsePveReport(
    readFileSync(new URL("../../fixtures/pvereport-pve9-corosync-down.txt", import.meta.url), "utf8"),
    parserFormats,
  );
  const sec = (command: string) => r.sections.find((s) => s.command === command);

  it("reads the node and the report's time", () => {
    expect(r).toMatchObject({ node: "pve2", time: "Wed, 11 Mar 2026 14:05:12 +0100", pveVersion: "9.1.4" });
  });

  it("ends qm list at the glued dir2text line, so the table still parses", () => {
    expect(sec("qm list")).toMatchObject({ format: "qm-list", value: { rows: expect.any(Array) } });
    expect(sec("qm list")?.error).toBeUndefined();
    expect(sec("cat /etc/pve/lxc/101.conf")?.format).toBe("guest-config");
    expect(sec("cat /etc/pve/lxc/101.conf")?.error).toBeUndefined();
  });

  it("reads corosync down in pvecm nodes and pvecm status as a state", () => {
    expect(sec("pvecm nodes")?.value).toMatchObject({ state: "corosync-down" });
    expect(sec("pvecm status")?.value).toMatchObject({ state: "corosync-down", quorumState: "unknown" });
  });

  it("reads ha-manager status and replication.cfg with their formats", () => {
    expect(sec("ha-manager status")).toMatchObject({
      format: "ha-manager-status",
      value: { state: "running" },
    });
    expect(sec("cat /etc/pve/replication.cfg")?.format).toBe("replication-cfg");
    expect(r.sections.every((s) => s.error === undefined)).toBe(true);
  });
});
