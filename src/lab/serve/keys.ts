/** Persistent SSH keys of the served lab: one ed25519 host key per node and one client key (all 0600). */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
// ssh2 is CommonJS: Node's ESM loader only sees some of its named exports, so take them from the default.
import ssh2 from "ssh2";

const { utils } = ssh2;

import { labDir } from "../store.js";

export interface KeyPair {
  privateKeyPath: string;
  privateKey: string;
  /** `ssh-ed25519 AAAA…` (no comment). */
  publicKey: string;
}

function ensurePair(path: string): KeyPair {
  const pubPath = `${path}.pub`;
  if (!existsSync(path) || !existsSync(pubPath)) {
    const pair = utils.generateKeyPairSync("ed25519");
    writeFileSync(path, pair.private, { mode: 0o600 });
    chmodSync(path, 0o600);
    writeFileSync(pubPath, `${pair.public}\n`, { mode: 0o644 });
  }
  const publicKey = readFileSync(pubPath, "utf8").trim().split(/\s+/).slice(0, 2).join(" ");
  return { privateKeyPath: path, privateKey: readFileSync(path, "utf8"), publicKey };
}

export function keysDir(stateDir: string): string {
  return resolve(join(labDir(stateDir), "keys"));
}

export function ensureLabKeys(
  stateDir: string,
  nodes: string[],
): { client: KeyPair; hosts: Record<string, KeyPair> } {
  const dir = keysDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hosts: Record<string, KeyPair> = {};
  for (const node of nodes) hosts[node] = ensurePair(join(dir, `ssh_host_ed25519_key_${node}`));
  return { client: ensurePair(join(dir, "id_ed25519")), hosts };
}
