import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseCorosyncCfgtool, unreachableOnEveryLink } from "../../../src/pve/parsers/corosync-cfgtool.js";
import { ParseError } from "../../../src/pve/parsers/format.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseCorosyncCfgtool", () => {
  it("reads the corosync ≥ 3.1.5 layout with transport words and padded node ids", () => {
    expect(parseCorosyncCfgtool(fixture("corosync-cfgtool-3.1.5.txt"))).toEqual({
      localNodeId: 1,
      transport: "knet",
      links: [
        {
          linkId: 0,
          transport: "udp",
          addr: "10.10.10.1",
          summary: null,
          nodes: [
            { nodeId: 1, status: "localhost", enabled: null },
            { nodeId: 2, status: "connected", enabled: null },
            { nodeId: 3, status: "disconnected", enabled: null },
          ],
        },
        {
          linkId: 1,
          transport: "udp",
          addr: "10.20.20.1",
          summary: null,
          nodes: [
            { nodeId: 1, status: "localhost", enabled: null },
            { nodeId: 2, status: "connected", enabled: null },
            { nodeId: 3, status: "connected", enabled: null },
          ],
        },
      ],
      rings: [],
    });
  });

  it("reads the empty transport word of a udpu link as null", () => {
    const s = parseCorosyncCfgtool(fixture("corosync-cfgtool-udpu.txt"));
    expect(s.transport).toBe("udpu");
    expect(s.links[0]).toMatchObject({ linkId: 0, transport: null, addr: "192.168.1.12" });
  });

  it("reads the 3.1.1–3.1.4 layout without a link transport word", () => {
    const s = parseCorosyncCfgtool(fixture("corosync-cfgtool-3.1.1.txt"));
    expect(s).toMatchObject({ localNodeId: 1, transport: "knet" });
    expect(s.links[0]!.transport).toBeNull();
    expect(s.links[0]!.nodes.map((n) => n.status)).toEqual(["localhost", "connected", "disconnected"]);
  });

  it("reads every state text of the 3.0.2–3.1.0 layout, including (not enabled)", () => {
    const s = parseCorosyncCfgtool(fixture("corosync-cfgtool-3.0.2.txt"));
    expect(s.transport).toBeNull();
    expect(s.links[0]!.nodes).toEqual([
      { nodeId: 1, status: "localhost", enabled: null },
      { nodeId: 2, status: "connected", enabled: true },
      { nodeId: 3, status: "disconnected", enabled: true },
      { nodeId: 4, status: "connected", enabled: false },
      { nodeId: 5, status: "disconnected", enabled: false },
      { nodeId: 6, status: "knet-error", enabled: null },
      { nodeId: 7, status: "config-error", enabled: null },
      { nodeId: 8, status: "unknown", enabled: null },
    ]);
  });

  it("reads the 3.0.0 'link enabled / link connected' bit fields", () => {
    const s = parseCorosyncCfgtool(fixture("corosync-cfgtool-3.0.0.txt"));
    expect(s.links[0]!.nodes).toEqual([
      { nodeId: 0, status: "connected", enabled: true },
      { nodeId: 1, status: "connected", enabled: true },
      { nodeId: 2, status: "disconnected", enabled: true },
    ]);
  });

  it("reads a one-line link status printed instead of node rows", () => {
    const s = parseCorosyncCfgtool(
      "Printing link status.\nLocal node ID 3\nLINK ID 0\n\taddr\t= 10.0.0.3\n\tstatus\t= OK\n",
    );
    expect(s.links[0]).toMatchObject({ summary: "OK", nodes: [] });
  });

  it("reads corosync 2 RRP rings and flags the faulty one", () => {
    expect(parseCorosyncCfgtool(fixture("corosync-cfgtool-rrp-faulty.txt"))).toEqual({
      localNodeId: 1,
      transport: null,
      links: [],
      rings: [
        { ringId: 0, addr: "10.10.10.1", status: "ring 0 active with no faults", faulty: false },
        {
          ringId: 1,
          addr: "10.20.20.1",
          status: "Marking ringid 1 interface 10.20.20.1 FAULTY",
          faulty: true,
        },
      ],
    });
  });

  it("reads a pasted copy whose tabs became single spaces", () => {
    // As pasted in the Ukrainian playbook (seed 002).
    const text =
      "Printing ring status.\nLocal node ID 1\nRING ID 0\nid = 192.168.50.11\nstatus = ring 0 active with no faults\n" +
      "RING ID 1\nid = 192.168.51.11\nstatus = ring 1 active with no faults\n";
    expect(parseCorosyncCfgtool(text).rings.map((r) => [r.addr, r.faulty])).toEqual([
      ["192.168.50.11", false],
      ["192.168.51.11", false],
    ]);
  });

  it("ignores the SCTP deprecation notice after an sctp link", () => {
    const text =
      "Local node ID 1, transport knet\nLINK ID 0 sctp\n\t**SCTP is deprecated and will be removed\n\taddr\t= 10.0.0.1\n\tstatus:\n\t\tnodeid:          1:\tlocalhost\n";
    expect(parseCorosyncCfgtool(text).links[0]).toMatchObject({ transport: "sctp", addr: "10.0.0.1" });
  });

  it("names the line of an error printed by corosync-cfgtool", () => {
    const text = "Printing link status.\nCould not initialize corosync configuration API error 2\n";
    expect(() => parseCorosyncCfgtool(text)).toThrow(/line 2: corosync-cfgtool reported an error/);
  });

  it("rejects output without a local node id", () => {
    expect(() => parseCorosyncCfgtool("LINK ID 0 udp\n")).toThrow(ParseError);
  });

  it("names the line of text it does not understand", () => {
    const broken = `${fixture("corosync-cfgtool-3.1.5.txt")}\tweird: thing\n`;
    expect(() => parseCorosyncCfgtool(broken)).toThrow(/line 14: unexpected line 'weird: thing'/);
  });
});

describe("unreachableOnEveryLink", () => {
  it("lists nothing while a node is still connected on one link", () => {
    expect(unreachableOnEveryLink(parseCorosyncCfgtool(fixture("corosync-cfgtool-3.1.5.txt")))).toEqual([]);
  });

  it("lists a node that is disconnected on every link", () => {
    expect(
      unreachableOnEveryLink(parseCorosyncCfgtool(fixture("corosync-cfgtool-3.1.5-node-lost.txt"))),
    ).toEqual([3]);
  });

  it("does not count error or unknown states as proof that a node is down", () => {
    expect(unreachableOnEveryLink(parseCorosyncCfgtool(fixture("corosync-cfgtool-3.0.2.txt")))).toEqual([
      3, 5,
    ]);
  });

  it("never lists nodes for corosync 2 rings, which carry no per-node state", () => {
    expect(unreachableOnEveryLink(parseCorosyncCfgtool(fixture("corosync-cfgtool-rrp-faulty.txt")))).toEqual(
      [],
    );
  });
});
