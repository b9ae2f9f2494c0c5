import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

function sized() {
  const lab = memoryLab();
  lab.state.storageUsage = {
    local: { total: 98_497_780, used: 23_058_676 },
    "local-lvm": { total: 366_198_784, used: 0 },
    "nfs-backup": { total: 1_048_576_000, used: 524_288_000 },
    "nfs-iso": { total: 104_857_600, used: 10_485_760 },
  };
  return lab;
}

describe("pvesm status", () => {
  it("prints the PVE 9 header with (KiB), maxlen name column and % 7.2f percentages", () => {
    const lab = sized();
    expect(lab.sh("pve1", "pvesm status")).toEqual({
      stdout:
        "Name              Type     Status     Total (KiB)      Used (KiB) Available (KiB)        %\n" +
        "local              dir     active        98497780        23058676        75439104   23.41%\n" +
        "local-lvm      lvmthin     active       366198784               0       366198784    0.00%\n" +
        "nfs-backup         nfs     active      1048576000       524288000       524288000   50.00%\n" +
        "nfs-iso            nfs     active       104857600        10485760        94371840   10.00%\n",
      stderr: "",
      exitCode: 0,
    });
  });

  it("lists a hung mount as inactive with zeros, explains on stderr and still exits 0", () => {
    const lab = sized();
    const result = lab.sh("pve2", "pvesm status");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      "nfs-backup         nfs   inactive               0               0               0    0.00%\n",
    );
    expect(result.stderr).toBe(
      "unable to activate storage 'nfs-backup' - directory '/mnt/pve/nfs-backup' does not exist or is unreachable\n",
    );
  });

  it("remounts an unmounted network storage whose server answers", () => {
    const lab = sized();
    expect(lab.sh("pve3", "umount -nlf /mnt/pve/nfs-iso").exitCode).toBe(0);
    expect(lab.sh("pve3", "grep -c nfs-iso /proc/mounts").stdout).toBe("0\n");
    const result = lab.sh("pve3", "pvesm status --storage nfs-iso");
    expect(result.stdout).toContain(
      "\nnfs-iso         nfs     active       104857600        10485760        94371840   10.00%\n",
    );
    expect(lab.sh("pve3", "grep nfs-iso /proc/mounts").stdout).toBe(
      "10.10.20.51:/export/iso /mnt/pve/nfs-iso nfs4 rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard," +
        "proto=tcp,timeo=600,retrans=2,sec=sys,clientaddr=10.10.10.3,local_lock=none,addr=10.10.20.51 0 0\n",
    );
  });

  it("says a storage whose server is down is not online and cannot remount it", () => {
    const lab = memoryLab("hung-nfs");
    const result = lab.sh("pve3", "pvesm status --storage nfs-dead");
    expect(result.stderr).toBe("storage 'nfs-dead' is not online\n");
    expect(result.stdout).toContain(
      "\nnfs-dead         nfs   inactive               0               0               0    0.00%\n",
    );
    lab.sh("pve3", "umount -l /mnt/pve/nfs-dead");
    lab.sh("pve3", "pvesm status --storage nfs-dead");
    expect(lab.sh("pve3", "grep -c nfs-dead /proc/mounts").stdout).toBe("0\n");
  });

  it("shows disabled storages with N/A and skips storages restricted to other nodes", () => {
    const lab = memoryLab("hung-nfs");
    lab.state.pve["storage.cfg"] += "\ndir: old\n\tpath /srv/old\n\tcontent backup\n\tdisable\n";
    const out = lab.sh("pve1", "pvesm status").stdout;
    expect(out).toMatch(/\nold +dir +disabled +0 +0 +0 +N\/A\n/);
    expect(out).not.toContain("nfs-dead");
  });

  it("refuses an unknown storage", () => {
    expect(memoryLab().sh("pve1", "pvesm status --storage nope")).toMatchObject({
      stderr: "storage 'nope' does not exist\n",
      exitCode: 255,
    });
  });
});

describe("umount / mount", () => {
  it("hangs a plain umount of a hung NFS mount but lets a lazy one through", () => {
    const lab = memoryLab();
    expect(lab.run("pve2", "umount /mnt/pve/nfs-backup")).toBe("hang");
    expect(lab.sh("pve2", "umount -n -l -f /mnt/pve/nfs-backup")).toEqual({
      stdout: "",
      stderr: "",
      exitCode: 0,
    });
    expect(lab.sh("pve2", "umount -nlf /mnt/pve/nfs-backup")).toEqual({
      stdout: "",
      stderr: "umount: /mnt/pve/nfs-backup: not mounted.\n",
      exitCode: 32,
    });
  });

  it("refuses to unmount a storage a running guest uses unless lazy", () => {
    const lab = memoryLab();
    lab.node("pve2").mounts.find((m) => m.mountpoint === "/mnt/pve/nfs-backup")!.hung = false;
    expect(lab.sh("pve2", "umount /mnt/pve/nfs-backup")).toMatchObject({
      stderr: "umount.nfs4: /mnt/pve/nfs-backup: device is busy\n",
      exitCode: 32,
    });
  });

  it("mounts again with kernel-style options, hung when the server is down", () => {
    const lab = memoryLab("hung-nfs");
    lab.sh("pve3", "umount -nlf /mnt/pve/nfs-dead");
    expect(
      lab.sh("pve3", "mount -t nfs -o vers=4.2 10.10.20.99:/export/old-backups /mnt/pve/nfs-dead").exitCode,
    ).toBe(0);
    expect(lab.sh("pve3", "timeout 5 stat -f -c %T /mnt/pve/nfs-dead").exitCode).toBe(124);
    expect(lab.sh("pve3", "mount -t nfs 10.10.20.99:/x /mnt/pve/missing")).toMatchObject({
      stderr: "mount: /mnt/pve/missing: mount point does not exist.\n",
      exitCode: 32,
    });
  });
});

describe("bash -c '</dev/tcp/HOST/PORT' (the storage server probe)", () => {
  const probe = (host: string, port = 2049) => `timeout -s KILL 3 bash -c '</dev/tcp/${host}/${port}'`;

  it("connects at once to a server that is up: exit 0, no output", () => {
    expect(memoryLab("hung-nfs").sh("pve3", probe("10.10.20.51"))).toEqual({
      stdout: "",
      stderr: "",
      exitCode: 0,
    });
  });

  it("hangs on a dead server until timeout kills it with exit 137", () => {
    const lab = memoryLab("hung-nfs");
    expect(lab.sh("pve3", probe("10.10.20.99"))).toEqual({ stdout: "", stderr: "", exitCode: 137 });
    expect(lab.run("pve3", "bash -c '</dev/tcp/10.10.20.99/2049'")).toBe("hang");
  });

  it("inverts the status with `!`, as dash does, for the undo's skip check", () => {
    const lab = memoryLab("hung-nfs");
    const skip = (host: string) => `cat /proc/mounts | grep -q ' /mnt/pve/none ' || ! ${probe(host)}`;
    expect(lab.sh("pve3", skip("10.10.20.99")).exitCode).toBe(0);
    expect(lab.sh("pve3", skip("10.10.20.51")).exitCode).toBe(1);
  });

  it("refuses any other bash script instead of pretending to run it", () => {
    expect(memoryLab().sh("pve1", "bash -c 'rm -rf /'").exitCode).toBe(2);
    expect(memoryLab().sh("pve1", "bash /tmp/x.sh").exitCode).toBe(2);
  });
});
