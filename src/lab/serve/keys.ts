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

/**
 * ssh2's generator sometimes drops a leading zero byte of the ed25519 key (about 1 pair in 400
 * here), and ssh2 itself then rejects the key as malformed: keep only pairs that parse.
 */
export function generateEd25519(): { private: string; public: string } {
  for (let attempt = 1; ; attempt++) {
    const pair = utils.generateKeyPairSync("ed25519");
    const usable =
      !(utils.parseKey(pair.private) instanceof Error) && !(utils.parseKey(pair.public) instanceof Error);
    if (usable) return pair;
    if (attempt >= 20) throw new Error("ssh2 produced no usable ed25519 key pair in 20 attempts");
  }
}

function ensurePair(path: string): KeyPair {
  const pubPath = `${path}.pub`;
  if (!existsSync(path) || !existsSync(pubPath)) {
    const pair = generateEd25519();
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
