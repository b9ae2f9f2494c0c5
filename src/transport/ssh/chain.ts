/**
 * ProxyJump: connect to each jump host in turn, ask it to open a TCP stream to the next hop
 * (`direct-tcpip`), and run the next handshake over that stream. Every hop is host-key verified
 * exactly like a direct connection.
 */
import type { Duplex } from "node:stream";
import type { Client } from "ssh2";
import { TransportError } from "../errors.js";
import type { SshEndpoint, SshTarget } from "./config.js";
import { type ConnectSettings, openClient } from "./connect.js";
import type { Limit } from "./limit.js";

function forward(
  jump: Client,
  via: SshEndpoint,
  next: SshEndpoint,
  node: string,
  signal: AbortSignal | undefined,
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    // A jump host that never answers must not hold up a close: the caller ends the jump client.
    const onAbort = () => reject(signal?.reason);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    jump.forwardOut("127.0.0.1", 0, next.host, next.port, (error, stream) => {
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted) {
        stream?.destroy();
        return;
      }
      if (!error) return resolve(stream);
      reject(
        new TransportError(
          "PVEFIX_CONNECT_FAILED",
          node,
          `Jump host ${via.label} could not open a connection to ${next.label} (${next.host}:${next.port}): ${error.message}. ` +
            `Check that ${next.host}:${next.port} is reachable from ${via.label} and that AllowTcpForwarding is on there.`,
          // Refused, no route or forwarding off at the jump host: another try gives the same answer.
          { cause: error, final: true },
        ),
      );
    });
  });
}

/** The target's client plus the jump clients it rides on (outermost first). */
export type Chain = { client: Client; hops: Client[] };

/** Handshakes go through `handshakes` so a large cluster does not trip sshd's MaxStartups. */
export async function openChain(
  target: SshTarget,
  settings: ConnectSettings,
  handshakes: Limit,
  signal?: AbortSignal,
): Promise<Chain> {
  const hops: Client[] = [];
  try {
    let sock: Duplex | undefined;
    let via: SshEndpoint | undefined;
    for (const [index, hop] of target.jumps.entries()) {
      const client = await handshakes.run(() =>
        openClient({ node: target.node, endpoint: hop, settings, sock, via: via?.label, signal }),
      );
      hops.push(client);
      sock = await forward(client, hop, target.jumps[index + 1] ?? target, target.node, signal);
      via = hop;
    }
    const client = await handshakes.run(() =>
      openClient({ node: target.node, endpoint: target, settings, sock, via: via?.label, signal }),
    );
    return { client, hops };
  } catch (error) {
    for (const hop of hops.reverse()) hop.end();
    throw error;
  }
}
