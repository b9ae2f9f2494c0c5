/** `--database` and PVEFIX_DATABASE_URL as the CLI checks them, before any PostgreSQL is involved. */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cliSession } from "../cli/pvefix.js";

const cli = cliSession();

/** A loopback port nobody listens on (taken, then freed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const policyFile = () => path.join(cli.stateDir, "serve", "policy.json");

describe("pvefix db migrate", () => {
  it("without a database names the flag and exits 2", async () => {
    const r = await cli.pvefix(["db", "migrate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Expected a PostgreSQL URL \(or PVEFIX_DATABASE_URL\), got nothing/);
    expect(r.stderr).toMatch(/--database/);
  });
});

describe("a bad database URL", () => {
  it("is refused by name, from the flag and from the environment, and changes nothing", async () => {
    const flag = await cli.pvefix(["pause", "--database", "mysql://h/db"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(
      /--database must start with postgres:\/\/ or postgresql:\/\/, got mysql:\/\//,
    );
    const env = await cli.pvefix(["approvals"], { env: { PVEFIX_DATABASE_URL: "not a url" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/PVEFIX_DATABASE_URL must be a URL like postgres:/);
    // Not silently the state directory instead.
    expect(fs.existsSync(policyFile())).toBe(false);
  });

  it("an unreachable database fails (exit 1) without its password, and the state directory is not used instead", async () => {
    const port = await closedPort();
    const r = await cli.pvefix(["pause", "--database", `postgres://pvefix:s3cret@127.0.0.1:${port}/pvefix`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach the database postgres:\/\/pvefix:\*\*\*@127\.0\.0\.1/);
    expect(r.stderr).not.toContain("s3cret");
    expect(fs.existsSync(policyFile())).toBe(false);
  });
});

describe("without a database", () => {
  it("pause and resume stay in the state directory, as before", async () => {
    expect((await cli.pvefix(["pause", "--reason", "drill"])).code).toBe(0);
    expect(fs.readFileSync(policyFile(), "utf8")).toContain("drill");
    expect((await cli.pvefix(["resume"])).code).toBe(0);
  });
});
