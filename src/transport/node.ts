/**
 * pvefix on a Proxmox VE node: commands for the node it runs on go to the local transport (no
 * SSH to itself, so it works even with this node's sshd down), every other node's to the SSH
 * transport. It only routes; each side keeps its own timeouts, cancellation and batching.
 */
import { setMaxListeners } from "node:events";
import { transportClosed } from "./errors.js";
import type { BatchCommand, BatchOptions, CommandResult, ExecOptions, Transport } from "./types.js";

export interface NodeTransportOptions {
  /** The node this process runs on. */
  localNode: string;
  /** Serves `localNode` only (a LocalTransport). */
  local: Transport;
  /** Serves every other node (an SshTransport). */
  peers: Transport;
}

export class NodeTransport implements Transport {
  readonly kind = "node" as const;
  readonly localNode: string;
  private readonly local: Transport;
  private readonly peers: Transport;
  private readonly closer = new AbortController();

  constructor(options: NodeTransportOptions) {
    this.localNode = options.localNode;
    this.local = options.local;
    this.peers = options.peers;
    setMaxListeners(0, this.closer.signal);
  }

  get closing(): AbortSignal {
    return this.closer.signal;
  }

  private route(node: string): Transport {
    return node === this.localNode ? this.local : this.peers;
  }

  exec(node: string, command: string, options?: ExecOptions): Promise<CommandResult> {
    if (this.closer.signal.aborted) return Promise.reject(transportClosed(node));
    return this.route(node).exec(node, command, options);
  }

  execBatch(
    node: string,
    commands: readonly BatchCommand[],
    options?: BatchOptions,
  ): Promise<CommandResult>[] {
    if (this.closer.signal.aborted) return commands.map(() => Promise.reject(transportClosed(node)));
    const to = this.route(node);
    if (to.execBatch) return to.execBatch(node, commands, options);
    const signal = options?.signal;
    return commands.map((c) =>
      to.exec(node, c.command, { timeoutMs: c.timeoutMs, ...(signal ? { signal } : {}) }),
    );
  }

  async connect(nodes: readonly string[]): Promise<void> {
    const peers = nodes.filter((n) => n !== this.localNode);
    if (peers.length > 0 && this.peers.connect) await this.peers.connect(peers);
  }

  async close(): Promise<void> {
    this.closer.abort(transportClosed());
    await Promise.all([this.local.close(), this.peers.close()]);
  }
}
