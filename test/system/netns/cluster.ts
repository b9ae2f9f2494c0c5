/**
 * A real corosync 3 cluster in network namespaces for system tests (scripts/testbed/netns-up.sh,
 * the same script humans use). SSH reaches each node through the stdio bridge on 127.0.0.1, so
 * the inventory works from this process; link cuts happen on the node's corosync interfaces
 * (`ring0`, and `ring1` with a second link), so SSH keeps working while corosync loses its peers,
 * like a dedicated cluster network.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadInventory } from "../../../src/inventory/load.js";
import type { Inventory } from "../../../src/inventory/schema.js";

const SCRIPTS = fileURLToPath(new URL("../../../scripts/testbed/", import.meta.url));
const run = promisify(execFile);

export interface CorosyncClusterOptions {
  /** 1 to 9 nodes, named node1… */
  nodes: number;
  /** @default /tmp/pvefix-netns */
  stateDir?: string;
  /** Bridge ports basePort, basePort+1, … on 127.0.0.1. @default a free range in 40000–49999 */
  basePort?: number;
  /**
   * 2: a second corosync network (10.10.11.0/24, `ring1`) that corosync uses as knet link 1;
   * "spare": that network exists but corosync.conf has link 0 only. @default 1
   */
  links?: 1 | 2 | "spare";
}

export interface NetnsNode {
  name: string;
  port: number;
  /** Host pid of the node's init (PID 1 of its PID namespace). */
  initPid: number;
  mgmtIp: string;
  /** The node's address on link 0. */
  ringIp: string;
  /** The node's address on the second network, when the bed has one. */
  ring1Ip: string | null;
}

export interface CorosyncCluster {
  stateDir: string;
  inventoryPath: string;
  inventory: Inventory;
  nodes: NetnsNode[];
  /** How long netns-up.sh took, in ms. */
  upMs: number;
  /** Take the node's corosync interfaces down (`ring0`, `ring1`; or only `links`); SSH stays up. */
  cutLinks(node: string, links?: readonly number[]): Promise<void>;
  restoreLinks(node: string, links?: readonly number[]): Promise<void>;
  /** Run a command inside the node's namespaces from the host (for set-up and assertions). */
  inNode(node: string, argv: string[]): Promise<{ stdout: string; stderr: string; code: number }>;
  /** Tear everything down (netns-down.sh); safe to call twice. */
  stop(): Promise<void>;
}

export async function startCorosyncCluster(options: CorosyncClusterOptions): Promise<CorosyncCluster> {
  const stateDir = resolve(options.stateDir ?? "/tmp/pvefix-netns");
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    const base = options.basePort ?? 40_000 + Math.floor(Math.random() * 9_990);
    const links = String(options.links ?? 1);
    const args = ["--state", stateDir, "--base-port", String(base), "--links", links, String(options.nodes)];
    try {
      await run(join(SCRIPTS, "netns-up.sh"), args);
      break;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? "";
      // netns-up.sh starts nothing when a port is taken: another random range may be free.
      if (/is in use/.test(stderr) && options.basePort === undefined && attempt < 5) continue;
      await run(join(SCRIPTS, "netns-down.sh"), ["--state", stateDir]).catch(() => undefined);
      throw new Error(`netns-up.sh failed: ${stderr.trim() || String(error)}`, { cause: error });
    }
  }
  const upMs = performance.now() - started;
  const nodes = readFileSync(join(stateDir, "nodes.tsv"), "utf8")
    .trim()
    .split("\n")
    .map((line): NetnsNode => {
      const [name = "", port = "", initPid = "", mgmtIp = "", ringIp = "", ring1 = "-"] = line.split("\t");
      return {
        name,
        port: Number(port),
        initPid: Number(initPid),
        mgmtIp,
        ringIp,
        ring1Ip: ring1 === "-" ? null : ring1,
      };
    });
  const nodeOf = (name: string) => {
    const found = nodes.find((n) => n.name === name);
    if (!found) throw new Error(`no node ${name} in the netns bed (${nodes.map((n) => n.name).join(", ")})`);
    return found;
  };
  const link = async (name: string, state: "up" | "down", links?: readonly number[]) => {
    const node = nodeOf(name);
    const all = node.ring1Ip === null ? [0] : [0, 1];
    for (const n of links ?? all) {
      if (!all.includes(n))
        throw new Error(`${name} has no link ${n} in this bed (links: ${all.join(", ")})`);
      await run("ip", ["-n", `pvefix-${node.name}`, "link", "set", `ring${n}`, state]);
    }
  };
  const inventoryPath = join(stateDir, "inventory.yaml");
  return {
    stateDir,
    inventoryPath,
    inventory: loadInventory(inventoryPath),
    nodes,
    upMs,
    cutLinks: (name, links) => link(name, "down", links),
    restoreLinks: (name, links) => link(name, "up", links),
    async inNode(name, argv) {
      const enter = ["--target", String(nodeOf(name).initPid), "--net", "--mount", "--uts", "--pid", "--"];
      try {
        const { stdout, stderr } = await run("nsenter", [...enter, ...argv]);
        return { stdout, stderr, code: 0 };
      } catch (error) {
        const e = error as { stdout?: string; stderr?: string; code?: number };
        return {
          stdout: e.stdout ?? "",
          stderr: e.stderr ?? "",
          code: typeof e.code === "number" ? e.code : -1,
        };
      }
    },
    async stop() {
      await run(join(SCRIPTS, "netns-down.sh"), ["--state", stateDir]);
    },
  };
}
