import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InventoryError } from "../../src/inventory/load.js";
import { discoverInventory } from "../../src/pve/probes/discover.js";
import { type CommandResult, commandResult, type Transport } from "../../src/transport/types.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

/** Serves files to `base64 -w0 PATH` the way coreutils does, and records the commands. */
class FilesTransport implements Transport {
  readonly kind = "lab" as const;
  readonly commands: string[] = [];
  constructor(private readonly files: Record<string, string>) {}
  async exec(node: string, command: string): Promise<CommandResult> {
    this.commands.push(command);
    const path = /^base64 -w0 (\S+)$/.exec(command)?.[1] ?? "";
    const content = this.files[path];
    const base = { node, command, durationMs: 1, timedOut: false, connectionLost: false };
    if (content === undefined) {
      return commandResult({
        ...base,
        exitCode: 1,
        stdout: "",
        stderr: `base64: ${path}: No such file or directory\n`,
      });
    }
    return commandResult({
      ...base,
      exitCode: 0,
      stdout: Buffer.from(content).toString("base64"),
      stderr: "",
    });
  }
  async close() {}
}

describe("discoverInventory", () => {
  it("lists every configured node with its ring0 address and the cluster name", async () => {
    const t = new FilesTransport({
      "/etc/pve/corosync.conf": fixture("corosync-conf-pve-written.txt"),
      "/etc/pve/.members": fixture("members-cluster.txt"),
    });
    const inv = await discoverInventory(t, "seed", {
      defaults: { user: "root" },
      knownHosts: "/etc/pvefix/known_hosts",
    });
    expect(inv).toEqual({
      cluster: "prod-cl01",
      defaults: { user: "root" },
      knownHosts: "/etc/pvefix/known_hosts",
      nodes: [
        { name: "pve1", host: "10.10.10.1" },
        { name: "pve2", host: "10.10.10.2" },
        { name: "pve3", host: "10.10.10.3" },
      ],
    });
    expect(t.commands.sort()).toEqual(["base64 -w0 /etc/pve/.members", "base64 -w0 /etc/pve/corosync.conf"]);
  });

  it("falls back to the IP pmxcfs learned, then to the name, when a node has no ring0_addr", async () => {
    const conf = `nodelist {
  node {
    name: pve1
    nodeid: 1
  }
  node {
    name: pve3
    nodeid: 3
  }
}

totem {
  cluster_name: prod-cl01
  config_version: 8
  version: 2
}
`;
    const t = new FilesTransport({
      "/etc/pve/corosync.conf": conf,
      "/etc/pve/.members": fixture("members-no-ip.txt"),
    });
    const inv = await discoverInventory(t, "pve2");
    expect(inv.nodes).toEqual([
      { name: "pve1", host: "10.10.10.1" },
      { name: "pve3", host: "pve3" },
    ]);
  });

  it("returns just the seed node for a standalone node without corosync.conf", async () => {
    const t = new FilesTransport({ "/etc/pve/.members": fixture("members-standalone.txt") });
    const inv = await discoverInventory(t, "pve1", { clusterName: "single" });
    expect(inv).toEqual({ cluster: "single", defaults: {}, nodes: [{ name: "pve1" }] });
  });

  it("uses the .members node list when corosync.conf is missing but pmxcfs knows the cluster", async () => {
    const t = new FilesTransport({ "/etc/pve/.members": fixture("members-cluster.txt") });
    const inv = await discoverInventory(t, "pve1");
    expect(inv.cluster).toBe("prod-cl01");
    expect(inv.nodes.map((n) => n.host)).toEqual(["10.10.10.1", "10.10.10.2", "10.10.10.3"]);
  });

  it("reads corosync's own copy of corosync.conf when pmxcfs is down and /etc/pve is empty", async () => {
    const t = new FilesTransport({ "/etc/corosync/corosync.conf": fixture("corosync-conf-pve-written.txt") });
    const inv = await discoverInventory(t, "pve1");
    expect(inv.cluster).toBe("prod-cl01");
    expect(inv.nodes.map((n) => n.name)).toEqual(["pve1", "pve2", "pve3"]);
    expect(t.commands).toContain("base64 -w0 /etc/corosync/corosync.conf");
  });

  it("says that pmxcfs is not running when the seed has no cluster files at all", async () => {
    const error = await discoverInventory(new FilesTransport({}), "pve1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InventoryError);
    expect((error as InventoryError).message).toContain("pmxcfs (pve-cluster) is not running there");
  });

  it("rejects node names that cannot be inventory names, naming where they came from", async () => {
    const conf = "nodelist {\n  node {\n    name: pve_1\n    nodeid: 1\n    ring0_addr: 10.0.0.1\n  }\n}\n";
    const error = await discoverInventory(
      new FilesTransport({ "/etc/pve/corosync.conf": conf }),
      "pve1",
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InventoryError);
    expect((error as InventoryError).message).toBe(
      "inventory discovered from pve1: nodes[0].name: a node name: letters, digits and inner hyphens",
    );
  });
});
