import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseReplicationCfg, serializeReplicationCfg } from "../../../src/pve/parsers/replication-cfg.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseReplicationCfg", () => {
  const jobs = parseReplicationCfg(fixture("replication-cfg-jobs.txt"));

  it("reads a job with target, rate, schedule and source", () => {
    expect(jobs[0]).toMatchObject({
      id: "100-0",
      guest: 100,
      jobnum: 0,
      target: "pve2",
      schedule: "*/5",
      rate: 50,
      disabled: false,
      source: "pve1",
      removeJob: null,
      comment: null,
    });
  });

  it("defaults the schedule to */15 and decodes the comment", () => {
    expect(jobs[1]).toMatchObject({
      schedule: "*/15",
      disabled: true,
      comment: "nightly: to DR",
      rate: null,
    });
  });

  it("reads a job marked for removal", () => {
    expect(jobs[2]).toMatchObject({ id: "102-1", removeJob: "full" });
  });

  it("normalises the job id like PVE", () => {
    expect(parseReplicationCfg("local: 0100-00\n\ttarget pve2\n")[0]?.id).toBe("100-0");
  });

  it("refuses a job without target, a guest below 100 and a foreign section type", () => {
    expect(() => parseReplicationCfg("local: 100-0\n\tschedule */5\n")).toThrow(/no target/);
    expect(() => parseReplicationCfg("local: 99-0\n\ttarget pve2\n")).toThrow(ParseError);
    expect(() => parseReplicationCfg("remote: 100-0\n\ttarget pve2\n")).toThrow(ParseError);
  });
});

describe("serializeReplicationCfg", () => {
  it("round-trips a PVE-written replication.cfg byte for byte", () => {
    const text = fixture("replication-cfg-jobs.txt");
    expect(serializeReplicationCfg(parseReplicationCfg(text))).toBe(text);
  });

  it("writes a switched target and source in PVE's key order", () => {
    const [job] = parseReplicationCfg(fixture("replication-cfg-jobs.txt"));
    expect(serializeReplicationCfg([{ ...job!, target: "pve1", source: "pve2", disabled: true }])).toBe(
      "local: 100-0\n\tdisable\n\ttarget pve1\n\trate 50\n\tschedule */5\n\tsource pve2\n\n",
    );
  });

  it("encodes a new comment and drops the default schedule it was not given", () => {
    const [, job] = parseReplicationCfg(fixture("replication-cfg-jobs.txt"));
    expect(serializeReplicationCfg([{ ...job!, comment: "DR: 100%", disabled: false }])).toBe(
      "local: 101-0\n\tcomment DR%3A 100%25\n\ttarget pve3\n\n",
    );
  });
});
