/**
 * The loopback PVE test bed for system tests: the cluster "bed" (pve1..pve3) seeded by seed.sh,
 * one real sshd per node on 127.0.0.1, each in its own mount namespace (node-namespace.sh) with
 * the Proxmox stand-ins of ../standins first on PATH. Host-side helpers read and change what a
 * node sees, through the host paths behind its bind mounts and through /proc/<sshd pid>.
 */
import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
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
  /** The NFS servers of nfs-iso and nfs-images: loopback addresses that accept on port 2049. */
  servers: { iso: string; images: string };
  /** Stop answering on port 2049 for this server (connections are refused from then on). */
  stopServer(address: string): Promise<void>;
}

/**
 * A TCP listener on port 2049 per "NFS server", on loopback addresses of this bed's own (random
 * 127.x.y.z, so beds running at once do not collide): pvefix checks the server with a TCP
 * connect before it unmounts or mounts, and the bed must answer it for real.
 */
async function startNfsServers(): Promise<{
  servers: { iso: string; images: string };
  listeners: Map<string, Server>;
}> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const net = `127.${randomInt(16, 250)}.${randomInt(1, 250)}`;
    const servers = { iso: `${net}.51`, images: `${net}.52` };
    const listeners = new Map<string, Server>();
    try {
      for (const address of Object.values(servers)) {
        const server = createServer((socket) => socket.end());
        await new Promise<void>((done, reject) => {
          server.once("error", reject);
          server.listen(2049, address, done);
        });
        listeners.set(address, server);
      }
      return { servers, listeners };
    } catch {
      await Promise.all([...listeners.values()].map((l) => new Promise((done) => l.close(done))));
    }
  }
  throw new Error("could not listen on port 2049 of a free loopback address");
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
  const { servers, listeners } = await startNfsServers();
  const stopServer = async (address: string) => {
    const listener = listeners.get(address);
    listeners.delete(address);
    if (listener) await new Promise((done) => listener.close(done));
  };
  const stopServers = () => Promise.all([...listeners.keys()].map(stopServer));
  try {
    await promisify(execFile)(here("./seed.sh"), [stateDir, servers.iso, servers.images]);
  } catch (error) {
    await stopServers();
    throw error;
  }
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
    await stopServers();
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
    servers,
    stopServer,
    async stop() {
      await cluster.stop();
      stopTasks(stateDir);
      await stopServers();
    },
  };
}
