/**
 * The lab over real SSH: one ssh2 server per node on loopback, public-key auth for the lab's
 * client key only, every `exec` request interpreted by the lab once the client has sent EOF.
 * A down node refuses connections; a `drop` fault or a node going down cuts the TCP connection.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import ssh2, {
  type AuthContext,
  type Connection,
  type ParsedKey,
  type PublicKeyAuthContext,
  type ServerChannel,
} from "ssh2";
import { TransportError } from "../../transport/errors.js";
import { labExec } from "../exec.js";
import { loadLabSync } from "../store.js";
import { type ServedNode, writeInventory, writeKnownHosts } from "./files.js";

// ssh2 is CommonJS: Node's ESM loader does not see `Server` and `utils` as named exports.
const { Server: SshServer, utils } = ssh2;

import { ensureLabKeys } from "./keys.js";

export interface ServeLabOptions {
  stateDir: string;
  /** @default "127.0.0.1" */
  host?: string;
  /** First port (pve1), then +1 per node. @default 0 (free ports chosen by the system) */
  basePort?: number;
}

export interface LabServer {
  inventoryPath: string;
  knownHostsPath: string;
  clientKeyPath: string;
  nodes: ServedNode[];
  close(): Promise<void>;
}

export async function serveLab(options: ServeLabOptions): Promise<LabServer> {
  const host = options.host ?? "127.0.0.1";
  const state = loadLabSync(options.stateDir);
  const names = state.nodes.map((n) => n.name);
  const keys = ensureLabKeys(options.stateDir, names);
  const parsed = utils.parseKey(keys.client.publicKey);
  if (parsed instanceof Error) throw parsed;
  const clientKey = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!clientKey) throw new Error(`unreadable lab client key ${keys.client.privateKeyPath}.pub`);
  const sockets = new Set<Socket>();
  const servers: NetServer[] = [];
  const nodes: ServedNode[] = [];
  try {
    for (const [i, name] of names.entries()) {
      const ssh = new SshServer({ hostKeys: [keys.hosts[name]?.privateKey ?? ""] });
      const byPeer = new Map<string, Socket>();
      ssh.on("connection", (client, info) => {
        const socket = byPeer.get(`${info.ip}:${info.port}`);
        handleClient(client, { stateDir: options.stateDir, node: name, allowed: clientKey, socket });
      });
      const server = createServer((socket) => {
        if (!nodeUp(options.stateDir, name)) {
          socket.destroy(); // like a powered-off host: the client sees the connection fail
          return;
        }
        sockets.add(socket);
        const peer = `${socket.remoteAddress}:${socket.remotePort}`;
        byPeer.set(peer, socket);
        socket.on("close", () => {
          sockets.delete(socket);
          byPeer.delete(peer);
        });
        socket.on("error", () => socket.destroy());
        ssh.injectSocket(socket);
      });
      await listen(server, options.basePort ? options.basePort + i : 0, host);
      servers.push(server);
      const address = server.address();
      nodes.push({ name, port: typeof address === "object" && address ? address.port : 0 });
    }
  } catch (error) {
    await closeAll(servers, sockets);
    throw error;
  }
  const hostKeys = Object.fromEntries(names.map((n) => [n, keys.hosts[n]?.publicKey ?? ""]));
  const knownHostsPath = writeKnownHosts(options.stateDir, host, nodes, hostKeys);
  const inventoryPath = writeInventory(options.stateDir, {
    cluster: state.clusterName,
    host,
    knownHostsPath,
    identity: keys.client.privateKeyPath,
    nodes,
  });
  return {
    inventoryPath,
    knownHostsPath,
    clientKeyPath: keys.client.privateKeyPath,
    nodes,
    close: () => closeAll(servers, sockets),
  };
}

function nodeUp(stateDir: string, name: string): boolean {
  try {
    return loadLabSync(stateDir).nodes.find((n) => n.name === name)?.up ?? false;
  } catch {
    return false;
  }
}

function listen(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

async function closeAll(servers: NetServer[], sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}

interface ClientContext {
  stateDir: string;
  node: string;
  allowed: ParsedKey;
  socket: Socket | undefined;
}

function authenticate(ctx: AuthContext, allowed: ClientContext["allowed"]): void {
  if (ctx.method === "publickey" && ctx.username === "root" && keyAccepted(ctx, allowed)) ctx.accept();
  else ctx.reject(["publickey"]);
}

function keyAccepted(ctx: PublicKeyAuthContext, allowed: ClientContext["allowed"]): boolean {
  const expected = allowed.getPublicSSH();
  if (ctx.key.algo !== allowed.type || ctx.key.data.length !== expected.length) return false;
  if (!timingSafeEqual(ctx.key.data, expected)) return false;
  // Without a signature the client only asks whether this key would do; with one it proves possession.
  return !ctx.signature || !ctx.blob || allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
}

function handleClient(client: Connection, ctx: ClientContext): void {
  client.on("error", () => {
    // A client that vanishes mid-session is normal (timeouts, tests); nothing to report.
  });
  client.on("authentication", (auth) => authenticate(auth, ctx.allowed));
  client.on("ready", () => {
    client.on("session", (acceptSession) => {
      const session = acceptSession();
      session.on("env", (accept) => accept?.());
      session.on("pty", (_accept, reject) => reject?.());
      session.on("shell", (_accept, reject) => reject?.());
      session.on("subsystem", (_accept, reject) => reject?.());
      session.on("exec", (accept, _reject, info) => runExec(accept(), info.command, ctx));
    });
  });
}

function runExec(stream: ServerChannel, command: string, ctx: ClientContext): void {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("error", () => {});
  stream.once("end", () => {
    labExec({ stateDir: ctx.stateDir, node: ctx.node, command, stdin: Buffer.concat(chunks) })
      .then((outcome) => {
        if (outcome === "hang") return; // never answer: the client's timeout must close the channel
        if (outcome === "drop") {
          ctx.socket?.destroy();
          return;
        }
        if (outcome.stdout) stream.write(outcome.stdout);
        if (outcome.stderr) stream.stderr.write(outcome.stderr);
        stream.exit(outcome.exitCode);
        stream.end();
      })
      .catch((error: unknown) => {
        if (error instanceof TransportError) {
          ctx.socket?.destroy(); // the node went down while connected
          return;
        }
        stream.stderr.write(
          `pvefix lab: internal error: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        stream.exit(255);
        stream.end();
      });
  });
}
