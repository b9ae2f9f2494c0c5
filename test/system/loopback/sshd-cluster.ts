/**
 * N real sshd on 127.0.0.1 for system tests (testbed-notes recipe A). The work is done by
 * up.sh, the same script humans use, so tests and people run identical sshd setups; this module
 * picks free ports, reads what up.sh wrote and stops exactly the PIDs it recorded.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadInventory } from "../../../src/inventory/load.js";
import type { Inventory } from "../../../src/inventory/schema.js";

const UP_SCRIPT = fileURLToPath(new URL("./up.sh", import.meta.url));

export interface SshdClusterOptions {
  /** How many nodes (`node1`…), or their names. */
  nodes: number | string[];
  /** Use basePort, basePort+1, …; refuses when one is taken. Free ports are picked when absent. */
  basePort?: number;
  stateDir: string;
  /** Stand-in commands, put first on PATH in every session (via SetEnv). */
  binDir?: string;
  /** More stand-in directories, after binDir, in PATH order. */
  binDirs?: string[];
  /** The inventory's cluster name. @default "loopback" */
  cluster?: string;
  /** Runs each sshd: `launcher NAME NODE_DIR /usr/sbin/sshd ...` (see up.sh --launcher). */
  launcher?: string;
  /** More variables for every session. */
  env?: Record<string, string>;
}

export interface SshdNode {
  name: string;
  port: number;
  pid: number;
  /** The session's HOME (SetEnv), private to the node. */
  home: string;
  /** The node's state directory (host key, sshd_config, sshd.log). */
  dir: string;
}

export interface SshdCluster {
  inventoryPath: string;
  inventory: Inventory;
  knownHostsPath: string;
  clientKeyPath: string;
  nodes: SshdNode[];
  /** Stop one node's sshd (its listener), e.g. to test a refused connection. */
  stopNode(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", done);
  });
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === "string") throw new Error("could not pick a free port");
  return address.port;
}

function isOurSshd(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(join(dir, "sshd_config"));
  } catch {
    return false;
  }
}

/** SIGTERM, wait, then SIGKILL — only when the PID still is this node's sshd. */
export async function stopSshd(node: SshdNode): Promise<void> {
  if (!isOurSshd(node.pid, node.dir)) return;
  process.kill(node.pid, "SIGTERM");
  const deadline = Date.now() + 5_000;
  while (isOurSshd(node.pid, node.dir)) {
    if (Date.now() > deadline) process.kill(node.pid, "SIGKILL");
    await new Promise((done) => setTimeout(done, 20));
  }
}

export async function startSshdCluster(options: SshdClusterOptions): Promise<SshdCluster> {
  const names =
    typeof options.nodes === "number"
      ? Array.from({ length: options.nodes }, (_, i) => `node${i + 1}`)
      : options.nodes;
  const stateDir = resolve(options.stateDir);
  const args = ["--state", stateDir, "--nodes", names.join(" ")];
  if (options.basePort !== undefined) args.push("--base-port", String(options.basePort));
  else args.push("--ports", (await Promise.all(names.map(() => freePort()))).join(" "));
  for (const dir of [options.binDir, ...(options.binDirs ?? [])]) if (dir) args.push("--bin-dir", dir);
  if (options.launcher) args.push("--launcher", options.launcher);
  if (options.cluster) args.push("--cluster", options.cluster);
  for (const [key, value] of Object.entries(options.env ?? {})) args.push("--env", `${key}=${value}`);
  try {
    await promisify(execFile)(UP_SCRIPT, args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`up.sh failed: ${stderr.trim() || String(error)}`, { cause: error });
  }

  const nodes = readFileSync(join(stateDir, "nodes.tsv"), "utf8")
    .trim()
    .split("\n")
    .map((line): SshdNode => {
      const [name = "", port = "", pid = "", home = ""] = line.split("\t");
      return { name, port: Number(port), pid: Number(pid), home, dir: join(stateDir, name) };
    });
  const inventoryPath = join(stateDir, "inventory.yaml");
  return {
    inventoryPath,
    inventory: loadInventory(inventoryPath),
    knownHostsPath: join(stateDir, "known_hosts"),
    clientKeyPath: join(stateDir, "client_ed25519"),
    nodes,
    async stopNode(name) {
      const node = nodes.find((n) => n.name === name);
      if (node) await stopSshd(node);
    },
    async stop() {
      await Promise.all(nodes.map(stopSshd));
    },
  };
}
