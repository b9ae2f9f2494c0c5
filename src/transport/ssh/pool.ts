/**
 * One connection per node, opened on first use and shared by every exec on that node.
 * Concurrent first uses share one handshake; a failed, lost or retired connection is forgotten,
 * so the next exec opens a fresh one. The pool never re-runs a command. Once closed it opens
 * nothing again: a late exec (a probe nobody waits for any more) must not reconnect, or its
 * connection's keepalive would hold the process open.
 */
import { transportClosed } from "../errors.js";
import type { SshConnection } from "./connection.js";

export class ConnectionPool {
  private readonly current = new Map<string, Promise<SshConnection>>();
  /** Every connection not yet closed, including retired ones still finishing commands. */
  private readonly open = new Set<SshConnection>();
  private closed = false;

  constructor(private readonly opener: (node: string) => Promise<SshConnection>) {}

  get(node: string): Promise<SshConnection> {
    if (this.closed) return Promise.reject(transportClosed(node));
    const existing = this.current.get(node);
    if (existing) return existing;
    const forget = () => {
      if (this.current.get(node) === pending) this.current.delete(node);
    };
    const pending = this.opener(node).then(
      (connection) => {
        this.open.add(connection);
        connection.onGone(forget);
        connection.onLost(() => this.open.delete(connection));
        return connection;
      },
      (error: unknown) => {
        forget();
        throw error;
      },
    );
    this.current.set(node, pending);
    return pending;
  }

  /**
   * End every connection, including ones still opening (the opener is expected to give up at once
   * when its transport closes), and wait until their sockets are closed. Later `get`s reject.
   */
  async closeAll(): Promise<void> {
    this.closed = true;
    const opening = [...this.current.values()];
    this.current.clear();
    const settled = await Promise.allSettled(opening);
    const all = new Set(this.open);
    for (const outcome of settled) if (outcome.status === "fulfilled") all.add(outcome.value);
    this.open.clear();
    await Promise.all([...all].map((connection) => connection.end()));
  }
}
