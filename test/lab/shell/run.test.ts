import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

describe("runCommandLine", () => {
  it("answers an unknown command with exit 127 on stderr, never a silent success", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "pvefoo --bar")).toEqual({
      stdout: "",
      stderr: "sh: 1: pvefoo: not found\n",
      exitCode: 127,
    });
  });

  it("does not treat JavaScript object keys as commands", () => {
    expect(memoryLab().sh("pve1", "constructor").exitCode).toBe(127);
  });

  it("runs && and || by exit status", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "false && echo no || echo yes").stdout).toBe("yes\n");
    expect(lab.sh("pve1", "true && echo one; false; echo two")).toMatchObject({
      stdout: "one\ntwo\n",
      exitCode: 0,
    });
  });

  it("feeds stdout into the next command of a pipeline and returns the last exit status", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "cat /proc/mounts | grep -q nfs-backup")).toMatchObject({
      stdout: "",
      exitCode: 0,
    });
    expect(lab.sh("pve1", "echo abc | grep -q xyz").exitCode).toBe(1);
  });

  it("hands the exec's stdin to the first reader only", () => {
    const lab = memoryLab();
    const result = lab.sh("pve1", "cat > /tmp/a && cat > /tmp/b && cat /tmp/a /tmp/b", "payload\n");
    expect(result.stdout).toBe("payload\n");
  });

  it("writes, appends and reads files through redirects", () => {
    const lab = memoryLab();
    lab.sh("pve1", "echo one > /tmp/f; echo two >> /tmp/f");
    expect(lab.sh("pve1", "cat < /tmp/f").stdout).toBe("one\ntwo\n");
  });

  it("discards stderr with 2>/dev/null and merges it with 2>&1", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "cat /nope 2>/dev/null")).toEqual({ stdout: "", stderr: "", exitCode: 1 });
    expect(lab.sh("pve1", "cat /nope 2>&1").stdout).toBe("cat: /nope: No such file or directory\n");
  });

  it("fails a redirect into a missing directory with dash's text and does not run the command", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "echo x > /nowhere/f")).toEqual({
      stdout: "",
      stderr: "sh: 1: cannot create /nowhere/f: Directory nonexistent\n",
      exitCode: 2,
    });
    expect(lab.sh("pve1", "cat < /nope")).toMatchObject({
      stderr: "sh: 1: cannot open /nope: No such file\n",
      exitCode: 2,
    });
  });

  it("hangs the whole command line when one command blocks on a hung mount", () => {
    const lab = memoryLab();
    expect(lab.run("pve2", "echo before; stat -f -c %T /mnt/pve/nfs-backup")).toBe("hang");
  });

  it("ignores leading environment assignments", () => {
    expect(memoryLab().sh("pve1", "LC_ALL=C hostname").stdout).toBe("pve1\n");
  });

  it("accepts commands called by absolute path", () => {
    expect(memoryLab().sh("pve3", "/usr/bin/hostname").stdout).toBe("pve3\n");
  });
});
