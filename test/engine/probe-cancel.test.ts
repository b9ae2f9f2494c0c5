/**
 * Every probe belongs to its run: once the probe context's signal aborts, or its transport closes,
 * no read is left behind to retry, reconnect and hold the process open (issue 9, item 1). The
 * transports here are fakes that record every command sent and, unlike the real ones, would go on
 * answering after close: what is asserted is what the probe context itself does.
 */
import { describe, expect, it } from "vitest";
import { createProbeContext, ProbeError } from "../../src/engine/probe-context.js";
import { TransportError } from "../../src/transport/errors.js";
import {
  type BatchCommand,
  type BatchOptions,
  type CommandResult,
  commandResult,
  type ExecOptions,
  type Transport,
} from "../../src/transport/types.js";

type Call = { node: string; command: string; at: number; signal: AbortSignal | undefined };

/**
 * `hang` waits until its signal aborts (then rejects like a real transport) or, when the fake
 * ignores signals, until `release()`; `lost` loses its connection; node3 refuses at once.
 */
class FakeTransport implements Transport {
  readonly kind = "ssh" as const;
  readonly calls: Call[] = [];
  readonly batches: Array<{ node: string; commands: string[]; signal: AbortSignal | undefined }> = [];
  private readonly closer = new AbortController();
  private readonly held: Array<() => void> = [];
  closedAt: number | null = null;

  constructor(private readonly honoursSignals = true) {}

  get closing(): AbortSignal {
    return this.closer.signal;
  }

  async exec(node: string, command: string, options: ExecOptions = {}): Promise<CommandResult> {
    this.calls.push({ node, command, at: performance.now(), signal: options.signal });
    const result = (fields: Partial<CommandResult>) =>
      commandResult({
        node,
        command,
        exitCode: 0,
        stdout: "",
        stderr: "",
        durationMs: 1,
        timedOut: false,
        connectionLost: false,
        ...fields,
      });
    if (node === "node3") {
      throw new TransportError("PVEFIX_CONNECT_FAILED", node, "Connection refused by node3", { final: true });
    }
    if (command === "lost") return result({ exitCode: null, connectionLost: true });
    if (command === "hang") {
      await new Promise<void>((resolve, reject) => {
        this.held.push(resolve);
        const signal = options.signal;
        if (this.honoursSignals && signal) {
          signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        }
      });
      // What SSH reports for a command whose connection the close ended: worth a retry for a read.
      return result({ exitCode: null, connectionLost: true });
    }
    return result({ stdout: `${command}\n` });
  }

  /** Ends every held `hang` as a lost connection, as closing the connections under them would. */
  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  async close(): Promise<void> {
    this.closedAt = performance.now();
    this.closer.abort(new TransportError("PVEFIX_TRANSPORT_CLOSED", "*", "transport closed"));
    this.release();
  }

  sentAfterClose(): Call[] {
    return this.calls.filter((c) => this.closedAt !== null && c.at >= this.closedAt);
  }
}

