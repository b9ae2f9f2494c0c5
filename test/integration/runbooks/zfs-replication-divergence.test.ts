/**
 * zfs-replication-divergence through the built CLI (bin/pvefix.js) on the lab: diagnose, a
 * ticket-ready plan, the refusals of each scenario, unattended, a declined gate, a rollback when
 * the trigger fails, a run and its undo, and the purge that needs its name typed.
 */
import { describe, expect, it } from "vitest";
import { cliSession, json, plainText, pvefixLine } from "../cli/pvefix.js";

const cli = cliSession();
const JOB = ["--job", "100-0", "--lab"];
const DISK = "rpool/data/vm-100-disk-0";
const OLD_GUID = "14256297334175800688";
const ASIDE = `rpool/data/pvefix-${OLD_GUID}-vm-100-disk-0`;
const RESYNCED = `rpool/data/pvefix-${OLD_GUID}-resync-vm-100-disk-0`;
const STEP1 = "Type pve2 to continue";
const STEP2 = "Run step 2 of 2 on pve1 (Run job 100-0 now";

const reset = async (scenario = "zfs-replication-divergence") =>
  expect((await cli.pvefix(["lab", "reset", "--quiet", "--scenario", scenario])).code).toBe(0);

/** pve2's datasets under rpool/data with their guids, as the node itself lists them. */
const datasets = async () =>
  (await cli.labExec("pve2", "zfs", "list", "-H", "-p", "-o", "name,guid", "-r", "rpool/data")).stdout;
const pvesr = async () => (await cli.labExec("pve1", "pvesr", "status")).stdout;

async function interactiveRun(args: string[], answers: Array<[string, string]>) {
  const session = cli.inPty(pvefixLine(["run", "zfs-replication-divergence", ...args]));
  for (const [question, answer] of answers) {
    await session.waitFor(question, 60_000);
    session.type(answer);
  }
  const result = await session.exited;
  return { ...result, screen: plainText(result.stdout) };
}

const lastRunId = async () =>
  json<{ runs: Array<{ runId: string }> }>(await cli.pvefix(["runs", "-o", "json"])).runs.at(-1)!.runId;

/** Each step's last state from the run's journal (`pvefix show -o json`): its status, or `undone`. */
async function stepStatuses(runId: string): Promise<Array<[string, string]>> {
  const { entries } = json<{
    entries: Array<{ type: string; stepId?: string; status?: string; ok?: boolean }>;
  }>(await cli.pvefix(["show", runId, "-o", "json"]));
  const last = new Map<string, string>();
  for (const e of entries) {
    if (e.type === "step-end" && e.stepId && e.status) last.set(e.stepId, e.status);
    if (e.type === "undo-end" && e.stepId) last.set(e.stepId, e.ok ? "undone" : "undo-failed");
  }
  return [...last];
}

