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