/** The same, batching: records each batch and its signal, answers through exec. */
class BatchingTransport extends FakeTransport {
  execBatch(node: string, commands: readonly BatchCommand[], options: BatchOptions = {}) {
    this.batches.push({ node, commands: commands.map((c) => c.command), signal: options.signal });
    return commands.map((c) =>
      this.exec(node, c.command, {
        timeoutMs: c.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
  }
}

const nodes = ["node1", "node2", "node3"];
const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a probe left behind by a detector that gave up", () => {
  it("is cancelled when the transport closes and never sends another read, even on a transport that would answer", async () => {
    // A transport that ignores signals and reconnects after close: only the context can stop the retry.
    const transport = new FakeTransport(false);
    const ctx = createProbeContext({ transport, nodes, cluster: "c" });
    const orphan = settle(ctx.run("node2", "hang"));
    // The detector's Promise.all rejects on node3 and stops waiting for node2.
    await expect(Promise.all([ctx.run("node2", "hang"), ctx.run("node3", "true")])).rejects.toMatchObject({
      code: "PVEFIX_CONNECT_FAILED",
      node: "node3",
    });
    const closed = performance.now();
    await transport.close();
    const outcome = await orphan;
    expect(performance.now() - closed).toBeLessThan(200);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toBeInstanceOf(ProbeError);
    expect((outcome.error as ProbeError).message).toBe("`hang` on node2 was cancelled: transport closed");
    // Longer than p-retry's backoff (200 + 400 ms): a retry would have been sent by now.
    await sleep(900);
    expect(transport.sentAfterClose()).toEqual([]);
    // The cancelled read left no evidence (its run is over, its journal may be closed) and did
    // not make node2 "unreachable" for anyone.
    expect(ctx.evidence.filter((r) => r.node === "node2")).toEqual([]);
  });

  it("hands the cancellation down to the transport, which stops the command and rejects", async () => {
    const transport = new FakeTransport(true);
    const ctx = createProbeContext({ transport, nodes, cluster: "c" });
    const orphan = settle(ctx.run("node2", "hang"));
    await sleep(10);
    const [sent] = transport.calls;
    expect(sent?.signal?.aborted).toBe(false);
    await transport.close();
    expect(sent?.signal?.aborted).toBe(true);
    expect(await orphan).toMatchObject({ ok: false, error: expect.any(ProbeError) });
  });

  it("sends nothing at all for a read asked for after the close", async () => {
    const transport = new FakeTransport(false);
    const ctx = createProbeContext({ transport, nodes, cluster: "c", memoize: true });
    await transport.close();
    await expect(ctx.run("node1", "true")).rejects.toThrow("`true` on node1 was cancelled: transport closed");
    await expect(ctx.readFile("node1", "/etc/pve/.vmlist")).rejects.toBeInstanceOf(ProbeError);
    await expect(ctx.anyNode()).rejects.toThrow(/no node of cluster c answered/);
    expect(await ctx.reachable()).toEqual({ up: [], down: nodes });
    expect(transport.calls).toEqual([]);
  });
});

describe("the probe context's own signal", () => {
  it("ends a read waiting in p-retry's backoff at once, without a second attempt", async () => {
    const transport = new FakeTransport();
    const controller = new AbortController();
    const ctx = createProbeContext({ transport, nodes, cluster: "c", signal: controller.signal });
    const read = settle(ctx.run("node1", "lost"));
    // The first attempt lost its connection; the retry waits 200 ms before it is sent.
    await sleep(50);
    expect(transport.calls.map((c) => c.command)).toEqual(["lost"]);
    const aborted = performance.now();
    controller.abort(new Error("deadline reached"));
    const outcome = await read;
    expect(performance.now() - aborted).toBeLessThan(100);
    expect(outcome).toMatchObject({ ok: false });
    if (!outcome.ok)
      expect((outcome.error as Error).message).toBe("`lost` on node1 was cancelled: deadline reached");
    await sleep(500);
    expect(transport.calls.map((c) => c.command)).toEqual(["lost"]);
  });

  it("still retries a lost connection while nothing is cancelled, and follows the transport's close too", async () => {
    const transport = new FakeTransport();
    const controller = new AbortController();
    const ctx = createProbeContext({ transport, nodes, cluster: "c", signal: controller.signal });
    await expect(ctx.run("node1", "lost")).rejects.toThrow("connection lost on node1");
    expect(transport.calls.map((c) => c.command)).toEqual(["lost", "lost", "lost"]);
    expect(ctx.evidence).toHaveLength(3);
    const orphan = settle(ctx.run("node2", "hang"));
    await transport.close();
    expect(await orphan).toMatchObject({ ok: false, error: expect.any(ProbeError) });
  });

  it("does not retry a node that refused: it is named at once", async () => {
    const transport = new FakeTransport();
    const ctx = createProbeContext({ transport, nodes, cluster: "c" });
    const started = performance.now();
    await expect(ctx.run("node3", "true")).rejects.toThrow("Connection refused by node3");
    expect(performance.now() - started).toBeLessThan(150);
    expect(transport.calls.filter((c) => c.node === "node3")).toHaveLength(1);
  });
});

describe("reads batched per node", () => {
  it("go out with the context's signal, and reads queued when it aborts are never sent", async () => {
    const transport = new BatchingTransport();
    const controller = new AbortController();
    const ctx = createProbeContext({ transport, nodes, cluster: "c", signal: controller.signal });
    const hung = settle(ctx.run("node1", "hang"));
    await sleep(10);
    expect(transport.batches).toHaveLength(1);
    expect(transport.batches[0]?.signal?.aborted).toBe(false);
    // Queued in this turn of the event loop, cancelled before the batch is flushed.
    const queued = settle(ctx.run("node2", "echo queued"));
    controller.abort(new Error("stop"));
    expect(transport.batches[0]?.signal?.aborted).toBe(true);
    expect(await hung).toMatchObject({ ok: false });
    expect(await queued).toMatchObject({ ok: false });
    await sleep(20);
    expect(transport.batches.map((b) => b.commands)).toEqual([["hang"]]);
    expect(transport.calls.map((c) => c.command)).toEqual(["hang"]);
  });
});
