import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { formatUpid, parseUpid, taskLogPath, upidFormat } from "../../../src/pve/parsers/upid.js";

describe("parseUpid", () => {
  it("decodes the hex fields of a single-guest task", () => {
    expect(parseUpid("UPID:pve1:00002F00:0002A1B3:69B1A100:qmigrate:100:root@pam:")).toEqual({
      node: "pve1",
      pid: 0x2f00,
      pstart: 0x2a1b3,
      starttime: 0x69b1a100,
      type: "qmigrate",
      id: "100",
      user: "root@pam",
      raw: "UPID:pve1:00002F00:0002A1B3:69B1A100:qmigrate:100:root@pam:",
    });
  });

  it("accepts the empty id of a multi-guest vzdump job", () => {
    const upid = parseUpid("UPID:pve1:00001A2B:0001E240:69B1A000:vzdump::root@pam:");
    expect(upid.type).toBe("vzdump");
    expect(upid.id).toBe("");
  });

  it("accepts a pstart longer than 8 digits after a long uptime", () => {
    expect(parseUpid("UPID:pve-2:00003000:123456789:69B1A200:vzdump::root@pam:").pstart).toBe(0x123456789);
  });

  it("accepts lower-case hex and an API token user", () => {
    expect(parseUpid("UPID:pve1:00003a00:0001e240:69b1a000:qmstart:100:svc@pve!probe:").pid).toBe(0x3a00);
  });

  it("refuses a UPID without the trailing colon", () => {
    expect(() => parseUpid("UPID:pve1:00001A2B:0001E240:69B1A000:vzdump::root@pam")).toThrow(ParseError);
  });

  it("refuses a node name that starts with a hyphen", () => {
    expect(() => parseUpid("UPID:-pve:00001A2B:0001E240:69B1A000:vzdump::root@pam:")).toThrow(ParseError);
  });
});

describe("formatUpid", () => {
  it("writes upper-case hex padded to 8 digits with a trailing colon", () => {
    expect(
      formatUpid({
        node: "pve1",
        pid: 0x2f00,
        pstart: 0x2a1b3,
        starttime: 0x69b1a100,
        type: "vzdump",
        id: "",
        user: "root@pam",
      }),
    ).toBe("UPID:pve1:00002F00:0002A1B3:69B1A100:vzdump::root@pam:");
  });

  it("round-trips a parsed UPID", () => {
    const raw = "UPID:pve1:00003000:123456789:69B1A200:vzdump:101:root@pam:";
    expect(formatUpid(parseUpid(raw))).toBe(raw);
  });
});

describe("taskLogPath", () => {
  it("files the log under the last hex digit of the start time", () => {
    const upid = parseUpid("UPID:pve1:00002F00:0002A1B3:69B1A10C:qmigrate:100:root@pam:");
    expect(taskLogPath(upid)).toBe(
      "/var/log/pve/tasks/C/UPID:pve1:00002F00:0002A1B3:69B1A10C:qmigrate:100:root@pam:",
    );
  });

  it("is reachable as the upid format", () => {
    expect(upidFormat.parse(" UPID:pve1:00001A2B:0001E240:69B1A000:vzdump::root@pam:\n").node).toBe("pve1");
  });
});
