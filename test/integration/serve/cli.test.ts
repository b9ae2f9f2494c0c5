/** The serve commands around the service: --check-rules, tokens, bad flags, TLS from cert files. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cliSession } from "../cli/pvefix.js";

const cli = cliSession();

describe("pvefix serve --check-rules", () => {
  it("prints each problem with the path of its field and exits 2; a good file exits 0", async () => {
    const bad = path.join(cli.stateDir, "bad.yaml");
    fs.writeFileSync(
      bad,
      "version: 1\nrules:\n  - name: x\n    match: { a: b }\n    runbook: no-such\npolicy: { cooldown: 5 minutes }\n",
    );
    const r = await cli.pvefix(["serve", "--check-rules", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /policy\.cooldown: expected a duration like 90s, 15m, 1h or 2d, got "5 minutes"/,
    );
    const good = path.join(cli.stateDir, "good.yaml");
    fs.writeFileSync(
      good,
      "version: 1\nrules:\n  - name: x\n    match: { a: b }\n    runbook: stuck-lock\n    params: { vmid: '{{ labels.vmid }}' }\n",
    );
    const ok = await cli.pvefix(["serve", "--check-rules", good]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/1 rule\(s\)/);
    const unknown = path.join(cli.stateDir, "unknown.yaml");
    fs.writeFileSync(unknown, "version: 1\nrules:\n  - name: x\n    match: { a: b }\n    runbook: no-such\n");
    const u = await cli.pvefix(["serve", "--check-rules", unknown]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/rules\[0\]\.runbook: unknown runbook "no-such" \(one of .*stuck-lock/);
  });
});

describe("pvefix serve token", () => {
  it("prints the token once, stores only its hash, and refuses a bad role by name", async () => {
    const r = await cli.pvefix(["serve", "token", "add", "ci", "--role", "requester"]);
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^pvefix_[A-Za-z0-9_-]{43}$/);
    const stored = fs.readFileSync(path.join(cli.stateDir, "serve", "tokens.json"), "utf8");
    expect(stored).not.toContain(token);
    expect(stored).toContain('"role": "requester"');
    expect((await cli.pvefix(["serve", "token", "list"])).stdout).toMatch(/^ci\trequester\t/m);
    const bad = await cli.pvefix(["serve", "token", "add", "x", "--role", "root"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Expected one of viewer, requester, approver, admin, got "root"[\s\S]*--role/);
    expect((await cli.pvefix(["serve", "token", "add", "ci", "--role", "viewer"])).code).toBe(2);
    expect((await cli.pvefix(["serve", "token", "remove", "ci"])).code).toBe(0);
  });

  it("refuses a bad --listen and half a TLS pair before starting", async () => {
    expect((await cli.pvefix(["serve", "--lab", "--listen", "nowhere"])).stderr).toMatch(/--listen/);
    const half = await cli.pvefix(["serve", "--lab", "--tls-cert", "x.pem"]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/TLS needs both --tls-cert and --tls-key[\s\S]*--tls-key/);
  });
});

describe("pvefix pause across processes", () => {
  it("six concurrent pauses from six processes all land (file lock, atomic writes)", async () => {
    const clusters = ["c1", "c2", "c3", "c4", "c5", "c6"];
    const results = await Promise.all(
      clusters.map((c) => cli.pvefix(["pause", "--cluster", c, "--reason", `r-${c}`])),
    );
    expect(results.map((r) => r.code)).toEqual(clusters.map(() => 0));
    const state = JSON.parse(fs.readFileSync(path.join(cli.stateDir, "serve", "policy.json"), "utf8"));
    expect(Object.keys(state.paused.clusters).sort()).toEqual(clusters);
    expect((await cli.pvefix(["resume"])).code).toBe(0);
    const after = JSON.parse(fs.readFileSync(path.join(cli.stateDir, "serve", "policy.json"), "utf8"));
    expect(after.paused).toEqual({ all: null, clusters: {} });
  });
});

describe("pvefix serve over TLS", () => {
  it("serves HTTPS from the cert files", async () => {
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
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`${url}/healthz`, { ca: fs.readFileSync(cert) }, (res) => {
            let text = "";
            res.on("data", (d) => {
              text += d;
            });
            res.on("end", () => resolve(`${res.statusCode} ${text}`));
          })
          .on("error", reject);
      });
      expect(body).toMatch(/^200 \{"status":"ok"/);
    } finally {
      served.child.kill("SIGTERM");
      await served.exited;
    }
  });
});
