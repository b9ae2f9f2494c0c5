import { describe, expect, it } from "vitest";
import { parseIpLink } from "../../../src/pve/parsers/ip-link.js";
import { parsePing, pingProblem } from "../../../src/pve/parsers/ping.js";
import { memoryLab } from "../helpers.js";

const DF = "ping -M do -s 1472 -c 2 -W 1";

describe("ping in the lab", () => {
  it("answers on the spare network with iputils' exact layout", () => {
    const out = memoryLab("cluster-network").sh("pve1", `${DF} 10.10.11.2`);
    expect(out).toEqual({
      stdout:
        "PING 10.10.11.2 (10.10.11.2) 1472(1500) bytes of data.\n" +
        "1480 bytes from 10.10.11.2: icmp_seq=1 ttl=64 time=0.187 ms\n" +
        "1480 bytes from 10.10.11.2: icmp_seq=2 ttl=64 time=0.210 ms\n\n" +
        "--- 10.10.11.2 ping statistics ---\n" +
        "2 packets transmitted, 2 received, 0% packet loss, time 1002ms\n" +
        "rtt min/avg/max/mdev = 0.187/0.199/0.210/0.011 ms\n",
      stderr: "",
      exitCode: 0,
    });
  });

  it("refuses a DF packet above the outgoing MTU locally, and loses one above the receiver's", () => {
    const lab = memoryLab("cluster-network-mtu");
    const local = lab.sh("pve1", "ping -M do -s 8972 -c 2 -W 1 10.10.11.2");
    expect(local.exitCode).toBe(1);
    expect(local.stderr).toBe("ping: local error: message too long, mtu=1500\n".repeat(2));
    expect(pingProblem(parsePing(local.stdout, local.stderr), 8972)).toContain("MTU is 1500");
    const dropped = lab.sh("pve2", "ping -M do -s 8972 -c 2 -W 1 10.10.11.1");
    expect(dropped.exitCode).toBe(1);
    expect(parsePing(dropped.stdout)).toMatchObject({
      transmitted: 2,
      received: 0,
      errors: 0,
      localMtu: null,
    });
    // Without DF pve1 fragments its request, but pve2's 9000-byte reply frames never reach pve1.
    expect(lab.sh("pve1", "ping -M dont -s 8972 -c 2 -W 1 10.10.11.2").exitCode).toBe(1);
    expect(lab.sh("pve1", "ping -M dont -s 1472 -c 2 -W 1 10.10.11.2").exitCode).toBe(0);
  });

  it("leaves ARP unanswered across switch VLANs and without carrier, and shows NO-CARRIER in ip", () => {
    const vlan = memoryLab("cluster-network-unreachable").sh("pve1", `${DF} 10.10.11.3`);
    expect(vlan.exitCode).toBe(1);
    expect(vlan.stdout).toContain("From 10.10.11.1 icmp_seq=1 Destination Host Unreachable\n");
    expect(parsePing(vlan.stdout)).toMatchObject({ received: 0, errors: 2, hostUnreachable: true });
    const lab = memoryLab("cluster-network-no-carrier");
    expect(lab.sh("pve1", `${DF} 10.10.11.2`).exitCode).toBe(1);
    const eno3 = parseIpLink(lab.sh("pve2", "ip -j link show").stdout).find((l) => l.ifname === "eno3");
    expect(eno3?.operstate).toBe("DOWN");
    expect(lab.sh("pve2", "ip -j link show").stdout).toContain(
      '"ifname":"eno3","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"]',
    );
  });

  it("-q keeps only the header and the statistics; -I names the source address or binds an interface", () => {
    const lab = memoryLab("cluster-network-unreachable");
    const quiet = lab.sh("pve1", `ping -n -q -M do -s 1472 -c 2 -W 1 -I 10.10.11.1 10.10.11.3`);
    expect(quiet.stdout).toBe(
      "PING 10.10.11.3 (10.10.11.3) from 10.10.11.1 : 1472(1500) bytes of data.\n\n" +
        "--- 10.10.11.3 ping statistics ---\n" +
        "2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1002ms\n",
    );
    expect(lab.sh("pve1", "ping -n -c 1 -I eno3 10.10.11.2").stdout).toMatch(
      /^PING 10\.10\.11\.2 \(10\.10\.11\.2\) from 10\.10\.11\.1 eno3: 56\(84\) bytes of data\.\n64 bytes from /,
    );
    expect(lab.sh("pve1", "ping -c 1 -I 10.10.11.9 10.10.11.2")).toMatchObject({
      exitCode: 2,
      stderr: "ping: bind: Cannot assign requested address\n",
    });
    expect(lab.sh("pve1", "ping -c 1 -M maybe 10.10.11.2")).toMatchObject({
      exitCode: 2,
      stderr: "ping: invalid -M argument: maybe\n",
    });
  });

  it("says the network is unreachable without a route, and refuses flags it does not model", () => {
    const lab = memoryLab("cluster-network");
    lab.node("pve1").defaultRoute = null;
    expect(lab.sh("pve1", `${DF} 192.0.2.1`)).toMatchObject({
      exitCode: 2,
      stderr: "ping: connect: Network is unreachable\n",
    });
    expect(lab.sh("pve1", "ping -f 10.10.11.2").exitCode).toBe(2);
  });
});

describe("knet links follow the interfaces under them", () => {
  it("a link whose interface sits in another switch VLAN stays disconnected", () => {
    const lab = memoryLab("cluster-network-done");
    lab.node("pve3").links.find((l) => l.name === "eno3")!.portVlan = 20;
    const out = lab.sh("pve1", "corosync-cfgtool -s").stdout;
    expect(out).toContain(
      "LINK ID 1 udp\n\taddr\t= 10.10.11.1\n\tstatus:\n\t\tnodeid:          1:\tlocalhost\n\t\tnodeid:          2:\tconnected\n\t\tnodeid:          3:\tdisconnected\n",
    );
    expect(lab.sh("pve3", "corosync-quorumtool -s").exitCode).toBe(0);
  });
});
