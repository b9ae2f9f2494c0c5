/** The /proc files pvefix reads: mounts (as the kernel lists them) and per-process stat lines. */
import { pmxcfsMounted } from "../model/pmxcfs.js";
import type { LabNode, LabProc } from "../state.js";

const BASE_MOUNTS = [
  "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
  "proc /proc proc rw,relatime 0 0",
  "udev /dev devtmpfs rw,nosuid,relatime,size=16370492k,nr_inodes=4092623,mode=755,inode64 0 0",
  "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=3280580k,mode=755,inode64 0 0",
  "/dev/mapper/pve-root / ext4 rw,relatime,errors=remount-ro 0 0",
];
const PMXCFS_MOUNT =
  "/dev/fuse /etc/pve fuse rw,nosuid,nodev,relatime,user_id=0,group_id=0,default_permissions,allow_other 0 0";

export function procMounts(node: LabNode): string {
  const lines = [...BASE_MOUNTS];
  if (pmxcfsMounted(node)) lines.push(PMXCFS_MOUNT);
  for (const m of node.mounts) lines.push(`${m.source} ${m.mountpoint} ${m.fstype} ${m.options} 0 0`);
  return `${lines.join("\n")}\n`;
}

/** `/proc/<pid>/stat`: 52 fields, comm in parentheses, field 22 = start time in clock ticks. */
export function procPidStat(proc: LabProc): string {
  const fields = [
    String(proc.pid),
    `(${proc.comm})`,
    proc.state,
    "1", // ppid
    String(proc.pid), // pgrp
    String(proc.pid), // session
    "0",
    "-1",
    "4194560",
    "2751",
    "0",
    "0",
    "0",
    "37",
    "12",
    "0",
    "0",
    "20",
    "0",
    "1",
    "0",
    String(proc.starttime), // field 22
    "118063104",
    "10763",
    "18446744073709551615",
    ...Array.from({ length: 27 }, () => "0"),
  ];
  return `${fields.join(" ")}\n`;
}

/**
 * `/proc/net/softnet_stat` of a 4-CPU node as Linux 6.8 prints it (net/core/net-procfs.c): 13
 * columns of %08x per CPU; processed, dropped (backlog full), time_squeeze, then zeros, received_rps,
 * flow_limit_count, backlog length, CPU index. No drops: a lab node's backlog never fills.
 */
export function softnetStat(node: LabNode): string {
  const rows = [0, 1, 2, 3].map((cpu) => {
    const processed = (0x2f3a1 + cpu * 0x1d4b + node.nodeid * 0x97) >>> 0;
    const cols = [processed, 0, cpu === 0 ? 3 : 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, cpu];
    return cols.map((c) => c.toString(16).padStart(8, "0")).join(" ");
  });
  return `${rows.join("\n")}\n`;
}

export type ProcEntry = { kind: "file"; content: string } | { kind: "dir" } | null;

export function procEntry(node: LabNode, path: string): ProcEntry {
  if (path === "/proc") return { kind: "dir" };
  if (path === "/proc/mounts" || path === "/proc/self/mounts")
    return { kind: "file", content: procMounts(node) };
  if (path === "/proc/self") return { kind: "dir" };
  if (path === "/proc/net") return { kind: "dir" };
  if (path === "/proc/net/softnet_stat") return { kind: "file", content: softnetStat(node) };
  const match = /^\/proc\/(\d+)(\/stat)?$/.exec(path);
  if (!match) return null;
  const proc = node.procs.find((p) => p.pid === Number(match[1]));
  if (!proc) return null;
  return match[2] ? { kind: "file", content: procPidStat(proc) } : { kind: "dir" };
}
