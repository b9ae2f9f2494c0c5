import { readFileSync } from "node:fs";
import { Client } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { addFault, type LabServer, loadLab, resetLab, saveLab, serveLab } from "../../src/lab/index.js";
import { generateEd25519 } from "../../src/lab/serve/keys.js";
import { tempStateDir } from "../lab/helpers.js";

interface ServedInventory {
  cluster: string;
  knownHosts: string;
  nodes: Array<{ name: string; host: string; port: number; user: string; identity: string }>;
}

let temp: ReturnType<typeof tempStateDir>;
let server: LabServer;
let inventory: ServedInventory;

beforeAll(async () => {
  temp = tempStateDir();
  await resetLab({ stateDir: temp.dir, scenario: "default" });
  server = await serveLab({ stateDir: temp.dir });
  inventory = parse(readFileSync(server.inventoryPath, "utf8")) as ServedInventory;
});

afterAll(async () => {
  await server.close();
  temp.cleanup();
});

/** The key known_hosts lists for `[host]:port`, as the base64 blob. */
function knownKey(host: string, port: number): string | undefined {
  const line = readFileSync(inventory.knownHosts, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`[${host}]:${port} `));
  return line?.split(" ")[2];
}

function connect(nodeName: string, privateKey?: string): Promise<Client> {
  const node = inventory.nodes.find((n) => n.name === nodeName)!;
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on("ready", () => resolve(client))
      .on("error", reject)
      .on("close", () => reject(new Error("closed before ready")))
      .connect({
        host: node.host,
        port: node.port,
        username: node.user,
        privateKey: privateKey ?? readFileSync(node.identity, "utf8"),
        hostVerifier: (key: Buffer) => key.toString("base64") === knownKey(node.host, node.port),
        readyTimeout: 10_000,
      });
  });
}

function exec(
  client: Client,
  command: string,
  stdin = "",
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      let stdout = "";
      let stderr = "";
      let code: number | null = null;
      channel.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      channel.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      channel.on("exit", (c: number | null) => {
        code = c;
      });
      channel.on("close", () => resolve({ stdout, stderr, code }));
      channel.end(stdin);
    });
  });
}

describe("lab serve", () => {
  it("writes an inventory and known_hosts for every node on loopback", () => {
    expect(inventory.cluster).toBe("lab");
    expect(inventory.nodes.map((n) => [n.name, n.host, n.user])).toEqual([
      ["pve1", "127.0.0.1", "root"],
      ["pve2", "127.0.0.1", "root"],
      ["pve3", "127.0.0.1", "root"],
    ]);
    for (const node of inventory.nodes)
      expect(knownKey(node.host, node.port)).toMatch(/^AAAAC3NzaC1lZDI1NTE5/);
  });

  it("runs pct list on pve1 over SSH after verifying the host key", async () => {
    const client = await connect("pve1");
    try {
      const result = await exec(client, "pct list");
      expect(result).toEqual({
        stdout:
          "VMID       Status     Lock         Name                \n100        running    backup       web01               \n",
        stderr: "",
        code: 0,
      });
    } finally {
      client.end();
    }
  });

  it("delivers stdin and returns stderr and the exit status", async () => {
    const client = await connect("pve2");
    try {
      expect(await exec(client, "cat > /tmp/in && cat /tmp/in", "over ssh\n")).toEqual({
        stdout: "over ssh\n",
        stderr: "",
        code: 0,
      });
      expect(await exec(client, "nope")).toEqual({
        stdout: "",
        stderr: "sh: 1: nope: not found\n",
        code: 127,
      });
    } finally {
      client.end();
    }
  });

  it("rejects a client key that is not the lab's", async () => {
    // A key that parses (ssh2's own generator now and then makes one that does not), so the
    // rejection below is the server's, not the client failing to read its key.
    const stranger = generateEd25519().private;
    await expect(connect("pve1", stranger)).rejects.toThrow(/authentication methods failed/);
  });

  it("cuts the connection on a drop fault", async () => {
    await addFault(temp.dir, { node: "pve3", match: "hostname", action: "drop", times: 1 });
    const client = await connect("pve3");
    const closed = new Promise<"closed">((resolve) => client.on("close", () => resolve("closed")));
    client.on("error", () => {});
    let output = "";
    let exitCode: number | undefined;
    client.exec("hostname", (err, channel) => {
      if (err) return;
      channel.end(); // the lab runs a command once its stdin ends
      channel.on("data", (d: Buffer) => {
        output += d.toString();
      });
      channel.on("exit", (code: number) => {
        exitCode = code;
      });
    });
    // A connection the server keeps open is a failure of its own, not the test's 60 s timeout.
    let timer: NodeJS.Timeout | undefined;
    const stillOpen = new Promise<"still open">((resolve) => {
      timer = setTimeout(() => resolve("still open"), 10_000);
    });
    const outcome = await Promise.race([closed, stillOpen]);
    clearTimeout(timer);
    if (outcome !== "closed") client.end();
    expect(outcome).toBe("closed");
    expect({ output, exitCode }).toEqual({ output: "", exitCode: undefined });
    expect((await loadLab(temp.dir)).faults).toEqual([]);
  });

  it("refuses connections to a node that is down", async () => {
    const state = await loadLab(temp.dir);
    state.nodes[1]!.up = false;
    await saveLab(temp.dir, state);
    await expect(connect("pve2")).rejects.toThrow();
  });
});
