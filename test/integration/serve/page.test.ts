/**
 * The approval page of real `pvefix serve` processes: workers that share `--session-key-file`
 * accept each other's sessions and one without it does not; over HTTPS (`--tls-cert`) the
 * session cookie is Secure; a bad key file stops the start with exit 2, naming the flag.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliSession } from "../cli/pvefix.js";
import { addToken, type Served, startServed } from "./served.js";

const cli = cliSession();
const RULES = "version: 1\n";

async function login(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/ui/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: url },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(res.status).toBe(303);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] as string;
}

async function page(url: string, cookie: string): Promise<{ status: number; location: string | null }> {
  const res = await fetch(`${url}/ui/`, { redirect: "manual", headers: { cookie } });
  return { status: res.status, location: res.headers.get("location") };
}

describe("pvefix serve --session-key-file", () => {
  const running: Served[] = [];
  afterAll(async () => {
    for (const s of running) await s.stop();
  });

  it("refuses a key file it cannot read or that is too short, naming the flag", async () => {
    const short = path.join(cli.stateDir, "short.key");
    fs.writeFileSync(short, "too short");
    const r = await cli.pvefix(["serve", "--lab", "--session-key-file", short, "--listen", "127.0.0.1:0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has 9 bytes; a session key needs 32 or more[\s\S]*--session-key-file/);
    const missing = await cli.pvefix(["serve", "--lab", "--session-key-file", "/nonexistent/key"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read \/nonexistent\/key[\s\S]*--session-key-file/);
  });

  it("workers sharing the key accept each other's sessions; a worker without it does not", async () => {
    const alice = await addToken(cli, "alice", "approver");
    const key = path.join(cli.stateDir, "session.key");
    fs.writeFileSync(key, Buffer.alloc(32, 7));
    const a = await startServed(cli, RULES, {}, "127.0.0.1:0", ["--lab", "--session-key-file", key]);
    running.push(a);
    const b = await startServed(cli, RULES, {}, "127.0.0.1:0", ["--lab", "--session-key-file", key]);
    running.push(b);
    const c = await startServed(cli, RULES, {}, "127.0.0.1:0", ["--lab"]);
    running.push(c);
    const cookie = await login(a.url, alice);
    expect(cookie).toMatch(/^pvefix_session=v1\./);
    expect(await page(a.url, cookie)).toMatchObject({ status: 200 });
    expect(await page(b.url, cookie)).toMatchObject({ status: 200 });
    expect(await page(c.url, cookie)).toMatchObject({ status: 303, location: "/ui/login" });
    // The token removed from the shared store: every worker ends the session at its next request.
    expect((await cli.pvefix(["serve", "token", "remove", "alice"])).code).toBe(0);
    expect(await page(a.url, cookie)).toMatchObject({ status: 303 });
    expect(await page(b.url, cookie)).toMatchObject({ status: 303 });
  });
});

describe("the approval page over HTTPS", () => {
  it("sets a Secure session cookie", async () => {
    const viewer = await addToken(cli, "grafana", "viewer");
    const cert = path.join(cli.stateDir, "cert.pem");
    const key = path.join(cli.stateDir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    const served = cli.start([
      "serve",
      "--lab",
      "--listen",
      "127.0.0.1:0",
      "--tls-cert",
      cert,
      "--tls-key",
      key,
    ]);
    try {
      await served.waitFor(/"listening":"https:\/\/127\.0\.0\.1:\d+"/, 30_000);
      const url = /"listening":"(https:[^"]+)"/.exec(served.output())?.[1] as string;
      const body = new URLSearchParams({ token: viewer }).toString();
      const setCookie = await new Promise<string>((resolve, reject) => {
        const req = https.request(
          `${url}/ui/login`,
          {
            method: "POST",
            ca: fs.readFileSync(cert),
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              "content-length": Buffer.byteLength(body),
              origin: url,
            },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(`${res.statusCode} ${String(res.headers["set-cookie"])}`));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
      expect(setCookie).toMatch(
        /^303 pvefix_session=v1\.[^;]+; Path=\/ui; Max-Age=1800; HttpOnly; SameSite=Strict; Secure$/,
      );
    } finally {
      served.child.kill("SIGTERM");
      await served.exited;
    }
  });
});
