/**
 * `pvefix diagnose` over several clusters (issue 15), over real SSH: two lab clusters served on
 * loopback (a clear one and one with stale locks), a cluster whose nodes are all gone, and an
 * inventory that does not load. One report, a part per cluster; the bad ones are reported as such
 * and hide nothing of the others; the exit code is the worst cluster's. A single -i still prints
 * the schema-1 document, unchanged.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LabServer, resetLab, serveLab } from "../../../src/lab/index.js";
import { freePort } from "../../system/loopback/sshd-cluster.js";
import { cliSession, json } from "./pvefix.js";

const cli = cliSession();
const labs: LabServer[] = [];
let dir: string;
let clear: string;
let locks: string;

interface Fleet {
  schemaVersion: number;
  kind: string;
  status: string;
  clusters: Array<{
    source: string;
    cluster: string | null;
    status: string;
    diagnosis?: {
      schemaVersion: number;
      cluster: string;
      status: string;
      nodes: { up: string[]; down: string[] };
      findings: Array<{ kind: string; runbook?: string; command?: string; code?: string }>;
    };
    error?: { code: string; message: string };
  }>;
}

/** A lab of `scenario` in its own state directory, served over SSH; its inventory renamed `name`. */
async function servedAs(name: string, scenario: string): Promise<string> {
  const stateDir = path.join(cli.stateDir, `lab-${name}`);
  await resetLab({ stateDir, scenario });
  const lab = await serveLab({ stateDir });
  labs.push(lab);
  const file = path.join(dir, `${name}.yaml`);
  const text = fs.readFileSync(lab.inventoryPath, "utf8");
  fs.writeFileSync(file, text.replace(/^cluster: .*$/m, `cluster: ${name}`));
  return file;
}

beforeAll(async () => {
  dir = path.join(cli.stateDir, "inventories");
  fs.mkdirSync(dir);
  clear = await servedAs("east", "hung-nfs-healthy");
  locks = await servedAs("west", "stuck-lock");
  // Every node of "gone" refuses: a port that was free a moment ago and that nothing listens on.
  const closed = await freePort();
  fs.writeFileSync(
    path.join(dir, "gone.yaml"),
    fs
      .readFileSync(clear, "utf8")
      .replace(/^cluster: .*$/m, "cluster: gone")
      .replace(/port: \d+/g, `port: ${closed}`),
  );
  fs.writeFileSync(path.join(dir, "bad.yaml"), "cluster: bad\nnodes:\n  - name: x\n    port: nope\n");
  fs.writeFileSync(path.join(dir, "notes.txt"), "not an inventory\n");
});

afterAll(async () => {
  for (const lab of labs) await lab.close();
});

