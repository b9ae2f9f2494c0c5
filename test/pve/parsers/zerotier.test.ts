import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import {
  formatZerotierLocalConf,
  mergeZerotierBlacklist,
  parseZerotierInfo,
  parseZerotierListNetworks,
  parseZerotierLocalConf,
  zerotierLocalConfFormat,
} from "../../../src/pve/parsers/zerotier.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseZerotierLocalConf", () => {
  it("reads the one-line local.conf from the field report", () => {
    const result = parseZerotierLocalConf(fixture("zerotier-local-conf-seed.txt"));
    expect(result).toEqual({
      ok: true,
      value: {
        physical: { "172.16.0.0/16": { blacklist: true }, "10.0.0.0/8": { blacklist: true } },
        settings: { interfacePrefixBlacklist: ["eth100", "vmbr10", "vmbr666", "vmbr999"] },
      },
    });
  });

  it("rejects a trailing comma with zerotier-one's own words, as the daemon would before exiting", () => {
    const result = parseZerotierLocalConf(fixture("zerotier-local-conf-trailing-comma.txt"));
    expect(result).toMatchObject({ ok: false, error: "unable to parse local.conf (invalid JSON)" });
  });

  it("rejects comments", () => {
    expect(parseZerotierLocalConf('{ // ports\n "settings": {} }').ok).toBe(false);
  });

  it.each(["[]", "42", '"x"', "null"])("rejects the non-object root %s", (text) => {
    expect(parseZerotierLocalConf(text)).toEqual({
      ok: false,
      error: "unable to parse local.conf (root element is not a JSON object)",
    });
  });

  it("treats an empty file as no settings, like zerotier-one", () => {
    expect(parseZerotierLocalConf("")).toEqual({ ok: true, value: {} });
  });

  it("rejects a file of only whitespace, which zerotier-one tries to parse and fails", () => {
    expect(parseZerotierLocalConf("\n").ok).toBe(false);
  });

  it("accepts a UTF-8 byte order mark", () => {
    expect(parseZerotierLocalConf('\uFEFF{"settings":{}}')).toEqual({ ok: true, value: { settings: {} } });
  });

  it("throws a ParseError through the parse format so `pvefix parse` reports it", () => {
    expect(() => zerotierLocalConfFormat.parse("{,}")).toThrow(ParseError);
  });
});

describe("mergeZerotierBlacklist", () => {
  it("creates the field report's settings when there is no file yet", () => {
    const merged = mergeZerotierBlacklist(null, {
      cidrs: ["172.16.0.0/16", "10.0.0.0/8"],
      interfacePrefixes: ["eth100", "vmbr10", "vmbr666", "vmbr999"],
    });
    expect(formatZerotierLocalConf(merged)).toBe(fixture("zerotier-local-conf-formatted.txt"));
  });

  it("keeps every other key, per-CIDR setting and existing prefix, in order, without duplicates", () => {
    const existing = {
      physical: { "10.10.10.0/24": { trustedPathId: 42, mtu: 9000 }, "192.168.0.0/16": { blacklist: false } },
      virtual: { "8a3f2e91c4": { try: ["203.0.113.7/9993"] } },
      settings: { primaryPort: 9993, interfacePrefixBlacklist: ["vmbr10", "bond0"] },
    };
    const merged = mergeZerotierBlacklist(existing, {
      cidrs: ["10.10.10.0/24", "fd00:10::/64"],
      interfacePrefixes: ["vmbr1", "vmbr10"],
    });
    expect(merged).toEqual({
      physical: {
        "10.10.10.0/24": { trustedPathId: 42, mtu: 9000, blacklist: true },
        "192.168.0.0/16": { blacklist: false },
        "fd00:10::/64": { blacklist: true },
      },
      virtual: { "8a3f2e91c4": { try: ["203.0.113.7/9993"] } },
      settings: { primaryPort: 9993, interfacePrefixBlacklist: ["vmbr10", "bond0", "vmbr1"] },
    });
  });

  it("does not modify the object it was given", () => {
    const existing = { settings: { interfacePrefixBlacklist: ["a"] } };
    mergeZerotierBlacklist(existing, { cidrs: ["10.0.0.0/8"], interfacePrefixes: ["b"] });
    expect(existing).toEqual({ settings: { interfacePrefixBlacklist: ["a"] } });
  });

  it("is idempotent", () => {
    const request = { cidrs: ["10.0.0.0/8"], interfacePrefixes: ["vmbr1"] };
    const once = mergeZerotierBlacklist(null, request);
    expect(mergeZerotierBlacklist(once, request)).toEqual(once);
  });

  it("refuses an invalid CIDR and a settings value of the wrong type instead of overwriting it", () => {
    expect(() => mergeZerotierBlacklist(null, { cidrs: ["10.0.0.0"], interfacePrefixes: [] })).toThrow(
      /got `10.0.0.0`/,
    );
    expect(() =>
      mergeZerotierBlacklist(
        { settings: { interfacePrefixBlacklist: "vmbr1" } },
        { cidrs: [], interfacePrefixes: ["x"] },
      ),
    ).toThrow(/interfacePrefixBlacklist/);
    expect(() =>
      mergeZerotierBlacklist({ physical: [] }, { cidrs: ["10.0.0.0/8"], interfacePrefixes: [] }),
    ).toThrow(/`physical`/);
  });
});

