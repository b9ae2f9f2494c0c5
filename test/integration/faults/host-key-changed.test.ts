/**
 * Fault matrix row 9: a node's SSH host key changes (reinstall, or someone in the middle). The
 * lab's pve1 gets a new host key while the operator's known_hosts still has the old one: pvefix
 * must not talk to pve1 at all, with or without --accept-new-host-keys, and must not touch
 * known_hosts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import stuckLock from "../../../runbooks/stuck-lock.js";
import { listRuns, readJournal } from "../../../src/engine/journal.js";
import { TransportError } from "../../../src/transport/errors.js";
import {
  allCommands,
  labClock,
  mutations,
  type ServedCluster,
  serveCluster,
  stepTrail,
} from "../served-lab.js";
import { assertBuilt, runCli } from "./cli.js";
import { changeHostKey, portOf as portOfServed } from "./host-key.js";

let bed: ServedCluster;
let secondStateDir: string;

beforeAll(async () => {
  assertBuilt();
  bed = await serveCluster("default");
  secondStateDir = mkdtempSync(join(tmpdir(), "pvefix-faults-hostkey-"));
});

afterAll(async () => {
  await bed.close();
  rmSync(secondStateDir, { recursive: true, force: true });
});

const portOf = (node: string) => portOfServed(bed, node);

describe("a node whose host key changed", () => {
  it("is refused with exit 3 before any command reaches it, and known_hosts stays as it was", async () => {
    // Reinstall pve1: a new host key, served again (on new ports); the operator's known_hosts
    // still remembers pve1 by its old key.
    const { oldKey, newLine, fresh, stale } = await changeHostKey(bed, "pve1");
    expect(newLine.endsWith(oldKey)).toBe(false);

    const probe = bed.newTransport();
    try {
      const refused = await probe.exec("pve1", "true").then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(TransportError);
      expect((refused as TransportError).code).toBe("PVEFIX_HOST_KEY_CHANGED");
    } finally {
      await probe.close();
    }

    const clockBefore = await labClock(bed.labDir);
    const run = ["-o", "json", "run", "stuck-lock", "--vmid", "100", "--unattended"];
    const [plain, acceptNew] = await Promise.all([
      runCli(["-i", bed.server.inventoryPath, "--state-dir", bed.stateDir, ...run]),
      runCli([
        "-i",
        bed.server.inventoryPath,
        "--state-dir",
        secondStateDir,
        "--accept-new-host-keys",
        ...run,
      ]),
    ]);

    for (const cli of [plain, acceptNew]) {
      expect(cli.code).toBe(3);
      const output = JSON.parse(cli.stdout) as {
        outcome: string;
        refusal: { code: string; node: string; detail: string };
      };
      expect(output.outcome).toBe("refused");
      expect(output.refusal).toMatchObject({ code: "node-unreachable", node: "pve1" });
      expect(output.refusal.detail).toContain(`HOST KEY CHANGED for pve1 (127.0.0.1:${portOf("pve1")})`);
      expect(output.refusal.detail).toContain("--accept-new-host-keys never replaces a key");
    }
    expect(readFileSync(bed.server.knownHostsPath, "utf8")).toBe(stale);

    // Nothing ran: no step, no command on pve1, and every command that reached the lab is journaled.
    const journaled = [bed.stateDir, secondStateDir].flatMap((dir) => {
      const runs = listRuns(dir);
      expect(runs.map((r) => stepTrail(readJournal(dir, r.runId)))).toEqual([["run-end:refused:3"]]);
      return allCommands(dir);
    });
    expect(journaled.filter((e) => e.result.node === "pve1")).toEqual([]);
    expect(journaled.filter((e) => e.phase !== "probe")).toEqual([]);
    expect((await labClock(bed.labDir)) - clockBefore).toBe(journaled.length);

    // Once the operator has checked the new key and put it in known_hosts, the run goes through.
    writeFileSync(bed.server.knownHostsPath, fresh);
    expect((await bed.run({ runbook: stuckLock, params: { vmid: 100 } })).outcome).toBe("done");
    expect((await bed.run({ runbook: stuckLock, params: { vmid: 100 } })).outcome).toBe("nothing-to-do");
    expect(mutations(bed.stateDir, "pve1", "pct unlock")).toHaveLength(1);
  });
});
