/** The files a served lab hands to clients: known_hosts for host-key checks and an inventory for `-i`. */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { labDir } from "../store.js";

export interface ServedNode {
  name: string;
  port: number;
}

export function writeKnownHosts(
  stateDir: string,
  host: string,
  nodes: ServedNode[],
  hostKeys: Record<string, string>,
): string {
  const path = resolve(join(labDir(stateDir), "known_hosts"));
  const lines = nodes.map((n) => `[${host}]:${n.port} ${hostKeys[n.name] ?? ""}\n`);
  writeFileSync(path, lines.join(""), { mode: 0o600 });
  return path;
}

export function writeInventory(
  stateDir: string,
  opts: { cluster: string; host: string; knownHostsPath: string; identity: string; nodes: ServedNode[] },
): string {
  const path = resolve(join(labDir(stateDir), "inventory.yaml"));
  const inventory = {
    cluster: opts.cluster,
    knownHosts: opts.knownHostsPath,
    // The lab's shell is the sh subset pvefix sends one command at a time; a batch of probes is
    // a script it would rightly refuse. Real sshd runs batches (test/system).
    defaults: { batchReads: false },
    nodes: opts.nodes.map((n) => ({
      name: n.name,
      host: opts.host,
      port: n.port,
      user: "root",
      identity: opts.identity,
    })),
  };
  writeFileSync(
    path,
    `# Written by \`pvefix lab serve\`: the lab cluster over real SSH on ${opts.host}.\n${stringify(inventory)}`,
  );
  return path;
}
