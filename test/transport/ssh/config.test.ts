import { homedir } from "node:os";
import { join } from "node:path";
import SSHConfig from "ssh-config";
import { describe, expect, it } from "vitest";
import type { Inventory } from "../../../src/inventory/schema.js";
import { TransportError } from "../../../src/transport/errors.js";
import { expandHome, loadSshConfig, resolveTarget } from "../../../src/transport/ssh/config.js";

const inventory: Inventory = {
  cluster: "prod",
  defaults: { user: "admin" },
  nodes: [
    { name: "pve1", host: "10.0.0.1" },
    { name: "pve2", port: 2202, identity: "~/.ssh/pve_ed25519" },
    { name: "pve3", host: "pve3-mgmt", jump: "pve1" },
    { name: "pve4", host: "10.0.0.4", jump: "ops@bastion.example.com:2222,pve1" },
  ],
};

const config = SSHConfig.parse(`
Host pve2
  HostName %h.lan
  Port 22
  User ignored
  IdentityFile ~/.ssh/also_ignored

Host pve3-mgmt
  HostName 192.168.50.3
  Port 2203
  IdentityFile %d/.ssh/%r_%h

Host bastion.example.com
  IdentityFile ~/.ssh/bastion

Host *
  User root
`);

describe("resolveTarget", () => {
  it("connects to the inventory host with the inventory user, default port and no jump", () => {
    expect(resolveTarget(inventory, "pve1", null)).toEqual({
      node: "pve1",
      label: "pve1",
      host: "10.0.0.1",
      port: 22,
      user: "admin",
      identityFiles: [],
      identityRequired: false,
      jumps: [],
    });
  });

  it("lets inventory fields win over ~/.ssh/config and expands ~ and %h", () => {
    expect(resolveTarget(inventory, "pve2", config)).toMatchObject({
      host: "pve2.lan",
      port: 2202,
      user: "admin",
      identityFiles: [join(homedir(), ".ssh/pve_ed25519")],
      identityRequired: true,
    });
  });

  it("follows a Host alias to HostName, Port and IdentityFile tokens", () => {
    const target = resolveTarget({ ...inventory, defaults: {} }, "pve3", config);
    expect(target).toMatchObject({
      host: "192.168.50.3",
      port: 2203,
      user: "root",
      identityFiles: [`${homedir()}/.ssh/root_192.168.50.3`],
      identityRequired: false,
    });
  });

  it("resolves a jump named like an inventory node to that node's settings", () => {
    expect(resolveTarget(inventory, "pve3", config).jumps).toEqual([
      {
        label: "pve1",
        host: "10.0.0.1",
        port: 22,
        user: "admin",
        identityFiles: [],
        identityRequired: false,
      },
    ]);
  });

  it("resolves a chain of [user@]host[:port] hops through ssh config", () => {
    const hops = resolveTarget(inventory, "pve4", config).jumps;
    expect(hops.map((h) => [h.label, h.user, h.host, h.port, h.identityFiles])).toEqual([
      ["ops@bastion.example.com:2222", "ops", "bastion.example.com", 2222, [join(homedir(), ".ssh/bastion")]],
      ["pve1", "admin", "10.0.0.1", 22, []],
    ]);
  });

  it("takes ProxyJump from ssh config when the inventory sets none", () => {
    const withJump = SSHConfig.parse("Host 10.0.0.1\n  ProxyJump jump.example.com\n");
    expect(resolveTarget(inventory, "pve1", withJump).jumps.map((h) => h.host)).toEqual(["jump.example.com"]);
  });

  it("throws PVEFIX_UNKNOWN_NODE listing the inventory's nodes", () => {
    expect(() => resolveTarget(inventory, "pve9", null)).toThrow(
      new TransportError(
        "PVEFIX_UNKNOWN_NODE",
        "pve9",
        "Node pve9 is not in the inventory (nodes: pve1, pve2, pve3, pve4).",
      ),
    );
  });

  it("throws PVEFIX_CONNECT_FAILED for a malformed jump", () => {
    const bad: Inventory = { ...inventory, nodes: [{ name: "pve1", jump: "root@:22" }] };
    const error = (() => {
      try {
        resolveTarget(bad, "pve1", null);
      } catch (e) {
        return e as TransportError;
      }
    })();
    expect(error?.code).toBe("PVEFIX_CONNECT_FAILED");
    expect(error?.message).toContain("Bad ProxyJump for pve1");
  });
});

describe("config files", () => {
  it("expands a leading ~ only", () => {
    expect(expandHome("~/.ssh/config", "/home/op")).toBe("/home/op/.ssh/config");
    expect(expandHome("/etc/~x", "/home/op")).toBe("/etc/~x");
  });

  it("treats a missing ssh config, or null, as no config", () => {
    expect(loadSshConfig("/nonexistent/pvefix/ssh_config")).toBeNull();
    expect(loadSshConfig(null)).toBeNull();
  });
});
