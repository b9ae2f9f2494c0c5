/** A healthy N-node cluster as `pvecm create` + `pvecm add` leave it; scenarios break it from here. */
import { USER_HZ } from "../../model/clock.js";
import { writeCorosyncConf } from "../../model/corosync-conf.js";
import { PMXCFS_PIDFILE } from "../../model/processes.js";
import { COROSYNC_CONF } from "../../model/quorum.js";
import { UNIT_PROCESSES } from "../../model/services.js";
import { LAB_STATE_VERSION, type LabNode, type LabState, type UnitState } from "../../state.js";
import { setStandardNetwork } from "./network.js";

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
  const nodes: LabNode[] = members.map((m, i) => {
    const node: LabNode = {
      ...m,
      up: true,
      clusterLink: true,
      downLinks: [],
      services: Object.fromEntries(PVE_SERVICES.map((s) => [s, "active" as UnitState])),
      pmxcfsLocalMode: false,
      expectedVotesOverride: null,
      corosyncLoaded: corosync,
      files: {
        [COROSYNC_CONF]: corosync,
        "/etc/hostname": `${m.name}\n`,
        "/var/log/pve/tasks/active": "",
      },
      dirs: ["/etc/corosync", "/var/log/pve/tasks", "/var/lib/vz", "/var/lib/pve-cluster", "/run/lock"],
      modes: {},
      mounts: [],
      procs: [
        {
          pid: 1,
          starttime: 1,
          comm: "systemd",
          state: "S",
          args: "/sbin/init",
          rss: 12_800,
          cpuPermille: 0,
          unit: null,
        },
      ],
      bootTime: LAB_EPOCH - (12 + i) * 86_400 - 3_600 * i,
      pmxcfsHung: false,
      links: [],
      defaultRoute: null,
      zerotier: null,
      volumes: [],
      zfs: { pools: [], datasets: [] },
    };
    setStandardNetwork(node, i + 1);
    bootServices(node, i);
    return node;
  });
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
    replication: {},
    replicationDue: [],
  };
}

/**
 * The main processes of pmxcfs and corosync as boot left them (low pids, started seconds after
 * boot), and pmxcfs' pid file. Fixed pids keep every scenario's later pids where they were.
 */
function bootServices(node: LabNode, index: number): void {
  const boot = (unit: string, pid: number, seconds: number) => {
    const main = UNIT_PROCESSES[unit];
    if (!main) throw new Error(`scenario bug: no main process for ${unit}`);
    node.procs.push({ pid, starttime: seconds * USER_HZ, state: "S", unit, ...main });
  };
  boot("pve-cluster", 1050 + 73 * index, 9);
  boot("corosync", 1187 + 73 * index, 10);
  node.files[PMXCFS_PIDFILE] = `${1050 + 73 * index}\n`;
}

export function nodeOf(state: LabState, name: string): LabNode {
  const node = state.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`scenario bug: no node ${name}`);
  return node;
}

/** The node lost power: SSH refuses, corosync is gone from every membership, its guests are not running. */
export function powerOff(state: LabState, name: string): void {
  const node = nodeOf(state, name);
  node.up = false;
  state.membershipEpoch += 1;
  for (const runtime of Object.values(state.guests)) {
    if (runtime.pid !== null && node.procs.some((p) => p.pid === runtime.pid)) {
      runtime.status = "stopped";
      runtime.pid = null;
    }
  }
}

/** The same corosync.conf in pmxcfs and on every node (as after a successful `pvecm` change). */
export function setCorosyncConf(state: LabState, text: string): void {
  state.pve["corosync.conf"] = text;
  for (const node of state.nodes) {
    node.files[COROSYNC_CONF] = text;
    // As if every corosync had reloaded it; a scenario that wants a node running another config says so.
    node.corosyncLoaded = text;
  }
}
