import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../../src/shell/quote.js";
import { cliSession, plainText, pvefixLine, pvefixPidUnder } from "./pvefix.js";

const cli = cliSession();
/** The question names the step by its place, node and title, never by its internal id. */
const QUESTION = "Run step 1 of 1 on pve2 (Lazy-unmount /mnt/pve/nfs-backup on pve2";

describe("interactive hung-nfs on nfs-backup, on a pseudo-terminal", () => {
  const mounts = async () => (await cli.labExec("pve2", "cat", "/proc/mounts")).stdout;
  let before: string;

  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    before = await mounts();
  });

  it("shows the warning about CT 105, and answering no declines with exit 1 and changes nothing", async () => {
    const session = cli.inPty(pvefixLine(["run", "hung-nfs", "--storage", "nfs-backup", "--lab"]));
    await session.waitFor(QUESTION);
    session.type("n\r");
    const result = await session.exited;
    const screen = plainText(result.stdout);
    expect(result.code).toBe(1);
    expect(screen).toContain("Step 1 of 1 needs your approval");
    expect(screen).toContain("Running guests use nfs-backup on pve2: CT 105");
    expect(screen).toMatch(/Declined at a gate; nothing was changed: .*not approved \(no\)/);
    expect(await mounts()).toBe(before);
    const runs = JSON.parse((await cli.pvefix(["runs", "-o", "json"])).stdout) as {
      runs: Array<{ outcome: string }>;
    };
    expect(runs.runs.map((r) => r.outcome)).toEqual(["declined"]);
  });

  it("asks on the terminal even when stdout is a file, and answering yes remounts the storage", async () => {
    const file = path.join(cli.stateDir, "result.txt");
    const args = ["run", "hung-nfs", "--storage", "nfs-backup", "--lab"];
    const session = cli.inPty(`${pvefixLine(args)} > ${shellQuote(file)}`);
    await session.waitFor(QUESTION);
    session.type("y\r");
    const result = await session.exited;
    expect(result.code).toBe(0);
    // The file holds the result and nothing else: no progress lines, no question.
    const saved = fs.readFileSync(file, "utf8");
    expect(saved).toMatch(/^✔ Done: Lazy-unmount the hung nfs storage 'nfs-backup' on pve2/);
    expect(saved).not.toContain("Probing");
    expect(saved).not.toContain(QUESTION);
    expect(plainText(result.stdout)).toContain("[1/1] Lazy-unmount /mnt/pve/nfs-backup on pve2");
    const status = await cli.labExec("pve2", "pvesm", "status", "--storage", "nfs-backup");
    expect(status.stdout).toMatch(/nfs-backup\s+nfs\s+active/);
  });
});

describe("SIGINT while a question waits", () => {
  it("cancels the question: the step does not run, even when `y` is typed afterwards", async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    const before = (await cli.labExec("pve2", "cat", "/proc/mounts")).stdout;
    const session = cli.inPty(pvefixLine(["run", "hung-nfs", "--storage", "nfs-backup", "--lab"]));
    await session.waitFor(QUESTION);
    process.kill(pvefixPidUnder(session.child.pid!), "SIGINT");
    await session.waitFor("Interrupted: stopping before the next step");
    session.type("y\r");
    const result = await session.exited;
    const screen = plainText(result.stdout);

    expect(result.code).toBe(1);
    expect(screen).toMatch(/Declined at a gate; nothing was changed: .*interrupted at the prompt/);
    expect((await cli.labExec("pve2", "cat", "/proc/mounts")).stdout).toBe(before);
    const runs = JSON.parse((await cli.pvefix(["runs", "-o", "json", "--runbook", "hung-nfs"])).stdout) as {
      runs: Array<{ outcome: string }>;
    };
    expect(runs.runs.at(-1)?.outcome).toBe("declined");
    const show = await cli.pvefix(["show", "last"]);
    expect(show.stdout).not.toContain("step remount-nfs-backup-pve2 started");
    expect(show.stdout).toContain("not approved (interrupted at the prompt)");
    // No lock is left for the next run.
    expect(fs.readdirSync(path.join(cli.stateDir, "locks"))).toEqual([]);
  });
});

describe("Ctrl-C typed at a question", () => {
  it("stops like SIGINT: the question is answered no and nothing runs", async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    const before = (await cli.labExec("pve2", "cat", "/proc/mounts")).stdout;
    const session = cli.inPty(pvefixLine(["run", "hung-nfs", "--storage", "nfs-backup", "--lab"]));
    await session.waitFor(QUESTION);
    session.type("\x03");
    const result = await session.exited;
    const screen = plainText(result.stdout);
    expect(result.code).toBe(1);
    expect(screen).toContain("Interrupted: stopping before the next step");
    expect(screen).toMatch(/Declined at a gate; nothing was changed: .*interrupted at the prompt/);
    expect((await cli.labExec("pve2", "cat", "/proc/mounts")).stdout).toBe(before);
  });
});