describe("parseZerotierInfo", () => {
  it("reads address, version and status", () => {
    expect(parseZerotierInfo(fixture("zerotier-info-online.txt"))).toEqual({
      address: "8a3f2e91c4",
      version: "1.14.2",
      status: "ONLINE",
    });
  });

  it("reads TUNNELED (TCP fallback only)", () => {
    expect(parseZerotierInfo("200 info 8a3f2e91c4 1.10.6 TUNNELED\n").status).toBe("TUNNELED");
  });

  it("rejects the service-down message", () => {
    const text =
      "Error connecting to the ZeroTier service: connection failed\n\nPlease check that the service is running and that TCP port 9993 can be contacted via 127.0.0.1.\n";
    expect(() => parseZerotierInfo(text)).toThrow(/line 1: expected '200 info/);
  });
});

describe("parseZerotierListNetworks", () => {
  it("reads rows, an empty name, a name with a space and skips the SSO line", () => {
    expect(parseZerotierListNetworks(fixture("zerotier-listnetworks-mixed.txt"))).toEqual([
      {
        nwid: "8056c2e21c000001",
        name: "home-lab",
        mac: "5a:3c:71:02:9e:10",
        status: "OK",
        type: "PRIVATE",
        dev: "ztc3q6qbkl",
        ips: ["10.147.17.21/24", "fd80:56c2:e21c:0:199:938a:3f2e:91c4/88"],
      },
      {
        nwid: "1c33c1ced0a1b2c3",
        name: "",
        mac: "ce:66:1a:0b:44:02",
        status: "REQUESTING_CONFIGURATION",
        type: "PRIVATE",
        dev: "zt3jnwghuq",
        ips: [],
      },
      {
        nwid: "9bee8941b5f4e2d1",
        name: "corp sso",
        mac: "0e:f3:8b:41:10:7a",
        status: "OK",
        type: "PRIVATE",
        dev: "ztks5abcde",
        ips: ["172.22.4.9/16"],
      },
    ]);
  });

  it("reads the header alone as no networks", () => {
    expect(parseZerotierListNetworks(fixture("zerotier-listnetworks-none.txt"))).toEqual([]);
  });

  it("names the line of a row it cannot read", () => {
    const text = `${fixture("zerotier-listnetworks-none.txt")}200 listnetworks nope\n`;
    expect(() => parseZerotierListNetworks(text)).toThrow(/line 2: cannot read network row/);
  });
});