describe("diagnose over several inventories", () => {
  it("sweeps each -i, a part per cluster, and exits with the worst cluster's code", async () => {
    const r = await cli.pvefix(["diagnose", "-i", clear, "-i", locks, "-o", "json"]);
    expect(r.code).toBe(10);
    const doc = json<Fleet>(r);
    expect(doc).toMatchObject({ schemaVersion: 2, kind: "fleet", status: "findings" });
    expect(doc.clusters.map((c) => [c.cluster, c.status])).toEqual([
      ["east", "clear"],
      ["west", "findings"],
    ]);
    const west = doc.clusters[1]?.diagnosis;
    expect(west).toMatchObject({ schemaVersion: 1, cluster: "west", nodes: { down: [] } });
    const lock = west?.findings.find((f) => f.runbook === "stuck-lock");
    // The next command points at west's own inventory, not at the first -i.
    expect(lock?.command).toContain(`-i ${locks}`);
  });

  it("reports a cluster that is down and an inventory that does not load, and still diagnoses the others", async () => {
    const r = await cli.pvefix(["diagnose", "--inventory-dir", dir, "--concurrency", "2", "-o", "json"]);
    expect(r.code).toBe(12);
    const doc = json<Fleet>(r);
    expect(doc.status).toBe("incomplete");
    expect(doc.clusters.map((c) => [path.basename(c.source), c.cluster, c.status])).toEqual([
      ["bad.yaml", null, "incomplete"],
      ["east.yaml", "east", "clear"],
      ["gone.yaml", "gone", "incomplete"],
      ["west.yaml", "west", "findings"],
    ]);
    expect(doc.clusters[0]?.error).toEqual({
      code: "PVEFIX_BAD_INVENTORY",
      message: expect.stringMatching(/bad\.yaml: nodes\[0\]\.port/),
    });
    const gone = doc.clusters[2]?.diagnosis;
    expect(gone?.nodes).toEqual({ up: [], down: ["pve1", "pve2", "pve3"] });
    expect(gone?.findings.filter((f) => f.kind === "node-unreachable").map((f) => f.code)).toEqual([
      "connection-refused",
      "connection-refused",
      "connection-refused",
    ]);
    expect(doc.clusters[3]?.diagnosis?.findings.some((f) => f.runbook === "stuck-lock")).toBe(true);
  });

  it("prints a line per cluster, then each cluster's report, in text and Markdown", async () => {
    const text = await cli.pvefix(["diagnose", "--inventory-dir", dir]);
    expect(text.code).toBe(12);
    expect(text.stdout).toContain("4 clusters: 2 incomplete, 1 findings, 1 clear");
    expect(text.stdout).toMatch(/east \(\S+east\.yaml\): clear, 3\/3 nodes answering/);
    expect(text.stdout).toMatch(/gone \(\S+gone\.yaml\): incomplete, 0\/3 nodes answering/);
    expect(text.stdout).toMatch(/━━ west \(\S+west\.yaml\) ━━\n\d+ findings?:/);
    expect(text.stdout).toMatch(/✖ not swept: \S+bad\.yaml: nodes\[0\]\.port/);
    const md = await cli.pvefix(["diagnose", "-i", clear, "-i", locks, "-o", "md"]);
    expect(md.code).toBe(10);
    expect(md.stdout).toMatch(/^# Fleet diagnosis/);
    expect(md.stdout).toMatch(/^## `west` \(`\S+west\.yaml`\)$/m);
  });

  it("sweeps a file named by -i and in the folder once", async () => {
    const r = await cli.pvefix(["diagnose", "-i", locks, "--inventory-dir", dir, "-o", "json"]);
    const doc = json<Fleet>(r);
    expect(doc.clusters.filter((c) => c.cluster === "west")).toHaveLength(1);
    expect(doc.clusters).toHaveLength(4);
  });

  it("keeps the single-cluster document of one -i: schema 1, unchanged", async () => {
    const r = await cli.pvefix(["diagnose", "-i", locks, "-o", "json"]);
    expect(r.code).toBe(10);
    const doc = json<Record<string, unknown>>(r);
    expect(Object.keys(doc)).toEqual([
      "schemaVersion",
      "generatedAt",
      "cluster",
      "status",
      "nodes",
      "findings",
    ]);
    expect(doc).toMatchObject({ schemaVersion: 1, cluster: "west" });
  });

  it("streams each cluster's events with its inventory under -o jsonl, the fleet document last", async () => {
    const r = await cli.pvefix(["diagnose", "-i", clear, "-i", locks, "-o", "jsonl"]);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const events = lines.slice(0, -1);
    expect(new Set(events.map((e) => e.inventory))).toEqual(new Set([clear, locks]));
    expect(lines.at(-1)).toMatchObject({ schemaVersion: 2, kind: "fleet" });
  });
});

describe("bad input to a diagnose over several clusters: exit 2, nothing swept", () => {
  it.each([
    [
      ["diagnose", "--inventory-dir", "/nonexistent/pvefix-inv"],
      /--inventory-dir: cannot read .*: no such folder/,
    ],
    [["diagnose", "-i", "a.yaml", "-i", "b.yaml", "--lab"], /--lab/],
    [
      ["diagnose", "-i", "a.yaml", "-i", "b.yaml", "--concurrency", "0"],
      /at least 1, got "0"\n.*--concurrency/,
    ],
    [["diagnose", "-i", "a.yaml", "-i", "b.yaml", "--from", "x.txt"], /--from/],
    [["diagnose", "--lab", "--concurrency", "2"], /--concurrency/],
    [
      ["-i", "a.yaml", "-i", "b.yaml", "plan", "stuck-lock", "--vmid", "100"],
      /only diagnose sweeps several clusters/,
    ],
    [["-i", "a.yaml", "-i", "b.yaml", "inventory"], /only diagnose sweeps several clusters/],
  ])("%j", async (args, message) => {
    const r = await cli.pvefix(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
