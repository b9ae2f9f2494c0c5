import { describe, expect, it } from "vitest";
import { quorumView } from "../../../src/lab/model/quorum.js";
import { memoryLab } from "../helpers.js";

describe("systemctl", () => {
  it("prints one state per unit and exits 0 if any one is active", () => {
    const lab = memoryLab();
    lab.sh("pve1", "systemctl stop pvestatd");
    expect(lab.sh("pve1", "systemctl is-active pvestatd pveproxy")).toEqual({
      stdout: "inactive\nactive\n",
      stderr: "",
      exitCode: 0,
    });
    expect(lab.sh("pve1", "systemctl is-active pvestatd").exitCode).toBe(3);
    expect(lab.sh("pve1", "systemctl is-active zerotier-one")).toMatchObject({
      stdout: "inactive\n",
      exitCode: 4,
    });
  });

  it("drops a node from the membership when corosync stops and brings it back on start", () => {
    const lab = memoryLab();
    lab.sh("pve3", "systemctl stop corosync");
    expect(quorumView(lab.state, lab.node("pve1"))?.members).toHaveLength(2);
    lab.sh("pve3", "systemctl start corosync");
    expect(quorumView(lab.state, lab.node("pve1"))?.members).toHaveLength(3);
  });

  it("stops and starts units in the given order", () => {
    const lab = memoryLab();
    expect(lab.sh("pve2", "systemctl stop pveproxy spiceproxy pvestatd pve-cluster corosync").exitCode).toBe(
      0,
    );
    expect(lab.sh("pve2", "systemctl is-active pveproxy corosync").exitCode).toBe(3);
    expect(lab.sh("pve2", "systemctl start corosync pve-cluster pvestatd spiceproxy pveproxy").exitCode).toBe(
      0,
    );
    expect(lab.sh("pve2", "pvecm status").exitCode).toBe(0);
  });

  it("fails to start pve-cluster while a manual pmxcfs -l holds the lock", () => {
    const lab = memoryLab();
    lab.sh("pve1", "systemctl stop pve-cluster && pmxcfs -l");
    const result = lab.sh("pve1", "systemctl start pve-cluster");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("Job for pve-cluster.service failed");
    const pid = lab.sh("pve1", "cat /run/pve-cluster.pid").stdout.trim();
    expect(lab.sh("pve1", `kill ${pid} && systemctl start pve-cluster`).exitCode).toBe(0);
    expect(lab.node("pve1").pmxcfsLocalMode).toBe(false);
  });

  it("refuses pmxcfs -l while pve-cluster runs", () => {
    expect(memoryLab().sh("pve1", "pmxcfs -l").exitCode).toBe(255);
  });

  it("fails zerotier-one on an invalid local.conf", () => {
    const lab = memoryLab();
    lab.node("pve1").services["zerotier-one"] = "active";
    lab.sh("pve1", `mkdir -p /var/lib/zerotier-one && printf '{"a": 1,}' > /var/lib/zerotier-one/local.conf`);
    expect(lab.sh("pve1", "systemctl restart zerotier-one").exitCode).toBe(1);
    expect(lab.sh("pve1", "systemctl is-active zerotier-one").stdout).toBe("failed\n");
  });

  it("rejects unknown units like systemd", () => {
    expect(memoryLab().sh("pve1", "systemctl restart nope")).toEqual({
      stdout: "",
      stderr: "Failed to restart nope.service: Unit nope.service not found.\n",
      exitCode: 5,
    });
  });
});

