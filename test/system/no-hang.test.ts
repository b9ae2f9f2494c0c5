/**
 * Issue 9, item 1 and 9: when one node fails fast (sshd gone: connection refused) or never
 * answers (sshd frozen with SIGSTOP) while another node's probe still hangs, every command that
 * probes must print its result, name the dead node and exit, instead of keeping a retried,
 * reconnected probe (and its keepalive) alive for good. The built CLI against the loopback PVE
 * bed (pve-bed/); the hanging probe is hung-nfs's `timeout -s KILL 5 stat -f` on a storage the
 * `stat` stand-in blocks on (`bed.hang`). Needs root, sshd and unshare, and `npm run build`.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PveBed, startPveBed } from "./pve-bed/pve-bed.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** Generous for a loaded 2-core machine; the fix brings these commands to 1–6 s. */
const DEADLINE_MS = 30_000;

let bed: PveBed;
let work: string;
let savedPlan: string;

interface Ended {
  code: number | null;
  output: string;
  ms: number;
  /** Still running at the deadline: we killed it (by its pid) so the test can fail instead of hang. */
  hung: boolean;
  /** The command was `diagnose`, whose exit codes differ from a run's. */
  diagnose: boolean;
}

function pvefix(args: string[]): Promise<Ended> {
  const { SSH_AUTH_SOCK: _agent, ...env } = process.env;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(REPO, "bin", "pvefix.js"), "-i", bed.inventoryPath, "--state-dir", join(work, "state"), ...args],
    {
      cwd: REPO,
      env: { ...env, NO_COLOR: "1", HOME: join(work, "home") },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let hung = false;
  const killer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, DEADLINE_MS + 15_000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, output, ms: performance.now() - started, hung, diagnose: args[0] === "diagnose" });
    });
  });
}

/** A line that names the node together with why it could not be reached. */
function namesDown(
  output: string,
  node: string,
  why = /unreachable|refused|timed out|did not answer/i,
): boolean {
  return output.split("\n").some((line) => new RegExp(`\\b${node}\\b`).test(line) && why.test(line));
}

function expectExitedInTime(ended: Ended): void {
  expect({ hung: ended.hung, output: ended.output }).toMatchObject({ hung: false });
  expect(ended.ms).toBeLessThan(DEADLINE_MS);
  // Exited by itself with one of the documented codes, not by a signal: a run's 0–5, or
  // diagnose's 12 ("could not check everything"), which a node that does not answer must give.
  expect(ended.code).not.toBeNull();
  if (ended.diagnose) {
    expect(ended.code).toBe(12);
    return;
  }
  expect(ended.code).toBeGreaterThanOrEqual(0);
  expect(ended.code).toBeLessThanOrEqual(5);
}

function sshdPid(node: string): number {
  const found = bed.nodes.find((n) => n.name === node);
  if (!found) throw new Error(`no ${node}`);
  return found.pid;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-nohang-"));
  bed = await startPveBed(join(work, "bed"));
  // Made while every node answers (nfs-iso hangs on pve3 from the seed): `apply` re-probes it later.
  savedPlan = join(work, "plan.json");
  const saved = await pvefix(["plan", "hung-nfs", "--storage", "nfs-iso", "--save", savedPlan]);
  expect({ code: saved.code, output: saved.output }).toMatchObject({ code: 0 });
  expect(existsSync(savedPlan)).toBe(true);
  // The probe still in flight when another node fails: statfs of nfs-iso on pve1 blocks.
  bed.hang("pve1", "nfs-iso");
});

afterAll(async () => {
  await bed?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("a node whose sshd is frozen (SIGSTOP) while pve1's probe hangs", () => {
  beforeAll(() => process.kill(sshdPid("pve2"), "SIGSTOP"));
  afterAll(() => process.kill(sshdPid("pve2"), "SIGCONT"));

  it.each([
    ["diagnose", ["diagnose"]],
    ["plan", ["plan", "hung-nfs", "--storage", "nfs-iso"]],
    ["run --unattended", ["run", "hung-nfs", "--storage", "nfs-iso", "--unattended"]],
  ])("`%s` exits within its deadline and names pve2", async (_name, args) => {
    const ended = await pvefix(args);
    expectExitedInTime(ended);
    expect(namesDown(ended.output, "pve2"), ended.output).toBe(true);
  });
});

describe("a node whose host key changed while pve1's probe hangs", () => {
  let knownHosts: string;
  let before: string;
  beforeAll(() => {
    knownHosts = join(bed.stateDir, "known_hosts");
    before = readFileSync(knownHosts, "utf8");
    const other = join(work, "other_host_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const key = readFileSync(`${other}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    const port = bed.nodes.find((n) => n.name === "pve2")?.port;
    writeFileSync(
      knownHosts,
      before
        .split("\n")
        .map((line) => (line.startsWith(`[127.0.0.1]:${port} `) ? `[127.0.0.1]:${port} ${key}` : line))
        .join("\n"),
    );
  });
  afterAll(() => writeFileSync(knownHosts, before));

  it.each([
    ["diagnose", ["diagnose"]],
    ["plan", ["plan", "hung-nfs", "--storage", "nfs-iso"]],
  ])("`%s` exits within its deadline and names pve2's changed key", async (_name, args) => {
    const ended = await pvefix(args);
    expectExitedInTime(ended);
    expect(namesDown(ended.output, "pve2", /host key changed/i), ended.output).toBe(true);
  });
});

describe("a node whose sshd is gone (connection refused) while pve1's probe hangs", () => {
  beforeAll(async () => {
    await bed.stopNode("pve3");
  });

  it.each([
    ["diagnose", ["diagnose"]],
    ["plan", ["plan", "hung-nfs", "--storage", "nfs-iso"]],
    ["run --unattended", ["run", "hung-nfs", "--storage", "nfs-iso", "--unattended"]],
    ["apply --unattended", () => ["apply", savedPlan, "--unattended"]],
  ] as Array<[string, string[] | (() => string[])]>)(
    "`%s` exits within its deadline and names pve3",
    async (_name, args) => {
      const ended = await pvefix(typeof args === "function" ? args() : args);
      expectExitedInTime(ended);
      expect(namesDown(ended.output, "pve3"), ended.output).toBe(true);
    },
  );

  it("names the refused node within the fail-fast bound, long before the hung probe's own 5 s", async () => {
    const ended = await pvefix(["plan", "hung-nfs", "--storage", "nfs-iso"]);
    expectExitedInTime(ended);
    expect(namesDown(ended.output, "pve3"), ended.output).toBe(true);
    // Process start included; before the fix: never (the process stayed alive), and 32 s per
    // silent node before the connect timeout was cut.
    expect(ended.ms).toBeLessThan(5_000);
  });
});
