import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseNodeId, parsePvecmNodes } from "../../../src/pve/parsers/pvecm-nodes.js";

const AVNMW = { registered: true, alive: true, castsVote: true, masterWins: false };
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parsePvecmNodes", () => {
  it("reads decimal ids, names and the local marker after the leading empty line", () => {
    expect(parsePvecmNodes(fixture("pvecm-nodes-3node.txt"))).toEqual([
      { nodeId: 1, votes: 1, qdevice: null, qdeviceFlags: null, name: "pve1", local: true },
      { nodeId: 2, votes: 1, qdevice: null, qdeviceFlags: null, name: "pve2", local: false },
      { nodeId: 3, votes: 1, qdevice: null, qdeviceFlags: null, name: "pve3", local: false },
    ]);
  });

  it("reads the Qdevice column and leaves the node-id-0 qdevice row out of the node list", () => {
    expect(parsePvecmNodes(fixture("pvecm-nodes-qdevice.txt"))).toEqual([
      { nodeId: 1, votes: 1, qdevice: "A,V,NMW", qdeviceFlags: AVNMW, name: "pve-a", local: true },
      { nodeId: 2, votes: 1, qdevice: "A,V,NMW", qdeviceFlags: AVNMW, name: "pve-b", local: false },
    ]);
  });

  it("accepts output whose leading empty line was lost in a copy", () => {
    expect(parsePvecmNodes(fixture("pvecm-nodes-3node.txt").trimStart())).toHaveLength(3);
  });

  it("skips votequorum's 'Unable to get node N info' line inside the block", () => {
    const text = fixture("pvecm-nodes-3node.txt").replace(
      "    Nodeid",
      "Unable to get node 3 info\n    Nodeid",
    );
    expect(parsePvecmNodes(text)).toHaveLength(3);
  });

  it("names the line of a row it cannot read", () => {
    const broken = `${fixture("pvecm-nodes-3node.txt")}garbage\n`;
    expect(() => parsePvecmNodes(broken)).toThrow(/line 8: cannot read membership row 'garbage'/);
  });

  it("refuses text without the membership heading", () => {
    expect(() => parsePvecmNodes("Cannot initialize CMAP service\n")).toThrow(ParseError);
  });
});

describe("parseNodeId", () => {
  it("reads hex ids printed with -H and decimal ids printed without", () => {
    expect(parseNodeId("0x0000000a", "t", 1)).toBe(10);
    expect(parseNodeId("10", "t", 1)).toBe(10);
  });

  it("rejects anything else", () => {
    expect(() => parseNodeId("pve1", "t", 4)).toThrow(/line 4/);
  });
});
