/**
 * One open connection to a node (plus the jump connections it rides on), with its channel
 * limit. Once lost it stays lost; once retired it takes no new commands and ends itself when
 * the commands still on it are done. The pool then opens a fresh connection.
 */
import type { Client } from "ssh2";
import type { Chain } from "./chain.js";
import { Limit } from "./limit.js";

/** How long `end()` waits for the server to confirm the close before destroying the socket. */
const END_GRACE_MS = 2_000;

export class SshConnection {
  readonly client: Client;
  /** OpenSSH refuses channels beyond MaxSessions (default 10): queue instead of failing. */
  readonly channels: Limit;
  private readonly hops: Client[];
  private readonly closed: Promise<void>[];
  private lost = false;
  private retired = false;
  private readonly lostListeners = new Set<() => void>();
  private readonly goneListeners = new Set<() => void>();

  constructor(
    readonly node: string,
    chain: Chain,
    maxChannels: number,
  ) {
    this.client = chain.client;
    this.hops = chain.hops;
    this.channels = new Limit(maxChannels);
    this.closed = [this.client, ...this.hops].map(
      (c) => new Promise<void>((resolve) => c.once("close", resolve)),
    );
    this.client.on("end", this.markLost);
    this.client.on("close", this.markLost);
    for (const hop of this.hops) hop.on("close", () => this.client.destroy());
  }

  get isLost(): boolean {
    return this.lost;
  }

  /** Takes new commands: neither lost nor retired. */
  get usable(): boolean {
    return !this.lost && !this.retired;
  }

  /** Called once when the connection breaks; returns an unsubscribe function. */
  onLost(listener: () => void): () => void {
    return subscribe(this.lostListeners, listener, this.lost);
  }

  /** Called once when the connection stops taking commands (lost or retired). */
  onGone(listener: () => void): () => void {
    return subscribe(this.goneListeners, listener, !this.usable);
  }

  private readonly markLost = (): void => {
    if (this.lost) return;
    this.lost = true;
    notify(this.lostListeners);
    notify(this.goneListeners);
    for (const hop of this.hops) hop.end();
  };

  /**
   * A timed-out command's channel never closed: its process is stuck (a `stat` on a hung NFS
   * mount) and OpenSSH ignores signal requests in root sessions. The server still counts that
   * session against MaxSessions, so stop sending commands here and let the pool open a new one.
   */
  retire(): void {
    if (this.retired || this.lost) return;
    this.retired = true;
    notify(this.goneListeners);
    this.commandSettled();
  }

  /** Exec reports each finished command; a retired connection ends once nothing else runs on it. */
  commandSettled(): void {
    if (this.retired && this.channels.inUse === 0 && this.channels.queued === 0) void this.end();
  }

  /** Close politely, then forcefully; resolves when every socket is gone. */
  async end(): Promise<void> {
    await Promise.all(
      [this.client, ...this.hops].map(async (client, i) => {
        const closed = this.closed[i];
        if (closed === undefined) return;
        const timer = setTimeout(() => client.destroy(), END_GRACE_MS);
        client.end();
        await closed;
        clearTimeout(timer);
      }),
    );
  }
}

function subscribe(listeners: Set<() => void>, listener: () => void, already: boolean): () => void {
  if (already) {
    queueMicrotask(listener);
    return () => {};
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(listeners: Set<() => void>): void {
  const all = [...listeners];
  listeners.clear();
  for (const listener of all) listener();
}
