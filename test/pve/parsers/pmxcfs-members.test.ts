import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { membersFormat, parsePmxcfsMembers } from "../../../src/pve/parsers/pmxcfs-members.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parsePmxcfsMembers", () => {
  it("reads the cluster and every configured node, online or not", () => {
    expect(parsePmxcfsMembers(fixture("members-cluster.txt"))).toEqual({
      nodename: "pve1",
      version: 12,
      cluster: { name: "prod-cl01", version: 7, nodes: 3, quorate: true },
      nodelist: [
        { name: "pve1", id: 1, online: true, ip: "10.10.10.1" },
        { name: "pve2", id: 2, online: true, ip: "10.10.10.2" },
        { name: "pve3", id: 3, online: false, ip: "10.10.10.3" },
      ],
    });
  });

  it("accepts a node without ip and sorts hash-ordered nodes by id", () => {
    const members = parsePmxcfsMembers(fixture("members-no-ip.txt"));
    expect(members.cluster?.quorate).toBe(false);
    expect(members.nodelist.map((n) => n.name)).toEqual(["pve1", "pve2", "pve3"]);
    expect(members.nodelist[2]).toEqual({ name: "pve3", id: 3, online: false, ip: null });
  });

  it("reads the two-key form of a standalone node", () => {
    expect(parsePmxcfsMembers(fixture("members-standalone.txt"))).toEqual({
      nodename: "pve1",
      version: 0,
      cluster: null,
      nodelist: [],
    });
  });

  it("refuses text that is not JSON", () => {
    expect(() => parsePmxcfsMembers("cat: /etc/pve/.members: No such file or directory")).toThrow(ParseError);
  });

  it("refuses JSON of the wrong shape, naming the field", () => {
    expect(() => parsePmxcfsMembers('{"nodename": "pve1", "version": "x"}')).toThrow(/version/);
  });

  it("is reachable as the members format", () => {
    expect(membersFormat.name).toBe("members");
  });
});
