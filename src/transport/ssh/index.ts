/**
 * The SSH transport: runs command lines on inventory nodes over pooled ssh2 connections.
 * It verifies every host key against known_hosts and never retries a command; a lost connection
 * is reported, dropped and re-opened on the next exec. It never interprets what commands print.
 */
import type SSHConfig from "ssh-config";
import type { Inventory } from "../../inventory/schema.js";
import type { BatchCommand, CommandResult, ExecOptions, Transport } from "../types.js";
import { execBatchOn } from "./batch-exec.js";
import { openChain } from "./chain.js";
import { expandHome, loadSshConfig, resolveTarget } from "./config.js";
import type { ConnectSettings } from "./connect.js";
import { SshConnection } from "./connection.js";
import { execOn, NotStarted } from "./exec.js";
import { Limit } from "./limit.js";
import { ConnectionPool } from "./pool.js";
import { ReadShells } from "./read-shell.js";

export interface SshTransportOptions {
  inventory: Inventory;
  /** Append keys of hosts not yet in known_hosts. A changed key is refused regardless. @default false */
  acceptNewHostKeys?: boolean;
  /** OpenSSH client config for aliases, users, keys and ProxyJump; `null` reads none. @default "~/.ssh/config" */
  sshConfigPath?: string | null;
  /** Handshakes in flight at once, over all nodes and jump hosts (sshd MaxStartups drops bursts). @default 8 */
  maxParallelConnects?: number;
  /** Commands in flight per connection; more wait in a queue (OpenSSH MaxSessions defaults to 10). @default 8 */
  maxChannelsPerConnection?: number;
  /** TCP connect plus SSH handshake and authentication. @default 10000 */
  connectTimeoutMs?: number;
  /** SSH keepalive; three missed answers drop the connection. @default 5000 */
  keepaliveIntervalMs?: number;
  /** ssh-agent socket; `null` disables the agent. @default process.env.SSH_AUTH_SOCK */
  agentSocket?: string | null;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${value}\` (${typeof value})`);
  }
  return value;
}

/**
 * @example
 * const t = new SshTransport({ inventory: loadInventory("cluster.yaml") });
 * const result = await t.exec("pve2", sh`pct unlock ${vmid}`, { timeoutMs: 10_000 });
 * await t.close();
 */
export class SshTransport implements Transport {
  readonly kind = "ssh" as const;
  private readonly inventory: Inventory;
  private readonly settings: ConnectSettings;
  private readonly sshConfigPath: string | null;
  private sshConfig: SSHConfig | null | undefined;
  private readonly maxChannels: number;
  private readonly handshakes: Limit;
  private readonly pool: ConnectionPool;
  private readonly shells = new ReadShells();

  constructor(options: SshTransportOptions) {
    this.inventory = options.inventory;
    this.sshConfigPath = options.sshConfigPath === undefined ? "~/.ssh/config" : options.sshConfigPath;
    this.maxChannels = positiveInteger("maxChannelsPerConnection", options.maxChannelsPerConnection ?? 8);
    this.handshakes = new Limit(positiveInteger("maxParallelConnects", options.maxParallelConnects ?? 8));
    this.settings = {
      connectTimeoutMs: positiveInteger("connectTimeoutMs", options.connectTimeoutMs ?? 10_000),
      keepaliveIntervalMs: positiveInteger("keepaliveIntervalMs", options.keepaliveIntervalMs ?? 5_000),
      knownHostsPath: expandHome(options.inventory.knownHosts ?? "~/.ssh/known_hosts"),
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      agentSocket:
        options.agentSocket === undefined ? (process.env.SSH_AUTH_SOCK ?? null) : options.agentSocket,
    };
    this.pool = new ConnectionPool((node) => this.open(node));
  }

  private async open(node: string): Promise<SshConnection> {
    if (this.sshConfig === undefined) this.sshConfig = loadSshConfig(this.sshConfigPath);
    const target = resolveTarget(this.inventory, node, this.sshConfig);
    const chain = await openChain(target, this.settings, this.handshakes);
    return new SshConnection(node, chain, this.maxChannels);
  }

  async exec(node: string, command: string, options?: ExecOptions): Promise<CommandResult> {
    try {
      return await execOn(await this.pool.get(node), command, options);
    } catch (error) {
      // The pooled connection went away before the command was sent; it never ran, so a fresh
      // connection may run it. A command that did start is never sent twice.
      if (!(error instanceof NotStarted)) throw error;
      return execOn(await this.pool.get(node), command, options);
    }
  }

  execBatch(node: string, commands: readonly BatchCommand[]): Promise<CommandResult>[] {
    const single = (c: BatchCommand) => this.exec(node, c.command, { timeoutMs: c.timeoutMs });
    if (!this.batchesReads(node)) return commands.map(single);
    return execBatchOn(
      {
        node,
        connection: () => this.pool.get(node),
        shells: this.shells,
        single,
      },
      commands,
    );
  }

  private batchesReads(node: string): boolean {
    const entry = this.inventory.nodes.find((n) => n.name === node);
    return entry?.batchReads ?? this.inventory.defaults.batchReads ?? true;
  }

  /** Open connections ahead of time; throws the first failure in `nodes` order after all attempts ended. */
  async connect(nodes: readonly string[]): Promise<void> {
    const outcomes = await Promise.allSettled(nodes.map((node) => this.pool.get(node)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** End every connection and wait for the sockets to close. The transport can be used again afterwards. */
  async close(): Promise<void> {
    await this.pool.closeAll();
  }
}
