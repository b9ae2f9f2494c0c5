import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dumpInventory, InventoryError, loadInventory, resolveNode } from "../../src/inventory/load.js";

const dir = mkdtempSync(join(tmpdir(), "pvefix-inventory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problem(path: string): InventoryError {
  try {
    loadInventory(path);
  } catch (error) {
    if (error instanceof InventoryError) return error;
    throw error;
  }
  throw new Error("expected an InventoryError");
}

const GOOD = `cluster: prod-cl01
knownHosts: ~/.ssh/known_hosts_pve
defaults:
  user: root
  identity: ~/.ssh/pve_ed25519
nodes:
  - name: pve1
    host: 10.10.10.1
  - name: pve2
    host: 10.10.10.2
    port: 2222
    user: admin
  - name: pve3
    jump: pve1
`;

describe("loadInventory", () => {
  it("reads and validates a YAML inventory", () => {
    const inv = loadInventory(file("good.yaml", GOOD));
    expect(inv.cluster).toBe("prod-cl01");
    expect(inv.nodes.map((n) => n.name)).toEqual(["pve1", "pve2", "pve3"]);
    expect(inv.defaults).toEqual({ user: "root", identity: "~/.ssh/pve_ed25519" });
  });

  it("names the file and the field path, with what was expected and given", () => {
    const path = file(
      "bad-port.yaml",
      "cluster: c\nnodes:\n  - name: pve1\n  - name: pve2\n    port: '22'\n",
    );
    const error = problem(path);
    expect(error.code).toBe("PVEFIX_BAD_INVENTORY");
    expect(error.message).toBe(
      `${path}: nodes[1].port (node pve2): Invalid input: expected number, received string`,
    );
  });

  it("reports every problem at once, including unknown keys that would otherwise be ignored", () => {
    const path = file(
      "many.yaml",
      "cluster: c\ndefaults:\n  identity_file: x\nnodes:\n  - name: pve1\n    hostname: a\n  - name: pve1\n",
    );
    expect(problem(path).problems).toEqual([
      "nodes[1].name: duplicate node name 'pve1'",
      "defaults.identity_file: Unknown key (expected one of host, port, user, identity, jump, batchReads, connectTimeout)",
      "nodes[0].hostname: Unknown key (expected one of name, host, port, user, identity, jump, hostKeyAlias, batchReads, connectTimeout)",
    ]);
  });

  it("takes connectTimeout in seconds per node or in defaults, and names the field when it is not a positive number", () => {
    const good = file(
      "timeouts.yaml",
      "cluster: c\ndefaults:\n  connectTimeout: 2.5\nnodes:\n  - name: pve1\n    connectTimeout: 15\n  - name: pve2\n",
    );
    const inv = loadInventory(good);
    expect(inv.defaults.connectTimeout).toBe(2.5);
    expect(inv.nodes.map((n) => n.connectTimeout)).toEqual([15, undefined]);
    const zero = file("zero.yaml", "cluster: c\nnodes:\n  - name: pve1\n    connectTimeout: 0\n");
    expect(problem(zero).problems).toEqual([
      "nodes[0].connectTimeout (node pve1): a number of seconds greater than 0",
    ]);
    const text = file("text.yaml", "cluster: c\ndefaults:\n  connectTimeout: 4s\nnodes:\n  - name: pve1\n");
    expect(problem(text).problems[0]).toMatch(/^defaults\.connectTimeout: Invalid input: expected number/);
  });

  it("reports YAML syntax errors with their line", () => {
    const error = problem(file("syntax.yaml", "cluster: c\nnodes:\n  - name: pve1\n   host: [oops\n"));
    expect(error.problems[0]).toMatch(/^line \d+, column \d+: /);
  });

  it("says when the file does not exist", () => {
    expect(problem(join(dir, "absent.yaml")).problems).toEqual(["cannot read the inventory: file not found"]);
  });
});

describe("resolveNode", () => {
  const inv = loadInventory(file("resolve.yaml", GOOD));

  it("applies defaults under the node's own fields and uses the name as host when none is given", () => {
    expect(resolveNode(inv, "pve2")).toEqual({
      name: "pve2",
      host: "10.10.10.2",
      port: 2222,
      user: "admin",
      identity: "~/.ssh/pve_ed25519",
    });
    expect(resolveNode(inv, "pve3")).toEqual({
      name: "pve3",
      host: "pve3",
      user: "root",
      identity: "~/.ssh/pve_ed25519",
      jump: "pve1",
    });
  });

  it("returns undefined for a node that is not in the inventory", () => {
    expect(resolveNode(inv, "pve9")).toBeUndefined();
  });
});

describe("dumpInventory", () => {
  it("writes YAML that loads back to the same inventory", () => {
    const inv = loadInventory(file("round.yaml", GOOD));
    const text = dumpInventory(inv);
    expect(loadInventory(file("round-again.yaml", text))).toEqual(inv);
    expect(text.startsWith("cluster: prod-cl01\ndefaults:\n")).toBe(true);
  });

  it("leaves out empty defaults", () => {
    expect(dumpInventory({ cluster: "c", defaults: {}, nodes: [{ name: "pve1" }] })).toBe(
      "cluster: c\nnodes:\n  - name: pve1\n",
    );
  });
});

describe("shell metacharacters in how a node is reached", () => {
  it.each([
    ["host", "pve1;touch /tmp/x"],
    ["host", "pve1 -oProxyCommand=sh"],
    ["user", "$(id)"],
    ["user", "root`id`"],
    ["jump", "pve1|sh"],
  ])("rejects %s %j, naming the field and the node", (field, value) => {
    const error = problem(
      file("meta.yaml", `cluster: c\nnodes:\n  - name: pve1\n    ${field}: ${JSON.stringify(value)}\n`),
    );
    expect(error.message).toContain(`nodes[0].${field} (node pve1): a `);
  });

  it("accepts addresses, aliases, directory users and jump chains", () => {
    const path = file(
      "ok.yaml",
      "cluster: c\nnodes:\n  - name: pve1\n    host: '[fe80::1%eth0]'\n    user: ops@corp.example\n    jump: admin@bastion:2222,pve2\n  - name: pve2\n    host: pve2.example.org\n",
    );
    expect(loadInventory(path).nodes[0]).toMatchObject({ user: "ops@corp.example" });
  });
});
