import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

describe("small utilities", () => {
  it("prints the lab clock with date +%s and ctime-like date", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "date +%s").stdout).toBe(`${lab.state.clock}\n`);
    expect(lab.sh("pve1", "date").stdout).toMatch(/^Wed Mar 11 14:02:\d\d UTC 2026\n$/);
    // pvereport's time line (RFC 5322, a two-digit day).
    expect(lab.sh("pve1", "date -R").stdout).toMatch(/^Wed, 11 Mar 2026 14:02:\d\d \+0000\n$/);
  });

  it("kills a process by pid and reports a missing one like dash", () => {
    const lab = memoryLab();
    const kvm = lab.node("pve1").procs.find((p) => p.comm === "kvm")!;
    expect(lab.sh("pve1", `kill -0 ${kvm.pid}`).exitCode).toBe(0);
    expect(lab.sh("pve1", `kill -9 ${kvm.pid}`).exitCode).toBe(0);
    expect(lab.state.guests["200"]).toEqual({ status: "stopped", pid: null });
    expect(lab.sh("pve1", `kill ${kvm.pid}`)).toEqual({
      stdout: "",
      stderr: "sh: 1: kill: No such process\n",
      exitCode: 1,
    });
  });

  it("passes through the exit status of a command that finishes within timeout", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "timeout 5 cat /nope")).toMatchObject({ exitCode: 1 });
    expect(lab.sh("pve1", "timeout 5s hostname").stdout).toBe("pve1\n");
  });

  it("supports printf %s with reuse of the format and echo -n", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", 'printf "%s=%s\\n" a 1 b 2').stdout).toBe("a=1\nb=2\n");
    expect(lab.sh("pve1", "echo -n x").stdout).toBe("x");
  });

  it("supports basic grep and head in pipes", () => {
    const lab = memoryLab();
    expect(
      lab.sh("pve1", "cat /var/log/pve/tasks/active | grep -E 'vzdump:100:' | head -n 1").stdout,
    ).toMatch(/^UPID:pve1:.*:vzdump:100:root@pam: 0\n$/);
    expect(lab.sh("pve1", "grep -q nothing-like-this /etc/hostname").exitCode).toBe(1);
  });
});
