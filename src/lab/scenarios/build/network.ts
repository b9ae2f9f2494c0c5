/**
 * The interfaces a PVE node gets from a typical /etc/network/interfaces (ifupdown2): vmbr0 on eno1
 * with the management network and the default route, vmbr1 on eno2 with the corosync network.
 */
import type { LabLink, LabNode } from "../../state.js";

/** The modified EUI-64 link-local address the kernel derives from a MAC. */
export function linkLocal(mac: string): string {
  const b = mac.split(":").map((h) => Number.parseInt(h, 16));
  const bytes = [(b[0] ?? 0) ^ 2, b[1] ?? 0, b[2] ?? 0, 0xff, 0xfe, b[3] ?? 0, b[4] ?? 0, b[5] ?? 0];
  const groups = [0, 2, 4, 6].map((i) => (((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return `fe80::${groups.join(":")}/64`;
}

export const MANAGEMENT_GATEWAY = "10.0.0.254";

export function managementAddress(index: number): string {
  return `10.0.0.${10 + index}`;
}

/** `index` is the node number (pve1 → 1); `clusterIp` goes on vmbr1. */
export function standardLinks(index: number, clusterIp: string): LabLink[] {
  const mac = (port: number) =>
    `3c:ec:ef:1a:${index.toString(16).padStart(2, "0")}:${(0x10 + port).toString(16)}`;
  return [
    {
      name: "lo",
      type: "loopback",
      master: null,
      mac: "00:00:00:00:00:00",
      mtu: 65536,
      addrs: ["127.0.0.1/8", "::1/128"],
      altnames: [],
      portVlan: null,
    },
    {
      name: "eno1",
      type: "ether",
      master: "vmbr0",
      mac: mac(0),
      mtu: 1500,
      addrs: [],
      altnames: ["enp1s0f0"],
      portVlan: null,
    },
    {
      name: "eno2",
      type: "ether",
      master: "vmbr1",
      mac: mac(1),
      mtu: 1500,
      addrs: [],
      altnames: ["enp1s0f1"],
      portVlan: null,
    },
    {
      name: "vmbr0",
      type: "bridge",
      master: null,
      mac: mac(0),
      mtu: 1500,
      addrs: [`${managementAddress(index)}/24`, linkLocal(mac(0))],
      altnames: [],
      portVlan: null,
    },
    {
      name: "vmbr1",
      type: "bridge",
      master: null,
      mac: mac(1),
      mtu: 1500,
      addrs: [`${clusterIp}/24`, linkLocal(mac(1))],
      altnames: [],
      portVlan: null,
    },
  ];
}

export function setStandardNetwork(node: LabNode, index: number): void {
  node.links = standardLinks(index, node.ip);
  node.defaultRoute = { gateway: MANAGEMENT_GATEWAY, dev: "vmbr0" };
}
