import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sh } from "../../src/shell/quote.js";
import { TransportError } from "../../src/transport/errors.js";
import { LocalTransport, signalExitCode } from "../../src/transport/local.js";

const t = new LocalTransport({ nodeName: "pve1" });
const dir = mkdtempSync(join(tmpdir(), "pvefix-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Running, not merely a zombie waiting to be reaped by whatever adopted it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("LocalTransport", () => {
  it("runs a command line through /bin/sh and returns its output", async () => {
    const result = await t.exec("pve1", "echo out; echo err >&2; exit 4");
    expect(result).toMatchObject({
      node: "pve1",
      command: "echo out; echo err >&2; exit 4",
      exitCode: 4,
      stdout: "out\n",
      stderr: "err\n",
      timedOut: false,
      connectionLost: false,
      failed: true,
    });
  });

  it("writes stdin and then closes it, and tolerates commands that never read it", async () => {
    expect((await t.exec("pve1", "cat", { stdin: Buffer.from("bytes\u0000in") })).stdout).toBe(
      "bytes\u0000in",
    );
    expect((await t.exec("pve1", "cat", { timeoutMs: 5_000 })).exitCode).toBe(0);
    expect((await t.exec("pve1", "true", { stdin: Buffer.alloc(1_000_000) })).exitCode).toBe(0);
  });

  it("kills the whole process group on timeout and reports timedOut without an exit code", async () => {
    const pidFile = join(dir, "child.pid");
    const started = performance.now();
    const result = await t.exec("pve1", sh`sleep 30 & echo $! > ${pidFile}; wait`, { timeoutMs: 300 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null, failed: true });
    expect(performance.now() - started).toBeLessThan(2_500);
    const child = Number(readFileSync(pidFile, "utf8"));
    await expect.poll(() => alive(child), { timeout: 2_000 }).toBe(false);
  });

  it("reports a command killed by a signal with the shell's 128+n exit code", async () => {
    expect((await t.exec("pve1", "kill -TERM $$")).exitCode).toBe(143);
    expect(signalExitCode("KILL")).toBe(137);
    expect(signalExitCode("NOPE")).toBeNull();
  });

  it("kills a cancelled command's process group and rejects with the signal's reason", async () => {
    const pidFile = join(dir, "cancelled.pid");
    const controller = new AbortController();
    const pending = t
      .exec("pve1", sh`sleep 30 & echo $! > ${pidFile}; wait`, { signal: controller.signal })
      .catch((e: unknown) => e);
    await expect.poll(() => readIfExists(pidFile), { timeout: 2_000 }).toMatch(/^\d+\n$/);
    const reason = new Error("run over");
    controller.abort(reason);
    expect(await pending).toBe(reason);
    await expect.poll(() => alive(Number(readFileSync(pidFile, "utf8"))), { timeout: 2_000 }).toBe(false);
  });

  it("ends what still runs when closed, and refuses every later command", async () => {
    const local = new LocalTransport({ nodeName: "pve1" });
    const pidFile = join(dir, "closed.pid");
    const pending = local.exec("pve1", sh`sleep 30 & echo $! > ${pidFile}; wait`).catch((e: unknown) => e);
    await expect.poll(() => readIfExists(pidFile), { timeout: 2_000 }).toMatch(/^\d+\n$/);
    await local.close();
    expect(local.closing.aborted).toBe(true);
    expect(await pending).toMatchObject({ code: "PVEFIX_TRANSPORT_CLOSED", node: "pve1" });
    await expect.poll(() => alive(Number(readFileSync(pidFile, "utf8"))), { timeout: 2_000 }).toBe(false);
    const marker = join(dir, "after-close");
    await expect(local.exec("pve1", sh`touch ${marker}`)).rejects.toMatchObject({
      code: "PVEFIX_TRANSPORT_CLOSED",
    });
    expect(readIfExists(marker)).toBe("");
  });

  it("refuses other nodes with PVEFIX_UNKNOWN_NODE", async () => {
    const error = await t.exec("pve2", "true").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: "PVEFIX_UNKNOWN_NODE", node: "pve2" });
  });
});

function readIfExists(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
