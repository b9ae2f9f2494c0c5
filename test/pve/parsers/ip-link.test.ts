import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { bridgeMembers, parseIpAddr, parseIpLink } from "../../../src/pve/parsers/ip-link.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseIpLink", () => {
  it("reads name, master, state, MTU and the -d link kinds", () => {
    const links = parseIpLink(fixture("ip-link-detailed-zerotier-bridge.txt"));
    expect(links.find((l) => l.ifname === "ztc3q6qbkl")).toEqual({
      ifname: "ztc3q6qbkl",
      master: "vmbr10",
      operstate: "UNKNOWN",
      mtu: 2800,
      kind: "tun",
      slaveKind: "bridge",
    });
    expect(links.find((l) => l.ifname === "vmbr1")).toMatchObject({
      operstate: "DOWN",
      kind: "bridge",
      master: null,
    });
  });

  it("leaves kinds null without -d", () => {
    const links = parseIpLink(fixture("ip-link-plain.txt"));
    expect(links.every((l) => l.kind === null && l.slaveKind === null)).toBe(true);
    expect(links.find((l) => l.ifname === "eno1")?.master).toBe("bond0");
  });

  it("rejects text output and names the interface with a missing field", () => {
    expect(() => parseIpLink("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536")).toThrow(/not JSON/);
    expect(() => parseIpLink('[{"ifname":"eth0"}]')).toThrow(ParseError);
    expect(() => parseIpLink('[{"ifname":"eth0"}]')).toThrow(/interface #0.*mtu/);
  });
});

describe("bridgeMembers", () => {
  it("lists bridge ports from -d output, not bond slaves, and keeps empty bridges", () => {
    expect(bridgeMembers(parseIpLink(fixture("ip-link-detailed-zerotier-bridge.txt")))).toEqual({
      vmbr0: ["bond0"],
      vmbr10: ["ztc3q6qbkl"],
      vmbr1: [],
    });
  });

  it("without -d cannot tell bonds from bridges and lists every master", () => {
    expect(bridgeMembers(parseIpLink(fixture("ip-link-plain.txt")))).toEqual({
      bond0: ["eno1", "eno2"],
      vmbr0: ["bond0"],
      vmbr10: ["ztc3q6qbkl"],
    });
  });
});

describe("parseIpAddr", () => {
  it("reads addresses per interface and drops the empty entries some iproute2 versions print", () => {
    expect(parseIpAddr(fixture("ip-addr-pve-node.txt"))).toEqual([
      {
        ifname: "lo",
        addrs: [
          { family: "inet", local: "127.0.0.1", prefixlen: 8 },
          { family: "inet6", local: "::1", prefixlen: 128 },
        ],
      },
      { ifname: "eno1", addrs: [] },
      {
        ifname: "vmbr0",
        addrs: [
          { family: "inet", local: "10.10.10.1", prefixlen: 24 },
          { family: "inet6", local: "fe80::3eec:efff:fe10:2031", prefixlen: 64 },
        ],
      },
      { ifname: "enp65s0f0v0", addrs: [] },
    ]);
  });

  it("rejects a JSON value that is not an array", () => {
    expect(() => parseIpAddr("{}")).toThrow(/expected a JSON array/);
  });
});
