/**
 * Zero configuration on a Proxmox VE node (issue 15), on the loopback PVE bed: `pvefix diagnose`
 * with no -i and no --lab, run on bed node pve1 itself (in its mount namespace, over its sshd),
 * finds the cluster in pve1's /etc/pve/.members and corosync.conf, checks pve1 through the local
 * transport and reaches pve2 and pve3 over real OpenSSH with root's key, their host keys pinned
 * by node name in /etc/pve/priv/known_hosts, as PVE pins them. The corosync addresses
 * (10.10.10.x) reach the bed's sshd through root's ~/.ssh/config, as an operator's config could.
 * Needs root, sshd and unshare: run scripts/install-system-deps.sh first.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../src/shell/quote.js";
import { SshTransport } from "../../src/transport/ssh/index.js";
import { type BedNode, type PveBed, startPveBed } from "./pve-bed/pve-bed.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

let bed: PveBed;
let work: string;
let transport: SshTransport;
let pinned: string;

interface Item {
  kind: string;
  node?: string;
  runbook?: string;
  code?: string;
  summary: string;
  params?: Record<string, unknown>;
}

/** `pvefix ARGS` run on a bed node, as an operator logged in there would run it. */
async function onNode(
  node: BedNode,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const line = `cd ${shellQuote(REPO)} && exec ${shellQuote(process.execPath)} bin/pvefix.js ${args.map(shellQuote).join(" ")}`;
  const result = await transport.exec(node, line, { timeoutMs: 150_000 });
  return { code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "pvefix-bed-this-node-"));
  bed = await startPveBed(join(work, "bed"));
  transport = new SshTransport({ inventory: bed.inventory, sshConfigPath: null, agentSocket: null });
  // PVE's cluster-wide known_hosts: every node's key under its node name (the bed's own file has
  // them under [127.0.0.1]:port, the way pvefix's -i inventory reaches them).
  const byPort = new Map(
    readFileSync(bed.knownHostsPath, "utf8")
      .trim()
      .split("\n")
      .map((line) => {
        const [host = "", ...key] = line.split(" ");
        return [Number(/:(\d+)$/.exec(host)?.[1]), key.join(" ")] as const;
      }),
  );
  pinned = bed.nodes.map((n) => `${n.name} ${byPort.get(n.port)}\n`).join("");
  writeFileSync(join(bed.stateDir, "pve", "priv", "known_hosts"), pinned);
  const pve1 = bed.nodes.find((n) => n.name === "pve1");
  if (!pve1) throw new Error("no pve1 in the bed");
  mkdirSync(join(pve1.home, ".ssh"), { recursive: true, mode: 0o700 });
  copyFileSync(bed.clientKeyPath, join(pve1.home, ".ssh", "id_ed25519"));
  writeFileSync(
    join(pve1.home, ".ssh", "config"),
    bed.nodes.map((n, i) => `Host 10.10.10.${i + 1}\n  HostName 127.0.0.1\n  Port ${n.port}\n`).join(""),
  );
});

afterAll(async () => {
  await transport?.close();
  await bed?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("pvefix on a PVE node with nothing configured", () => {
  it("prints the cluster it found as an inventory file", async () => {
    const result = await onNode("pve1", ["inventory"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("# found on pve1 from /etc/pve/.members, /etc/pve/corosync.conf\n");
    expect(result.stdout).toContain(
      [
        "cluster: bed",
        "defaults:",
        "  user: root",
        `  identity: ${join(bed.nodes[0]!.home, ".ssh", "id_ed25519")}`,
        "knownHosts: /etc/pve/priv/known_hosts",
        "nodes:",
        "  - name: pve1",
        "    host: 10.10.10.1",
        "    hostKeyAlias: pve1",
      ].join("\n"),
    );
  });

  it("diagnoses the whole cluster: pve1 locally, pve2 and pve3 over SSH with pinned host keys", async () => {
    const result = await onNode("pve1", ["diagnose", "-o", "json", "-v"]);
    // The bed's problems are findings (VM 210 runs on the hung nfs-images: critical).
    expect(result.code, result.stderr).toBe(11);
    expect(result.stderr).toContain(
      "pvefix: cluster bed (pve1, pve2, pve3) from /etc/pve/.members, /etc/pve/corosync.conf; pve1 locally",
    );
    const report = JSON.parse(result.stdout) as { cluster: string; nodes: unknown; findings: Item[] };
    expect(report.cluster).toBe("bed");
    expect(report.nodes).toEqual({ up: ["pve1", "pve2", "pve3"], down: [] });
    const problems = report.findings.filter((f) => f.kind === "problem");
    expect(problems.find((f) => f.runbook === "stuck-lock" && f.params?.vmid === 100)?.summary).toBe(
      "CT 100 on pve1 has a stale lock 'backup': no running task holds it",
    );
    expect(problems.find((f) => f.runbook === "hung-nfs" && f.params?.storage === "nfs-images")?.node).toBe(
      "pve2",
    );
    expect(report.findings.filter((f) => f.kind === "detector-failed")).toEqual([]);
  });

  it("refuses a peer whose key differs from the one pinned under its name, and still checks the rest", async () => {
    const other = pinned
      .split("\n")
      .find((l) => l.startsWith("pve2 "))!
      .replace(/^pve2/, "pve3");
    writeFileSync(
      join(bed.stateDir, "pve", "priv", "known_hosts"),
      `${pinned
        .split("\n")
        .filter((l) => !l.startsWith("pve3 "))
        .join("\n")}${other}\n`,
    );
    try {
      const result = await onNode("pve1", ["diagnose", "-o", "json"]);
      expect(result.code, result.stderr).toBe(12);
      const report = JSON.parse(result.stdout) as { nodes: unknown; findings: Item[] };
      expect(report.nodes).toEqual({ up: ["pve1", "pve2"], down: ["pve3"] });
      const down = report.findings.find((f) => f.kind === "node-unreachable");
      expect(down?.node).toBe("pve3");
      expect(down?.summary).toMatch(/host key/i);
    } finally {
      writeFileSync(join(bed.stateDir, "pve", "priv", "known_hosts"), pinned);
    }
  });

  it("checks its own node without SSH: pve1's sshd stopped, pve1 still answers locally", async () => {
    // The test's own connection to pve1 stays up (sshd serves an open connection from a process
    // of its own); new connections to pve1, pvefix's included, are refused from now on.
    await transport.exec("pve1", "true");
    await bed.stopNode("pve1");
    const result = await onNode("pve1", ["diagnose", "-o", "json"]);
    expect(result.code, result.stderr).toBe(11);
    const report = JSON.parse(result.stdout) as { nodes: unknown; findings: Item[] };
    expect(report.nodes).toEqual({ up: ["pve1", "pve2", "pve3"], down: [] });
    expect(report.findings.find((f) => f.runbook === "stuck-lock" && f.params?.vmid === 100)?.node).toBe(
      "pve1",
    );
  });
});
