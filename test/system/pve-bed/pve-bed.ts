/**
 * The loopback PVE test bed for system tests: the cluster "bed" (pve1..pve3) seeded by seed.sh,
 * one real sshd per node on 127.0.0.1, each in its own mount namespace (node-namespace.sh) with
 * the Proxmox stand-ins of ../standins first on PATH. Host-side helpers read and change what a
 * node sees, through the host paths behind its bind mounts and through /proc/<sshd pid>.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type SshdCluster, startSshdCluster } from "../loopback/sshd-cluster.js";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export const BED_NODES = ["pve1", "pve2", "pve3"] as const;
export type BedNode = (typeof BED_NODES)[number];

export interface PveBed extends SshdCluster {
  stateDir: string;
  /** Host path of what the node sees at `path` (/etc/pve/…, /run/…, /var/log/pve/…). */
  hostPath(node: BedNode, path: string): string;
  /** The node's mount table, read from the host (`/proc/<sshd pid>/mounts`). */
  mounts(node: BedNode): string;
  /** The node's `/proc/<sshd pid>/mountinfo` line for `mountpoint` (its first field is the mount id). */
  mountInfo(node: BedNode, mountpoint: string): string | undefined;
  /** Make the storage's mount on `node` hang (statfs blocks) until PVE mounts it again. */
  hang(node: BedNode, storage: string): void;
  /** The pid of the live qmigrate task of VM 200. */
  taskPid: number;
}

function isProcess(pid: number, argv0: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith(`${argv0}\0`);
  } catch {
    return false;
  }
}

/** Stop what seed.sh started (tasks.tsv), by PID, only while the PID is still that process. */
function stopTasks(stateDir: string): void {
  let lines: string[] = [];
  try {
    lines = readFileSync(join(stateDir, "tasks.tsv"), "utf8").trim().split("\n");
  } catch {
    return;
  }
  for (const line of lines) {
    const [pid = "", argv0 = ""] = line.split("\t");
    if (isProcess(Number(pid), argv0)) process.kill(Number(pid), "SIGTERM");
  }
  writeFileSync(join(stateDir, "tasks.tsv"), "");
}

export async function startPveBed(stateDir: string): Promise<PveBed> {
  await promisify(execFile)(here("./seed.sh"), [stateDir]);
  let cluster: SshdCluster;
  try {
    cluster = await startSshdCluster({
      nodes: [...BED_NODES],
      stateDir,
      cluster: "bed",
      binDirs: [here("../standins/fixed-quorum"), here("../standins/common")],
      launcher: here("./node-namespace.sh"),
    });
  } catch (error) {
    stopTasks(stateDir);
    throw error;
  }
  const pidOf = (node: BedNode) => {
    const found = cluster.nodes.find((n) => n.name === node);
    if (!found) throw new Error(`no bed node ${node}`);
    return found.pid;
  };
  const hostPath = (node: BedNode, path: string): string => {
    const mapped: Array<[string, string]> = [
      ["/etc/pve/", join(stateDir, "pve")],
      ["/var/run/", join(stateDir, node, "fs", "run")],
      ["/run/", join(stateDir, node, "fs", "run")],
      ["/var/log/pve/", join(stateDir, node, "fs", "log-pve")],
      ["/var/lib/pvefix/", join(stateDir, node, "fs", "lib-pvefix")],
    ];
    for (const [prefix, host] of mapped)
      if (path.startsWith(prefix)) return join(host, path.slice(prefix.length));
    throw new Error(`${path} is not one of a bed node's private or shared directories`);
  };
  const [, taskPid = "0"] = /^(\d+)\t/.exec(readFileSync(join(stateDir, "tasks.tsv"), "utf8")) ?? [];
  return {
    ...cluster,
    stateDir,
    hostPath,
    mounts: (node) => readFileSync(`/proc/${pidOf(node)}/mounts`, "utf8"),
    mountInfo: (node, mountpoint) =>
      readFileSync(`/proc/${pidOf(node)}/mountinfo`, "utf8")
        .split("\n")
        .findLast((line) => line.split(" ")[4] === mountpoint),
    hang: (node, storage) =>
      writeFileSync(hostPath(node, `/run/pvefix-bed/hung/${storage}`), `/mnt/pve/${storage}\n`),
    taskPid: Number(taskPid),
    async stop() {
      await cluster.stop();
      stopTasks(stateDir);
    },
  };
}
