/** A healthy N-node cluster as `pvecm create` + `pvecm add` leave it; scenarios break it from here. */
import { writeCorosyncConf } from "../../model/corosync-conf.js";
import { COROSYNC_CONF } from "../../model/quorum.js";
import { LAB_STATE_VERSION, type LabNode, type LabState, type UnitState } from "../../state.js";

/** 2026-03-11 14:02:07 UTC, the date in the proxmox-facts samples. */
export const LAB_EPOCH = 1_773_237_727;

const PVE_SERVICES = [
  "pve-cluster",
  "corosync",
  "pvedaemon",
  "pveproxy",
  "spiceproxy",
  "pvestatd",
  "pve-firewall",
  "pvescheduler",
  "pve-ha-lrm",
  "pve-ha-crm",
  "watchdog-mux",
];

export interface ClusterOptions {
  scenario: string;
  name?: string;
  nodes?: number;
}

export function baseCluster(options: ClusterOptions): LabState {
  const clusterName = options.name ?? "lab";
  const count = options.nodes ?? 3;
  const members = Array.from({ length: count }, (_, i) => ({
    name: `pve${i + 1}`,
    nodeid: i + 1,
    ip: `10.10.10.${i + 1}`,
  }));
  const corosync = writeCorosyncConf({ clusterName, configVersion: count, nodes: members });
  const nodes: LabNode[] = members.map((m, i) => ({
    ...m,
    up: true,
    clusterLink: true,
    services: Object.fromEntries(PVE_SERVICES.map((s) => [s, "active" as UnitState])),
    pmxcfsLocalMode: false,
    expectedVotesOverride: null,
    files: {
      [COROSYNC_CONF]: corosync,
      "/etc/hostname": `${m.name}\n`,
      "/var/log/pve/tasks/active": "",
    },
    dirs: ["/etc/corosync", "/var/log/pve/tasks", "/var/lib/vz", "/var/lib/pve-cluster", "/run/lock"],
    modes: {},
    mounts: [],
    procs: [{ pid: 1, starttime: 1, comm: "systemd", state: "S" }],
    bootTime: LAB_EPOCH - (12 + i) * 86_400 - 3_600 * i,
  }));
  const nodeDirs = members.flatMap((m) =>
    ["", "/lxc", "/qemu-server", "/openvz", "/priv"].map((sub) => `nodes/${m.name}${sub}`),
  );
  return {
    version: LAB_STATE_VERSION,
    scenario: options.scenario,
    clusterName,
    nodes,
    pve: {
      "corosync.conf": corosync,
      "datacenter.cfg": "keyboard: en-us\n",
      "storage.cfg": "",
    },
    pveDirs: ["nodes", ...nodeDirs, "priv", "priv/lock", "ha", "firewall", "sdn", "virtual-guest", "mapping"],
    guests: {},
    nfsServers: {},
    storageUsage: {},
    faults: [],
    nextFaultId: 1,
    clock: LAB_EPOCH,
    nextPid: 4_100,
    membershipEpoch: 0x4f2,
  };
}

export function nodeOf(state: LabState, name: string): LabNode {
  const node = state.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`scenario bug: no node ${name}`);
  return node;
}
