import { describe, expect, it } from "vitest";
import { parsePsSample } from "../../../src/pve/parsers/ps-sample.js";
import { memoryLab } from "../helpers.js";

describe("ps", () => {
  it("lists the pve-cluster pmxcfs without a header when every field ends in =", () => {
    const lab = memoryLab("not-quorate-config");
    expect(lab.sh("pve1", "ps -C pmxcfs -o pid=,args=")).toEqual({
      stdout: "   1050 /usr/bin/pmxcfs\n",
      stderr: "",
      exitCode: 0,
    });
  });

  it("shows the manual local-mode pmxcfs with -l in its args", () => {
    const lab = memoryLab("not-quorate-config-corosync-down");
    lab.sh("pve1", "systemctl stop pve-cluster");
    lab.sh("pve1", "pmxcfs -l");
    const pid = lab.sh("pve1", "cat /run/pve-cluster.pid").stdout.trim();
    expect(lab.sh("pve1", "ps -C pmxcfs -o pid=,args=").stdout).toBe(
      `${pid.padStart(7)} /usr/bin/pmxcfs -l\n`,
    );
  });

  it("prints only the header and exits 1 when nothing matches", () => {
    expect(memoryLab().sh("pve1", "ps -C zerotier-one -o pid,comm")).toEqual({
      stdout: "    PID COMMAND\n",
      stderr: "",
      exitCode: 1,
    });
    expect(memoryLab().sh("pve1", "ps -C zerotier-one -o pid=,rss=,pcpu=,comm=")).toMatchObject({
      stdout: "",
      exitCode: 1,
    });
  });

  it("grows a looping zerotier-one's RSS between two samples", () => {
    const lab = memoryLab("zerotier-blacklist");
    const first = parsePsSample(lab.sh("pve1", "ps -C zerotier-one -o pid=,rss=,pcpu=,comm=").stdout);
    lab.sh("pve1", "sleep 2");
    const second = parsePsSample(lab.sh("pve1", "ps -C zerotier-one -o pid=,rss=,pcpu=,comm=").stdout);
    expect(first).toHaveLength(1);
    expect(second[0]?.pid).toBe(first[0]?.pid);
    expect(second[0]?.rssKiB).toBeGreaterThan(first[0]?.rssKiB ?? Number.POSITIVE_INFINITY);
    expect(first[0]?.cpuPercent).toBe(187);
  });

  it("keeps a healthy zerotier-one's RSS stable", () => {
    const lab = memoryLab("zerotier-blacklist-heartbeat");
    const sample = () => lab.sh("pve1", "ps -C zerotier-one -o pid=,rss=,pcpu=,comm=").stdout;
    expect(sample()).toBe(sample());
  });

  it("rejects an unknown format field like procps", () => {
    const out = memoryLab().sh("pve1", "ps -C pmxcfs -o pid,nope");
    expect(out.exitCode).toBe(1);
    expect(out.stderr).toContain('error: unknown user-defined format specifier "nope"');
  });
});

describe("pkill -F", () => {
  it("kills the local-mode pmxcfs from its pid file, which unmounts /etc/pve", () => {
    const lab = memoryLab("not-quorate-config-corosync-down");
    lab.sh("pve1", "systemctl stop pve-cluster");
    lab.sh("pve1", "pmxcfs -l");
    expect(lab.sh("pve1", "test -f /etc/pve/corosync.conf").exitCode).toBe(0);
    expect(lab.sh("pve1", "pkill -F /run/pve-cluster.pid")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(lab.node("pve1").pmxcfsLocalMode).toBe(false);
    expect(lab.sh("pve1", "test -f /etc/pve/corosync.conf").exitCode).toBe(1);
    expect(lab.sh("pve1", "systemctl start pve-cluster").exitCode).toBe(0);
  });

  it("says the pid file is not valid when it is missing, and exits 1 when no process has that pid", () => {
    const lab = memoryLab();
    lab.sh("pve1", "systemctl stop pve-cluster");
    expect(lab.sh("pve1", "pkill -F /run/pve-cluster.pid")).toEqual({
      stdout: "",
      stderr: "pkill: pidfile not valid\nTry `pkill --help' for more information.\n",
      exitCode: 1,
    });
    lab.sh("pve1", "echo 999999 > /run/stale.pid");
    expect(lab.sh("pve1", "pkill -F /run/stale.pid")).toEqual({ stdout: "", stderr: "", exitCode: 1 });
  });

  it("stops the unit whose main process it kills", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "pkill -F /run/pve-cluster.pid").exitCode).toBe(0);
    expect(lab.sh("pve1", "systemctl is-active pve-cluster").stdout).toBe("inactive\n");
  });
});
