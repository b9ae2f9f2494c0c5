import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { type BatchPart, BatchReader, batchScript, newNonce } from "../../src/transport/batch.js";

/** Run a batch script under a real shell, feeding the reader chunk by chunk as the shell writes. */
function runBatch(
  shell: string,
  commands: string[],
  split = false,
): Promise<{ parts: BatchPart[]; exitCode: number | null; reader: BatchReader }> {
  const nonce = newNonce();
  const reader = new BatchReader(nonce);
  const parts: BatchPart[] = [];
  return new Promise((resolve) => {
    const child = spawn(shell, ["-c", batchScript(commands, nonce)], { stdio: ["ignore", "pipe", "pipe"] });
    // Byte by byte when `split`: markers and multi-byte characters cut anywhere must still parse.
    const feed = (chunk: Buffer, into: (c: Buffer) => BatchPart[]) => {
      if (!split) return parts.push(...into(chunk));
      for (const byte of chunk) parts.push(...into(Buffer.from([byte])));
    };
    child.stdout.on("data", (c: Buffer) => feed(c, (b) => reader.onStdout(b)));
    child.stderr.on("data", (c: Buffer) => feed(c, (b) => reader.onStderr(b)));
    child.on("close", (exitCode) => resolve({ parts, exitCode, reader }));
  });
}

describe.each(["/bin/sh", "bash"])("a batch under %s", (shell) => {
  it("gives every command its exact output, stderr and exit status, in order, each in its own subshell", async () => {
    const { parts } = await runBatch(shell, [
      "cd /; X=set",
      "printf 'no newline'",
      "echo out; echo err >&2; exit 3",
      "printf 'ünïcödé\\n\\n'",
      "false | true",
      'echo "$PWD [$X]"',
      "cat /nonexistent/file",
    ]);
    expect(parts).toEqual([
      { index: 0, exitCode: 0, stdout: "", stderr: "" },
      { index: 1, exitCode: 0, stdout: "no newline", stderr: "" },
      { index: 2, exitCode: 3, stdout: "out\n", stderr: "err\n" },
      { index: 3, exitCode: 0, stdout: "ünïcödé\n\n", stderr: "" },
      { index: 4, exitCode: 0, stdout: "", stderr: "" },
      { index: 5, exitCode: 0, stdout: `${process.cwd()} []\n`, stderr: "" },
      {
        index: 6,
        exitCode: 1,
        stdout: "",
        stderr: expect.stringContaining("/nonexistent/file") as string,
      },
    ]);
  });

  it("parses output delivered one byte at a time", async () => {
    const { parts } = await runBatch(shell, ["printf 'a:b\\n'", "printf 'ünï' >&2; exit 7"], true);
    expect(parts).toEqual([
      { index: 0, exitCode: 0, stdout: "a:b\n", stderr: "" },
      { index: 1, exitCode: 7, stdout: "", stderr: "ünï" },
    ]);
  });
});

describe("BatchReader", () => {
  it("does not take a marker with another nonce, or one a command printed itself, for its own", async () => {
    const forged = `pvefix:${"0".repeat(32)}:1:0`;
    const { parts } = await runBatch("/bin/sh", [`echo '${forged}'`, "echo two"]);
    expect(parts.map((p) => p.stdout)).toEqual([`${forged}\n`, "two\n"]);
  });

  it("keeps what the running command printed when the shell stops in the middle of the script", async () => {
    // Killing the batch's own shell: command 1 never gets its marker, command 2 never runs.
    const { parts, exitCode, reader } = await runBatch("/bin/sh", [
      "echo one",
      "echo half; kill -9 $$",
      "echo three",
    ]);
    expect(parts.map((p) => p.index)).toEqual([0]);
    expect(exitCode).toBe(null);
    expect(reader.finished).toBe(1);
    expect(reader.unfinished()).toEqual({ stdout: "half\n", stderr: "" });
  });
});
