import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandHostRange, shlexSplit } from "../../src/inventory/ansible/ini.js";
import { parseSshArgs } from "../../src/inventory/ansible/ssh-args.js";
import { InventoryError, loadInventoryFile } from "../../src/inventory/load.js";

const dir = mkdtempSync(join(tmpdir(), "pvefix-ansible-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/ansible/${name}`, import.meta.url), "utf8");

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function problems(path: string, group?: string): string[] {
  try {
    loadInventoryFile(path, { group });
  } catch (error) {
    if (error instanceof InventoryError) return error.problems;
    throw error;
  }
  throw new Error("expected an InventoryError");
}

describe("Ansible INI inventories", () => {
  // No extension: the format is read from the content.
  const hosts = file("site/hosts", fixture("hosts.ini"));

  it("reads a group with its children's and its own vars, host vars winning, ProxyJump from ssh args", () => {
    const loaded = loadInventoryFile(hosts, { group: "pve_prod" });
    expect(loaded.format).toBe("ansible-ini");
    expect(loaded.group).toBe("pve_prod");
    expect(loaded.inventory).toEqual({
      cluster: "prod-cl01",
      defaults: {},
      nodes: [
        {
          name: "pve1",
          host: "10.10.10.1",
          user: "root",
          identity: "~/.ssh/pve_ed25519",
          jump: "jump@bastion.example.org:2200",
        },
        {
          name: "pve2",
          host: "10.10.10.2",
          port: 2222,
          user: "root",
          identity: "~/.ssh/pve_ed25519",
          jump: "jump@bastion.example.org:2200",
        },
        {
          name: "pve3",
          host: "10.10.10.3",
          user: "admin",
          identity: "~/.ssh/pve3_ed25519",
          jump: "jump@bastion.example.org:2200",
        },
      ],
    });
    expect(loaded.notes).toEqual([
      "pve1.example.org: ansible_ssh_common_args: ignored StrictHostKeyChecking=no (pvefix always checks host keys)",
      "pve2.example.org: ansible_ssh_common_args: ignored StrictHostKeyChecking=no (pvefix always checks host keys)",
      "pve3.example.org: ansible_ssh_common_args: ignored StrictHostKeyChecking=no (pvefix always checks host keys)",
    ]);
  });

  it("expands host ranges, and names the cluster after the group when no pvefix_cluster is set", () => {
    const loaded = loadInventoryFile(hosts, { group: "pve_lab" });
    expect(loaded.inventory.cluster).toBe("pve_lab");
    expect(loaded.inventory.nodes.map((n) => [n.name, n.host, n.jump])).toEqual([
      ["lab-pve01", "lab-pve01.example.org", "bastion.example.org"],
      ["lab-pve02", "lab-pve02.example.org", "bastion.example.org"],
      ["lab-pve03", "lab-pve03.example.org", "bastion.example.org"],
    ]);
  });

  it("takes a parent group's hosts through [group:children]", () => {
    const loaded = loadInventoryFile(hosts, { group: "pve" });
    expect(loaded.inventory.nodes.map((n) => n.name)).toEqual([
      "pve1",
      "pve2",
      "pve3",
      "lab-pve01",
      "lab-pve02",
      "lab-pve03",
    ]);
  });

  it("asks for --group when several groups could be the cluster, listing them", () => {
    expect(problems(hosts)).toEqual([
      "the Ansible inventory has several groups: bastions (1 host), pve_prod (3 hosts), pve_lab (3 hosts), pve (6 hosts); choose the cluster with --group NAME (as ansible's -l NAME)",
    ]);
    expect(problems(hosts, "pve_dev")).toEqual([
      "--group pve_dev: no such group (groups with hosts: bastions (1 host), pve_prod (3 hosts), pve_lab (3 hosts), pve (6 hosts))",
    ]);
  });

  it("takes the only group when there is one, and reads host:port", () => {
    const path = file("one.ini", "[pve]\npve1 ansible_host=10.0.0.1\npve2:2222 ansible_host=10.0.0.2\n");
    const loaded = loadInventoryFile(path);
    expect(loaded.inventory.cluster).toBe("pve");
    expect(loaded.inventory.nodes[1]).toEqual({ name: "pve2", host: "10.0.0.2", port: 2222 });
  });

  it("names the file, line and key of a bad value", () => {
    const path = file(
      "bad.ini",
      "[pve]\npve1 ansible_host=10.0.0.1\npve2 ansible_host='10.0.0.2; rm -rf /'\n\n[pve:vars]\nansible_port=ssh\n",
    );
    expect(problems(path)).toEqual([
      "line 6: ansible_port: 'ssh' is not a port number (1-65535)",
      "line 6: ansible_port: 'ssh' is not a port number (1-65535)",
      `line 3: ansible_host: a host name, IP address or ~/.ssh/config alias: letters, digits and . _ - : % [ ] only (for pvefix's host)`,
    ]);
  });

  it("refuses templates, IP-only hosts without a node name, other connections, and odd ProxyCommands", () => {
    const path = file(
      "refused.ini",
      [
        "[pve]",
        'pve1 ansible_host=\'{{ lookup("env", "PVE1") }}\'',
        "10.0.0.2",
        "pve3 ansible_connection=docker",
        "pve4 ansible_ssh_common_args='-o ProxyCommand=\"nc -x proxy:1080 %h %p\"'",
        "10.0.0.5 pvefix_node_name=pve5",
      ].join("\n"),
    );
    expect(problems(path)).toEqual([
      `line 2: ansible_host: '{{ lookup("env", "PVE1") }}' is a Jinja2 template; pvefix does not evaluate templates: write the value`,
      `line 3: 10.0.0.2: an IP address is not a Proxmox VE node name: set pvefix_node_name=<node> on the host`,
      `line 4: ansible_connection: 'docker': pvefix reaches nodes over SSH only (on a PVE node, run pvefix without -i)`,
      `line 5: ansible_ssh_common_args: ProxyCommand 'nc -x proxy:1080 %h %p' is not 'ssh -W %h:%p [user@]host': write the jump host as -o ProxyJump=[user@]host[:port]`,
    ]);
  });

  it("reads group_vars/ and host_vars/ beside the inventory, over the inventory's own values", () => {
    const site = join(dir, "gv");
    cpSync(hosts, join(site, "hosts.ini"), { recursive: true });
    file("gv/group_vars/pve_prod.yml", "ansible_user: ops\npvefix_cluster: prod-from-group-vars\n");
    file("gv/host_vars/pve2.example.org/connection.yaml", "ansible_port: 2022\n");
    const loaded = loadInventoryFile(join(site, "hosts.ini"), { group: "pve_prod" });
    expect(loaded.inventory.cluster).toBe("prod-from-group-vars");
    expect(loaded.inventory.nodes.map((n) => [n.name, n.user, n.port])).toEqual([
      ["pve1", "ops", undefined],
      ["pve2", "ops", 2022],
      ["pve3", "admin", undefined],
    ]);
    file("gv/host_vars/pve1.example.org.yml", "ansible_port: nope\n");
    expect(problems(join(site, "hosts.ini"), "pve_prod")).toEqual([
      `${join(site, "host_vars/pve1.example.org.yml")}:1: ansible_port: 'nope' is not a port number (1-65535)`,
    ]);
  });
});

describe("what pvefix does not take from an Ansible inventory", () => {
  it("says it ignores a password, and refuses --group for a pvefix inventory", () => {
    const path = file("pass.ini", "[pve]\npve1 ansible_host=10.0.0.1 ansible_password=secret\n");
    expect(loadInventoryFile(path).notes).toEqual([
      "pve1: ansible_password: ignored (pvefix logs in with keys: identity file or ssh-agent)",
    ]);
    const own = file("own.yaml", "cluster: c\nnodes:\n  - name: pve1\n");
    expect(loadInventoryFile(own).format).toBe("pvefix");
    expect(problems(own, "pve")).toEqual([
      "--group pve: --group picks a group of an Ansible inventory; this is a pvefix inventory, one cluster already",
    ]);
  });
});

describe("Ansible YAML inventories", () => {
  const inventory = file("inventory.yml", fixture("inventory.yml"));

  it("reads children:, hosts: and vars: with Ansible's precedence and the classic ProxyCommand jump", () => {
    const loaded = loadInventoryFile(inventory, { group: "proxmox" });
    expect(loaded.format).toBe("ansible-yaml");
    expect(loaded.inventory).toEqual({
      cluster: "prod-cl01",
      defaults: {},
      knownHosts: "/etc/pvefix/known_hosts",
      nodes: [
        { name: "pve1", host: "10.10.10.1", user: "root", jump: "jump@bastion.example.org:2200" },
        { name: "pve2", host: "10.10.10.2", port: 2222, user: "root", jump: "jump@bastion.example.org:2200" },
        { name: "pve3", host: "10.10.10.3", user: "root", hostKeyAlias: "pve3" },
      ],
    });
  });

  it("names the line and key of a bad YAML value", () => {
    const path = file(
      "bad.yml",
      "all:\n  children:\n    pve:\n      hosts:\n        pve1:\n          ansible_host: 10.0.0.1\n          ansible_user: 'root admin'\n",
    );
    expect(problems(path)).toEqual([
      `line 7: ansible_user: a user name: letters, digits and . _ - @ only (for pvefix's user)`,
    ]);
    const listed = file("list.yml", "all:\n  hosts:\n    - pve1\n    - pve2\n");
    expect(problems(listed)).toEqual([
      `line 2: all.hosts: must be a mapping (name: …), not a list or a value`,
    ]);
  });
});

describe("the pieces", () => {
  it("splits like shlex, comments included", () => {
    expect(shlexSplit(`a b='c d' "e \\"f\\"" g\\ h # comment`)).toEqual(["a", "b=c d", 'e "f"', "g h"]);
    expect(shlexSplit("a 'b")).toBeNull();
  });

  it("expands Ansible host ranges", () => {
    expect(expandHostRange("pve[1:3]")).toEqual(["pve1", "pve2", "pve3"]);
    expect(expandHostRange("pve[08:10]")).toEqual(["pve08", "pve09", "pve10"]);
    expect(expandHostRange("n[a:c]-[1:2]")).toEqual(["na-1", "na-2", "nb-1", "nb-2", "nc-1", "nc-2"]);
    expect(expandHostRange("pve[0:10:5]")).toEqual(["pve0", "pve5", "pve10"]);
    expect(expandHostRange("pve[3:1]")).toBeNull();
  });

  it("reads the jump host from every spelling of it", () => {
    expect(parseSshArgs("-J admin@bastion:2200")).toMatchObject({ jump: "admin@bastion:2200" });
    expect(parseSshArgs("-oProxyJump=bastion")).toMatchObject({ jump: "bastion" });
    expect(parseSshArgs("-o 'ProxyJump bastion,inner'")).toMatchObject({ jump: "bastion,inner" });
    expect(parseSshArgs(`-o ProxyCommand="ssh -q -l ops -W [%h]:%p bastion"`)).toMatchObject({
      jump: "ops@bastion",
    });
    expect(parseSshArgs("-C -o ControlPersist=60s -i ~/.ssh/k -p 2222")).toEqual({
      identity: "~/.ssh/k",
      port: 2222,
      ignored: [],
    });
    expect(parseSshArgs("bastion")).toEqual({
      error: "unexpected 'bastion' (expected ssh options such as -o Name=value)",
    });
  });
});
