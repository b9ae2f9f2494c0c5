import { describe, expect, it } from "vitest";
import { ipv4InCidr, readLocalConf, zerotierLoops } from "../../../src/lab/model/zerotier.js";
import { memoryLab } from "../helpers.js";

const CONF = "/var/lib/zerotier-one/local.conf";

describe("zerotier-one model", () => {
  it("matches IPv4 addresses against CIDR blacklists", () => {
    expect(ipv4InCidr("10.10.10.1", "10.10.10.0/24")).toBe(true);
    expect(ipv4InCidr("10.10.11.1", "10.10.10.0/24")).toBe(false);
    expect(ipv4InCidr("100.64.3.4", "100.64.0.0/10")).toBe(true);
    expect(ipv4InCidr("10.0.0.1", "not-a-cidr")).toBe(false);
  });

  it("reads an absent or empty local.conf as no settings and refuses trailing commas and non-objects", () => {
    const node = memoryLab("zerotier-blacklist").node("pve1");
    expect(readLocalConf(node)).toEqual({});
    node.files[CONF] = "";
    expect(readLocalConf(node)).toEqual({});
    node.files[CONF] = '{"settings": {"primaryPort": 9993},}';
    expect(readLocalConf(node)).toBeNull();
    node.files[CONF] = "[]";
    expect(readLocalConf(node)).toBeNull();
  });

  it("loops while the tap's bridge is usable, and stops for a prefix or a CIDR blacklist", () => {
    const node = memoryLab("zerotier-blacklist").node("pve1");
    expect(zerotierLoops(node)).toBe(true);
    node.files[CONF] = JSON.stringify({ settings: { interfacePrefixBlacklist: ["vmbr"] } });
    expect(zerotierLoops(node)).toBe(false);
    node.files[CONF] = JSON.stringify({ physical: { "10.10.10.0/24": { blacklist: true } } });
    expect(zerotierLoops(node)).toBe(false);
    node.files[CONF] = JSON.stringify({ physical: { "10.10.10.0/24": { trustedPathId: 7 } } });
    expect(zerotierLoops(node)).toBe(true);
    node.files[CONF] = JSON.stringify({ settings: { interfacePrefixBlacklist: ["vmbr0", "eno2"] } });
    expect(zerotierLoops(node)).toBe(true);
  });

  it("never loops without a bridged tap", () => {
    const node = memoryLab("zerotier-blacklist-heartbeat").node("pve1");
    expect(zerotierLoops(node)).toBe(false);
  });
});
