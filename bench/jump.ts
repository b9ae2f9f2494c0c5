/**
 * A remote site reached through a jump host, for `npm run bench -- --jump 20`: one more loopback
 * sshd stands in for the site's bastion, behind the delay proxy (bench/latency.ts), and every
 * node is reached through it (ProxyJump). The delay is on the path between the client and the
 * jump host; the jump host reaches the nodes over loopback, as a bastion inside the site would.
 *
 * Every contender is told the same: an OpenSSH client config naming the jump host `pvefix-jump`
 * (its address, port, user, key and the known_hosts that pins it), read by Ansible and
 * parallel-ssh with `ssh -F`, and by pvefix as its `~/.ssh/config` (a HOME of its own); the nodes'
 * inventory says `jump: pvefix-jump`. The floor opens one connection to the jump host and forwards
 * every node's connection through it.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { loadInventory } from "../src/inventory/load.js";
import { type SshdCluster, startSshdCluster } from "../test/system/loopback/sshd-cluster.js";
import { CONNECT_TIMEOUT_S } from "./contenders.js";
import { withLatency } from "./latency.js";

export const JUMP_ALIAS = "pvefix-jump";

/** How a contender reaches the nodes through the jump host. */
export interface JumpRoute {
  /** OpenSSH client config with the `pvefix-jump` host (for `ssh -F`). */
  sshConfig: string;
  /** A HOME whose `.ssh/config` is that file: where pvefix reads it. */
  home: string;
  /** The jump host as the floor connects to it: the delayed port. */
  jump: { host: string; port: number; user: string; key: string };
}

export interface JumpedCluster {
  /** The nodes as the contenders see them: their own ports, reached through the jump host. */
  view: SshdCluster;
  route: JumpRoute;
  /** The jump host's sshd and the delay proxy: their CPU is the network's, counted with the nodes'. */
  pids: number[];
  stop(): Promise<void>;
}

export async function withJump(cluster: SshdCluster, rttMs: number, dir: string): Promise<JumpedCluster> {
  const bedDir = join(dir, `jump-${rttMs}`);
  const bastion = await startSshdCluster({ nodes: ["jump"], stateDir: bedDir, cluster: "jump" });
  try {
    const delayed = await withLatency(bastion, rttMs, bedDir);
    const port = delayed.view.nodes[0]?.port ?? 0;
    const knownHostsPath = join(bedDir, "known_hosts-all");
    writeFileSync(
      knownHostsPath,
      readFileSync(cluster.knownHostsPath, "utf8") + readFileSync(delayed.view.knownHostsPath, "utf8"),
    );
    const config = [
      `Host ${JUMP_ALIAS}`,
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      "  User root",
      `  IdentityFile ${bastion.clientKeyPath}`,
      `  UserKnownHostsFile ${knownHostsPath}`,
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      `  ConnectTimeout ${CONNECT_TIMEOUT_S}`,
      "",
    ].join("\n");
    const home = join(bedDir, "home");
    mkdirSync(join(home, ".ssh"), { recursive: true });
    const sshConfig = join(home, ".ssh", "config");
    writeFileSync(sshConfig, config, { mode: 0o600 });

    const inventory = parse(readFileSync(cluster.inventoryPath, "utf8")) as {
      knownHosts?: string;
      nodes: Array<{ jump?: string }>;
    };
    inventory.knownHosts = knownHostsPath;
    for (const node of inventory.nodes) node.jump = JUMP_ALIAS;
    const inventoryPath = join(bedDir, "inventory.yaml");
    writeFileSync(inventoryPath, stringify(inventory));

    return {
      view: { ...cluster, inventoryPath, inventory: loadInventory(inventoryPath), knownHostsPath },
      route: {
        sshConfig,
        home,
        jump: { host: "127.0.0.1", port, user: "root", key: bastion.clientKeyPath },
      },
      pids: [...bastion.nodes.map((n) => n.pid), delayed.pid],
      async stop() {
        await delayed.stop();
        await bastion.stop();
      },
    };
  } catch (error) {
    await bastion.stop();
    throw error;
  }
}
