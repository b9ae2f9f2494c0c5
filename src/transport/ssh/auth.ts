/**
 * Which credentials to offer, in order: the configured identity files, then ssh-agent, then the
 * default keys in ~/.ssh (only when no identity is configured). Encrypted keys need the agent.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import ssh2, { type AnyAuthMethod } from "ssh2";
import { TransportError } from "../errors.js";
import type { SshEndpoint } from "./config.js";

export type AuthPlan = {
  methods: AnyAuthMethod[];
  /** Human list of what will be tried ("~/.ssh/id_ed25519", "ssh-agent"), for the failure message. */
  tried: string[];
  /** Keys found but unusable (encrypted, unparsable), for the failure message. */
  skipped: string[];
};

const DEFAULT_KEYS = ["id_ed25519", "id_ecdsa", "id_rsa"];

function readKey(path: string): { key: Buffer } | { problem: string } {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    return { problem: `${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    const hint = /passphrase/i.test(parsed.message)
      ? "encrypted; add it to ssh-agent with `ssh-add`"
      : parsed.message;
    return { problem: `${path}: ${hint}` };
  }
  return { key: data };
}

export function planAuth(
  endpoint: SshEndpoint,
  agentSocket: string | null,
  home: string = homedir(),
): AuthPlan {
  const plan: AuthPlan = { methods: [], tried: [], skipped: [] };
  const username = endpoint.user;
  const addKey = (path: string) => {
    const read = readKey(path);
    if ("problem" in read) {
      plan.skipped.push(read.problem);
      return;
    }
    plan.methods.push({ type: "publickey", username, key: read.key });
    plan.tried.push(path);
  };
  for (const path of endpoint.identityFiles) {
    if (existsSync(path)) addKey(path);
    else if (endpoint.identityRequired) {
      throw new TransportError(
        "PVEFIX_AUTH_FAILED",
        endpoint.label,
        `Identity file ${path} for ${endpoint.label} does not exist. Fix \`identity:\` in the inventory.`,
      );
    }
  }
  if (agentSocket) {
    plan.methods.push({ type: "agent", username, agent: agentSocket });
    plan.tried.push(`ssh-agent (${agentSocket})`);
  }
  if (endpoint.identityFiles.length === 0) {
    for (const name of DEFAULT_KEYS) {
      const path = join(home, ".ssh", name);
      if (existsSync(path)) addKey(path);
    }
  }
  if (plan.methods.length === 0) {
    const skipped = plan.skipped.length > 0 ? ` Unusable keys: ${plan.skipped.join("; ")}.` : "";
    throw new TransportError(
      "PVEFIX_AUTH_FAILED",
      endpoint.label,
      `No SSH credentials to log in to ${endpoint.label} as ${username}: no identity configured, SSH_AUTH_SOCK is not set, ` +
        `and none of ${DEFAULT_KEYS.map((k) => `~/.ssh/${k}`).join(", ")} is usable.${skipped} ` +
        "Set `identity:` in the inventory or start ssh-agent and `ssh-add` a key.",
    );
  }
  return plan;
}
