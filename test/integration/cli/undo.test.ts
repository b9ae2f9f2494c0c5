/**
 * `pvefix undo` as an operator meets it (issues 9.3 and 16.3): a plan of its own, refused when it
 * would split the brain, asked at the forward run's gates, refused over another writer's change,
 * and retryable after a failure with the command it prints.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { listRuns, readJournal } from "../../../src/engine/journal.js";
import { updateLab } from "../../../src/lab/index.js";
import { cliSession, json, plainText, pvefixLine } from "./pvefix.js";

const cli = cliSession();
/** The prompt is drawn a moment before it reads keys: typing at once can be lost. */
const settle = () => new Promise((r) => setTimeout(r, 500));
const LOCAL = "/etc/corosync/corosync.conf";

async function reset(scenario: string) {
  expect((await cli.pvefix(["lab", "reset", "--quiet", "--scenario", scenario])).code).toBe(0);
}

const sha = async (node: string, file: string) => (await cli.labExec(node, "sha256sum", file)).stdout;
const quorate = async (node: string) =>
  /Quorate:\s+Yes/.test((await cli.labExec(node, "pvecm", "status")).stdout);
const runIds = () => listRuns(cli.stateDir).map((r) => r.runId);
const undoCommands = (runId: string) =>
  readJournal(cli.stateDir, runId).filter((e) => e.type === "command" && e.phase === "undo");

/** Fix corosync.conf on pve1 while every node is cut off: the dangerous gate answered on a terminal. */
async function fixOnPve1(): Promise<string> {
  await reset("not-quorate-config");
  const current = (await cli.labExec("pve1", "cat", "/etc/pve/corosync.conf")).stdout;
  const file = path.join(cli.stateDir, "corosync.conf.fixed");
  fs.writeFileSync(file, current.replace("totem {\n", "totem {\n  token: 3000\n"));
  const before = new Set(runIds());
  const session = cli.inPty(
    pvefixLine(["run", "not-quorate-config", "--node", "pve1", "--file", file, "--lab"]),
  );
  await session.waitFor(/Type pve1 to continue/, 30_000);
  await settle();
  session.type("pve1\r");
  expect((await session.exited).code).toBe(0);
  const runId = runIds().find((id) => !before.has(id));
  if (!runId) throw new Error("the run left no journal");
  return runId;
}

/** pve2 and pve3 find each other again while pve1 stays cut off: they are quorate without it. */
async function healWithoutPve1() {
  await updateLab(cli.stateDir, (state) => {
    for (const n of state.nodes) if (n.name !== "pve1") n.clusterLink = true;
    state.membershipEpoch += 1;
  });
}

