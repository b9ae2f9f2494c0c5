/** `pvefix undo last`: the latest run with something to undo, not merely the latest run. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { resolveUndoRunId } from "../../src/cli/run-ref.js";
import type { Gate } from "../../src/engine/apply.js";
import { defineRunbook } from "../../src/engine/runbook.js";
import { lastUndoableRun, runRunbook, undoRun } from "../../src/engine/session.js";
import { FakeCluster } from "./fake-cluster.js";
import { testMeta } from "./test-meta.js";

const FILE = "/etc/demo/a.conf";

/** Writes a file after a yes (undone by restoring it), or refuses when asked to. */
const demo = defineRunbook({
  meta: { ...testMeta("demo", "guarded", "eligible"), refuses: { "probe-failed": "asked to" } },
  params: z.object({ refuse: z.boolean().default(false) }),
  examples: [],
  probe: async () => ({}),
  decide: ({ refuse }) =>
    refuse
      ? { kind: "refusal", refusal: { code: "probe-failed", message: "asked to refuse" } }
      : {
          kind: "plan",
          plan: {
            summary: "write a",
            steps: [
              {
                id: "write-a",
                title: "write a",
                node: "n1",
                risk: "guarded",
                reason: "r",
                files: [FILE],
                actions: [{ kind: "write-file", path: FILE, content: "new a\n" }],
                undo: {
                  kind: "actions",
                  description: "restore a",
                  actions: [{ kind: "restore-file", path: FILE }],
                },
              },
            ],
          },
        },
});

const yes: Gate = async () => ({ approved: true, answer: "yes" });
const no: Gate = async () => ({ approved: false, answer: "no" });

let stateDir: string;
let cluster: FakeCluster;
const target = () => ({ transport: cluster, nodes: ["n1"], cluster: "demo", stateDir });
const runbookFor = () => demo;

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-undo-last-"));
  cluster = new FakeCluster(["n1"]);
  cluster.file("n1", FILE, "old a\n");
});

async function run(rawParams: Record<string, unknown>, gate: Gate, outcome: string): Promise<string> {
  const result = await runRunbook({ ...target(), runbook: demo, rawParams, mode: "interactive", gate });
  expect(result.outcome).toBe(outcome);
  return result.runId!;
}

describe("undo last", () => {
  it("passes over later runs that were declined or refused, and names them", async () => {
    const changed = await run({}, yes, "done");
    const declined = await run({}, no, "declined");
    const refused = await run({ refuse: true }, yes, "refused");
    expect(lastUndoableRun({ stateDir, runbookFor })).toEqual({
      runId: changed,
      passedOver: [refused, declined],
    });
    const said: string[] = [];
    expect(resolveUndoRunId(stateDir, "last", (l) => said.push(l), runbookFor)).toBe(changed);
    expect(said.join("")).toBe(
      `\`last\` is run ${changed}, the latest with something to undo; passed over 2 later runs with nothing to undo: ${refused}, ${declined}\n`,
    );
  });

  it("picks the latest run when it changed something, and says so without a list", async () => {
    await run({}, no, "declined");
    const changed = await run({}, yes, "done");
    const said: string[] = [];
    expect(resolveUndoRunId(stateDir, "last", (l) => said.push(l), runbookFor)).toBe(changed);
    expect(said).toEqual([`\`last\` is run ${changed}, the latest with something to undo\n`]);
  });

  it("says there is nothing to undo once the only change was undone (the undo run undoes nothing)", async () => {
    const changed = await run({}, yes, "done");
    const undone = await undoRun({ ...target(), runId: changed, runbookFor, mode: "interactive", gate: yes });
    expect(undone.outcome).toBe("undone");
    expect(() => lastUndoableRun({ stateDir, runbookFor })).toThrow(/Nothing to undo: none of the 2 runs/);
  });

  it("still takes an explicit id of a run with nothing to undo (undo then says so itself)", async () => {
    const declined = await run({}, no, "declined");
    expect(resolveUndoRunId(stateDir, declined, () => {}, runbookFor)).toBe(declined);
  });
});
