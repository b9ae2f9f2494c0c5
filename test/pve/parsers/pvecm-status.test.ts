import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { corosyncDown, parsePvecmStatus, parseRingId } from "../../../src/pve/parsers/pvecm-status.js";

const AVNMW = { registered: true, alive: true, castsVote: true, masterWins: false };
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parsePvecmStatus", () => {
  it("reads every field of a quorate PVE 8/9 pvecm status", () => {
    expect(parsePvecmStatus(fixture("pvecm-status-quorate.txt"))).toEqual({
      cluster: { name: "prod-cl01", configVersion: 7, transport: "knet", secureAuth: "on" },
      quorum: {
        date: "Wed Mar 11 14:02:07 2026",
        provider: "corosync_votequorum",
        nodes: 3,
        nodeId: 1,
        ringId: { raw: "1.4f2", rep: 1, seq: 0x4f2 },
        quorate: true,
      },
      votequorum: {
        expectedVotes: 3,
        highestExpected: 3,
        totalVotes: 3,
        quorum: 2,
        activityBlocked: false,
        flags: ["Quorate"],
      },
      members: [
        { nodeId: 1, votes: 1, qdevice: null, qdeviceFlags: null, name: "10.10.10.1", local: true },
        { nodeId: 2, votes: 1, qdevice: null, qdeviceFlags: null, name: "10.10.10.2", local: false },
        { nodeId: 3, votes: 1, qdevice: null, qdeviceFlags: null, name: "10.10.10.3", local: false },
      ],
      qdevice: null,
    });
  });

  it("reads plain corosync-quorumtool -s with decimal ids, names and no cluster block", () => {
    const s = parsePvecmStatus(fixture("corosync-quorumtool-quorate.txt"));
    expect(s.cluster).toBeNull();
    expect(s.quorum.nodeId).toBe(1);
    expect(s.quorum.date).toBe("Fri Apr  3 04:05:16 2026");
    expect(s.members.map((m) => [m.nodeId, m.name, m.local])).toEqual([
      [1, "pve1", true],
      [2, "pve2", false],
      [3, "pve3", false],
    ]);
  });

  it("accepts the corosync 2 decimal ring id, Activity blocked and a stripped empty Flags line", () => {
    const s = parsePvecmStatus(fixture("pvecm-status-not-quorate-corosync2.txt"));
    expect(s.quorum.ringId).toEqual({ raw: "2/196", rep: 2, seq: 196 });
    expect(s.quorum.quorate).toBe(false);
    expect(s.votequorum).toMatchObject({ quorum: 2, activityBlocked: true, flags: [], totalVotes: 1 });
  });

  it("reads a not-quorate PVE 8 status whose Flags line is only padding", () => {
    const s = parsePvecmStatus(fixture("pvecm-status-not-quorate.txt"));
    expect(s.cluster).toEqual({ name: "Venusto", configVersion: 3, transport: "knet", secureAuth: "on" });
    expect(s.quorum.ringId).toEqual({ raw: "3.64", rep: 3, seq: 0x64 });
    expect(s.votequorum).toMatchObject({ totalVotes: 1, quorum: 2, activityBlocked: true, flags: [] });
    expect(s.quorum.quorate).toBe(false);
  });

  it("reads the Qdevice column and the casting qdevice pseudo-row without counting it as a member", () => {
    const s = parsePvecmStatus(fixture("pvecm-status-qdevice.txt"));
    expect(s.votequorum.flags).toEqual(["Quorate", "Qdevice"]);
    expect(s.votequorum.quorum).toBe(3);
    expect(s.members).toEqual([
      { nodeId: 1, votes: 1, qdevice: "A,V,NMW", qdeviceFlags: AVNMW, name: "192.168.51.239", local: true },
      { nodeId: 2, votes: 1, qdevice: "A,V,NMW", qdeviceFlags: AVNMW, name: "192.168.51.240", local: false },
    ]);
    expect(s.qdevice).toEqual({
      votes: 1,
      castsVote: true,
      nodeId: 0,
      name: "Qdevice",
      configuredVotes: 1,
      displayedVotes: 1,
    });
  });

  it("reads a qdevice that does not cast its vote from the '(votes N)' suffix", () => {
    const s = parsePvecmStatus(fixture("corosync-quorumtool-qdevice-no-vote.txt"));
    expect(s.qdevice).toEqual({
      votes: 1,
      castsVote: false,
      nodeId: 0,
      name: "Qdevice",
      configuredVotes: 1,
      displayedVotes: 0,
    });
    expect(s.members.map((m) => m.qdeviceFlags)).toEqual([
      { registered: true, alive: true, castsVote: false, masterWins: false },
      { registered: false, alive: false, castsVote: false, masterWins: false },
    ]);
    expect(s.members.map((m) => m.qdevice)).toEqual(["A,NV,NMW", "NR"]);
  });

  it("accepts the admin guide's ~ underlines and stripped trailing spaces", () => {
    const s = parsePvecmStatus(fixture("pvecm-status-docs-tilde.txt"));
    expect(s.quorum.ringId).toEqual({ raw: "1.1a8", rep: 1, seq: 0x1a8 });
    expect(s.votequorum).toMatchObject({ quorum: 3, activityBlocked: false, flags: ["Quorate"] });
    expect(s.members.find((m) => m.local)?.nodeId).toBe(2);
  });

  it("keeps working when the file uses CRLF line ends", () => {
    const s = parsePvecmStatus(fixture("pvecm-status-quorate.txt").replaceAll("\n", "\r\n"));
    expect(s.votequorum.activityBlocked).toBe(false);
    expect(s.members).toHaveLength(3);
  });

  it("refuses the cluster block alone that pvecm prints when corosync is down", () => {
    expect(() => parsePvecmStatus(fixture("pvecm-status-corosync-down.txt"))).toThrow(
      /no 'Quorum information'/,
    );
  });

  it("refuses a pasted status that lost its membership block, naming what is missing", () => {
    const truncated = fixture("pvecm-status-quorate.txt").split("Membership information")[0]!;
    expect(() => parsePvecmStatus(truncated)).toThrow(ParseError);
    expect(() => parsePvecmStatus(truncated)).toThrow(/Membership information/);
  });

  it("names the line of a value it cannot read", () => {
    const broken = fixture("pvecm-status-quorate.txt").replace(
      "Total votes:      3",
      "Total votes:      three",
    );
    expect(() => parsePvecmStatus(broken)).toThrow(/line 21: 'Total votes:' should be a number, got 'three'/);
  });

  it("names a missing field and the section heading's line", () => {
    const broken = fixture("pvecm-status-quorate.txt").replace(/Quorate: {10}Yes\n/, "");
    expect(() => parsePvecmStatus(broken)).toThrow(/line 8: 'Quorum information' has no 'Quorate:' line/);
  });

  it("rejects an unknown section instead of skipping it", () => {
    expect(() => parsePvecmStatus("Ring information\n----------------\n")).toThrow(
      /unknown section 'Ring information'/,
    );
  });
});

describe("parseRingId", () => {
  it("reads the decimal rep/seq form of corosync ≤ 3.0.2", () => {
    expect(parseRingId("1/260")).toEqual({ raw: "1/260", rep: 1, seq: 260 });
  });

  it("reads the hex rep.seq form of corosync ≥ 3.0.3", () => {
    expect(parseRingId("5.13620")).toEqual({ raw: "5.13620", rep: 5, seq: 0x13620 });
  });

  it("rejects a bare sequence (corosync without votequorum)", () => {
    expect(() => parseRingId("196")).toThrow(ParseError);
  });
});

describe("corosyncDown", () => {
  it.each([
    "Cannot initialize CMAP service\n",
    "Cannot initialize QUORUM service\n",
    "Cannot initialise CFG service\n",
    "Cannot initialize CFG service\n",
    "Cannot initialise VOTEQUORUM service\n",
  ])("recognises %j as corosync not running", (stderr) => {
    expect(corosyncDown(stderr)).toBe(true);
  });

  it("does not mistake other errors for corosync being down", () => {
    expect(corosyncDown("Unable to get node 3 info\n")).toBe(false);
    expect(corosyncDown("")).toBe(false);
  });
});
