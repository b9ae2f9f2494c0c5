import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import {
  orderSectionProps,
  parseSectionConfig,
  serializeSectionConfig,
} from "../../../src/pve/parsers/section-config.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseSectionConfig", () => {
  it("reads sections in file order with props in file order", () => {
    const sections = parseSectionConfig(fixture("storage-cfg-pve-written.txt"));
    expect(sections.map((s) => `${s.type}: ${s.id}`)).toEqual([
      "dir: local",
      "lvmthin: local-lvm",
      "nfs: nfs-backup",
      "cifs: smb-iso",
      "cephfs: cephfs",
    ]);
    expect(Object.keys(sections[2]?.props ?? {})).toEqual([
      "export",
      "path",
      "server",
      "content",
      "options",
      "prune-backups",
    ]);
  });

  it("reads a bare boolean key as 1", () => {
    const [, , , cifs] = parseSectionConfig(fixture("storage-cfg-pve-written.txt"));
    expect(cifs?.props.disable).toBe("1");
  });

  it("ignores comment lines anywhere and does not end a section at a whitespace-only line", () => {
    const sections = parseSectionConfig(fixture("storage-cfg-hand-edited.txt"));
    expect(sections).toHaveLength(2);
    expect(sections[0]?.props).toEqual({ path: "/var/lib/vz", content: "iso,vztmpl,backup", shared: "0" });
    expect(sections[1]?.props.sparse).toBe("1");
  });

  it("treats a comment inside a section as invisible, not as a section end", () => {
    const sections = parseSectionConfig("vm: 100\n# note\n\tstate started\n");
    expect(sections[0]?.props).toEqual({ state: "started" });
  });

  it("keeps a value with inner spaces and trims trailing spaces", () => {
    const sections = parseSectionConfig("group: g\n\tcomment two  words here   \n");
    expect(sections[0]?.props.comment).toBe("two  words here");
  });

  it("refuses a header glued to the previous section, naming the line", () => {
    const text = "vm: 100\n\tstate started\nvm: 101\n\tstate stopped\n";
    expect(() => parseSectionConfig(text, "ha-resources")).toThrowError(
      expect.objectContaining({ name: "ParseError", format: "ha-resources", line: 3 }),
    );
  });

  it("refuses a property line outside any section", () => {
    expect(() => parseSectionConfig("\tpath /x\n")).toThrow(ParseError);
  });

  it("refuses a duplicated property", () => {
    expect(() => parseSectionConfig("dir: a\n\tpath /x\n\tpath /y\n")).toThrow(/duplicate property 'path'/);
  });

  it("returns no sections for an empty file", () => {
    expect(parseSectionConfig("")).toEqual([]);
  });
});

describe("serializeSectionConfig", () => {
  it("round-trips a PVE-written file byte for byte", () => {
    const text = fixture("storage-cfg-pve-written.txt");
    expect(serializeSectionConfig(parseSectionConfig(text))).toBe(text);
  });

  it("writes tab-indented props, a bare disable and an empty line after every section", () => {
    const text = serializeSectionConfig([
      { type: "local", id: "100-0", props: { disable: "1", target: "pve2" } },
      { type: "local", id: "101-0", props: { target: "pve3", comment: "" } },
    ]);
    expect(text).toBe("local: 100-0\n\tdisable\n\ttarget pve2\n\nlocal: 101-0\n\ttarget pve3\n\n");
  });

  it("writes nothing for no sections", () => {
    expect(serializeSectionConfig([])).toBe("");
  });

  it("refuses a value containing a line break", () => {
    expect(() => serializeSectionConfig([{ type: "dir", id: "x", props: { path: "/a\n/b" } }])).toThrow(
      RangeError,
    );
  });
});

describe("orderSectionProps", () => {
  it("puts comment and disable first, then required keys, then the rest sorted", () => {
    const ordered = orderSectionProps({ source: "a", rate: "5", target: "b", disable: "1", comment: "c" }, [
      "target",
    ]);
    expect(Object.keys(ordered)).toEqual(["comment", "disable", "target", "rate", "source"]);
  });
});
