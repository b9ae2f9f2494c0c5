/**
 * The same loopback nodes seen through a network delay (bench/latency-proxy.mjs): a copy of the
 * bed's inventory and known_hosts with each node's port replaced by its proxy port, so every
 * contender reaches the nodes over the delayed path and pins the same host keys.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { loadInventory } from "../src/inventory/load.js";
import { freePort, type SshdCluster } from "../test/system/loopback/sshd-cluster.js";

const PROXY = fileURLToPath(new URL("./latency-proxy.mjs", import.meta.url));

export interface DelayedCluster {
  /** The bed as the contenders see it: proxy ports, the rewritten inventory and known_hosts. */
  view: SshdCluster;
  /** The proxy's pid (its CPU belongs with the nodes'). */
  pid: number;
  stop(): Promise<void>;
}

export async function withLatency(cluster: SshdCluster, rttMs: number, dir: string): Promise<DelayedCluster> {
  // A port picked free can be taken before the proxy listens on it (at 64 nodes the contenders'
  // own connections take ephemeral ports by the thousand): pick again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProxy(cluster, rttMs, dir);
    } catch (error) {
      if (attempt === 5 || !String((error as Error).message).includes("EADDRINUSE")) throw error;
    }
  }
}

async function startProxy(cluster: SshdCluster, rttMs: number, dir: string): Promise<DelayedCluster> {
  const ports = new Map<number, number>();
  for (const node of cluster.nodes) ports.set(node.port, await freePort());
  const config = join(dir, `latency-${rttMs}.json`);
  const routes = [...ports].map(([target, listen]) => ({ listen, target }));
  writeFileSync(config, JSON.stringify({ rttMs, routes }));

  const proxy = spawn(process.execPath, [PROXY, config], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((ready, fail) => {
    let err = "";
    proxy.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    proxy.stdout.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) ready();
    });
    proxy.on("exit", (code) => fail(new Error(`latency-proxy exited ${code}: ${err.trim()}`)));
  });

  const moved = (port: number) => ports.get(port) ?? port;
  const knownHostsPath = join(dir, `known_hosts-${rttMs}`);
  writeFileSync(
    knownHostsPath,
    readFileSync(cluster.knownHostsPath, "utf8").replace(
      /^\[127\.0\.0\.1\]:(\d+) /gm,
      (_m, p: string) => `[127.0.0.1]:${moved(Number(p))} `,
    ),
  );
  const inventory = parse(readFileSync(cluster.inventoryPath, "utf8")) as {
    knownHosts?: string;
    nodes: Array<{ port?: number }>;
  };
  inventory.knownHosts = knownHostsPath;
  for (const node of inventory.nodes) if (node.port !== undefined) node.port = moved(node.port);
  const inventoryPath = join(dir, `inventory-${rttMs}.yaml`);
  writeFileSync(inventoryPath, stringify(inventory));

  const view: SshdCluster = {
    ...cluster,
    inventoryPath,
    inventory: loadInventory(inventoryPath),
    knownHostsPath,
    nodes: cluster.nodes.map((n) => ({ ...n, port: moved(n.port) })),
  };
  return {
    view,
    pid: proxy.pid ?? 0,
    async stop() {
      if (proxy.exitCode !== null) return;
      const gone = new Promise((done) => proxy.once("exit", done));
      proxy.kill("SIGTERM");
      await gone;
    },
  };
}
