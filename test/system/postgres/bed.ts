/**
 * A real PostgreSQL for system tests (scripts/testbed/postgres-up.sh, the same script humans
 * use): a data directory in a fresh temporary state directory, 127.0.0.1 on a free port, so
 * several beds (and the netns bed) never collide. `database()` gives each test its own empty
 * database on that server.
 */
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const SCRIPTS = fileURLToPath(new URL("../../../scripts/testbed/", import.meta.url));
const run = promisify(execFile);

export interface PostgresBed {
  stateDir: string;
  /** The URL of the bed's `pvefix` database. */
  url: string;
  /** A new empty database on the same server, its URL. */
  database(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresBed> {
  const stateDir = mkdtempSync(join(tmpdir(), "pvefix-pg-"));
  const up = await run("bash", [join(SCRIPTS, "postgres-up.sh"), "--state", stateDir], { timeout: 120_000 });
  const url = up.stdout.trim().split("\n").at(-1) ?? "";
  let stopped = false;
  return {
    stateDir,
    url,
    async database(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const admin = new URL(url);
      admin.pathname = "/postgres";
      await run("psql", [admin.href, "-v", "ON_ERROR_STOP=1", "-c", `CREATE DATABASE ${name}`]);
      const out = new URL(url);
      out.pathname = `/${name}`;
      return out.href;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await run("bash", [join(SCRIPTS, "postgres-down.sh"), "--state", stateDir, "--purge"], {
        timeout: 60_000,
      });
    },
  };
}
