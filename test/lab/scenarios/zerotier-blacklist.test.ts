import { describe, expect, it } from "vitest";
import { zerotierLoops } from "../../../src/lab/model/zerotier.js";
import { EXISTING_LOCAL_CONF } from "../../../src/lab/scenarios/zerotier-blacklist.js";
import { memoryLab } from "../helpers.js";

describe("zerotier-blacklist", () => {
  it("loops on pve1 only, with the tap in vmbr1 and no local.conf", () => {
    const lab = memoryLab("zerotier-blacklist");
    const pve1 = lab.node("pve1");
    expect(pve1.zerotier?.looping).toBe(true);
    expect(zerotierLoops(pve1)).toBe(true);
    expect(pve1.zerotier?.networks[0]?.bridge).toBe("vmbr1");
    expect(lab.sh("pve1", "cat /var/lib/zerotier-one/local.conf").exitCode).toBe(1);
    expect(lab.sh("pve1", "systemctl is-active zerotier-one").stdout).toBe("active\n");
    expect(lab.node("pve2").zerotier).toBeNull();
  });

  it("puts the default route on vmbr0 (10.0.0.0/24) and corosync on vmbr1 (10.10.10.0/24)", () => {
    const lab = memoryLab("zerotier-blacklist");
    expect(lab.sh("pve1", "ip -j route show default").stdout).toContain('"dev":"vmbr0"');
    const addr = lab.sh("pve1", "ip -j addr show").stdout;
    expect(addr).toContain('"local":"10.0.0.11","prefixlen":24');
    expect(addr).toContain('"local":"10.10.10.1","prefixlen":24');
    expect(lab.sh("pve1", "cat /etc/pve/corosync.conf").stdout).toContain("ring0_addr: 10.10.10.1\n");
  });
});

describe("zerotier-blacklist-existing", () => {
  it("keeps a valid local.conf with a custom port and a trusted path that does not stop the loop", () => {
    const lab = memoryLab("zerotier-blacklist-existing");
    expect(lab.sh("pve1", "cat /var/lib/zerotier-one/local.conf").stdout).toBe(EXISTING_LOCAL_CONF);
    expect(JSON.parse(EXISTING_LOCAL_CONF)).toMatchObject({ settings: { primaryPort: 9994 } });
    expect(zerotierLoops(lab.node("pve1"))).toBe(true);
  });
});

describe("zerotier-blacklist-heartbeat", () => {
  it("runs corosync link 1 over the ZeroTier network on every node", () => {
    const lab = memoryLab("zerotier-blacklist-heartbeat");
    const conf = lab.sh("pve1", "cat /etc/pve/corosync.conf").stdout;
    for (const [i, name] of ["pve1", "pve2", "pve3"].entries()) {
      expect(conf).toContain(`ring1_addr: 172.28.0.${11 + i}\n`);
      expect(lab.node(name).zerotier?.networks[0]?.ips).toEqual([`172.28.0.${11 + i}/16`]);
      expect(lab.node(name).files["/etc/corosync/corosync.conf"]).toBe(conf);
    }
    expect(lab.sh("pve1", "corosync-cfgtool -s").stdout).toContain("LINK ID 1 udp\n\taddr\t= 172.28.0.11\n");
    expect(lab.sh("pve1", "zerotier-cli listnetworks").stdout).toContain(" ztly5a3b2c 172.28.0.11/16\n");
    expect(lab.node("pve1").zerotier?.looping).toBe(false);
  });
});
