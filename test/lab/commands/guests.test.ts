import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

describe("pct list / qm list", () => {
  it("prints pct list in fixed columns with a blank Lock and padded names", () => {
    const lab = memoryLab();
    expect(lab.sh("pve2", "pct list").stdout).toBe(
      "VMID       Status     Lock         Name                \n" +
        "101        stopped                 dns01               \n" +
        "105        running                 files01             \n",
    );
    expect(lab.sh("pve1", "pct list").stdout).toContain(
      "100        running    backup       web01               \n",
    );
  });

  it("prints nothing at all when a node has no containers or VMs", () => {
    const lab = memoryLab();
    expect(lab.sh("pve3", "pct list")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(lab.sh("pve2", "qm list")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  it("prints qm list without a lock column, with PID 0 for stopped VMs", () => {
    const lab = memoryLab("stuck-lock");
    const out = lab.sh("pve2", "qm list").stdout;
    expect(out).toBe(
      "      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       \n" +
        "       201 ci-runner            stopped    4096              32.00 0         \n",
    );
  });
});

describe("pct unlock / qm unlock", () => {
  it("removes the lock and gives back identical bytes when the lock is restored", () => {
    const lab = memoryLab();
    const before = lab.sh("pve1", "cat /etc/pve/lxc/100.conf").stdout;
    expect(lab.sh("pve1", "pct unlock 100")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(lab.sh("pve1", "cat /etc/pve/lxc/100.conf").stdout).not.toContain("lock:");
    expect(lab.sh("pve1", "pct set 100 --lock backup").exitCode).toBe(0);
    expect(lab.sh("pve1", "cat /etc/pve/lxc/100.conf").stdout).toBe(before);
  });

  it("fails pct unlock when there is no lock, but lets qm unlock succeed silently", () => {
    const lab = memoryLab();
    expect(lab.sh("pve2", "pct unlock 105")).toEqual({
      stdout: "",
      stderr: "no lock found trying to remove any lock\n",
      exitCode: 255,
    });
    expect(lab.sh("pve3", "qm unlock 300")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
  });

  it("only works on the node that owns the guest", () => {
    const lab = memoryLab();
    expect(lab.sh("pve2", "pct unlock 100")).toMatchObject({
      stderr: "Configuration file 'nodes/pve2/lxc/100.conf' does not exist\n",
      exitCode: 255,
    });
    expect(lab.sh("pve3", "qm unlock 200").stderr).toBe(
      "Configuration file 'nodes/pve3/qemu-server/200.conf' does not exist\n",
    );
  });

  it("does not look at running tasks: it unlocks a VM whose migration still runs", () => {
    const lab = memoryLab();
    lab.sh("pve1", "qm unlock 200");
    expect(lab.sh("pve1", "qm config 200").stdout).not.toContain("lock:");
  });

  it("cannot write the config without quorum and names the temp file", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    const result = lab.sh("pve1", "pct unlock 100");
    expect(result.exitCode).toBe(255);
    expect(result.stderr).toMatch(
      /^unable to open file '\/etc\/pve\/nodes\/pve1\/lxc\/100\.conf\.tmp\.\d+' - Permission denied\n$/,
    );
    expect(lab.sh("pve1", "pct config 100").stdout).toContain("lock: backup\n");
  });

  it("fails like every PVE tool when pmxcfs is not running", () => {
    const lab = memoryLab();
    lab.sh("pve1", "systemctl stop pve-cluster");
    expect(lab.sh("pve1", "pct list")).toMatchObject({
      exitCode: 111,
      stderr: expect.stringContaining("ipcc_send_rec[1] failed"),
    });
  });
});

describe("pct/qm set, config and status", () => {
  it("restores a VM lock with qm set and reports the update like qm", () => {
    const lab = memoryLab();
    lab.sh("pve3", "qm unlock 300");
    expect(lab.sh("pve3", "qm set 300 --lock backup")).toEqual({
      stdout: "update VM 300: -lock backup\n",
      stderr: "",
      exitCode: 0,
    });
    expect(lab.sh("pve3", "qm config 300").stdout).toContain("lock: backup\n");
    expect(lab.sh("pve3", "qm set 300 --delete lock").stderr).toBe("VM is locked (backup)\n");
    expect(lab.sh("pve3", "qm set 300 --delete lock --skiplock").stdout).toBe(
      "update VM 300: -delete lock\n",
    );
  });

  it("refuses to set a lock on a guest that is already locked", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "pct set 100 --lock migrate")).toMatchObject({
      stderr: "CT is locked (backup)\n",
      exitCode: 255,
    });
  });

  it("prints only the main section in config, so a snapshot's lock does not show", () => {
    const lab = memoryLab("stuck-lock");
    const out = lab.sh("pve3", "qm config 204").stdout;
    expect(out).not.toContain("lock:");
    expect(out).toContain("parent: before-upgrade\n");
    expect(lab.sh("pve3", "cat /etc/pve/qemu-server/204.conf").stdout).toContain("[before-upgrade]\n");
  });

  it("reports the runtime status", () => {
    const lab = memoryLab();
    expect(lab.sh("pve2", "pct status 105").stdout).toBe("status: running\n");
    expect(lab.sh("pve2", "pct status 101").stdout).toBe("status: stopped\n");
    expect(lab.sh("pve1", "qm status 200").stdout).toBe("status: running\n");
  });
});
