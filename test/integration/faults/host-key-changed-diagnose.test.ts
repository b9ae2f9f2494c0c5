/**
 * Fault matrix: diagnose with one node's host key changed (issue 9.7). pvefix must not talk to
 * pve1, must name it once ("host key changed") instead of two "could not finish" warnings, must
 * still report what pve2 and pve3 show, and must exit 12 (not everything could be checked).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedCluster, serveCluster } from "../served-lab.js";
import { assertBuilt, runCli } from "./cli.js";
import { changeHostKey } from "./host-key.js";

let bed: ServedCluster;

beforeAll(async () => {
  assertBuilt();
  bed = await serveCluster("default");
});

afterAll(async () => {
  await bed.close();
});

interface Item {
  kind: string;
  severity: string;
  summary: string;
  node?: string;
  code?: string;
  runbook?: string;
  params?: Record<string, unknown>;
}

describe("diagnose with a node whose host key changed", () => {
  it("names pve1 once with the changed key, reports pve2's hung mount, and exits 12", async () => {
    await changeHostKey(bed, "pve1");

    const result = await runCli([
      "-i",
      bed.server.inventoryPath,
      "--state-dir",
      bed.stateDir,
      "-o",
      "json",
      "diagnose",
    ]);
    expect(result.code).toBe(12);
    const report = JSON.parse(result.stdout) as { status: string; nodes: unknown; findings: Item[] };
    expect(report.status).toBe("incomplete");
    expect(report.nodes).toEqual({ up: ["pve2", "pve3"], down: ["pve1"] });
    const down = report.findings.filter((f) => f.kind === "node-unreachable");
    expect(down.map((f) => [f.node, f.code, f.severity])).toEqual([["pve1", "host-key-changed", "critical"]]);
    expect(down[0]?.summary).toMatch(
      /^pve1 unreachable since \d\d:\d\d:\d\d UTC: host key changed; not checked: its guests /,
    );
    expect(report.findings.filter((f) => f.kind === "detector-failed")).toEqual([]);
    expect(report.findings.find((f) => f.params?.storage === "nfs-backup")).toMatchObject({
      kind: "problem",
      node: "pve2",
      severity: "critical",
    });
    // CT 100's lock is read from /etc/pve on a node that answers; only pve1 can say who holds it.
    expect(report.findings.find((f) => f.runbook === "stuck-lock" && f.params?.vmid === 100)?.summary).toBe(
      "CT 100 on pve1 is locked 'backup'; whether a task still holds it cannot be checked: pve1 does not answer",
    );
  });
});
