import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseTasksActive, tasksActiveFormat } from "../../../src/pve/parsers/tasks-active.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseTasksActive", () => {
  const tasks = parseTasksActive(fixture("tasks-active-stale-entries.txt"));

  it("claims a task without end time as running, without judging whether it is stale", () => {
    const running = tasks.filter((t) => t.running);
    expect(running.map((t) => `${t.upid.type}:${t.upid.id}`)).toEqual(["vzdump:", "qmigrate:100", "vzdump:"]);
    expect(running.every((t) => t.endtime === null && t.status === null && !t.saved)).toBe(true);
  });

  it("reads finished tasks with hex end time and a status that contains spaces", () => {
    expect(tasks[2]).toMatchObject({ saved: true, endtime: 0x69b19f80, status: "OK", running: false });
    expect(tasks[3]?.status).toBe("WARNINGS: 1");
    expect(tasks[4]?.status).toBe("unexpected status");
    expect(tasks[5]?.status).toBe("can't lock file '/var/lock/qemu-server/lock-103.conf' - got timeout");
  });

  it("keeps the empty id of a multi-guest vzdump and a 9-digit pstart", () => {
    expect(tasks[6]?.upid).toMatchObject({ id: "", pstart: 0x123456789 });
  });

  it("reads an empty file as no tasks", () => {
    expect(parseTasksActive("")).toEqual([]);
  });

  it("accepts an end time without status", () => {
    expect(
      parseTasksActive("UPID:pve1:00000C35:000186A0:69B19F00:vzdump:101:root@pam: 1 69B19F80\n")[0],
    ).toMatchObject({
      endtime: 0x69b19f80,
      status: null,
      running: false,
    });
  });

  it("refuses a line it cannot read, naming the line", () => {
    expect(() =>
      parseTasksActive("UPID:pve1:00000C35:000186A0:69B19F00:vzdump:101:root@pam: 1\ngarbage\n"),
    ).toThrowError(expect.objectContaining({ format: "tasks-active", line: 2 }));
  });

  it("refuses an entry whose UPID is malformed", () => {
    expect(() => parseTasksActive("UPID:pve1:XYZ 0\n")).toThrowError(
      expect.objectContaining({ name: "ParseError", line: 1 }),
    );
  });

  it("is reachable as the tasks-active format", () => {
    expect(tasksActiveFormat.schema.parse(tasks)).toHaveLength(7);
  });
});
