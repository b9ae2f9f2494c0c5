/** Reinstall a served lab node: a new host key, while the operator's known_hosts keeps the old one. */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keysDir } from "../../../src/lab/serve/keys.js";
import type { ServedCluster } from "../served-lab.js";

export const portOf = (bed: ServedCluster, node: string): number =>
  bed.server.nodes.find((n) => n.name === node)?.port ?? 0;

function knownHostsLine(text: string, port: number): string {
  const line = text.split("\n").find((l) => l.startsWith(`[127.0.0.1]:${port} `));
  if (!line) throw new Error(`no known_hosts line for port ${port}`);
  return line;
}

/**
 * Give `node` a new host key and serve the lab again (on new ports), then write known_hosts back
 * with the node's old key. Returns the old key, the new key's line, known_hosts with the new key (what the operator
 * writes once they checked it) and the known_hosts text left in place.
 */
export async function changeHostKey(
  bed: ServedCluster,
  node: string,
): Promise<{ oldKey: string; newLine: string; fresh: string; stale: string }> {
  const oldKey = knownHostsLine(readFileSync(bed.server.knownHostsPath, "utf8"), portOf(bed, node))
    .split(" ")
    .slice(1)
    .join(" ");
  rmSync(join(keysDir(bed.labDir), `ssh_host_ed25519_key_${node}`));
  rmSync(join(keysDir(bed.labDir), `ssh_host_ed25519_key_${node}.pub`));
  await bed.reserve();
  const fresh = readFileSync(bed.server.knownHostsPath, "utf8");
  const newLine = knownHostsLine(fresh, portOf(bed, node));
  const stale = fresh.replace(newLine, `[127.0.0.1]:${portOf(bed, node)} ${oldKey}`);
  writeFileSync(bed.server.knownHostsPath, stale);
  return { oldKey, newLine, fresh, stale };
}
