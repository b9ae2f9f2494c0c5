/**
 * The SSH transport's end and its fail-fast connects, against loopback TCP servers this test
 * starts: one that never says a word (a frozen sshd: TCP is accepted by the kernel, no banner
 * ever comes) and a port nobody listens on (sshd gone). Real sshd: test/system/transport.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createProbeContext } from "../../../src/engine/probe-context.js";
import type { Inventory } from "../../../src/inventory/schema.js";
import { generateEd25519 } from "../../../src/lab/serve/keys.js";
import { TransportError } from "../../../src/transport/errors.js";
import { describeError } from "../../../src/transport/ssh/connect.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, SshTransport } from "../../../src/transport/ssh/index.js";

let dir: string;
let identity: string;
let silent: { server: Server; port: number; sockets: Socket[]; accepted: number };
let deadPort: number;
const open: SshTransport[] = [];

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function transport(nodes: Inventory["nodes"], options: { connectTimeoutMs?: number } = {}): SshTransport {
  const t = new SshTransport({
    inventory: {
      cluster: "c",
      defaults: { user: "root", identity },
      knownHosts: join(dir, "known_hosts"),
      nodes,
    },
    sshConfigPath: null,
    agentSocket: null,
    ...options,
  });
  open.push(t);
  return t;
}

const frozen = () => ({ name: "frozen", host: "127.0.0.1", port: silent.port });
const gone = () => ({ name: "gone", host: "127.0.0.1", port: deadPort });

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pvefix-cancel-"));
  identity = join(dir, "id_ed25519");
  writeFileSync(identity, generateEd25519().private, { mode: 0o600 });
  writeFileSync(join(dir, "known_hosts"), "");
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    silent.accepted += 1;
    sockets.push(socket);
    socket.on("error", () => {});
    // Read and drop what the client sends, so its close is seen (an unread socket never ends).
    socket.resume();
  });
  silent = { server, port: await listen(server), sockets, accepted: 0 };
  const probe = createServer();
  deadPort = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  for (const socket of silent.sockets) socket.destroy();
  await new Promise((resolve) => silent.server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("a closed SshTransport", () => {
  it("rejects every later exec, batch and connect with PVEFIX_TRANSPORT_CLOSED and never connects", async () => {
    const t = transport([frozen()]);
    const before = silent.accepted;
    await t.close();
    expect(t.closing.aborted).toBe(true);
    const error = await rejection(t.exec("frozen", "true"));
    expect(error.code).toBe("PVEFIX_TRANSPORT_CLOSED");
    expect(error.message).toMatch(/^transport closed/);
    expect(error.retryable).toBe(false);
    const [batched] = t.execBatch("frozen", [{ command: "true", timeoutMs: 1_000 }]);
    expect((await rejection(batched!)).code).toBe("PVEFIX_TRANSPORT_CLOSED");
    expect((await rejection(t.connect(["frozen"]))).code).toBe("PVEFIX_TRANSPORT_CLOSED");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(silent.accepted).toBe(before);
  });

  it("gives up a handshake in flight at once, leaving no socket behind", async () => {
    const t = transport([frozen()], { connectTimeoutMs: 60_000 });
    const before = silent.accepted;
    const pending = rejection(t.exec("frozen", "true"));
    await expect.poll(() => silent.accepted, { timeout: 2_000, interval: 10 }).toBe(before + 1);
    const socket = silent.sockets.at(-1)!;
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const started = performance.now();
    await t.close();
    const error = await pending;
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(error).toMatchObject({ code: "PVEFIX_TRANSPORT_CLOSED", node: "frozen" });
    await ended;
  });
});

describe("a node that does not answer or refuses", () => {
  it("is named after the connect timeout, without a second try, also through a probe context", async () => {
    expect(DEFAULT_CONNECT_TIMEOUT_MS).toBeLessThanOrEqual(5_000);
    // connectTimeout from the inventory (seconds) wins over the transport's default.
    const t = transport([{ ...frozen(), connectTimeout: 0.4 }]);
    const ctx = createProbeContext({ transport: t, nodes: ["frozen"], cluster: "c" });
    const before = silent.accepted;
    const started = performance.now();
    const error = await rejection(ctx.run("frozen", "true"));
    const took = performance.now() - started;
    expect(error.code).toBe("PVEFIX_CONNECT_FAILED");
    expect(error.message).toContain("Timed out after 400 ms connecting to frozen");
    expect(error.retryable).toBe(false);
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(2_500);
    // p-retry's backoff would have sent a second handshake within 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(silent.accepted).toBe(before + 1);
  });

  it("is named at once when the connection is refused", async () => {
    const t = transport([gone()]);
    const ctx = createProbeContext({ transport: t, nodes: ["gone"], cluster: "c" });
    const started = performance.now();
    const error = await rejection(ctx.run("gone", "true"));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.message).toContain(`Connection refused by gone (127.0.0.1:${deadPort})`);
    expect(error.retryable).toBe(false);
  });

  it("stops waiting for the handshake when the caller's signal aborts, and rejects with its reason", async () => {
    const t = transport([frozen()], { connectTimeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = t.exec("frozen", "true", { signal: controller.signal }).then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reason = new Error("run over");
    controller.abort(reason);
    expect(await pending).toBe(reason);
  });
});

describe("describeError", () => {
  const opts = {
    node: "pve3",
    endpoint: {
      label: "pve3",
      host: "10.0.0.3",
      port: 22,
      user: "root",
      identityFiles: [],
      identityRequired: false,
    },
    settings: {
      connectTimeoutMs: 4_000,
      keepaliveIntervalMs: 5_000,
      knownHostsPath: "/dev/null",
      acceptNewHostKeys: false,
      agentSocket: null,
    },
  };
  const auth = { tried: ["ssh-agent"], skipped: [] };
  const error = (fields: { code?: string; level?: string; message?: string }) =>
    Object.assign(new Error(fields.message ?? "boom"), fields);

  it.each([
    ["ECONNREFUSED", "Connection refused by pve3 (10.0.0.3:22)"],
    ["EHOSTUNREACH", "pve3 (10.0.0.3:22) is unreachable (EHOSTUNREACH)"],
    ["ENETUNREACH", "pve3 (10.0.0.3:22) is unreachable (ENETUNREACH)"],
    ["ETIMEDOUT", "pve3 (10.0.0.3:22) is unreachable (ETIMEDOUT)"],
    ["ENOTFOUND", "Cannot resolve 10.0.0.3 (pve3)"],
  ])("makes %s final: named at once, not retried", (code, message) => {
    const described = describeError(error({ code }), opts, auth);
    expect(described.message).toContain(message);
    expect(described.retryable).toBe(false);
  });

  it("makes a handshake timeout final and says which setting gives a slow link more time", () => {
    const described = describeError(error({ level: "client-timeout" }), opts, auth);
    expect(described.message).toContain("Timed out after 4000 ms connecting to pve3 (10.0.0.3:22)");
    expect(described.message).toContain("`connectTimeout`");
    expect(described.retryable).toBe(false);
  });

  it("retries a connection that broke during the handshake (sshd's MaxStartups drops bursts)", () => {
    expect(describeError(error({ code: "ECONNRESET" }), opts, auth).retryable).toBe(true);
    expect(
      describeError(error({ message: "the connection closed during the handshake" }), opts, auth).retryable,
    ).toBe(true);
    expect(describeError(error({ level: "client-authentication" }), opts, auth).retryable).toBe(false);
  });
});
