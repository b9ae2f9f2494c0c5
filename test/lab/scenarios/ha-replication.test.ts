import { describe, expect, it } from "vitest";
import { quorumView } from "../../../src/lab/model/quorum.js";
import { memoryLab } from "../helpers.js";

describe("ha-replication-mismatch", () => {
  it("puts vm:100 in an unrestricted group preferring pve1 and pve3, replicated only to pve2", () => {
    const lab = memoryLab("ha-replication-mismatch");
    expect(lab.sh("pve1", "cat /etc/pve/ha/groups.cfg").stdout).toBe(
      "group: prefer-a\n\tnodes pve1:2,pve3:1\n\trestricted 0\n\n",
    );
    expect(lab.sh("pve1", "cat /etc/pve/ha/resources.cfg").stdout).toBe(
      "ct: 101\n\tstate started\n\nvm: 100\n\tgroup prefer-a\n\tstate started\n\n",
    );
    expect(lab.sh("pve1", "cat /etc/pve/replication.cfg").stdout).toBe(
      "local: 100-0\n\ttarget pve2\n\tsource pve1\n\nlocal: 102-0\n\ttarget pve1\n\tschedule */30\n\tsource pve3\n\n",
    );
    expect(lab.sh("pve1", "cat /etc/pve/ha/rules.cfg").exitCode).toBe(1);
  });

  it("keeps vm-100-disk-0 on pve1 and its replica on pve2, none on pve3", () => {
    const lab = memoryLab("ha-replication-mismatch");
    const has = (n: string) => lab.node(n).volumes.includes("local-zfs:vm-100-disk-0");
    expect(["pve1", "pve2", "pve3"].map(has)).toEqual([true, true, false]);
    expect(lab.sh("pve1", "cat /etc/pve/.vmlist").stdout).toContain(
      '"100": { "node": "pve1", "type": "qemu"',
    );
  });
});

describe("ha-replication-mismatch-rules", () => {
  it("uses a strict PVE 9 node-affinity rule and no groups.cfg", () => {
    const lab = memoryLab("ha-replication-mismatch-rules");
    expect(lab.sh("pve1", "cat /etc/pve/ha/rules.cfg").stdout).toBe(
      "node-affinity: vm100-placement\n\tnodes pve1,pve3\n\tresources vm:100\n\tstrict 1\n\n",
    );
    expect(lab.sh("pve1", "cat /etc/pve/ha/groups.cfg").exitCode).toBe(1);
    expect(lab.sh("pve1", "cat /etc/pve/ha/resources.cfg").stdout).toContain("vm: 100\n\tstate started\n\n");
  });
});

describe("ha-replication-recovery", () => {
  it("has pve1 down and out of the quorate membership, with vm:100's config still under nodes/pve1", () => {
    const lab = memoryLab("ha-replication-recovery");
    expect(lab.node("pve1").up).toBe(false);
    const view = quorumView(lab.state, lab.node("pve2"));
    expect(view?.quorate).toBe(true);
    expect(view?.members.map((m) => m.node.name)).toEqual(["pve2", "pve3"]);
    expect(lab.sh("pve2", "pvecm status").stdout).not.toContain("10.10.10.1");
    expect(lab.sh("pve2", "test -f /etc/pve/nodes/pve1/qemu-server/100.conf").exitCode).toBe(0);
    expect(lab.state.guests["100"]).toEqual({ status: "stopped", pid: null });
  });

  it("has the replica only on pve2", () => {
    const lab = memoryLab("ha-replication-recovery");
    expect(lab.node("pve2").volumes).toContain("local-zfs:vm-100-disk-0");
    expect(lab.node("pve3").volumes).not.toContain("local-zfs:vm-100-disk-0");
  });
});
