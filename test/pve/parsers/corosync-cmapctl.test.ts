/**
 * Fixtures captured from the real corosync 3.1.7 (Debian 12) on the netns bed
 * (scripts/testbed/netns-up.sh, 3 nodes, token 1000), inside node1's namespaces:
 * - corosync-cmapctl-totem-3.1.7.txt: `corosync-cmapctl totem. runtime.config.totem.` on a fresh bed;
 * - corosync-cmapctl-get-3.1.7.txt: `corosync-cmapctl -g totem.config_version runtime.config.totem.token totem.token`;
 * - corosync-cmapctl-members-node-left-3.1.7.txt: `corosync-cmapctl runtime.members.` with node3's corosync stopped;
 * - corosync-cmapctl-totem-stale-3.1.7.txt: `corosync-cmapctl totem. runtime.config.totem.token` on node1
 *   after it was cut off while node2 and node3 reloaded version 2 (token 2000) and its link came back;
 * - corosync-cmapctl-totem-reloaded-3.1.7.txt: the same command on node2 after its `corosync-cfgtool -R`.
 * With corosync stopped every call exits 1 and prints `Failed to initialize the cmap API. Error
 * CS_ERR_LIBRARY` on stderr; a missing key with -g: `Can't get key totem.nosuchkey. Error CS_ERR_NOT_EXIST`.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  cmapDown,
  cmapInteger,
  parseCorosyncCmapctl,
  runningTotem,
} from "../../../src/pve/parsers/corosync-cmapctl.js";
import { ParseError } from "../../../src/pve/parsers/format.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseCorosyncCmapctl", () => {
  it("reads every `key (type) = value` line of a prefix listing", () => {
    const keys = parseCorosyncCmapctl(fixture("corosync-cmapctl-totem-3.1.7.txt"));
    expect(keys["totem.config_version"]).toEqual({ type: "u64", value: "1" });
    expect(keys["totem.cluster_name"]).toEqual({ type: "str", value: "pvefix-lab" });
    expect(keys["runtime.config.totem.token"]).toEqual({ type: "u32", value: "1650" });
    expect(keys["runtime.config.totem.knet_compression_level"]).toEqual({ type: "i32", value: "0" });
    expect(Object.keys(keys)).toHaveLength(34);
  });

  it("keeps the trailing space of a string value", () => {
    const keys = parseCorosyncCmapctl(fixture("corosync-cmapctl-members-node-left-3.1.7.txt"));
    expect(keys["runtime.members.1.ip"]?.value).toBe("r(0) ip(10.10.10.1) ");
    expect(keys["runtime.members.3.status"]?.value).toBe("left");
  });

  it("reads the -g form, one line per key asked for", () => {
    const keys = parseCorosyncCmapctl(fixture("corosync-cmapctl-get-3.1.7.txt"));
    expect(runningTotem(keys)).toEqual({ configVersion: 1, token: 1000, tokenInUse: 1650 });
  });

  it("reads an empty answer (a prefix with no keys) as no keys", () => {
    expect(parseCorosyncCmapctl("")).toEqual({});
  });

  it("names the line it cannot read", () => {
    expect(() => parseCorosyncCmapctl("totem.token (u32) = 1000\nCan't get key totem.x. Error\n")).toThrow(
      new ParseError(
        "corosync-cmapctl",
        "expected 'key (type) = value', got 'Can't get key totem.x. Error'",
        2,
      ),
    );
  });
});

describe("runningTotem", () => {
  it("tells the version and token a node runs from those its peers reloaded", () => {
    const stale = runningTotem(parseCorosyncCmapctl(fixture("corosync-cmapctl-totem-stale-3.1.7.txt")));
    const reloaded = runningTotem(parseCorosyncCmapctl(fixture("corosync-cmapctl-totem-reloaded-3.1.7.txt")));
    expect(stale).toEqual({ configVersion: 1, token: 1000, tokenInUse: 1650 });
    expect(reloaded).toEqual({ configVersion: 2, token: 2000, tokenInUse: 2650 });
  });

  it("reads keys the config does not set as null (corosync's defaults apply)", () => {
    expect(runningTotem(parseCorosyncCmapctl("totem.version (u32) = 2\n"))).toEqual({
      configVersion: null,
      token: null,
      tokenInUse: null,
    });
  });

  it("refuses a numeric key that is not a number", () => {
    expect(() => cmapInteger({ "totem.token": { type: "str", value: "fast" } }, "totem.token")).toThrow(
      /totem.token is str 'fast', expected an integer/,
    );
  });
});

describe("cmapDown", () => {
  it("recognises corosync-cmapctl's error when corosync does not run", () => {
    expect(cmapDown("Failed to initialize the cmap API. Error CS_ERR_LIBRARY\n")).toBe(true);
    expect(cmapDown("Can't get key totem.nosuchkey. Error CS_ERR_NOT_EXIST\n")).toBe(false);
  });
});
