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

  it("refuses other nodes with PVEFIX_UNKNOWN_NODE", async () => {
    const error = await t.exec("pve2", "true").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: "PVEFIX_UNKNOWN_NODE", node: "pve2" });
  });
});