describe("zfs-replication-divergence: diagnose, plan, refusals", () => {
  it("diagnose names job 100-0 as critical with the command that fixes it", async () => {
    await reset();
    const result = await cli.pvefix(["diagnose", "--lab", "-o", "json"]);
    const findings = json<{ findings: Array<Record<string, unknown>> }>(result).findings.filter(
      (f) => f.runbook === "zfs-replication-divergence",
    );
    expect(findings).toEqual([
      expect.objectContaining({
        severity: "critical",
        node: "pve2",
        params: { job: "100-0" },
        command: "pvefix run zfs-replication-divergence --job 100-0 --lab",
      }),
    ]);
    expect(String(findings[0]!.summary)).toContain(
      "No common base snapshot on volume(s) local-zfs:vm-100-disk-0",
    );
  });

  it("prints a ticket-ready Markdown plan: rename aside on pve2, trigger on pve1, how it undoes", async () => {
    await reset();
    const result = await cli.pvefix(["plan", "zfs-replication-divergence", ...JOB, "-o", "md"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^# /m);
    expect(result.stdout).toContain(`zfs rename ${DISK} ${ASIDE}`);
    expect(result.stdout).toContain("pvesr schedule-now 100-0");
    expect(result.stdout).toContain(`zfs rename ${ASIDE} ${DISK}`);
    expect(result.stdout).toContain("dangerous");
    expect(result.stdout).toContain("never runs unattended");
  });

  it.each([
    ["zfs-replication-divergence-guest-on-target", "guest-on-target", "VM 100 lives on pve2"],
    ["zfs-replication-divergence-target-newer", "replica-newer", "@__replicate_100-0_1773151327__"],
    ["zfs-replication-divergence-no-space", "replica-no-space", "a full copy needs 41.0 GiB"],
  ])("%s is refused with %s and exit 3", async (scenario, code, words) => {
    await reset(scenario);
    const before = await datasets();
    const result = await cli.pvefix(["plan", "zfs-replication-divergence", ...JOB, "-o", "json"]);
    expect(result.code).toBe(3);
    expect(json<{ refusal: { code: string; message: string } }>(result).refusal).toMatchObject({ code });
    expect(result.stdout).toContain(words);
    expect(await datasets()).toBe(before);
  });

  it("has nothing to do on a healthy job, and diagnose says nothing about it", async () => {
    await reset("zfs-replication-divergence-healthy");
    const result = await cli.pvefix(["plan", "zfs-replication-divergence", ...JOB]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Nothing to do: job 100-0 (VM 100 → pve2) replicates: OK");
    const diagnosed = await cli.pvefix(["diagnose", "--lab", "-o", "json"]);
    expect(diagnosed.stdout).not.toContain("zfs-replication-divergence");
  });

  it("rejects --confirm without --purge-renamed with exit 2, naming the flag", async () => {
    const result = await cli.pvefix(["plan", "zfs-replication-divergence", ...JOB, "--confirm", DISK]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--confirm");
  });
});

describe("zfs-replication-divergence: running it", () => {
  it("needs a human when run unattended (exit 4) and changes nothing", async () => {
    await reset();
    const before = await datasets();
    const result = await cli.pvefix(["run", "zfs-replication-divergence", ...JOB, "--unattended"]);
    expect(result.code).toBe(4);
    expect(await datasets()).toBe(before);
  });

  it("changes nothing when the node name is not typed at the first gate", async () => {
    await reset();
    const before = await datasets();
    const run = await interactiveRun(JOB, [[STEP1, "no\r"]]);
    expect(run.code).toBe(1);
    expect(run.screen).toMatch(/Declined at a gate; nothing was changed/);
    expect(await datasets()).toBe(before);
  });

  it("renames the replica back when the trigger is declined at the second gate", async () => {
    await reset();
    const before = await datasets();
    const run = await interactiveRun(JOB, [
      [STEP1, "pve2\r"],
      [STEP2, "n\r"],
    ]);
    expect(run.code).toBe(1);
    expect(await stepStatuses(await lastRunId())).toEqual([["set-aside-vm-100-disk-0", "undone"]]);
    expect(await datasets()).toBe(before);
  });

  it("renames the replica back when `pvesr schedule-now` fails", async () => {
    await reset();
    const before = await datasets();
    const fault = ["lab", "fault", "add", "--node", "pve1", "--match", "pvesr schedule-now", "--times", "1"];
    expect(
      (
        await cli.pvefix([
          ...fault,
          "--stderr",
          "cfs-lock 'file-replication_cfg' error: got lock request timeout",
        ])
      ).code,
    ).toBe(0);
    const run = await interactiveRun(JOB, [
      [STEP1, "pve2\r"],
      [STEP2, "y\r"],
    ]);
    expect(run.code).toBe(1);
    expect(run.screen).toContain("got lock request timeout");
    expect(await stepStatuses(await lastRunId())).toEqual([
      ["set-aside-vm-100-disk-0", "undone"],
      ["resync", "failed"],
    ]);
    expect(await datasets()).toBe(before);
  });

  it.each([
    ["before", []],
    ["after", ["--after"]],
  ])("leaves the replica under its name when the connection drops %s the rename", async (_when, after) => {
    await reset();
    const before = await datasets();
    const fault = ["lab", "fault", "add", "--node", "pve2", "--match", "zfs rename", "--action", "drop"];
    expect((await cli.pvefix([...fault, ...after, "--times", "1"])).code).toBe(0);
    const run = await interactiveRun(JOB, [[STEP1, "pve2\r"]]);
    expect(run.code).toBe(1);
    expect(await stepStatuses(await lastRunId())).toEqual([["set-aside-vm-100-disk-0", "undone"]]);
    // Never the old copy moved to the -resync name: its guid is checked before anything moves.
    expect(await datasets()).toBe(before);
  });

  it("sets the replica aside, proves a full sync, and undo puts the old copy back", async () => {
    await reset();
    const before = await datasets();
    const run = await interactiveRun(JOB, [
      [STEP1, "pve2\r"],
      [STEP2, "y\r"],
    ]);
    expect(run.code).toBe(0);
    expect(run.screen).toContain("Done");
    const after = await datasets();
    expect(after).toContain(`${ASIDE}\t${OLD_GUID}\n`);
    expect(after).toMatch(new RegExp(`^${DISK}\\t(?!${OLD_GUID})\\d+$`, "m"));
    expect(await pvesr()).toMatch(/^100-0 .* 0 OK$/m);
    const log = (await cli.labExec("pve1", "cat", "/var/log/pve/replicate/100-0")).stdout;
    expect(log).toMatch(/100-0: full sync 'local-zfs:vm-100-disk-0' \(__replicate_100-0_\d+__\)\n/);

    const runId = await lastRunId();
    const session = cli.inPty(pvefixLine(["undo", runId, "--lab"]));
    await session.waitFor(STEP1, 60_000);
    session.type("pve2\r");
    const undone = await session.exited;
    expect(undone.code).toBe(0);
    const restored = await datasets();
    expect(restored).toContain(`${DISK}\t${OLD_GUID}\n`);
    expect(restored).toContain(`${RESYNCED}\t`);
    expect(restored).not.toContain(`${ASIDE}\t`);
    expect(restored.replace(/^rpool\/data\/pvefix-.*\n/m, "")).toBe(before);

    // The undone run's purge removes the copy its resync made, and nothing else.
    const purge = [...JOB, "--purge-renamed", runId, "--confirm", RESYNCED];
    const purged = await interactiveRun(purge, [[STEP1, "pve2\r"]]);
    expect(purged.code).toBe(0);
    expect(await datasets()).toBe(before);
  });
});

describe("zfs-replication-divergence: purging what a run set aside", () => {
  it("needs the exact name typed, never runs unattended, and then destroys only that copy", async () => {
    await reset();
    const run = await interactiveRun(JOB, [
      [STEP1, "pve2\r"],
      [STEP2, "y\r"],
    ]);
    expect(run.code).toBe(0);
    const runId = await lastRunId();
    const purge = [...JOB, "--purge-renamed", runId];

    const bare = await cli.pvefix(["plan", "zfs-replication-divergence", ...purge, "-o", "json"]);
    expect(bare.code).toBe(3);
    expect(json<{ refusal: { code: string; message: string } }>(bare).refusal).toEqual(
      expect.objectContaining({ code: "purge-not-confirmed", message: `Purging needs --confirm ${ASIDE}` }),
    );
    const wrong = await cli.pvefix(["plan", "zfs-replication-divergence", ...purge, "--confirm", DISK]);
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toContain(`--confirm '${DISK}' is not ${ASIDE}`);
    const unattended = await cli.pvefix([
      "run",
      "zfs-replication-divergence",
      ...purge,
      "--confirm",
      ASIDE,
      "--unattended",
    ]);
    expect(unattended.code).toBe(4);
    expect(await datasets()).toContain(`${ASIDE}\t`);

    const done = await interactiveRun([...purge, "--confirm", ASIDE], [["Type pve2 to continue", "pve2\r"]]);
    expect(done.code).toBe(0);
    const left = await datasets();
    expect(left).not.toContain(ASIDE);
    expect(left).toMatch(new RegExp(`^${DISK}\\t\\d+$`, "m"));

    const again = await cli.pvefix(["plan", "zfs-replication-divergence", ...purge, "--confirm", ASIDE]);
    expect(again.code).toBe(3);
    expect(again.stdout).toContain("what it set aside is gone already");
    // The run's copy is gone: its undo refuses instead of pretending to restore it.
    const undo = await cli.pvefix(["undo", runId, "--plan", "--lab"]);
    expect(undo.code).toBe(3);
    expect(undo.stdout).toContain("set-aside-gone");
  });
});
