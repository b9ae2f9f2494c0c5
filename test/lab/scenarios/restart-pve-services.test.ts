import { describe, expect, it } from "vitest";
import { quorumView } from "../../../src/lab/model/quorum.js";
import { memoryLab } from "../helpers.js";

const UNITS = "pveproxy spiceproxy pvestatd pve-cluster corosync pvedaemon pve-ha-lrm pve-ha-crm";
const STOP = ["pveproxy", "spiceproxy", "pvestatd", "pve-cluster", "corosync"];

describe("restart-pve-services", () => {
  it("has pve2 hung with a failed pvestatd while its units otherwise run", () => {
    const lab = memoryLab("restart-pve-services");
    expect(lab.sh("pve2", `systemctl is-active ${UNITS}`)).toEqual({
      stdout: "active\nactive\nfailed\nactive\nactive\nactive\nactive\nactive\n",
      stderr: "",
      exitCode: 0,
    });
    expect(lab.sh("pve2", "timeout -s KILL 5 stat -c %a /etc/pve/local").exitCode).toBe(137);
    expect(lab.sh("pve1", "ha-manager status").stdout).not.toMatch(/^service .*\(pve2, /m);
  });

  it("comes back healthy after the contract's stop and start sequence", () => {
    const lab = memoryLab("restart-pve-services");
    for (const unit of STOP) expect(lab.sh("pve2", `systemctl stop ${unit}`).exitCode).toBe(0);
    for (const unit of [...STOP].reverse())
      expect(lab.sh("pve2", `systemctl start ${unit}`).exitCode).toBe(0);
    expect(lab.sh("pve2", `systemctl is-active ${UNITS}`).stdout).not.toMatch(/failed|inactive/);
    expect(lab.sh("pve2", "timeout -s KILL 5 stat -c %a /etc/pve/local").stdout).toBe("755\n");
    expect(lab.sh("pve2", "timeout -s KILL 10 pvecm status").stdout).toContain("Quorate:          Yes\n");
  });
});

describe("restart-pve-services-ha", () => {
  it("arms pve2's watchdog: its LRM is active with vm:300", () => {
    const out = memoryLab("restart-pve-services-ha").sh("pve3", "ha-manager status").stdout;
    expect(out).toMatch(/^lrm pve2 \(active, /m);
    expect(out).toContain("service vm:300 (pve2, started)\n");
  });

  it("disarms it by stopping the LRM and then the CRM first", () => {
    const lab = memoryLab("restart-pve-services-ha");
    lab.sh("pve2", "systemctl stop pve-ha-lrm");
    lab.sh("pve2", "systemctl stop pve-ha-crm");
    expect(lab.sh("pve3", "ha-manager status").stdout).toMatch(/^lrm pve2 \(idle, /m);
  });
});

describe("restart-pve-services-degraded", () => {
  it("leaves pve1 with 1 of 3 votes once corosync stops on pve2", () => {
    const lab = memoryLab("restart-pve-services-degraded");
    expect(lab.node("pve3").up).toBe(false);
    expect(quorumView(lab.state, lab.node("pve1"))?.quorate).toBe(true);
    lab.sh("pve2", "systemctl stop corosync");
    expect(quorumView(lab.state, lab.node("pve1"))).toMatchObject({ totalVotes: 1, quorate: false });
  });
});
