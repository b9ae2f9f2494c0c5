import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

const bump = (text: string, version: number) =>
  text.replace(/config_version: \d+/, `config_version: ${version}`);

describe("corosync.conf propagation", () => {
  it("copies a newer /etc/pve/corosync.conf to every node of the writer's partition, not to a cut-off node", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    const next = bump(lab.state.pve["corosync.conf"] ?? "", 4);
    const write =
      "cat > /etc/pve/corosync.conf.new && mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf";
    expect(lab.sh("pve2", write, next).exitCode).toBe(0);
    expect(lab.node("pve2").files["/etc/corosync/corosync.conf"]).toBe(next);
    expect(lab.node("pve3").files["/etc/corosync/corosync.conf"]).toBe(next);
    expect(lab.node("pve1").files["/etc/corosync/corosync.conf"]).toContain("config_version: 3");
  });

  it("never copies an older version over a newer local file", () => {
    const lab = memoryLab();
    const local = bump(lab.node("pve1").files["/etc/corosync/corosync.conf"] ?? "", 9);
    lab.node("pve1").files["/etc/corosync/corosync.conf"] = local;
    lab.sh("pve1", "cat > /etc/pve/corosync.conf", bump(local, 5));
    expect(lab.node("pve1").files["/etc/corosync/corosync.conf"]).toBe(local);
    expect(lab.node("pve2").files["/etc/corosync/corosync.conf"]).toContain("config_version: 5");
  });

  it("syncs at pmxcfs start, but not from local mode", () => {
    const lab = memoryLab();
    lab.sh("pve3", "systemctl stop pve-cluster && pmxcfs -l");
    lab.sh("pve3", "cat > /etc/pve/corosync.conf", bump(lab.state.pve["corosync.conf"] ?? "", 7));
    expect(lab.node("pve3").files["/etc/corosync/corosync.conf"]).toContain("config_version: 3");
    const pid = lab.sh("pve3", "cat /run/pve-cluster.pid").stdout.trim();
    lab.sh("pve3", `kill ${pid} && systemctl start pve-cluster`);
    expect(lab.node("pve3").files["/etc/corosync/corosync.conf"]).toContain("config_version: 7");
  });
});
