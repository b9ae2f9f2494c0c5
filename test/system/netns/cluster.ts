/**
 * A real corosync 3 cluster in network namespaces for system tests (scripts/testbed/netns-up.sh,
 * the same script humans use). SSH reaches each node through the stdio bridge on 127.0.0.1, so
 * the inventory works from this process; link cuts happen on the node's corosync interface
 * (`ring0`), so SSH keeps working while corosync loses its peers, like a dedicated cluster network.
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
}

export interface NetnsNode {
  name: string;
  port: number;
  /** Host pid of the node's init (PID 1 of its PID namespace). */
  initPid: number;
  mgmtIp: string;
  ringIp: string;
}

export interface CorosyncCluster {
  stateDir: string;
  inventoryPath: string;
  inventory: Inventory;
  nodes: NetnsNode[];
  /** How long netns-up.sh took, in ms. */
  upMs: number;
  /** Take the node's corosync link down (its `ring0`); SSH stays up. */
  cutLinks(node: string): Promise<void>;
  restoreLinks(node: string): Promise<void>;
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
    const args = ["--state", stateDir, "--base-port", String(base), String(options.nodes)];
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
      const [name = "", port = "", initPid = "", mgmtIp = "", ringIp = ""] = line.split("\t");
      return { name, port: Number(port), initPid: Number(initPid), mgmtIp, ringIp };
    });
  const nodeOf = (name: string) => {
    const found = nodes.find((n) => n.name === name);
    if (!found) throw new Error(`no node ${name} in the netns bed (${nodes.map((n) => n.name).join(", ")})`);
    return found;
  };
  const link = async (name: string, state: "up" | "down") => {
    await run("ip", ["-n", `pvefix-${nodeOf(name).name}`, "link", "set", "ring0", state]);
  };
  const inventoryPath = join(stateDir, "inventory.yaml");
  return {
    stateDir,
    inventoryPath,
    inventory: loadInventory(inventoryPath),
    nodes,
    upMs,
    cutLinks: (name) => link(name, "down"),
    restoreLinks: (name) => link(name, "up"),
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
