/**
 * SshTransport against three real OpenSSH servers on 127.0.0.1 (test/system/loopback).
 * Needs /usr/sbin/sshd and ssh-keygen: run scripts/install-system-deps.sh first.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createProbeContext, ProbeError } from "../../src/engine/probe-context.js";
import type { Inventory } from "../../src/inventory/schema.js";
import { sh } from "../../src/shell/quote.js";
import { TransportError } from "../../src/transport/errors.js";
import { HEDGE_MS } from "../../src/transport/ssh/batch-exec.js";
import { SshTransport, type SshTransportOptions } from "../../src/transport/ssh/index.js";
import { type SshdCluster, startSshdCluster } from "./loopback/sshd-cluster.js";

let cluster: SshdCluster;
let stateDir: string;
const open: SshTransport[] = [];

function transport(options: Partial<SshTransportOptions> = {}): SshTransport {
  const t = new SshTransport({
    inventory: cluster.inventory,
    sshConfigPath: null,
    agentSocket: null,
    ...options,
  });
  open.push(t);
  return t;
}

function node(name: string) {
  const found = cluster.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
}

function withInventory(change: (inv: Inventory) => Partial<Inventory>): Inventory {
  return { ...cluster.inventory, ...change(cluster.inventory) };
}

function hostKeyFingerprint(name: string): string {
  const out = execFileSync("ssh-keygen", ["-lf", join(node(name).dir, "ssh_host_ed25519_key.pub")], {
    encoding: "utf8",
  });
  return out.split(" ")[1] ?? "";
}

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "pvefix-ssh-"));
  cluster = await startSshdCluster({ nodes: 3, stateDir });
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("SshTransport against real sshd", () => {
  it("runs a command on the named node and returns its output and exit code", async () => {
    const result = await transport().exec("node2", 'echo "$LAB_NODE"');
    expect(result).toMatchObject({
      node: "node2",
      stdout: "node2\n",
      exitCode: 0,
      failed: false,
      timedOut: false,
    });
  });

  it("delivers stdin bytes and then end of file", async () => {
    const t = transport();
    expect((await t.exec("node1", "cat", { stdin: "line one\nline two" })).stdout).toBe("line one\nline two");
    const big = Buffer.alloc(300_000, "x");
    expect((await t.exec("node1", "wc -c", { stdin: big })).stdout.trim()).toBe("300000");
    // Without stdin the channel still gets EOF, so a reading command does not hang.
    expect((await t.exec("node1", "cat", { timeoutMs: 5_000 })).timedOut).toBe(false);
  });

  it("reports exit codes and stderr as results instead of throwing", async () => {
    const result = await transport().exec("node3", "echo oops >&2; echo partial; exit 3");
    expect(result).toMatchObject({ exitCode: 3, stderr: "oops\n", stdout: "partial\n", failed: true });
  });

  it("returns timedOut soon after timeoutMs and keeps the node usable past more stuck commands than channels", async () => {
    // OpenSSH ignores signal requests in root sessions, so these sleeps outlive their timeout:
    // their sessions stay open on the server, like a `stat` stuck on a hung NFS mount.
    const t = transport({ maxChannelsPerConnection: 2 });
    const stuck = await Promise.all([1, 2, 3].map(() => t.exec("node1", "sleep 8", { timeoutMs: 300 })));
    for (const result of stuck) {
      expect(result).toMatchObject({ timedOut: true, exitCode: null, failed: true, connectionLost: false });
      expect(result.durationMs).toBeLessThan(1_500);
    }
    const after = await t.exec("node1", "echo still here", { timeoutMs: 5_000 });
    expect(after).toMatchObject({ stdout: "still here\n", exitCode: 0 });
  });

  it("delivers a parameter full of shell metacharacters verbatim when quoted with sh", async () => {
    const value = `it's "quoted" $HOME \`id\` $(id) ; rm -rf / # & | > < * ? \\ \n second line\ttab`;
    const result = await transport().exec("node2", sh`printf %s ${value}`);
    expect(result.stdout).toBe(value);
  });

  it("runs parallel commands over one connection and queues beyond maxChannelsPerConnection", async () => {
    const t = transport({ maxChannelsPerConnection: 2 });
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => t.exec("node1", 'sleep 0.5; echo "$SSH_CLIENT"')),
    );
    const elapsed = performance.now() - started;
    const clients = new Set(results.map((r) => r.stdout));
    expect(clients.size).toBe(1); // same client port: one TCP connection
    expect(results.every((r) => r.exitCode === 0)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(1_000); // two waves of two
    const wide = transport();
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => wide.exec("node2", `echo ${i}`)));
    expect(many.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
  });

  it("runs a batch of reads in one shell with every command's own output, status and timeout", async () => {
    const t = transport();
    const batch = t.execBatch("node1", [
      { command: 'echo "$$"; echo "$LAB_NODE"', timeoutMs: 5_000 },
      { command: "echo oops >&2; exit 4", timeoutMs: 5_000 },
      { command: 'echo "$$"; printf "no newline"', timeoutMs: 5_000 },
    ]);
    const [first, second, third] = await Promise.all(batch);
    expect(first).toMatchObject({ exitCode: 0, command: 'echo "$$"; echo "$LAB_NODE"' });
    const [shellPid, nodeName] = first!.stdout.split("\n");
    expect(nodeName).toBe("node1");
    expect(second).toMatchObject({ exitCode: 4, stdout: "", stderr: "oops\n", failed: true });
    // The same shell ran both: one channel, one round trip.
    expect(third).toMatchObject({ exitCode: 0, stdout: `${shellPid}\nno newline` });
    const alone = await Promise.all(
      [1, 2].map(() => t.exec("node1", 'echo "$$"').then((r) => r.stdout.trim())),
    );
    expect(new Set([...alone, shellPid]).size).toBe(3);
  });

  it("keeps the node's shell open for its next round of reads, and ends it with the transport", async () => {
    const t = transport();
    const read = (...commands: string[]) =>
      Promise.all(
        t.execBatch(
          "node1",
          commands.map((command) => ({ command, timeoutMs: 5_000 })),
        ),
      );
    const [first] = await read('echo "$$"', "true");
    const shellPid = Number(first!.stdout);
    expect((await read('echo "$$"'))[0]!.stdout).toBe(first!.stdout);
    // A command cannot read the script that comes after it: its stdin is empty.
    const [stdin, next] = await read("cat", 'echo "$$"');
    expect(stdin).toMatchObject({ exitCode: 0, stdout: "" });
    expect(next!.stdout).toBe(first!.stdout);
    expect(isRunning(shellPid)).toBe(true);
    await t.close();
    await expect.poll(() => isRunning(shellPid), { timeout: 3_000, interval: 50 }).toBe(false);
  });

  it("opens another shell for a batch that comes while one is busy, and a new one after a timeout", async () => {
    const t = transport();
    const read = (command: string, timeoutMs = 5_000) =>
      t.execBatch("node2", [{ command, timeoutMs }])[0]!.then((r) => r.stdout.trim());
    const busy = read('echo "$$"; sleep 1');
    const beside = await read('echo "$$"');
    expect(await busy).not.toBe(beside);
    const stuck = await t.execBatch("node2", [{ command: 'echo "$$"; sleep 5', timeoutMs: 300 }])[0]!;
    expect(stuck).toMatchObject({ timedOut: true, exitCode: null });
    const after = await read('echo "$$"');
    expect(after).toMatch(/^\d+$/);
    expect(after).not.toBe(stuck.stdout.trim());
    await t.close();
  });

  it("times out one command of a batch on its own clock and still answers the commands after it", async () => {
    const batch = transport().execBatch("node2", [
      { command: "echo before", timeoutMs: 5_000 },
      { command: "sleep 8", timeoutMs: 400 },
      { command: "echo after", timeoutMs: 5_000 },
    ]);
    const [before, stuck, after] = await Promise.all(batch);
    expect(before).toMatchObject({ stdout: "before\n", exitCode: 0 });
    expect(stuck).toMatchObject({ command: "sleep 8", timedOut: true, exitCode: null, failed: true });
    expect(stuck!.durationMs).toBeGreaterThanOrEqual(390);
    expect(stuck!.durationMs).toBeLessThan(2_000);
    expect(after).toMatchObject({ stdout: "after\n", exitCode: 0, timedOut: false });
  });

  it("sends the reads queued behind a slow one on their own channels", async () => {
    const log = join(node("node1").home, "hedge.log");
    rmSync(log, { force: true });
    const started = performance.now();
    const [slow, after] = transport().execBatch("node1", [
      { command: 'sleep 6; echo slow >> "$HOME/hedge.log"; echo slow', timeoutMs: 15_000 },
      { command: 'echo after >> "$HOME/hedge.log"; echo after', timeoutMs: 10_000 },
    ]);
    expect(await after).toMatchObject({ stdout: "after\n", exitCode: 0 });
    // Answered beside the slow one (after HEDGE_MS), not behind it.
    const answeredAfter = performance.now() - started;
    expect(answeredAfter).toBeGreaterThanOrEqual(HEDGE_MS);
    expect(answeredAfter).toBeLessThan(5_500);
    expect(await slow).toMatchObject({ stdout: "slow\n", exitCode: 0, timedOut: false });
    await new Promise((r) => setTimeout(r, 500));
    // The script may still reach `after` once the slow one is done: a read can run twice, which
    // is why only reads are ever batched. Its answer is the one that came first.
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines.filter((l) => l === "slow")).toHaveLength(1);
    expect(lines.filter((l) => l === "after").length).toBeGreaterThanOrEqual(1);
    expect(lines.indexOf("after")).toBeLessThan(lines.indexOf("slow"));
  });

  it("reports connectionLost for the command of a batch that was running when the connection dropped, and runs the rest on a new one", async () => {
    const pidFile = join(node("node3").home, "batch-session.pid");
    rmSync(pidFile, { force: true });
    const [first, running, rest] = transport().execBatch("node3", [
      { command: 'echo "$SSH_CLIENT"', timeoutMs: 10_000 },
      { command: 'echo $PPID > "$HOME/batch-session.pid"; sleep 30', timeoutMs: 20_000 },
      { command: 'echo "$SSH_CLIENT"', timeoutMs: 10_000 },
    ]);
    // Before HEDGE_MS, so the last command is still queued in the batch when the connection goes.
    await expect.poll(() => readIfExists(pidFile), { timeout: 900, interval: 20 }).toMatch(/^\d+\n$/);
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
    expect(await running).toMatchObject({ connectionLost: true, exitCode: null, failed: true });
    const [before, after] = [await first, await rest];
    expect(before!.exitCode).toBe(0);
    expect(after!.exitCode).toBe(0);
    expect(after!.stdout).not.toBe(before!.stdout); // a new connection, new client port
  });

  it("runs every read on its own channel for a node with batchReads off", async () => {
    const t = transport({
      inventory: withInventory((inv) => ({ defaults: { ...inv.defaults, batchReads: false } })),
    });
    const results = await Promise.all(
      t.execBatch(
        "node3",
        [1, 2, 3].map(() => ({ command: 'echo "$$"', timeoutMs: 5_000 })),
      ),
    );
    expect(new Set(results.map((r) => r.stdout)).size).toBe(3);
  });

  it("reports connectionLost when the connection drops mid-command and reconnects on the next exec", async () => {
    const t = transport();
    const first = await t.exec("node3", 'echo "$SSH_CLIENT"');
    const pidFile = join(node("node3").home, "session.pid");
    rmSync(pidFile, { force: true });
    const running = t.exec("node3", 'echo $PPID > "$HOME/session.pid"; sleep 30', { timeoutMs: 20_000 });
    await expect.poll(() => readIfExists(pidFile), { timeout: 5_000 }).toMatch(/^\d+\n$/);
    // $PPID is the sshd process serving this connection (a child of the sshd we started).
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
    const result = await running;
    expect(result).toMatchObject({ connectionLost: true, timedOut: false, exitCode: null, failed: true });
    const again = await t.exec("node3", 'echo "$SSH_CLIENT"');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).not.toBe(first.stdout); // a new connection, new client port
  });

  it("refuses an unknown host key, showing its fingerprint and the flag to trust it", async () => {
    const knownHosts = join(stateDir, "empty_known_hosts");
    writeFileSync(knownHosts, "");
    const t = transport({ inventory: withInventory(() => ({ knownHosts })) });
    const error = await rejection(t.exec("node1", "true"));
    expect(error.code).toBe("PVEFIX_HOST_KEY_UNKNOWN");
    expect(error.node).toBe("node1");
    expect(error.message).toContain(hostKeyFingerprint("node1"));
    expect(error.message).toContain(`127.0.0.1:${node("node1").port}`);
    expect(error.message).toContain("--accept-new-host-keys");
  });

  it("accepts a new host key with acceptNewHostKeys and appends it to a new 0600 known_hosts", async () => {
    const knownHosts = join(stateDir, "fresh", "known_hosts");
    const inventory = withInventory(() => ({ knownHosts }));
    const result = await transport({ inventory, acceptNewHostKeys: true }).exec("node2", "echo ok");
    expect(result.stdout).toBe("ok\n");
    const pub = readFileSync(join(node("node2").dir, "ssh_host_ed25519_key.pub"), "utf8").split(" ");
    expect(readFileSync(knownHosts, "utf8")).toBe(`[127.0.0.1]:${node("node2").port} ${pub[0]} ${pub[1]}\n`);
    expect(statSync(knownHosts).mode & 0o777).toBe(0o600);
    // Now known: a transport without the flag connects.
    expect((await transport({ inventory }).exec("node2", "echo ok")).exitCode).toBe(0);
  });

  it("refuses a changed host key even with acceptNewHostKeys and leaves known_hosts alone", async () => {
    const other = join(stateDir, "other_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const knownHosts = join(stateDir, "changed_known_hosts");
    const line = `[127.0.0.1]:${node("node3").port} ${readFileSync(`${other}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}\n`;
    writeFileSync(knownHosts, line);
    const t = transport({ inventory: withInventory(() => ({ knownHosts })), acceptNewHostKeys: true });
    const error = await rejection(t.exec("node3", "true"));
    expect(error.code).toBe("PVEFIX_HOST_KEY_CHANGED");
    expect(error.message).toContain(hostKeyFingerprint("node3"));
    expect(error.message).toContain("ssh-keygen -f");
    expect(readFileSync(knownHosts, "utf8")).toBe(line);
  });

  it("reaches node2 through node1 when the inventory sets jump", async () => {
    const inventory = withInventory((inv) => ({
      nodes: inv.nodes.map((n) => (n.name === "node2" ? { ...n, jump: "node1" } : n)),
    }));
    const result = await transport({ inventory }).exec("node2", 'echo "$LAB_NODE $SSH_CLIENT"');
    const [name, , clientPort] = result.stdout.trim().split(" ");
    expect(name).toBe("node2");
    // The TCP connection node2 sees comes from node1's sshd, not from this process.
    expect(socketOwner(Number(clientPort))).toContain('"sshd"');
  });

  it("follows a ~/.ssh/config alias to HostName, Port and ProxyJump, with User and IdentityFile from Host *", async () => {
    const config = join(stateDir, "ssh_config");
    writeFileSync(
      config,
      [
        "Host pve-three",
        "  HostName 127.0.0.1",
        `  Port ${node("node3").port}`,
        `  ProxyJump root@127.0.0.1:${node("node1").port}`,
        "Host *",
        `  User ${cluster.inventory.defaults.user}`,
        `  IdentityFile ${cluster.clientKeyPath}`,
        "",
      ].join("\n"),
    );
    const inventory: Inventory = {
      cluster: "alias",
      defaults: {},
      knownHosts: cluster.knownHostsPath,
      nodes: [{ name: "three", host: "pve-three" }],
    };
    const result = await transport({ inventory, sshConfigPath: config }).exec(
      "three",
      'echo "$LAB_NODE $SSH_CLIENT"',
    );
    const [name, , clientPort] = result.stdout.trim().split(" ");
    expect(name).toBe("node3");
    expect(socketOwner(Number(clientPort))).toContain('"sshd"');
  });

  it("names the node and host:port when a connection is refused, and when a node is not in the inventory", async () => {
    const closedPort = node("node1").port + 10_000 > 65_535 ? 1 : node("node1").port + 10_000;
    const inventory = withInventory((inv) => ({
      nodes: [{ ...inv.nodes[0]!, name: "gone", port: closedPort }],
    }));
    const refused = await rejection(transport({ inventory }).exec("gone", "true"));
    expect(refused.code).toBe("PVEFIX_CONNECT_FAILED");
    expect(refused.message).toContain(`gone (127.0.0.1:${closedPort})`);
    const unknown = await rejection(transport().exec("node9", "true"));
    expect(unknown.code).toBe("PVEFIX_UNKNOWN_NODE");
    expect(unknown.message).toContain("node1, node2, node3");
  });

  it("fails with PVEFIX_AUTH_FAILED when the server accepts none of the keys", async () => {
    const stranger = join(stateDir, "stranger_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
    const inventory = withInventory((inv) => ({ defaults: { ...inv.defaults, identity: stranger } }));
    const error = await rejection(transport({ inventory }).exec("node1", "true"));
    expect(error.code).toBe("PVEFIX_AUTH_FAILED");
    expect(error.message).toContain(stranger);
  });

  it("opens connections ahead with connect() and leaves no sockets behind after close()", async () => {
    const before = tcpSockets();
    const t = new SshTransport({ inventory: cluster.inventory, sshConfigPath: null, agentSocket: null });
    await t.connect(["node1", "node2", "node3"]);
    expect(tcpSockets()).toBe(before + 3);
    await t.close();
    expect(tcpSockets()).toBe(before);
  });
});

describe("partial failure: a transport that ends, a node that does not answer", () => {
  const probes = (t: SshTransport) =>
    createProbeContext({ transport: t, nodes: ["node1", "node2", "node3"], cluster: "loopback" });

  it("cancels a probe still waiting on a node when the transport closes, and never connects again", async () => {
    const sockets = tcpSockets();
    const t = transport();
    const ctx = probes(t);
    expect((await ctx.run("node1", "true")).exitCode).toBe(0);
    const logins = () => accepted("node1");
    const before = logins();
    const hung = ctx.run("node1", "sleep 30", { timeoutMs: 20_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closing = performance.now();
    await t.close();
    const error = await hung;
    expect(performance.now() - closing).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(ProbeError);
    expect((error as Error).message).toBe("`sleep 30` on node1 was cancelled: transport closed");
    expect((await rejection(t.exec("node1", "true"))).code).toBe("PVEFIX_TRANSPORT_CLOSED");
    await expect(ctx.run("node1", "true")).rejects.toBeInstanceOf(ProbeError);
    // Longer than p-retry's backoff and a handshake: a retry would have logged in again by now.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(logins()).toBe(before);
    expect(tcpSockets()).toBe(sockets);
  });

  it("names a node whose sshd is frozen (SIGSTOP) within 5 s: the connect timeout, no second try", async () => {
    const frozen = node("node2");
    process.kill(frozen.pid, "SIGSTOP");
    try {
      const ctx = probes(transport());
      const started = performance.now();
      const [up, down] = await Promise.all([
        ctx.run("node1", "true"),
        ctx.run("node2", "true").then(
          () => null,
          (e: unknown) => e,
        ),
      ]);
      const took = performance.now() - started;
      expect(up.exitCode).toBe(0);
      expect(down).toBeInstanceOf(TransportError);
      expect((down as TransportError).message).toContain(
        `Timed out after 4000 ms connecting to node2 (127.0.0.1:${frozen.port})`,
      );
      expect(took).toBeGreaterThanOrEqual(3_900);
      expect(took).toBeLessThan(5_000);
    } finally {
      process.kill(frozen.pid, "SIGCONT");
    }
  });

  it("names a node whose sshd is gone (connection refused) at once", async () => {
    const closedPort = node("node1").port + 10_000 > 65_535 ? 1 : node("node1").port + 10_000;
    const inventory = withInventory((inv) => ({
      nodes: [...inv.nodes, { ...inv.nodes[0]!, name: "gone", port: closedPort }],
    }));
    const ctx = createProbeContext({
      transport: transport({ inventory }),
      nodes: ["gone"],
      cluster: "loopback",
    });
    const started = performance.now();
    const error = await rejection(ctx.run("gone", "true"));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.message).toContain(`Connection refused by gone (127.0.0.1:${closedPort})`);
  });
});

/** Logins sshd accepted on this node so far (its -E log at the default LogLevel INFO). */
function accepted(name: string): number {
  return readFileSync(join(node(name).dir, "sshd.log"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("Accepted publickey")).length;
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Which process owns the local end of a TCP connection on 127.0.0.1:port (from `ss -tnp`). */
function socketOwner(port: number): string {
  return execFileSync("ss", ["-tnpH", "state", "established", `( sport = :${port} )`], { encoding: "utf8" });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
