import { describe, expect, it } from "vitest";
import { formatGuestConf, mainKey, setMainKey } from "../../../src/lab/model/guest-conf.js";

const PVE_WRITTEN = [
  "#Web frontend%3A nginx",
  "#second line",
  "arch: amd64",
  "hostname: web01",
  "lock: backup",
  "memory: 2048",
  "parent: snap1",
  "",
  "[snap1]",
  "arch: amd64",
  "hostname: web01",
  "lock: snapshot",
  "snaptime: 1772900000",
  "",
].join("\n");

describe("guest config editing", () => {
  it("gives back identical bytes after removing and restoring the lock line", () => {
    const unlocked = setMainKey(PVE_WRITTEN, "lock", null);
    expect(unlocked).not.toContain("lock: backup");
    expect(setMainKey(unlocked, "lock", "backup")).toBe(PVE_WRITTEN);
  });

  it("leaves a lock inside a snapshot section alone", () => {
    const unlocked = setMainKey(PVE_WRITTEN, "lock", null);
    expect(unlocked).toContain("[snap1]\narch: amd64\nhostname: web01\nlock: snapshot\n");
    expect(mainKey(unlocked, "lock")).toBeNull();
  });

  it("reads the lock only from the main section", () => {
    const text = "memory: 512\n\n[snap]\nlock: backup\n";
    expect(mainKey(text, "lock")).toBeNull();
    expect(mainKey(PVE_WRITTEN, "lock")).toBe("backup");
  });

  it("writes keys sorted and the description URI-escaped first, like PVE", () => {
    const text = formatGuestConf({ description: "a: 100%", keys: { memory: "512", cores: "1" } });
    expect(text).toBe("#a%3A 100%25\ncores: 1\nmemory: 512\n");
  });
});
