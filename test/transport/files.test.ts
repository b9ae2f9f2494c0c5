import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  copyFile,
  FileOpError,
  readFile,
  removeFile,
  sha256,
  writeFileAtomic,
} from "../../src/transport/files.js";
import { LocalTransport } from "../../src/transport/local.js";
import {
  type CommandResult,
  commandResult,
  type ExecOptions,
  type Transport,
} from "../../src/transport/types.js";

const local = new LocalTransport({ nodeName: "pve1" });
const dir = mkdtempSync(join(tmpdir(), "pvefix files "));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Records every command and answers with a canned result. */
class RecordingTransport implements Transport {
  readonly kind = "lab" as const;
  readonly calls: Array<{ command: string; stdin?: string }> = [];
  constructor(private readonly answer: (command: string) => Partial<CommandResult> = () => ({})) {}
  async exec(node: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    this.calls.push({ command, ...(options.stdin === undefined ? {} : { stdin: String(options.stdin) }) });
    return commandResult({
      node,
      command,
      exitCode: 0,
      stdout: "",
      stderr: "",
      durationMs: 1,
      timedOut: false,
      connectionLost: false,
      ...this.answer(command),
    });
  }
  async close() {}
}

describe("file helpers on a real shell", () => {
  it("reads binary content intact and reports a missing file as exists: false", async () => {
    const path = join(dir, "it's binary.bin");
    const bytes = Buffer.from([0, 255, 10, 13, 0x27, 0x22, 128]);
    writeFileSync(path, bytes);
    const read = await readFile(local, "pve1", path);
    expect(read.exists).toBe(true);
    expect(read.content.equals(bytes)).toBe(true);
    const missing = await readFile(local, "pve1", join(dir, "absent"));
    expect(missing).toMatchObject({ exists: false, content: Buffer.alloc(0) });
  });

  it("throws FileOpError naming node, path and command when a read fails otherwise", async () => {
    const error = await readFile(local, "pve1", dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileOpError);
    expect(error).toMatchObject({ node: "pve1", path: dir });
    expect((error as FileOpError).message).toMatch(
      /^Command failed with exit code 1: base64 -w0 '.*' \(on pve1\)\n.*Is a directory/,
    );
  });

  it("writes atomically with the requested mode and leaves no temp file", async () => {
    const path = join(dir, "datacenter.cfg");
    writeFileSync(path, "old\n");
    const results = await writeFileAtomic(local, "pve1", path, "keyboard: en-us\n", { mode: "0640" });
    expect(results.map((r) => r.failed)).toEqual([false]);
    expect(readFileSync(path, "utf8")).toBe("keyboard: en-us\n");
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(() => statSync(`${path}.pvefix-tmp`)).toThrow();
    expect(await sha256(local, "pve1", path)).toBe(
      createHash("sha256").update("keyboard: en-us\n").digest("hex"),
    );
  });

  it("returns the failed write and the temp-file cleanup when the target cannot be replaced", async () => {
    const results = await writeFileAtomic(local, "pve1", join(dir, "no-such-dir", "x"), "data");
    expect(results).toHaveLength(2);
    expect(results[0]?.failed).toBe(true);
    expect(results[1]?.command).toMatch(/^rm -f '.*no-such-dir\/x\.pvefix-tmp'$/);
  });

  it("copies into a new directory keeping the mode, hashes, and removes", async () => {
    const from = join(dir, "source.conf");
    writeFileSync(from, "lock: backup\n", { mode: 0o600 });
    const to = join(dir, "backups", "run 1", "source.conf");
    expect((await copyFile(local, "pve1", from, to)).failed).toBe(false);
    expect(statSync(to).mode & 0o777).toBe(0o600);
    const hash = await sha256(local, "pve1", to);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(await sha256(local, "pve1", from));
    expect((await removeFile(local, "pve1", to)).failed).toBe(false);
    expect(await sha256(local, "pve1", to)).toBeNull();
    expect((await removeFile(local, "pve1", to)).failed).toBe(false);
  });
});

describe("file helpers' command shapes (what the lab simulator implements)", () => {
  it("builds exactly these commands, quoting paths with sh", async () => {
    const t = new RecordingTransport((command) =>
      command.startsWith("sha256sum") ? { stdout: `${"a".repeat(64)}  /etc/pve/x y\n` } : {},
    );
    await readFile(t, "pve1", "/etc/pve/x y");
    await writeFileAtomic(t, "pve1", "/etc/pve/x y", "new", { mode: "0644" });
    await writeFileAtomic(t, "pve1", "/etc/hosts", "h");
    await removeFile(t, "pve1", "/etc/pve/x y");
    await copyFile(t, "pve1", "/etc/pve/x y", "/var/lib/pvefix/backups/r1/s1/etc/pve/x y");
    expect(await sha256(t, "pve1", "/etc/pve/x y")).toBe("a".repeat(64));
    expect(t.calls).toEqual([
      { command: "base64 -w0 '/etc/pve/x y'" },
      {
        command:
          "cat > '/etc/pve/x y.pvefix-tmp' && chmod 0644 '/etc/pve/x y.pvefix-tmp' && mv -f '/etc/pve/x y.pvefix-tmp' '/etc/pve/x y'",
        stdin: "new",
      },
      { command: "cat > /etc/hosts.pvefix-tmp && mv -f /etc/hosts.pvefix-tmp /etc/hosts", stdin: "h" },
      { command: "rm -f '/etc/pve/x y'" },
      {
        command:
          "mkdir -p /var/lib/pvefix/backups/r1/s1/etc/pve && cp -p '/etc/pve/x y' '/var/lib/pvefix/backups/r1/s1/etc/pve/x y'",
      },
      { command: "sha256sum '/etc/pve/x y'" },
    ]);
  });

  it("does not run a cleanup after a write whose outcome is unknown", async () => {
    const t = new RecordingTransport(() => ({ exitCode: null, timedOut: true }));
    const results = await writeFileAtomic(t, "pve1", "/etc/pve/storage.cfg", "x");
    expect(results).toHaveLength(1);
    expect(t.calls).toHaveLength(1);
  });

  it("rejects a mode that is not octal before running anything", async () => {
    const t = new RecordingTransport();
    await expect(writeFileAtomic(t, "pve1", "/etc/x", "x", { mode: "u+x" })).rejects.toThrow(
      "Expected `mode` to be an octal mode such as 0644, got `u+x`",
    );
    expect(t.calls).toEqual([]);
  });

  it("throws FileOpError from sha256 when the command fails for another reason than a missing file", async () => {
    const t = new RecordingTransport(() => ({
      exitCode: 1,
      stderr: "sha256sum: /etc/pve/x: Permission denied\n",
    }));
    await expect(sha256(t, "pve1", "/etc/pve/x")).rejects.toBeInstanceOf(FileOpError);
  });
});
