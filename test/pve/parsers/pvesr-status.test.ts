import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parsePvesrStatus } from "../../../src/pve/parsers/pvesr-status.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parsePvesrStatus", () => {
  const rows = parsePvesrStatus(fixture("pvesr-status-multiline-error.txt"));

  it("reads a healthy job and strips local/ from the target", () => {
    expect(rows[0]).toEqual({
      jobId: "100-0",
      enabled: true,
      target: "pve2",
      lastSync: "2026-03-11_14:00:01",
      nextSync: "2026-03-11_14:15:00",
      duration: 3.554485,
      failCount: 0,
      state: "OK",
      lastSyncAt: "2026-03-11T14:00:01",
      nextSyncAt: "2026-03-11T14:15:00",
      pending: false,
      stateKind: "ok",
    });
  });

  it("reads a disabled job without next sync", () => {
    expect(rows[1]).toMatchObject({ jobId: "101-0", enabled: false, nextSync: null });
  });

  it("joins the continuation line of a multi-line error to that job's state", () => {
    expect(rows).toHaveLength(4);
    expect(rows[2]).toMatchObject({ jobId: "102-0", nextSync: "pending", failCount: 3 });
    expect(rows[2]?.state).toBe(
      "No common base snapshot on volume(s) local-zfs:vm-102-disk-0\n" +
        "Please remove the problematic volume(s) from the replication target or delete and re-create the whole job 102-0",
    );
  });

  it("reads a syncing job that never synced", () => {
    expect(rows[3]).toMatchObject({ lastSync: null, duration: null, state: "SYNCING" });
  });

  it("reads the older output without Enabled column", () => {
    const old = parsePvesrStatus(fixture("pvesr-status-old-format.txt"));
    expect(old.map((r) => [r.jobId, r.enabled, r.target, r.failCount])).toEqual([
      ["100-0", true, "pve2", 0],
      ["101-0", true, "pve3", 1],
    ]);
    expect(old[1]?.state).toBe("volume 'rpool/data/vm-101-disk-0' already exists");
  });

  it("reads empty output as no jobs", () => {
    expect(parsePvesrStatus("")).toEqual([]);
  });

  it("refuses text before the first job row, naming the line", () => {
    const header =
      "JobID      Enabled    Target                           LastSync             NextSync   Duration  FailCount State\n";
    expect(() => parsePvesrStatus(`${header}orphan line\n`)).toThrowError(
      expect.objectContaining({ line: 2 }),
    );
    expect(() => parsePvesrStatus("no header\n")).toThrow(ParseError);
  });
});