describe("undo of a not-quorate-config run", () => {
  it("is refused (exit 3) once pve2 and pve3 are quorate without pve1, and pve1 never becomes quorate", async () => {
    const runId = await fixOnPve1();
    await healWithoutPve1();
    expect([await quorate("pve1"), await quorate("pve2"), await quorate("pve3")]).toEqual([
      false,
      true,
      true,
    ]);
    const before = await sha("pve1", "/etc/pve/corosync.conf");

    const plan = await cli.pvefix(["undo", runId, "--plan", "--lab"]);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain("Refused (split-brain-risk)");
    expect(plan.stdout).toContain("pve2, pve3 are quorate without pve1");

    const runs = runIds().length;
    const result = await cli.pvefix(["undo", runId, "--lab"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain(
      "Undoing restore-expected-votes-pve1 runs `pvecm expected 1` on pve1, but pve2, pve3 are quorate without pve1",
    );
    const undoRun = runIds().find((id) => !runIds().slice(0, runs).includes(id));
    expect(undoCommands(undoRun ?? "")).toEqual([]);
    expect(await quorate("pve1")).toBe(false);
    expect(await sha("pve1", "/etc/pve/corosync.conf")).toBe(before);
    // Still undoable once it is safe again.
    expect(listRuns(cli.stateDir).find((r) => r.runId === runId)?.undoneBy).toBeNull();
  });

  it("shows the undo plan in text, Markdown and JSON and changes nothing", async () => {
    const runId = await fixOnPve1();
    const file = await sha("pve1", "/etc/pve/corosync.conf");
    const runs = runIds();

    const text = await cli.pvefix(["undo", runId, "--plan", "--lab"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Undo plan: Undo run \S+-not-quorate-config-/);
    expect(text.stdout).toContain(
      "! 1. [pve1] Undo: Restart corosync on pve1 to restore the configured expected votes (dangerous: asks you to type pve1)",
    );
    expect(text.stdout).toContain("$ pvecm expected 1");
    expect(text.stdout).toContain("Split-brain risk: the undo runs `pvecm expected 1`");
    expect(text.stdout).toContain(`pvefix undo ${runId} --lab`);

    const md = await cli.pvefix(["undo", runId, "--plan", "--lab", "-o", "md"]);
    expect(md.stdout).toMatch(/^# Undo plan: /);
    expect(md.stdout).toMatch(/^### 1\. Undo: Restart corosync on pve1/m);

    const doc = json<{ kind: string; of: string; gates: Array<{ step: string; asks: string }> }>(
      await cli.pvefix(["undo", runId, "--plan", "--lab", "-o", "json"]),
    );
    expect(doc.kind).toBe("undo-plan");
    expect(doc.of).toBe(runId);
    expect(doc.gates[0]).toEqual({
      step: "restore-expected-votes-pve1",
      node: "pve1",
      risk: "dangerous",
      asks: "asks you to type pve1",
    });

    expect(runIds()).toEqual(runs);
    expect(await sha("pve1", "/etc/pve/corosync.conf")).toBe(file);
    expect(await quorate("pve1")).toBe(false);
  });

  it("asks for the node name at the dangerous undo step; a wrong name changes nothing, pve1 undoes it all", async () => {
    const runId = await fixOnPve1();
    const fixed = await sha("pve1", "/etc/pve/corosync.conf");

    const wrong = cli.inPty(pvefixLine(["undo", runId, "--lab"]));
    await wrong.waitFor(/Type pve1 to continue/, 30_000);
    await settle();
    wrong.type("pve2\r");
    const declined = await wrong.exited;
    expect(declined.code).toBe(1);
    expect(plainText(declined.stdout)).toContain("Split-brain risk");
    expect(await sha("pve1", "/etc/pve/corosync.conf")).toBe(fixed);
    expect(await quorate("pve1")).toBe(false);

    const right = cli.inPty(pvefixLine(["undo", runId, "--lab"]));
    await right.waitFor(/Type pve1 to continue/, 30_000);
    await settle();
    right.type("pve1\r");
    expect((await right.exited).code).toBe(0);
    expect((await cli.labExec("pve1", "cat", LOCAL)).stdout).toMatch(/config_version: 3/);
    expect(listRuns(cli.stateDir).find((r) => r.runId === runId)?.undoneBy).not.toBeNull();
  });

  it("refuses (exit 3) to restore over another writer's config_version 5 on pve2, naming file, node and sha256", async () => {
    const runId = await fixOnPve1();
    const left = (await sha("pve2", LOCAL)).split(" ")[0];
    await updateLab(cli.stateDir, (state) => {
      const pve2 = state.nodes.find((n) => n.name === "pve2")!;
      pve2.files[LOCAL] = (pve2.files[LOCAL] ?? "").replace(/config_version: \d+/, "config_version: 5");
    });
    const found = (await sha("pve2", LOCAL)).split(" ")[0];

    const plan = await cli.pvefix(["undo", runId, "--plan", "--lab"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`pve2:${LOCAL} changed since run ${runId} left it`);
    expect(plan.stdout).toMatch(/-\s+config_version: 4\n\s+\+\s+config_version: 5/);

    const result = await cli.pvefix(["undo", runId, "--lab", "--unattended"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("Refused (file-changed)");
    expect(result.stdout).toContain(
      `pve2:${LOCAL} changed since run ${runId} left it (expected sha256 ${left}, found ${found})`,
    );
    expect((await sha("pve2", LOCAL)).split(" ")[0]).toBe(found);
    expect(await quorate("pve1")).toBe(false);
  });
  it("on a terminal shows the other writer's change as a diff and asks before overwriting it", async () => {
    const runId = await fixOnPve1();
    await updateLab(cli.stateDir, (state) => {
      const pve2 = state.nodes.find((n) => n.name === "pve2")!;
      pve2.files[LOCAL] = (pve2.files[LOCAL] ?? "").replace(/config_version: \d+/, "config_version: 5");
    });
    const theirs = (await sha("pve2", LOCAL)).split(" ")[0];
    const session = cli.inPty(pvefixLine(["undo", runId, "--lab"]));
    await session.waitFor(/Type pve1 to continue/, 30_000);
    await settle();
    session.type("pve1\r");
    await session.waitFor(
      /Run step \d+ of \d+ on pve2 \(Undo: Write \/etc\/corosync\/corosync\.conf/,
      30_000,
    );
    expect(plainText(session.output())).toMatch(/-\s+config_version: 4\n\s+\+\s+config_version: 5/);
    await settle();
    session.type("y\r");
    const result = await session.exited;
    expect(result.code).toBe(0);
    // pve2 gets back the bytes it had before the run, the same as pve3's.
    const pve2 = (await cli.labExec("pve2", "cat", LOCAL)).stdout;
    expect(pve2).toMatch(/config_version: 3\n/);
    expect(pve2).toBe((await cli.labExec("pve3", "cat", LOCAL)).stdout);
    const undoRun = listRuns(cli.stateDir).find((r) => r.undoOf === runId && r.outcome === "undone");
    const kept = readJournal(cli.stateDir, undoRun!.runId).find((e) => e.type === "backup");
    expect(kept).toMatchObject({ node: "pve2", path: LOCAL, sha256: theirs });
  });
});

describe("a failed undo", () => {
  it("leaves the run undoable, and the command it prints finishes the undo", async () => {
    await reset("default");
    const ct100 = async () => (await cli.labExec("pve1", "cat", "/etc/pve/lxc/100.conf")).stdout;
    const original = await ct100();
    expect(original).toMatch(/^lock: backup$/m);
    const run = await cli.pvefix(["run", "stuck-lock", "--vmid", "100", "--lab", "--unattended"]);
    expect(run.code).toBe(0);
    const runId = /run (\S+-stuck-lock-\S+)/.exec(run.stdout)?.[1] ?? "";
    const fault = ["--match", "pct set 100", "--node", "pve1", "--times", "1", "--stderr", "CT 100: lost"];
    expect((await cli.pvefix(["lab", "fault", "add", ...fault])).code).toBe(0);

    const failed = await cli.pvefix(["undo", runId, "--lab", "--unattended"]);
    expect(failed.code).toBe(5);
    expect(await ct100()).not.toMatch(/^lock:/m);
    const hint = /^undo:\s+(pvefix undo .+)$/m.exec(failed.stdout)?.[1];
    expect(hint).toBe(`pvefix undo ${runId} --lab`);
    expect(listRuns(cli.stateDir).find((r) => r.runId === runId)?.undoneBy).toBeNull();

    const retried = await cli.pvefix(hint!.split(" ").slice(1));
    expect(retried.code).toBe(0);
    expect(await ct100()).toBe(original);
    expect(listRuns(cli.stateDir).find((r) => r.runId === runId)?.undoneBy).not.toBeNull();
  });
});
