/**
 * Where and as whom to connect for a node: the inventory first, then ~/.ssh/config (`Host`
 * aliases, HostName, Port, User, IdentityFile, ProxyJump), then OpenSSH-style defaults.
 * Reads the ssh config file once; never touches the network.
 */
import { readFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import SSHConfig from "ssh-config";
import { z } from "zod";
import { resolveNode } from "../../inventory/load.js";
import type { Inventory } from "../../inventory/schema.js";
import { TransportError } from "../errors.js";
import { type JumpHop, JumpSpecError, parseJumpSpec } from "./jump-spec.js";

/** One SSH server to authenticate against (a node or a jump host). */
export const SshEndpoint = z.object({
  /** What messages call it: the node name, or the jump host as written. */
  label: z.string(),
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  /** Private key files, `~` expanded, in the order to try them. */
  identityFiles: z.array(z.string()),
  /** The inventory named the key: a missing file is an error, not something to skip. */
  identityRequired: z.boolean(),
  /** Look the host key up under this name, port 22 (OpenSSH HostKeyAlias), not under host:port. */
  hostKeyAlias: z.string().optional(),
});
export type SshEndpoint = z.infer<typeof SshEndpoint>;

export const SshTarget = SshEndpoint.extend({
  node: z.string(),
  /** Jump hosts in connection order; empty for a direct connection. */
  jumps: z.array(SshEndpoint),
});
export type SshTarget = z.infer<typeof SshTarget>;

/** Proxmox nodes are administered as root; OpenSSH would use the local user name instead. */
export const DEFAULT_USER = "root";

export function expandHome(path: string, home: string = homedir()): string {
  if (path === "~") return home;
  return path.startsWith("~/") ? join(home, path.slice(2)) : path;
}

/** `~/.ssh/config` parsed, or `null` when there is none (or the caller asked not to read it). */
export function loadSshConfig(path: string | null): SSHConfig | null {
  if (path === null) return null;
  try {
    return SSHConfig.parse(readFileSync(expandHome(path), "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

type Lookup = {
  hostname?: string;
  port?: number;
  user?: string;
  identityFiles: string[];
  proxyJump?: string;
};

function lookup(config: SSHConfig | null, alias: string): Lookup {
  if (config === null) return { identityFiles: [] };
  // matchExec false: computing a config must never run the shell commands of `Match exec`.
  const found = config.compute(alias, { ignoreCase: true, matchExec: false });
  const one = (key: string) => {
    const value = found[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const port = one("port");
  const files = found.identityfile;
  return {
    hostname: one("hostname")?.replace(/%h/g, alias),
    port: port === undefined ? undefined : Number(port),
    user: one("user"),
    identityFiles: Array.isArray(files) ? files : files === undefined ? [] : [files],
    proxyJump: one("proxyjump"),
  };
}

/** The `%` tokens OpenSSH expands in IdentityFile that make sense without a connection. */
function expandTokens(path: string, host: string, user: string): string {
  const tokens: Record<string, string> = { "%": "%", d: homedir(), h: host, r: user, u: userInfo().username };
  return expandHome(path.replace(/%([%dhru])/g, (_, t: string) => tokens[t] ?? ""));
}

type Overrides = { port?: number; user?: string; identity?: string; hostKeyAlias?: string };

/** Resolve an alias through ssh config, letting explicit values win. */
function endpoint(label: string, alias: string, overrides: Overrides, config: SSHConfig | null): SshEndpoint {
  const found = lookup(config, alias);
  const host = found.hostname ?? alias;
  const user = overrides.user ?? found.user ?? DEFAULT_USER;
  const files = overrides.identity ? [overrides.identity] : found.identityFiles;
  return {
    label,
    host,
    port: overrides.port ?? found.port ?? 22,
    user,
    identityFiles: files.map((f) => expandTokens(f, host, user)),
    identityRequired: overrides.identity !== undefined,
    ...(overrides.hostKeyAlias ? { hostKeyAlias: overrides.hostKeyAlias } : {}),
  };
}

function unknownNode(inv: Inventory, name: string): TransportError {
  const known = inv.nodes.map((n) => n.name).join(", ");
  return new TransportError(
    "PVEFIX_UNKNOWN_NODE",
    name,
    `Node ${name} is not in the inventory (nodes: ${known}).`,
  );
}

function hopEndpoint(inv: Inventory, hop: JumpHop, config: SSHConfig | null): SshEndpoint {
  const node = resolveNode(inv, hop.host);
  // A hop named like an inventory node is that node, with its inventory settings.
  if (node)
    return endpoint(
      hop.text,
      node.host,
      { ...node, ...definedOnly({ user: hop.user, port: hop.port }) },
      config,
    );
  return endpoint(hop.text, hop.host, definedOnly({ user: hop.user, port: hop.port }), config);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Everything needed to reach `name`; throws PVEFIX_UNKNOWN_NODE or PVEFIX_CONNECT_FAILED (bad jump spec). */
export function resolveTarget(inv: Inventory, name: string, config: SSHConfig | null): SshTarget {
  const node = resolveNode(inv, name);
  if (!node) throw unknownNode(inv, name);
  const self = endpoint(name, node.host, node, config);
  const jumpSpec = node.jump ?? lookup(config, node.host).proxyJump;
  let hops: JumpHop[];
  try {
    hops = parseJumpSpec(jumpSpec);
  } catch (error) {
    if (!(error instanceof JumpSpecError)) throw error;
    throw new TransportError("PVEFIX_CONNECT_FAILED", name, `Bad ProxyJump for ${name}: ${error.message}`);
  }
  return { ...self, node: name, jumps: hops.map((hop) => hopEndpoint(inv, hop, config)) };
}
