/**
 * One SSH handshake: TCP (or a tunnelled stream), host-key check, authentication. Every way it
 * can fail becomes a TransportError that names the node, host:port and the next thing to try.
 */
import type { Duplex } from "node:stream";
import { Client } from "ssh2";
import { TransportError } from "../errors.js";
import { type AuthPlan, planAuth } from "./auth.js";
import type { SshEndpoint } from "./config.js";
import { HostKeyCheck } from "./host-key.js";

export type ConnectSettings = {
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  knownHostsPath: string;
  acceptNewHostKeys: boolean;
  agentSocket: string | null;
};

export type OpenClientOptions = {
  /** The inventory node this connection is for (errors are attributed to it). */
  node: string;
  endpoint: SshEndpoint;
  settings: ConnectSettings;
  /** A stream forwarded by a jump host; a fresh TCP connection when absent. */
  sock?: Duplex;
  /** The jump host the stream goes through, for messages. */
  via?: string;
  /** Aborting gives up the handshake at once and leaves no socket behind (the transport closed). */
  signal?: AbortSignal;
};

type Ssh2Error = Error & { level?: string; code?: string };

/**
 * The TransportError for a failed handshake. A node that refused, has no route, cannot be resolved
 * or did not answer in time is `final`: trying again would only add another wait before it is named.
 */
export function describeError(
  error: Ssh2Error,
  opts: Pick<OpenClientOptions, "node" | "endpoint" | "settings" | "via">,
  auth: Pick<AuthPlan, "tried" | "skipped">,
): TransportError {
  const { node, endpoint, settings, via } = opts;
  const where = `${endpoint.label} (${endpoint.host}:${endpoint.port}${via ? ` via ${via}` : ""})`;
  const fail = (code: "PVEFIX_CONNECT_FAILED" | "PVEFIX_AUTH_FAILED", message: string, final = false) =>
    new TransportError(code, node, message, { cause: error, final });
  if (error.level === "client-authentication") {
    const skipped = auth.skipped.length > 0 ? ` Unusable keys: ${auth.skipped.join("; ")}.` : "";
    return fail(
      "PVEFIX_AUTH_FAILED",
      `Authentication failed for ${endpoint.user}@${where}: the server accepted none of ${auth.tried.join(", ")}.${skipped} ` +
        `Add the public key to ~${endpoint.user}/.ssh/authorized_keys on ${endpoint.label}, or set \`identity:\` / \`user:\` in the inventory.`,
    );
  }
  if (error.level === "client-timeout") {
    return fail(
      "PVEFIX_CONNECT_FAILED",
      `Timed out after ${settings.connectTimeoutMs} ms connecting to ${where}. Check that the node is up and that port ${endpoint.port} is reachable from here (a slow link needs a longer \`connectTimeout\` in the inventory).`,
      true,
    );
  }
  switch (error.code) {
    case "ECONNREFUSED":
      return fail(
        "PVEFIX_CONNECT_FAILED",
        `Connection refused by ${where}: is sshd running there and listening on port ${endpoint.port}?`,
        true,
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return fail(
        "PVEFIX_CONNECT_FAILED",
        `Cannot resolve ${endpoint.host} (${endpoint.label}): fix DNS or /etc/hosts, or set \`host:\` to an address in the inventory.`,
        true,
      );
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "ETIMEDOUT":
      return fail(
        "PVEFIX_CONNECT_FAILED",
        `${where} is unreachable (${error.code}). Check the network path to the node.`,
        true,
      );
  }
  return fail("PVEFIX_CONNECT_FAILED", `Cannot connect to ${where}: ${error.message}`);
}

function cancelled(opts: OpenClientOptions): TransportError {
  const reason: unknown = opts.signal?.reason;
  if (reason instanceof TransportError) return reason;
  return new TransportError(
    "PVEFIX_CONNECT_FAILED",
    opts.node,
    `Connecting to ${opts.endpoint.label} was cancelled`,
    {
      final: true,
    },
  );
}

/** Open an authenticated client. Never leaves a socket behind when it fails. */
export function openClient(opts: OpenClientOptions): Promise<Client> {
  const { node, endpoint, settings } = opts;
  if (opts.signal?.aborted) return Promise.reject(cancelled(opts));
  const hostKey = new HostKeyCheck({
    node,
    label: endpoint.label,
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.hostKeyAlias ? { hostKeyAlias: endpoint.hostKeyAlias } : {}),
    knownHostsPath: settings.knownHostsPath,
    acceptNew: settings.acceptNewHostKeys,
  });
  const auth = planAuth(endpoint, settings.agentSocket);
  const client = new Client();
  const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: TransportError) => {
      if (settled) return;
      settled = true;
      client.destroy();
      // Reject only once the socket is gone, so a failed connect leaves no handle behind.
      const fallback = setTimeout(() => reject(error), 1_000);
      void closed.then(() => {
        clearTimeout(fallback);
        reject(error);
      });
    };
    client.on("error", (error: Ssh2Error) => {
      // ssh2 reports an unusable agent and then goes on with the next method: not fatal.
      if (settled || error.level === "agent") return;
      fail(hostKey.error ?? describeError(error, opts, auth));
    });
    void closed.then(() =>
      fail(
        hostKey.error ?? describeError(new Error("the connection closed during the handshake"), opts, auth),
      ),
    );
    const onAbort = () => fail(cancelled(opts));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    void closed.then(() => opts.signal?.removeEventListener("abort", onAbort));
    client.once("ready", () => {
      settled = true;
      opts.signal?.removeEventListener("abort", onAbort);
      resolve(client);
    });
    client.once("connect", () => client.setNoDelay(true));
    try {
      client.connect({
        host: endpoint.host,
        port: endpoint.port,
        username: endpoint.user,
        ...(opts.sock ? { sock: opts.sock } : {}),
        hostVerifier: hostKey.verify,
        algorithms: { serverHostKey: hostKey.algorithms() },
        authHandler: auth.methods,
        readyTimeout: settings.connectTimeoutMs,
        keepaliveInterval: settings.keepaliveIntervalMs,
        keepaliveCountMax: 3,
      });
      // Nagle's algorithm stalls every small exec by ~40 ms (testbed-notes): off from the start.
      client.setNoDelay(true);
    } catch (error) {
      fail(describeError(error as Ssh2Error, opts, auth));
    }
  });
}
