/**
 * What every fleet system test starts from: a PostgreSQL bed with pvefix's and graphile-worker's
 * migrations, a requester token `am`, the lab's stuck-lock scenario served over SSH on loopback,
 * and the arguments that make a `pvefix serve` a fleet worker on them (1 s beats, 4 s takeover).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import { parse } from "yaml";
import { type LabServer, resetLab, serveLab } from "../../../src/lab/index.js";
import { type Db, openDb } from "../../../src/serve/store/postgres/db.js";
import type { cliSession } from "../../integration/cli/pvefix.js";
import type { Served } from "../../integration/serve/served.js";
import { type PostgresBed, startPostgres } from "./bed.js";

export interface FleetBed {
  bed: PostgresBed;
  /** A small pool of the test's own, for its queries. */
  db: Db;
  token: string;
  labDir: string;
  lab: LabServer;
  /** The served lab's cluster name, as alerts must carry it. */
  cluster: string;
  /** `pvefix serve` arguments of a fleet worker on this bed. */
  workerArgs: string[];
  /**
   * Which of `workers` runs a run: with graphile-worker any worker may take a job, not the one
   * the alert was posted to. -1 when none of them does.
   */
  runnerIndex(runId: string, workers: readonly Served[]): Promise<number>;
  close(): Promise<void>;
}

export async function startFleetBed(admin: ReturnType<typeof cliSession>): Promise<FleetBed> {
  const bed = await startPostgres();
  const db = await openDb(bed.url, { max: 2 });
  const migrated = await admin.pvefix(["db", "migrate", "--database", bed.url]);
  expect(migrated.code, migrated.stderr).toBe(0);
  const added = await admin.pvefix([
    "serve",
    "token",
    "add",
    "am",
    "--role",
    "requester",
    "--database",
    bed.url,
  ]);
  expect(added.code, added.stderr).toBe(0);
  const labDir = fs.mkdtempSync(path.join(admin.stateDir, "lab-"));
  await resetLab({ stateDir: labDir, scenario: "stuck-lock" });
  const lab = await serveLab({ stateDir: labDir });
  const cluster = (parse(fs.readFileSync(lab.inventoryPath, "utf8")) as { cluster: string }).cluster;
  return {
    bed,
    db,
    token: added.stdout.trim(),
    labDir,
    lab,
    cluster,
    workerArgs: [
      ...["-i", lab.inventoryPath, "--accept-new-host-keys", "--database", bed.url],
      ...["--heartbeat", "1s", "--takeover-after", "4s"],
    ],
    async runnerIndex(runId, workers) {
      const [runner] = (
        await db.pool.query<{ pid: number }>(
          "SELECT w.pid FROM pvefix_runs r JOIN pvefix_workers w USING (worker_id) WHERE r.run_id = $1",
          [runId],
        )
      ).rows;
      return workers.findIndex((w) => w.child.child.pid === runner?.pid);
    },
    async close() {
      // A test that cut the database off has closed this pool already.
      await db.close().catch(() => undefined);
      await lab.close();
      await bed.stop();
    },
  };
}
