/**
 * Fault matrix row 10: runbook parameters carrying shell metacharacters. zod validates every
 * parameter before a journal is opened or a connection made: exit 2, nothing written, nothing
 * sent to any node.
 */
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import stuckLock from "../../../runbooks/stuck-lock.js";
import { labClock, mutations, type ServedCluster, serveCluster } from "../served-lab.js";
import { assertBuilt, runCli } from "./cli.js";

let bed: ServedCluster;

beforeAll(async () => {
  assertBuilt();
  bed = await serveCluster("default");
});

afterAll(async () => {
  await bed.close();
});

describe("parameters with shell metacharacters", () => {
  it("are rejected with exit 2 naming the flag and the value, before anything is journaled or sent", async () => {
    const marker = join(tmpdir(), `pvefix-faults-injected-${process.pid}`);
    const attempts: Array<{ args: string[]; flag: string; given: string }> = [
      {
        args: ["run", "stuck-lock", "--vmid", `100; touch ${marker}`],
        flag: "--vmid",
        given: `100; touch ${marker}`,
      },
      { args: ["run", "hung-nfs", "--storage", "x$(id)"], flag: "--storage", given: "x$(id)" },
      {
        args: ["run", "hung-nfs", "--storage", "nfs-iso", "--node", `pve1\`touch ${marker}\``],
        flag: "--node",
        given: `pve1\`touch ${marker}\``,
      },
    ];
    const clockBefore = await labClock(bed.labDir);

    const results = await Promise.all(
      attempts.map((a) =>
        runCli(["-i", bed.server.inventoryPath, "--state-dir", bed.stateDir, ...a.args, "--unattended"]),
      ),
    );

    results.forEach((result, i) => {
      const { flag, given } = attempts[i] ?? { flag: "", given: "" };
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`(got ${JSON.stringify(given)})`);
      expect(result.stderr).toContain(`→ at ${flag}`);
      expect(result.stdout).toBe("");
    });
    expect(existsSync(join(bed.stateDir, "runs")) ? readdirSync(join(bed.stateDir, "runs")) : []).toEqual([]);
    expect(await labClock(bed.labDir)).toBe(clockBefore);
    expect(existsSync(marker)).toBe(false);

    // The same runbook with a valid value runs as usual.
    expect((await bed.run({ runbook: stuckLock, params: { vmid: 100 } })).outcome).toBe("done");
    expect(mutations(bed.stateDir, "pve1", "pct unlock").map((r) => r.command)).toEqual(["pct unlock 100"]);
  });
});
