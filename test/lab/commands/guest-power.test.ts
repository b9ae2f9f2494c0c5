import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

const MOVE = "mv -f /etc/pve/nodes/pve1/qemu-server/100.conf /etc/pve/nodes/pve2/qemu-server/100.conf";

describe("qm / pct start and stop", () => {
  it("starts a recovered VM on the node that holds its replica, with a live kvm process", () => {
    const lab = memoryLab("ha-replication-recovery");
    lab.sh("pve2", "ha-manager set vm:100 --state ignored");
    lab.sh("pve2", MOVE);
    expect(lab.sh("pve2", "qm start 100")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    const runtime = lab.state.guests["100"];
    expect(runtime?.status).toBe("running");
    expect(lab.node("pve2").procs.find((p) => p.pid === runtime?.pid)?.comm).toBe("kvm");
    expect(lab.sh("pve2", "qm status 100").stdout).toBe("status: running\n");
    expect(lab.sh("pve2", "qm stop 100").exitCode).toBe(0);
    expect(lab.state.guests["100"]).toEqual({ status: "stopped", pid: null });
  });

  it("fails to start a VM whose local disk is not on this node", () => {
    const lab = memoryLab("ha-replication-recovery");
    lab.sh("pve2", "ha-manager set vm:100 --state ignored");
    lab.sh("pve3", "mv -f /etc/pve/nodes/pve1/qemu-server/100.conf /etc/pve/nodes/pve3/qemu-server/100.conf");
    expect(lab.sh("pve3", "qm start 100")).toEqual({
      stdout: "",
      stderr: "zfs error: cannot open 'rpool/data/vm-100-disk-0': dataset does not exist\n",
      exitCode: 255,
    });
    expect(lab.state.guests["100"]?.status).toBe("stopped");
  });

  it("only requests a new state for an HA-managed guest", () => {
    const lab = memoryLab("ha-replication-mismatch");
    expect(lab.sh("pve2", "pct stop 101")).toEqual({
      stdout: "Requesting HA stop for CT 101\n",
      stderr: "",
      exitCode: 0,
    });
    expect(lab.state.pve["ha/resources.cfg"]).toContain("ct: 101\n\tstate stopped\n");
    expect(lab.state.guests["101"]?.status).toBe("stopped");
  });

  it("works only on the owner node and refuses running, stopped and locked guests like PVE", () => {
    const lab = memoryLab("not-quorate-config-split");
    expect(lab.sh("pve1", "qm start 102")).toMatchObject({
      stderr: "Configuration file 'nodes/pve1/qemu-server/102.conf' does not exist\n",
      exitCode: 255,
    });
    expect(lab.sh("pve3", "qm start 102").exitCode).toBe(0);
    expect(lab.sh("pve3", "qm start 102")).toEqual({
      stdout: "",
      stderr: "VM 102 already running\n",
      exitCode: 255,
    });
    expect(lab.sh("pve2", "pct stop 101").exitCode).toBe(0);
    expect(lab.sh("pve2", "pct stop 101")).toEqual({
      stdout: "",
      stderr: "CT 101 not running\n",
      exitCode: 255,
    });
    expect(lab.sh("pve3", "qm stop 102").exitCode).toBe(0);
    expect(lab.sh("pve3", "qm stop 102")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    lab.sh("pve3", "qm set 102 --lock backup");
    expect(lab.sh("pve3", "qm start 102").stderr).toBe("VM is locked (backup)\n");
  });
});
