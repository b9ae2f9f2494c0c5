import { describe, expect, it } from "vitest";
import { nicenum } from "../../../src/lab/commands/zfs.js";
import { memoryLab } from "../helpers.js";

const DISK = "rpool/data/vm-100-disk-0";

describe("zfs and zpool in the lab", () => {
  it("prints -H -p listings tab-separated in bytes and epoch seconds", () => {
    const lab = memoryLab("zfs-replication-divergence");
    expect(lab.sh("pve2", "zfs list -H -p -t snapshot -o name,guid,creation -r rpool/data").stdout).toBe(
      `${DISK}@__replicate_100-0_1772978527__\t7311264188054791301\t1772978527\n`,
    );
    const vol = lab.sh("pve1", `zfs list -H -p -o name,used,refer,volsize,written ${DISK}`).stdout;
    expect(vol).toBe(`${DISK}\t44023414784\t44023414784\t68719476736\t2147483648\n`);
    expect(lab.sh("pve2", "zpool list -H -p -o name,size,health").stdout).toBe(
      "rpool\t1099511627776\tONLINE\n",
    );
  });

  it("prints a header and zfs_nicenum sizes without -H -p", () => {
    const out = memoryLab("zfs-replication-divergence").sh(
      "pve2",
      `zfs list -o name,used,volsize ${DISK}`,
    ).stdout;
    expect(out).toBe(`NAME                      USED  VOLSIZE\n${DISK}   42G      64G\n`);
    expect([nicenum(98_304), nicenum(1536), nicenum(46.01 * 1024 ** 3), nicenum(512)]).toEqual([
      "96K",
      "1.50K",
      "46.0G",
      "512B",
    ]);
  });

  it("fails like zfs on a missing dataset, an occupied name and another pool", () => {
    const lab = memoryLab("zfs-replication-divergence");
    expect(lab.sh("pve2", "zfs list -H -o name rpool/data/nope")).toMatchObject({
      exitCode: 1,
      stderr: "cannot open 'rpool/data/nope': dataset does not exist\n",
    });
    expect(lab.sh("pve2", `zfs rename ${DISK} rpool/data`).stderr).toBe(
      "cannot rename to 'rpool/data': dataset already exists\n",
    );
    expect(lab.sh("pve2", `zfs rename ${DISK} tank/x`).stderr).toBe(
      "cannot rename to 'tank/x': datasets must be within same pool\n",
    );
    expect(lab.sh("pve2", `zfs destroy ${DISK}`).stderr).toContain(
      "use '-r' to destroy the following datasets:",
    );
  });

  it("moves snapshots and the volume id with a rename, and keeps guids", () => {
    const lab = memoryLab("zfs-replication-divergence");
    expect(lab.sh("pve2", `zfs rename ${DISK} rpool/data/pvefix-1-vm-100-disk-0`).exitCode).toBe(0);
    expect(lab.sh("pve2", "zfs list -H -p -t snapshot -o name,guid -r rpool/data").stdout).toBe(
      "rpool/data/pvefix-1-vm-100-disk-0@__replicate_100-0_1772978527__\t7311264188054791301\n",
    );
    expect(lab.node("pve2").volumes).not.toContain("local-zfs:vm-100-disk-0");
  });
});

describe("a replication run in the lab (Replication.pm)", () => {
  it("fails with PVE's two-line error while the target keeps a copy without a common snapshot", () => {
    const lab = memoryLab("zfs-replication-divergence");
    expect(lab.sh("pve1", "pvesr schedule-now 100-0").stdout).toBe("");
    expect(lab.sh("pve1", "pvesr status").stdout).toMatch(
      / 4 No common base snapshot on volume\(s\) local-zfs:vm-100-disk-0\nPlease remove the problematic volume\(s\) from the replication target or delete and re-create the whole job 100-0\n$/,
    );
  });

  it("sends the disk whole once the target copy is gone, then incrementally", () => {
    const lab = memoryLab("zfs-replication-divergence");
    lab.sh("pve2", `zfs rename ${DISK} rpool/data/pvefix-1-vm-100-disk-0`);
    lab.sh("pve1", "pvesr schedule-now 100-0");
    expect(lab.sh("pve1", "pvesr status").stdout).toMatch(/ 0 OK\n$/);
    expect(lab.sh("pve1", "cat /var/log/pve/replicate/100-0").stdout).toMatch(
      /: full sync 'local-zfs:vm-100-disk-0'/,
    );
    const guids = (node: string) => lab.sh(node, `zfs list -H -p -t snapshot -o name,guid ${DISK}`).stdout;
    expect(guids("pve2")).toBe(guids("pve1"));
    lab.state.clock += 900;
    lab.sh("pve1", "pvesr schedule-now 100-0");
    lab.sh("pve1", "pvesr status");
    const log = lab.sh("pve1", "cat /var/log/pve/replicate/100-0").stdout;
    expect(log).toMatch(
      /: incremental sync 'local-zfs:vm-100-disk-0' \(__replicate_100-0_\d+__ => __replicate_100-0_\d+__\)\n/,
    );
    expect(log).toMatch(
      /: delete previous replication snapshot '__replicate_100-0_\d+__' on local-zfs:vm-100-disk-0\n/,
    );
    expect(guids("pve2")).toBe(guids("pve1"));
  });

  it("destroys a renamed copy that still looks like the guest's volume: why pvefix names it pvefix-<guid>-<vol>", () => {
    const lab = memoryLab("zfs-replication-divergence");
    lab.sh("pve2", `zfs rename ${DISK} ${DISK}-pvefix-run1`);
    lab.sh("pve1", "pvesr schedule-now 100-0");
    lab.sh("pve1", "pvesr status");
    expect(lab.sh("pve1", "cat /var/log/pve/replicate/100-0").stdout).toContain(
      "100-0: (remote_prepare_local_job) 100-0: delete stale volume 'local-zfs:vm-100-disk-0-pvefix-run1'\n",
    );
    expect(lab.sh("pve2", `zfs list -H -o name ${DISK}-pvefix-run1`).exitCode).toBe(1);
  });

  it("says no such job for an unknown id", () => {
    expect(memoryLab("zfs-replication-divergence").sh("pve1", "pvesr schedule-now 999-0")).toMatchObject({
      exitCode: 255,
      stderr: "no such replication job '999-0'\n",
    });
  });
});
