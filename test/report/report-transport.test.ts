/**
 * The report transport (issue 11.4): answers reads from captured outputs only, bridges the
 * wrappers pvefix and pvereport differ by, and fails a probe it cannot answer with "not in
 * report" instead of returning a result a detector would read as an answer.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../src/engine/errors.js";
import { createProbeContext, ProbeError } from "../../src/engine/probe-context.js";
import { checkReachability } from "../../src/engine/reachability.js";
import { normalizeCommand } from "../../src/report/answers.js";
import { loadCaptured } from "../../src/report/captured.js";
import { ReportTransport } from "../../src/report/transport.js";
import { NotInReportError, TransportError } from "../../src/transport/errors.js";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures");
const report = fs.readFileSync(path.join(FIXTURES, "pvereport-pve9-corosync-down.txt"), "utf8");
const pve1 = fs.readFileSync(path.join(FIXTURES, "pvereport-pve1.txt"), "utf8");

const transportOf = (...extra: Array<{ path: string; text: string }>) =>
  new ReportTransport(
    loadCaptured([
      { path: "report.txt", text: pve1, inFolder: false },
      ...extra.map((e) => ({ ...e, inFolder: true })),
    ]),
  );

describe("normalizeCommand", () => {
  it("drops pvefix's timeout wrapper, trailing redirections and plain quotes", () => {
    expect(normalizeCommand("timeout -s KILL 10 pvecm status")).toBe("pvecm status");
    expect(normalizeCommand("cat /etc/pve/corosync.conf 2>/dev/null")).toBe("cat /etc/pve/corosync.conf");
    expect(normalizeCommand("pvesm status 2>&1")).toBe("pvesm status");
    expect(normalizeCommand("cat '/etc/pve/storage.cfg'")).toBe("cat /etc/pve/storage.cfg");
    // A quoted word with a blank stays quoted: it is another command.
    expect(normalizeCommand("cat '/tmp/a b'")).toBe("cat '/tmp/a b'");
  });
});

describe("loadCaptured", () => {
  it("takes the node, time, cluster and members from a pvereport", () => {
    const c = loadCaptured([{ path: "r.txt", text: report, inFolder: false }]);
    const hostname = /# hostname\n(.+)\n/.exec(report)?.[1];
    const time = /# date -R\n(.+)\n/.exec(report)?.[1];
    expect(c.origins).toEqual([{ node: hostname, time, files: ["r.txt"] }]);
    expect(c.nodes).toContain(hostname);
    expect(c.nodes.length).toBeGreaterThan(1);
  });

  it("refuses a captured file without its command line or node, or with a bad exit code (InputError)", () => {
    expect(() => loadCaptured([{ path: "f/a", text: "no header\n", inFolder: true }])).toThrow(
      /f\/a does not start with '# <command>'/,
    );
    expect(() => loadCaptured([{ path: "f/a", text: "# pvecm status\nx\n", inFolder: true }])).toThrow(
      /names no node/,
    );
    expect(() =>
      loadCaptured([{ path: "f/a", text: "# true\n# node: pve1\n# exit: many\n", inFolder: true }]),
    ).toThrow(EngineError);
  });
});

describe("ReportTransport", () => {
  it("answers the report's own commands through pvefix's wrappers", async () => {
    const t = transportOf();
    const status = await t.exec("pve1", "timeout -s KILL 10 pvecm status");
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain("Name:             prod-cl01");
    const conf = await t.exec("pve1", "timeout -s KILL 5 cat /etc/pve/corosync.conf");
    expect(conf.stdout).toMatch(/totem \{/);
    // pvereport prints pve1's guest configs under /etc/pve/qemu-server/.
    const guest = await t.exec("pve1", "cat /etc/pve/nodes/pve1/qemu-server/100.conf");
    expect(guest.stdout).toContain("lock: backup");
  });

  it("does not answer another node's guest config from this node's directory", async () => {
    const t = transportOf();
    await expect(t.exec("pve1", "cat /etc/pve/nodes/pve2/qemu-server/100.conf")).rejects.toBeInstanceOf(
      NotInReportError,
    );
    expect(t.notAnswered).toEqual([
      { node: "pve1", command: "cat /etc/pve/nodes/pve2/qemu-server/100.conf" },
    ]);
  });

  it("names nodes without a report 'not in report', a transport error of its own code", async () => {
    const t = transportOf();
    const error = await t.exec("pve2", "true").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe("PVEFIX_NOT_IN_REPORT");
    const ctx = createProbeContext({ transport: t, nodes: ["pve1", "pve2"], cluster: "prod-cl01" });
    const reach = await checkReachability(ctx);
    expect(reach.up).toEqual(["pve1"]);
    expect(reach.down.map((d) => [d.node, d.code, d.reason])).toEqual([
      ["pve2", "not-in-report", "not in report"],
    ]);
  });

  it("a captured file answers with its exit code and stderr, and a later capture wins", async () => {
    const t = transportOf(
      {
        path: "f/1",
        text: "# cat /proc/4132/stat\n# exit: 1\n# stderr:\ncat: /proc/4132/stat: No such file or directory\n",
      },
      { path: "f/2", text: "# pvecm status\n# exit: 2\nCannot initialize CMAP service\n" },
    );
    const ctx = createProbeContext({ transport: t, nodes: ["pve1"], cluster: "prod-cl01" });
    expect(await ctx.readFile("pve1", "/proc/4132/stat")).toBeNull();
    const status = await t.exec("pve1", "pvecm status");
    expect(status.exitCode).toBe(2);
  });

  it("fails the probe at once with 'not in report', never with an answer and never retried", async () => {
    const t = transportOf();
    const ctx = createProbeContext({ transport: t, nodes: ["pve1"], cluster: "prod-cl01", retries: 5 });
    let calls = 0;
    const exec = t.exec.bind(t);
    t.exec = (...args) => {
      calls++;
      return exec(...args);
    };
    const error = await ctx
      .run("pve1", "timeout -s KILL 5 stat -f -c %T /mnt/pve/nfs-backup")
      .catch((e) => e);
    expect(error).toBeInstanceOf(ProbeError);
    expect((error as ProbeError).message).toBe(
      "not in report: timeout -s KILL 5 stat -f -c %T /mnt/pve/nfs-backup",
    );
    expect(calls).toBe(1);
    expect(ctx.evidence).toEqual([]);
    // A file a pvereport shows missing reads as missing (cat's own message), not as content.
    const missing = transportOf({
      path: "f/1",
      text: "# cat /etc/pve/ha/resources.cfg\ncat: /etc/pve/ha/resources.cfg: No such file or directory\n",
    });
    const ctx2 = createProbeContext({ transport: missing, nodes: ["pve1"], cluster: "prod-cl01" });
    expect(await ctx2.readFile("pve1", "/etc/pve/ha/resources.cfg")).toBeNull();
  });
});
