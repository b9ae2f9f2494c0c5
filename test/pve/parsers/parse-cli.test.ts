/**
 * `pvefix parse` over bad input and its new modes, through the command function and the one place
 * errors become exit codes (src/cli/exit-codes.ts), as the binary does.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runParse } from "../../../src/cli/commands/parse.js";
import { PARSE_INPUT_LIMIT, readParseInput } from "../../../src/cli/commands/parse-input.js";
import { describeError, exitCodeForError } from "../../../src/cli/exit-codes.js";
import { normalizeGlobals } from "../../../src/cli/global-options.js";

const fixture = (name: string) =>
  path.join(path.dirname(new URL(import.meta.url).pathname), "../../fixtures", name);
let dir: string;
let out: string[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-parse-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture(): void {
  out = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
}

async function run(format: string | undefined, file: string | undefined, opts = {}, output = "json") {
  capture();
  try {
    const code = await runParse(normalizeGlobals({ output }), format, file, opts);
    return { code, stdout: out.join(""), stderr: "" };
  } catch (e) {
    return { code: exitCodeForError(e), stdout: out.join(""), stderr: describeError(e) };
  }
}

describe("pvefix parse: bad input", () => {
  it("refuses a missing file with exit 2 and the path, no stack trace", async () => {
    const r = await run("pct-list", path.join(dir, "nope.txt"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(path.join(dir, "nope.txt"));
    expect(r.stderr).not.toMatch(/Internal error|\n\s+at /);
  });

  it("refuses a directory with exit 2 and the path", async () => {
    const r = await run("pct-list", dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${dir} is a directory`);
  });

  it("refuses a 50 MB input fast, naming the limit", async () => {
    const big = path.join(dir, "big.txt");
    fs.writeFileSync(big, Buffer.alloc(50 * 1024 * 1024, 0x61));
    const started = Date.now();
    const r = await run("corosync-log", big);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("16 MiB limit");
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("stops reading a stream at the limit instead of loading it all", () => {
    const file = path.join(dir, "stream.txt");
    fs.writeFileSync(file, "x".repeat(2048));
    expect(() => readParseInput(file, 1024)).toThrow(/larger than the/);
    expect(readParseInput(file, PARSE_INPUT_LIMIT)).toHaveLength(2048);
  });

  it("answers empty input the same way for every format", async () => {
    const empty = path.join(dir, "empty.txt");
    fs.writeFileSync(empty, "\n  \n");
    for (const format of ["pct-list", "qm-list", "corosync-log", "pvecm-status", "zerotier-local-conf"]) {
      const r = await run(format, empty);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("The input is empty");
    }
  });

  it("says so when a format recognises nothing (exit 2), instead of []", async () => {
    const r = await run("corosync-log", fixture("pct-list-blank-lock.txt"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no corosync, pmxcfs, HA or watchdog-mux event recognised in 5 lines/);
  });
});

describe("pvefix parse: --auto, report, --units", () => {
  it("detects the format and says which", async () => {
    const r = await run(fixture("pct-list-name-with-spaces-stderr.txt"), undefined, { auto: true });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: "pct-list", value: { rows: expect.any(Array) } });
  });

  it("refuses input in which no format is recognised, with exit 2", async () => {
    const r = await run(fixture("known-hosts-mixed.txt"), undefined, { auto: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("No known format recognised");
  });

  it("names the detected format's error for a broken file", async () => {
    const r = await run(fixture("corosync-conf-missing-brace.txt"), undefined, { auto: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/corosync-conf/);
  });

  it("reads a whole pvereport section by section", async () => {
    const r = await run("report", fixture("pvereport-pve1.txt"));
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.node).toBe("pve1");
    expect(report.sections.find((s: { command: string }) => s.command === "pct list").format).toBe(
      "pct-list",
    );
  });

  it("pairs systemctl states with --units", async () => {
    const r = await run("systemctl-is-active", fixture("systemctl-is-active-mixed.txt"), {
      units: "corosync,pve-cluster,pve-ha-lrm,pve-ha-crm",
    });
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout).units)).toEqual([
      "corosync",
      "pve-cluster",
      "pve-ha-lrm",
      "pve-ha-crm",
    ]);
    const short = await run("systemctl-is-active", fixture("systemctl-is-active-mixed.txt"), {
      units: "a,b",
    });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/expected 2 states for a b, got 4/);
  });

  it("refuses --units on another format", async () => {
    const r = await run("pct-list", fixture("pct-list-blank-lock.txt"), { units: "a" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--units");
  });
});