describe("a deadlocked pmxcfs", () => {
  it("blocks every /etc/pve access, so the timeout-bounded stat is killed with 137 and pvecm status hangs", () => {
    const lab = memoryLab("restart-pve-services");
    expect(lab.sh("pve2", "timeout -s KILL 5 stat -c %a /etc/pve/local").exitCode).toBe(137);
    expect(lab.sh("pve2", "timeout -s KILL 10 pvecm status").exitCode).toBe(137);
    expect(lab.run("pve2", "pvecm status")).toBe("hang");
    expect(lab.run("pve2", "cat /etc/pve/.members")).toBe("hang");
    expect(lab.sh("pve1", "timeout -s KILL 5 stat -c %a /etc/pve/local").stdout).toBe("755\n");
  });

  it("is cleared by stopping pve-cluster: /etc/pve is gone (exit 1), then back after a start", () => {
    const lab = memoryLab("restart-pve-services");
    lab.sh("pve2", "systemctl stop pve-cluster");
    expect(lab.sh("pve2", "timeout -s KILL 5 stat -c %a /etc/pve/local")).toMatchObject({
      stderr: "stat: cannot statx '/etc/pve/local': No such file or directory\n",
      exitCode: 1,
    });
    lab.sh("pve2", "systemctl start pve-cluster");
    expect(lab.sh("pve2", "timeout -s KILL 5 stat -c %a /etc/pve/local").stdout).toBe("755\n");
    expect(lab.sh("pve2", "pvecm status").exitCode).toBe(0);
  });

  it("does not keep corosync or the other nodes from being quorate", () => {
    const lab = memoryLab("restart-pve-services");
    expect(lab.sh("pve1", "pvecm status").stdout).toContain("Total votes:      3\n");
  });
});

describe("unit side effects", () => {
  it("gives a restarted pve-cluster a new pmxcfs process and pid file", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "cat /run/pve-cluster.pid").stdout).toBe("1050\n");
    lab.sh("pve1", "systemctl restart pve-cluster");
    const pid = lab.sh("pve1", "cat /run/pve-cluster.pid").stdout.trim();
    expect(pid).not.toBe("1050");
    expect(lab.sh("pve1", "ps -C pmxcfs -o pid=,args=").stdout).toBe(`${pid.padStart(7)} /usr/bin/pmxcfs\n`);
  });

  it("restarts a failed pvestatd", () => {
    const lab = memoryLab("restart-pve-services");
    expect(lab.sh("pve2", "systemctl is-active pvestatd")).toMatchObject({ stdout: "failed\n", exitCode: 3 });
    lab.sh("pve2", "systemctl restart pvestatd");
    expect(lab.sh("pve2", "systemctl is-active pvestatd").stdout).toBe("active\n");
  });

  it("leaves corosync failed while its config does not parse", () => {
    const lab = memoryLab("not-quorate-config-corosync-down");
    expect(lab.sh("pve1", "systemctl start corosync")).toMatchObject({ exitCode: 1 });
    expect(lab.sh("pve1", "systemctl is-active corosync").stdout).toBe("failed\n");
    lab.node("pve1").files["/etc/corosync/corosync.conf"] =
      lab.state.pve["corosync.conf"]?.replace("  interface {\n    linknumber: 1\n", "") ?? "";
    expect(lab.sh("pve1", "systemctl start corosync").exitCode).toBe(0);
  });

  it("stops the zerotier loop when a restart reads a blacklist covering the tap's bridge", () => {
    const lab = memoryLab("zerotier-blacklist");
    const conf = JSON.stringify({ physical: { "10.10.10.0/24": { blacklist: true } } });
    lab.sh("pve1", `printf '%s\\n' '${conf}' > /var/lib/zerotier-one/local.conf`);
    expect(lab.node("pve1").zerotier?.looping).toBe(true);
    expect(lab.sh("pve1", "systemctl restart zerotier-one").exitCode).toBe(0);
    expect(lab.node("pve1").zerotier?.looping).toBe(false);
    const sample = () => lab.sh("pve1", "ps -C zerotier-one -o pid=,rss=,pcpu=,comm=").stdout;
    expect(sample()).toMatch(/^ +\d+ 11840 {2}0\.3 zerotier-one\n$/);
    expect(sample()).toBe(sample());
  });

  it("leaves zerotier-one failed without a process after a restart with invalid JSON", () => {
    const lab = memoryLab("zerotier-blacklist-existing");
    lab.sh("pve1", `printf '{"settings": {},}' > /var/lib/zerotier-one/local.conf`);
    expect(lab.sh("pve1", "systemctl restart zerotier-one").exitCode).toBe(1);
    expect(lab.sh("pve1", "systemctl is-active zerotier-one").stdout).toBe("failed\n");
    expect(lab.sh("pve1", "ps -C zerotier-one -o pid=").exitCode).toBe(1);
  });
});
