/**
 * Issue 9.3 on real corosync 3 (scripts/testbed/netns-up.sh): after a not-quorate-config run
 * (`pvecm expected 1` on node1 while every node was cut off), node2 and node3 find each other and
 * are quorate while node1 is still cut off. `pvefix undo` then must refuse instead of forcing
 * quorum on node1 again: node1 is never quorate while node2 and node3 are, even with an operator
 * who approves every gate. Run with `flock /tmp/pvefix-netns.lock` (one netns bed at a time).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import notQuorateConfig from "../../runbooks/not-quorate-config.js";
import { readJournal } from "../../src/engine/journal.js";
import { exitCodeFor, planUndo, runRunbook, undoRun } from "../../src/engine/session.js";
import { SshTransport } from "../../src/transport/ssh/index.js";
import { type CorosyncCluster, startCorosyncCluster } from "./netns/cluster.js";
import { operator, quorumOf as quorumIn, until } from "./netns/quorum.js";

let bed: CorosyncCluster;
let work: string;
let transport: SshTransport;

function target() {
  return {
    transport,
    nodes: bed.inventory.nodes.map((n) => n.name),
    cluster: bed.inventory.cluster,
    stateDir: join(work, "state"),
  };
}

const quorumOf = (node: string) => quorumIn(bed, node);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-undo-netns-"));
  bed = await startCorosyncCluster({ nodes: 3, stateDir: join(work, "bed") });
  transport = new SshTransport({ inventory: bed.inventory, sshConfigPath: null, agentSocket: null });
});

afterAll(async () => {
  await transport?.close();
  await bed?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("undo of not-quorate-config on real corosync", () => {
  it("refuses to force quorum on node1 once node2 and node3 are quorate without it; node1 never is", async () => {
    const current = (await transport.exec("node1", "cat /etc/pve/corosync.conf")).stdout;
    const fixed = join(work, "corosync.conf.fixed");
    writeFileSync(fixed, current.replace("  token: 1000\n", "  token: 1000\n  token_coefficient: 125\n"));

    // Every node alone: the run forces quorum on node1 (typed confirmation) and ends done.
    await Promise.all([bed.cutLinks("node2"), bed.cutLinks("node3")]);
    await until("every node alone", async () => {
      const views = await Promise.all(bed.nodes.map((n) => quorumOf(n.name)));
      return views.every((v) => v.code === 2 && v.members.length === 1);
    });
    const run = await runRunbook({
      ...target(),
      runbook: notQuorateConfig,
      rawParams: { node: "node1", file: fixed },
      mode: "interactive",
      gate: operator,
    });
    expect(run.error).toBeUndefined();
    expect(run.outcome).toBe("done");

    // node2 and node3 find each other; node1 stays cut off.
    await bed.cutLinks("node1");
    await Promise.all([bed.restoreLinks("node2"), bed.restoreLinks("node3")]);
    await until("node2 and node3 quorate without node1", async () => {
      const [one, two] = await Promise.all([quorumOf("node1"), quorumOf("node2")]);
      return one.code === 2 && two.code === 0 && two.members.length === 2;
    });

    // Watch for the split brain the issue saw (node1 quorate for ~3 s next to node2) during the undo.
    let watching = true;
    const both: number[] = [];
    const watch = (async () => {
      while (watching) {
        const [one, two] = await Promise.all([quorumOf("node1"), quorumOf("node2")]);
        if (one.code === 0 && two.code === 0) both.push(Date.now());
        await new Promise((done) => setTimeout(done, 100));
      }
    })();
    try {
      const plan = await planUndo({ ...target(), runId: run.runId!, runbookFor: () => notQuorateConfig });
      expect(plan.refusal).toMatchObject({
        code: "split-brain-risk",
        message:
          "Undoing restore-expected-votes-node1 runs `pvecm expected 1` on node1, but node2, node3 are quorate without node1",
      });
      const undo = await undoRun({
        ...target(),
        runId: run.runId!,
        runbookFor: () => notQuorateConfig,
        mode: "interactive",
        gate: operator,
      });
      expect(undo.outcome).toBe("refused");
      expect(exitCodeFor(undo.outcome)).toBe(3);
      const sent = readJournal(target().stateDir, undo.runId!).filter(
        (e) => e.type === "command" && e.phase === "undo",
      );
      expect(sent).toEqual([]);
      // A moment later still: nothing was left running that could force quorum.
      await new Promise((done) => setTimeout(done, 3_000));
    } finally {
      watching = false;
      await watch;
    }
    expect(both).toEqual([]);
    expect((await quorumOf("node1")).code).toBe(2);
    expect((await quorumOf("node2")).code).toBe(0);
  });
});
