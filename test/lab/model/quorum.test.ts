import { describe, expect, it } from "vitest";
import { nodeQuorate, quorumFor, quorumView } from "../../../src/lab/model/quorum.js";
import { memoryLab } from "../helpers.js";

describe("quorumFor", () => {
  it("needs a strict majority of the highest expected votes", () => {
    expect(quorumFor(3, 3)).toBe(2);
    expect(quorumFor(3, 1)).toBe(2);
    expect(quorumFor(4, 4)).toBe(3);
    expect(quorumFor(2, 2)).toBe(2);
    expect(quorumFor(5, 2)).toBe(3);
  });

  it("never drops below a majority of the votes actually present", () => {
    expect(quorumFor(1, 3)).toBe(2);
  });

  it("forces quorum 1 for two_node clusters", () => {
    expect(quorumFor(2, 1, true)).toBe(1);
  });
});

describe("quorumView", () => {
  it("sees all three nodes as one quorate partition in the default scenario", () => {
    const lab = memoryLab();
    const view = quorumView(lab.state, lab.node("pve2"));
    expect(view?.members.map((m) => m.node.name)).toEqual(["pve1", "pve2", "pve3"]);
    expect(view).toMatchObject({
      expectedVotes: 3,
      highestExpected: 3,
      totalVotes: 3,
      quorum: 2,
      quorate: true,
    });
  });

  it("isolates a node whose cluster link is down and leaves the other two quorate", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    expect(quorumView(lab.state, lab.node("pve1"))).toMatchObject({
      totalVotes: 1,
      quorum: 2,
      quorate: false,
    });
    expect(quorumView(lab.state, lab.node("pve2"))?.members.map((m) => m.node.name)).toEqual([
      "pve2",
      "pve3",
    ]);
    expect(nodeQuorate(lab.state, lab.node("pve3"))).toBe(true);
  });

  it("loses quorum on the survivor when two of three nodes are down", () => {
    const lab = memoryLab();
    lab.node("pve2").up = false;
    lab.node("pve3").up = false;
    expect(quorumView(lab.state, lab.node("pve1"))).toMatchObject({ totalVotes: 1, quorate: false });
  });

  it("has no view at all on a node whose corosync is stopped", () => {
    const lab = memoryLab();
    lab.node("pve3").services.corosync = "inactive";
    expect(quorumView(lab.state, lab.node("pve3"))).toBeNull();
    expect(quorumView(lab.state, lab.node("pve1"))?.totalVotes).toBe(2);
  });

  it("uses the runtime expected-votes override of the partition", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    lab.node("pve1").expectedVotesOverride = 1;
    expect(quorumView(lab.state, lab.node("pve1"))).toMatchObject({
      expectedVotes: 1,
      quorum: 1,
      quorate: true,
    });
  });
});
