import { describe, expect, it } from "vitest";
import { bridgeMembers, parseIpAddr, parseIpLink } from "../../../src/pve/parsers/ip-link.js";
import { parseZerotierListNetworks } from "../../../src/pve/parsers/zerotier.js";
import { memoryLab } from "../helpers.js";

describe("ip -j", () => {
  it("prints links as one JSON line in iproute2's key order, the zt tap as a port of vmbr1", () => {
    const out = memoryLab("zerotier-blacklist").sh("pve1", "ip -j link show").stdout;
    expect(out.endsWith("]\n")).toBe(true);
    expect(out.split("\n")).toHaveLength(2);
    expect(out).toContain(
      '{"ifindex":3,"ifname":"eno2","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"mq",' +
        '"master":"vmbr1","operstate":"UP","linkmode":"DEFAULT","group":"default","txqlen":1000,"link_type":"ether",' +
        '"address":"3c:ec:ef:1a:01:11","broadcast":"ff:ff:ff:ff:ff:ff","altnames":["enp1s0f1"]}',
    );
    expect(bridgeMembers(parseIpLink(out)).vmbr1).toEqual(["eno2", "ztly5a3b2c"]);
  });

  it("prints addresses without linkmode, with label and broadcast on IPv4 only", () => {
    const out = memoryLab("zerotier-blacklist-heartbeat").sh("pve2", "ip -j addr show").stdout;
    expect(out).not.toContain("linkmode");
    expect(out).toContain(
      '{"family":"inet","local":"10.10.10.2","prefixlen":24,"broadcast":"10.10.10.255","scope":"global",' +
        '"label":"vmbr1","valid_life_time":4294967295,"preferred_life_time":4294967295}',
    );
    const zt = parseIpAddr(out).find((i) => i.ifname === "ztly5a3b2c");
    expect(zt?.addrs).toEqual([{ family: "inet", local: "172.28.0.12", prefixlen: 16 }]);
  });

  it("drops the zt tap while zerotier-one is stopped", () => {
    const lab = memoryLab("zerotier-blacklist");
    lab.sh("pve1", "systemctl stop zerotier-one");
    expect(lab.sh("pve1", "ip -j link show").stdout).not.toContain("ztly5a3b2c");
  });

  it("prints the default route as ifupdown2 installs it", () => {
    expect(memoryLab().sh("pve1", "ip -j route show default").stdout).toBe(
      '[{"dst":"default","gateway":"10.0.0.254","dev":"vmbr0","protocol":"kernel","flags":["onlink"]}]\n',
    );
  });

  it("refuses the text format rather than inventing it", () => {
    expect(memoryLab().sh("pve1", "ip link show").exitCode).toBe(2);
  });
});

describe("zerotier-cli", () => {
  it("prints info and listnetworks with a dash for no assigned IPs", () => {
    const lab = memoryLab("zerotier-blacklist");
    expect(lab.sh("pve1", "zerotier-cli info").stdout).toBe("200 info a1b2c3d4e1 1.14.2 ONLINE\n");
    const out = lab.sh("pve1", "zerotier-cli listnetworks").stdout;
    expect(out).toBe(
      "200 listnetworks <nwid> <name> <mac> <status> <type> <dev> <ZT assigned ips>\n" +
        "200 listnetworks 8056c2e21c000001 homelab 5a:1e:7f:3b:2c:11 OK PRIVATE ztly5a3b2c -\n",
    );
    expect(parseZerotierListNetworks(out)[0]?.ips).toEqual([]);
  });

  it("cannot reach a stopped service and does not exist where zerotier is not installed", () => {
    const lab = memoryLab("zerotier-blacklist");
    lab.sh("pve1", "systemctl stop zerotier-one");
    expect(lab.sh("pve1", "zerotier-cli info")).toMatchObject({ exitCode: 1 });
    expect(lab.sh("pve1", "zerotier-cli info").stdout).toContain("Error connecting to the ZeroTier service");
    expect(lab.sh("pve2", "zerotier-cli info")).toEqual({
      stdout: "",
      stderr: "sh: 1: zerotier-cli: not found\n",
      exitCode: 127,
    });
  });
});
