import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

describe("reading files", () => {
  it("prints base64 -w0 without a newline and sha256sum in coreutils format", () => {
    const lab = memoryLab();
    const conf = lab.state.pve["storage.cfg"] ?? "";
    expect(lab.sh("pve1", "base64 -w0 /etc/pve/storage.cfg").stdout).toBe(
      Buffer.from(conf).toString("base64"),
    );
    expect(lab.sh("pve1", "sha256sum /etc/pve/storage.cfg").stdout).toBe(
      `${createHash("sha256").update(conf).digest("hex")}  /etc/pve/storage.cfg\n`,
    );
    expect(lab.sh("pve1", "sha256sum /nope")).toEqual({
      stdout: "",
      stderr: "sha256sum: /nope: No such file or directory\n",
      exitCode: 1,
    });
  });

  it("follows the pmxcfs symlinks to the local node's directory", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "test -f /etc/pve/qemu-server/200.conf").exitCode).toBe(0);
    expect(lab.sh("pve2", "test -f /etc/pve/qemu-server/200.conf").exitCode).toBe(1);
    expect(lab.sh("pve2", "test -f /etc/pve/nodes/pve1/qemu-server/200.conf").exitCode).toBe(0);
  });

  it("reads /proc/<pid>/stat with the start time in field 22", () => {
    const lab = memoryLab();
    const proc = lab.node("pve1").procs.find((p) => p.comm === "kvm")!;
    const fields = lab.sh("pve1", `cat /proc/${proc.pid}/stat`).stdout.trim().split(" ");
    expect(fields[1]).toBe("(kvm)");
    expect(fields[21]).toBe(String(proc.starttime));
    expect(fields).toHaveLength(52);
    expect(lab.sh("pve1", "cat /proc/999999/stat").stderr).toBe(
      "cat: /proc/999999/stat: No such file or directory\n",
    );
  });

  it("answers stat -c %a on /etc/pve/local with 755 when quorate and 555 when not", () => {
    expect(memoryLab().sh("pve2", "stat -c %a /etc/pve/local").stdout).toBe("755\n");
    expect(memoryLab("stuck-lock-no-quorum").sh("pve1", "stat -c %a /etc/pve/local").stdout).toBe("555\n");
  });

  it("reports nfs for an NFS mount and hangs on a hung one unless timeout ends it", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "stat -f -c %T /mnt/pve/nfs-backup").stdout).toBe("nfs\n");
    expect(lab.run("pve2", "stat -f -c %T /mnt/pve/nfs-backup")).toBe("hang");
    expect(lab.run("pve2", "test -d /mnt/pve/nfs-backup")).toBe("hang");
    expect(lab.sh("pve2", "timeout 2 stat -f -c %T /mnt/pve/nfs-backup").exitCode).toBe(124);
    expect(lab.sh("pve2", "timeout -s KILL -k 1 2 stat -f -c %T /mnt/pve/nfs-backup").exitCode).toBe(137);
  });

  it("prints the statx error for a missing path", () => {
    expect(memoryLab().sh("pve1", "stat -c %a /nope")).toEqual({
      stdout: "",
      stderr: "stat: cannot statx '/nope': No such file or directory\n",
      exitCode: 1,
    });
  });
});

describe("changing files", () => {
  it("writes atomically through a temp file and mv -f the way pvefix does", () => {
    const lab = memoryLab();
    const cmd =
      "cat > /etc/pve/storage.cfg.pvefix-tmp && mv -f /etc/pve/storage.cfg.pvefix-tmp /etc/pve/storage.cfg";
    expect(lab.sh("pve1", cmd, "dir: local\n\tpath /var/lib/vz\n").exitCode).toBe(0);
    expect(lab.state.pve["storage.cfg"]).toBe("dir: local\n\tpath /var/lib/vz\n");
    expect(lab.state.pve["storage.cfg.pvefix-tmp"]).toBeUndefined();
  });

  it("backs up with mkdir -p and cp -p, keeping the mode", () => {
    const lab = memoryLab();
    lab.sh("pve1", "echo '{}' > /var/lib/zt.conf && chmod 600 /var/lib/zt.conf");
    expect(
      lab.sh("pve1", "mkdir -p /root/pvefix-backup/run1 && cp -p /var/lib/zt.conf /root/pvefix-backup/run1/")
        .exitCode,
    ).toBe(0);
    expect(lab.sh("pve1", "stat -c %a /root/pvefix-backup/run1/zt.conf").stdout).toBe("600\n");
  });

  it.each([
    ["cat >", "echo x > /etc/pve/new.cfg", "sh: 1: cannot create /etc/pve/new.cfg: Permission denied\n", 2],
    [
      "mv",
      "mv /etc/pve/datacenter.cfg /etc/pve/dc.cfg",
      "mv: cannot move '/etc/pve/datacenter.cfg' to '/etc/pve/dc.cfg': Permission denied\n",
      1,
    ],
    [
      "cp",
      "cp /etc/hostname /etc/pve/h",
      "cp: cannot create regular file '/etc/pve/h': Permission denied\n",
      1,
    ],
    [
      "rm",
      "rm -f /etc/pve/datacenter.cfg",
      "rm: cannot remove '/etc/pve/datacenter.cfg': Permission denied\n",
      1,
    ],
    [
      "mkdir",
      "mkdir /etc/pve/priv/lock/x",
      "mkdir: cannot create directory '/etc/pve/priv/lock/x': Permission denied\n",
      1,
    ],
  ])("refuses %s into /etc/pve without quorum with Permission denied", (_what, command, stderr, exitCode) => {
    const lab = memoryLab("stuck-lock-no-quorum");
    const before = JSON.stringify(lab.state.pve);
    expect(lab.sh("pve1", command)).toEqual({ stdout: "", stderr, exitCode });
    expect(JSON.stringify(lab.state.pve)).toBe(before);
  });

  it("empties /etc/pve when pve-cluster stops and fills it again in local mode", () => {
    const lab = memoryLab();
    lab.sh("pve1", "systemctl stop pve-cluster");
    expect(lab.sh("pve1", "cat /etc/pve/storage.cfg").stderr).toBe(
      "cat: /etc/pve/storage.cfg: No such file or directory\n",
    );
    expect(lab.sh("pve1", "pmxcfs -l").exitCode).toBe(0);
    expect(lab.sh("pve1", "test -f /etc/pve/storage.cfg").exitCode).toBe(0);
    expect(lab.sh("pve1", "cat /etc/pve/.members").stdout).toBe('{\n"nodename": "pve1",\n"version": 0\n}\n');
  });

  it("removes directories recursively with rm -rf and not without -r", () => {
    const lab = memoryLab();
    lab.sh("pve1", "mkdir -p /tmp/a/b && echo x > /tmp/a/b/f");
    expect(lab.sh("pve1", "rm /tmp/a").stderr).toBe("rm: cannot remove '/tmp/a': Is a directory\n");
    expect(lab.sh("pve1", "rm -rf /tmp/a && test -e /tmp/a").exitCode).toBe(1);
  });
});
