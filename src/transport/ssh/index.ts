/**
 * The SSH transport: runs command lines on inventory nodes over pooled ssh2 connections.
 * It verifies every host key against known_hosts and never retries a command; a lost connection
 * is reported, dropped and re-opened on the next exec, until the transport is closed: then
 * everything in flight is cancelled and nothing connects again. It never interprets what commands print.
 */

import { setMaxListeners } from "node:events";
import type SSHConfig from "ssh-config";
import type { Inventory } from "../../inventory/schema.js";
import { TransportError, transportClosed } from "../errors.js";
import type { BatchCommand, BatchOptions, CommandResult, ExecOptions, Transport } from "../types.js";
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
  /**
   * TCP connect plus SSH handshake and authentication, for nodes whose inventory entry (or
   * `defaults`) sets no `connectTimeout`. Short on purpose: a dead node is named after this wait,
   * with no second try. @default 4000
   */
  connectTimeoutMs?: number;
  /** SSH keepalive; three missed answers drop the connection. @default 5000 */
  keepaliveIntervalMs?: number;
  /** ssh-agent socket; `null` disables the agent. @default process.env.SSH_AUTH_SOCK */
  agentSocket?: string | null;
}

/** A node that does not answer is named after this wait (docs/reliability.md, "Partial failure"). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 4_000;

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
  private readonly closer = new AbortController();

  constructor(options: SshTransportOptions) {
    this.inventory = options.inventory;
    this.sshConfigPath = options.sshConfigPath === undefined ? "~/.ssh/config" : options.sshConfigPath;
    this.maxChannels = positiveInteger("maxChannelsPerConnection", options.maxChannelsPerConnection ?? 8);
    this.handshakes = new Limit(positiveInteger("maxParallelConnects", options.maxParallelConnects ?? 8));
    this.settings = {
      connectTimeoutMs: positiveInteger(
        "connectTimeoutMs",
        options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      ),
      keepaliveIntervalMs: positiveInteger("keepaliveIntervalMs", options.keepaliveIntervalMs ?? 5_000),
      knownHostsPath: expandHome(options.inventory.knownHosts ?? "~/.ssh/known_hosts"),
      acceptNewHostKeys: options.acceptNewHostKeys ?? false,
      agentSocket:
        options.agentSocket === undefined ? (process.env.SSH_AUTH_SOCK ?? null) : options.agentSocket,
    };
    this.pool = new ConnectionPool((node) => this.open(node));
    // Every handshake and cancellable exec listens to it: not a leak.
    setMaxListeners(0, this.closer.signal);
  }

  /** Aborted when `close()` is called (see Transport.closing). */
  get closing(): AbortSignal {
    return this.closer.signal;
  }

  private async open(node: string): Promise<SshConnection> {
    if (this.sshConfig === undefined) this.sshConfig = loadSshConfig(this.sshConfigPath);
    const target = resolveTarget(this.inventory, node, this.sshConfig);
    const settings = { ...this.settings, connectTimeoutMs: this.connectTimeoutFor(node) };
    try {
      const chain = await openChain(target, settings, this.handshakes, this.closer.signal);
      return new SshConnection(node, chain, this.maxChannels);
    } catch (error) {
      // Whatever the handshake said last, the reason it stopped is the close.
      if (this.closer.signal.aborted && error instanceof TransportError) throw transportClosed(node);
      throw error;
    }
  }

  /** The node's pooled connection; a caller that is cancelled stops waiting for a handshake others may share. */
  private connection(node: string, signal: AbortSignal | undefined): Promise<SshConnection> {
    const pending = this.pool.get(node);
    if (!signal) return pending;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      pending.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  async exec(node: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    if (this.closer.signal.aborted) throw transportClosed(node);
    const { signal, ...rest } = options;
    signal?.throwIfAborted();
    const execOptions = { ...rest, ...(signal ? { stop: signal } : {}) };
    let result: CommandResult;
    try {
      result = await execOn(await this.connection(node, signal), command, execOptions);
    } catch (error) {
      // The pooled connection went away before the command was sent; it never ran, so a fresh
      // connection may run it. A command that did start is never sent twice.
      if (!(error instanceof NotStarted)) throw error;
      result = await execOn(await this.connection(node, signal), command, execOptions);
    }
    // Stopped by the signal (the result says timedOut): a cancelled command reports no result.
    signal?.throwIfAborted();
    return result;
  }

  execBatch(
    node: string,
    commands: readonly BatchCommand[],
    options: BatchOptions = {},
  ): Promise<CommandResult>[] {
    const { signal } = options;
    if (this.closer.signal.aborted) return commands.map(() => Promise.reject(transportClosed(node)));
    const single = (c: BatchCommand) =>
      this.exec(node, c.command, { timeoutMs: c.timeoutMs, ...(signal ? { signal } : {}) });
    if (!this.batchesReads(node)) return commands.map(single);
    return execBatchOn(
      {
        node,
        connection: () => this.connection(node, signal),
        shells: this.shells,
        single,
      },
      commands,
      signal,
    );
  }

  private batchesReads(node: string): boolean {
    const entry = this.inventory.nodes.find((n) => n.name === node);
    return entry?.batchReads ?? this.inventory.defaults.batchReads ?? true;
  }

  private connectTimeoutFor(node: string): number {
    const entry = this.inventory.nodes.find((n) => n.name === node);
    const seconds = entry?.connectTimeout ?? this.inventory.defaults.connectTimeout;
    return seconds === undefined ? this.settings.connectTimeoutMs : Math.round(seconds * 1_000);
  }

  /** Open connections ahead of time; throws the first failure in `nodes` order after all attempts ended. */
  async connect(nodes: readonly string[]): Promise<void> {
    const outcomes = await Promise.allSettled(nodes.map((node) => this.pool.get(node)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw failed.reason;
  }

  /**
   * Cancel everything in flight (handshakes give up at once; commands on an open connection end
   * with it, `connectionLost`), end every connection and wait for the sockets to close. The
   * transport is done: every later exec rejects with PVEFIX_TRANSPORT_CLOSED and nothing
   * reconnects, so no socket or keepalive timer outlives the command that used it.
   */
  async close(): Promise<void> {
    this.closer.abort(transportClosed());
    await this.pool.closeAll();
  }
}
