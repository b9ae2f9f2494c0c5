/** The fleet's flags (`--heartbeat`, `--takeover-after`, `runs|show|undo --database`) as the CLI checks them, before any PostgreSQL is involved. */
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { cliSession } from "../cli/pvefix.js";

const cli = cliSession();

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("serve's heartbeat and takeover settings", () => {
  it("refuse a duration that is not one, naming the flag (exit 2)", async () => {
    const r = await cli.pvefix(["serve", "--lab", "--listen", "127.0.0.1:0", "--heartbeat", "often"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--heartbeat/);
    expect(r.stderr).toMatch(/Expected a duration like 5s, 30s or 2m, got "often"/);
  });

  it("refuse a takeover shorter than two heartbeats: one late beat must not look like a dead worker", async () => {
    const r = await cli.pvefix([
      ...["serve", "--lab", "--listen", "127.0.0.1:0"],
      ...["--heartbeat", "5s", "--takeover-after", "8s"],
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--takeover-after/);
    expect(r.stderr).toMatch(/at least twice --heartbeat \(5s\)/);
  });
});

describe("runs, show and undo with a database", () => {
  it("refuse a URL that is not PostgreSQL's, by name (exit 2)", async () => {
    for (const args of [["runs"], ["show", "last"], ["undo", "last"]]) {
      const r = await cli.pvefix([...args, "--database", "mysql://h/db"]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/--database must start with postgres:\/\/ or postgresql:\/\//);
    }
  });

  it("say the database cannot be reached (exit 1) instead of reading the state directory", async () => {
    const port = await closedPort();
    const r = await cli.pvefix(["runs"], {
      env: { PVEFIX_DATABASE_URL: `postgres://x@127.0.0.1:${port}/db` },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach the database/);
  });
});
