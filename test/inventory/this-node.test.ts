import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InventoryError } from "../../src/inventory/load.js";
import { discoverThisNode, isPveNode, pveRoot } from "../../src/pve/probes/this-node.js";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

let root: string;
let home: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pvefix-node-root-"));
  home = join(root, "root");
  mkdirSync(join(home, ".ssh"), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function put(file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

describe("discoverThisNode", () => {
  it("finds the cluster from /etc/pve, this node locally, peers pinned by name in priv/known_hosts with root's key", () => {
    put("/etc/pve/.members", fixture("members-cluster.txt"));
    put("/etc/pve/corosync.conf", fixture("corosync-conf-pve-written.txt"));
    put("/root/.ssh/id_rsa", "key");
    const found = discoverThisNode({ root, home });
    expect(found.localNode).toBe("pve1");
    expect(found.sources).toEqual(["/etc/pve/.members", "/etc/pve/corosync.conf"]);
    expect(found.notes).toEqual([]);
    expect(found.inventory).toEqual({
      cluster: "prod-cl01",
      defaults: { user: "root", identity: join(home, ".ssh/id_rsa") },
      knownHosts: join(root, "etc/pve/priv/known_hosts"),
      nodes: [
        { name: "pve1", host: "10.10.10.1", hostKeyAlias: "pve1" },
        { name: "pve2", host: "10.10.10.2", hostKeyAlias: "pve2" },
        { name: "pve3", host: "10.10.10.3", hostKeyAlias: "pve3" },
      ],
    });
  });

  it("prefers id_ed25519 over id_rsa and says so when root has neither key", () => {
    put("/etc/pve/.members", fixture("members-cluster.txt"));
    put("/root/.ssh/id_rsa", "key");
    put("/root/.ssh/id_ed25519", "key");
    expect(discoverThisNode({ root, home }).inventory.defaults.identity).toBe(join(home, ".ssh/id_ed25519"));
    rmSync(join(home, ".ssh"), { recursive: true });
    const bare = discoverThisNode({ root, home });
    expect(bare.inventory.defaults).toEqual({ user: "root" });
    expect(bare.notes).toEqual([
      "no ~/.ssh/id_ed25519 or ~/.ssh/id_rsa: peers are logged in to with ssh-agent or ~/.ssh/config only.",
    ]);
  });

  it("says pmxcfs is down and falls back to /etc/corosync/corosync.conf and ~/.ssh/known_hosts", () => {
    mkdirSync(join(root, "etc/pve"), { recursive: true }); // the empty mount point pmxcfs left
    put("/var/lib/pve-cluster/config.db", "SQLite format 3");
    put("/etc/corosync/corosync.conf", fixture("corosync-conf-pve-written.txt"));
    put("/etc/hostname", "pve2.example.org\n");
    put("/root/.ssh/id_rsa", "key");
    const found = discoverThisNode({ root, home });
    expect(found.localNode).toBe("pve2");
    expect(found.sources).toEqual(["/etc/corosync/corosync.conf"]);
    expect(found.inventory.knownHosts).toBe(join(home, ".ssh/known_hosts"));
    expect(found.inventory.nodes.map((n) => n.name)).toEqual(["pve1", "pve2", "pve3"]);
    expect(found.notes).toEqual([
      "/etc/pve is not readable: pmxcfs (pve-cluster) is not running on pve2. " +
        "The node list comes from /etc/corosync/corosync.conf; host keys are checked against ~/.ssh/known_hosts.",
    ]);
  });

  it("reaches every node over SSH when this machine's name is not in the node list", () => {
    put("/var/lib/pve-cluster/config.db", "SQLite format 3");
    put("/etc/corosync/corosync.conf", fixture("corosync-conf-pve-written.txt"));
    put("/etc/hostname", "backup-host\n");
    const found = discoverThisNode({ root, home });
    expect(found.localNode).toBeNull();
    expect(found.notes.at(-1)).toBe(
      "this machine's node name backup-host is not in the node list (pve1, pve2, pve3): every node is reached over SSH.",
    );
  });

  it("is a standalone node's own one-node inventory", () => {
    put("/etc/pve/.members", fixture("members-standalone.txt"));
    const found = discoverThisNode({ root, home });
    expect(found.localNode).toBe("pve1");
    expect(found.inventory.nodes).toEqual([{ name: "pve1", hostKeyAlias: "pve1" }]);
  });

  it("refuses a machine that is no PVE node, naming the files it looked for and what to pass", () => {
    expect(isPveNode({ root })).toBe(false);
    const error = (() => {
      try {
        discoverThisNode({ root, home });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InventoryError);
    expect((error as Error).message).toBe(
      "this machine: not a Proxmox VE node: neither /etc/pve/.members nor /etc/pve/corosync.conf can be read, " +
        "and there is no /var/lib/pve-cluster/config.db with /etc/corosync/corosync.conf. " +
        "Pass the cluster's inventory with -i FILE, or --lab for the embedded lab cluster.",
    );
    // Debian's corosync package ships a sample corosync.conf: that alone is no PVE node.
    put("/etc/corosync/corosync.conf", fixture("corosync-conf-pve-written.txt"));
    expect(isPveNode({ root })).toBe(false);
    put("/var/lib/pve-cluster/config.db", "SQLite format 3");
    expect(isPveNode({ root })).toBe(true);
  });

  it("reads the tree under $PVEFIX_PVE_ROOT (tests only), else /", () => {
    expect(pveRoot({})).toBe("/");
    expect(pveRoot({ PVEFIX_PVE_ROOT: "rel/tree" })).toBe(join(process.cwd(), "rel/tree"));
  });
});
