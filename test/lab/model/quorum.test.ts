import { describe, expect, it } from "vitest";
import {
  COROSYNC_CONF,
  knetLinksOf,
  knetLinkUp,
  nodeQuorate,
  quorumFor,
  quorumView,
} from "../../../src/lab/model/quorum.js";
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

describe("knet links", () => {
  /** Give every node of the lab a second link (ring1_addr 10.10.11.N) in the file corosync runs. */
  function withSecondLink(lab: ReturnType<typeof memoryLab>) {
    for (const node of lab.state.nodes) {
      const text = node.files[COROSYNC_CONF]!.replace(
        /(ring0_addr: 10\.10\.10\.(\d+)\n)/g,
        "$1    ring1_addr: 10.10.11.$2\n",
      );
      node.files[COROSYNC_CONF] = text;
      node.corosyncLoaded = text;
    }
  }

  it("keeps a node in the membership while one of two links is down, and reports that link down", () => {
    const lab = memoryLab();
    withSecondLink(lab);
    const [pve1, pve2] = [lab.node("pve1"), lab.node("pve2")];
    expect(knetLinksOf(pve1)).toEqual([0, 1]);
    pve1.downLinks = [1];
    expect(knetLinkUp(pve1, pve2, 0)).toBe(true);
    expect(knetLinkUp(pve1, pve2, 1)).toBe(false);
    expect(quorumView(lab.state, pve1)?.members.map((m) => m.node.name)).toEqual(["pve1", "pve2", "pve3"]);
  });

  it("cuts a node off when its only configured link is down", () => {
    const lab = memoryLab();
    const pve1 = lab.node("pve1");
    pve1.downLinks = [0];
    expect(quorumView(lab.state, pve1)?.members.map((m) => m.node.name)).toEqual(["pve1"]);
    expect(nodeQuorate(lab.state, lab.node("pve2"))).toBe(true);
  });
});
