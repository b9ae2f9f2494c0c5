import { describe, expect, it } from "vitest";
import { parseHaManagerStatus } from "../../../src/pve/parsers/ha-manager-status.js";
import { memoryLab } from "../helpers.js";

describe("ha-manager status", () => {
  it("prints quorum, master, every LRM and the services sorted by SID in the pre-5.1.3 format", () => {
    const lab = memoryLab("restart-pve-services-ha");
    const out = lab.sh("pve1", "ha-manager status");
    expect(out.exitCode).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(
        "^quorum OK\\n" +
          "master pve1 \\(active, Wed Mar 11 14:02:\\d\\d 2026\\)\\n" +
          "lrm pve1 \\(active, Wed Mar 11 14:02:\\d\\d 2026\\)\\n" +
          "lrm pve2 \\(active, Wed Mar 11 14:02:\\d\\d 2026\\)\\n" +
          "lrm pve3 \\(active, Wed Mar 11 14:02:\\d\\d 2026\\)\\n" +
          "service vm:100 \\(pve1, started\\)\\nservice vm:102 \\(pve3, started\\)\\nservice vm:300 \\(pve2, started\\)\\n$",
      ),
    );
    expect(parseHaManagerStatus(out.stdout).lrms.map((l) => l.state)).toEqual(["active", "active", "active"]);
  });

  it("shows an LRM without started services as idle", () => {
    const out = memoryLab("restart-pve-services").sh("pve1", "ha-manager status").stdout;
    expect(out).toMatch(/^lrm pve2 \(idle, /m);
  });

  it("freezes a node's services and idles its LRM once pve-ha-lrm is stopped there", () => {
    const lab = memoryLab("restart-pve-services-ha");
    lab.sh("pve2", "systemctl stop pve-ha-lrm");
    const out = lab.sh("pve1", "ha-manager status").stdout;
    expect(out).toMatch(/^lrm pve2 \(idle, /m);
    expect(out).toContain("service vm:300 (pve2, freeze)\n");
    lab.sh("pve2", "systemctl start pve-ha-lrm");
    expect(lab.sh("pve1", "ha-manager status").stdout).toContain("service vm:300 (pve2, started)\n");
  });

  it("moves the master to the next node whose CRM runs", () => {
    const lab = memoryLab("restart-pve-services-ha");
    lab.sh("pve1", "systemctl stop pve-ha-crm");
    expect(lab.sh("pve3", "ha-manager status").stdout).toMatch(/^master pve2 \(active, /m);
  });

  it("marks a dead node's LRM stale and its started services fence", () => {
    const out = memoryLab("ha-replication-recovery").sh("pve2", "ha-manager status").stdout;
    expect(out).toMatch(/^lrm pve1 \(old timestamp - dead\?, Wed Mar 11 14:00:\d\d 2026\)$/m);
    expect(out).toContain("service vm:100 (pve1, fence)\n");
  });

  it("gives a frozen view without quorum", () => {
    const lab = memoryLab("restart-pve-services");
    lab.node("pve1").clusterLink = false;
    const out = lab.sh("pve1", "ha-manager status").stdout;
    expect(out).toMatch(/^quorum No quorum on node 'pve1'!\nmaster pve1 \(old timestamp - dead\?, /);
    expect(out).toContain("service vm:100 (pve1, started)\n");
  });

  it("prints only the quorum line when HA was never configured", () => {
    expect(memoryLab().sh("pve1", "ha-manager status").stdout).toBe("quorum OK\n");
  });

  it("blocks on a deadlocked pmxcfs", () => {
    expect(memoryLab("restart-pve-services").run("pve2", "ha-manager status")).toBe("hang");
  });
});

describe("ha-manager set", () => {
  it("rewrites the resource's state in resources.cfg", () => {
    const lab = memoryLab("ha-replication-recovery");
    expect(lab.sh("pve2", "ha-manager set vm:100 --state ignored")).toEqual({
      stdout: "",
      stderr: "",
      exitCode: 0,
    });
    expect(lab.state.pve["ha/resources.cfg"]).toBe(
      "ct: 101\n\tstate started\n\nvm: 100\n\tstate ignored\n\n",
    );
    expect(lab.sh("pve2", "ha-manager status").stdout).toContain("service vm:100 (pve1, ignored)\n");
  });

  it("resolves a bare VMID and keeps other keys in PVE's order", () => {
    const lab = memoryLab("ha-replication-mismatch");
    lab.sh("pve1", "ha-manager set 100 --state stopped");
    expect(lab.state.pve["ha/resources.cfg"]).toContain("vm: 100\n\tgroup prefer-a\n\tstate stopped\n\n");
  });

  it("refuses unknown resources, bad states and writes without quorum", () => {
    const lab = memoryLab("ha-replication-mismatch");
    expect(lab.sh("pve1", "ha-manager set vm:102 --state started")).toMatchObject({
      stderr: "no such resource 'vm:102'\n",
      exitCode: 255,
    });
    expect(lab.sh("pve1", "ha-manager set vm:100 --state off").stderr).toContain(
      "state: value 'off' does not have a value in the enumeration",
    );
    lab.node("pve1").clusterLink = false;
    expect(lab.sh("pve1", "ha-manager set vm:100 --state stopped")).toMatchObject({
      stderr: "cfs-lock 'domain-ha' error: no quorum!\n",
      exitCode: 255,
    });
  });
});
