/**
 * An Ansible inventory as `-i`, over real SSH: the lab served on 127.0.0.1 (`pvefix lab serve`)
 * written as a team would keep it in Ansible (INI with [group:vars] and a group that is not the
 * cluster, YAML with children:), and `pvefix diagnose --group` reaching every node through it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { cliSession, json, type Started } from "./pvefix.js";

const cli = cliSession();

interface Served {
  cluster: string;
  knownHosts: string;
  nodes: Array<{ name: string; host: string; port: number; user: string; identity: string }>;
}

describe("diagnose through an Ansible inventory", () => {
  let server: Started;
  let ini: string;
  let yamlInventory: string;

  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    server = cli.start(["lab", "serve"]);
    await server.waitFor(/Use it with: pvefix -i (\S+) diagnose/);
    const path = /Use it with: pvefix -i (\S+) diagnose/.exec(server.output())?.[1] ?? "";
    const { readFileSync } = await import("node:fs");
    const served = parse(readFileSync(path, "utf8")) as Served;
    const identity = served.nodes[0]?.identity ?? "";
    ini = join(cli.stateDir, "hosts");
    writeFileSync(
      ini,
      [
        "# the team's inventory: the cluster and a host that is not part of it",
        "[monitoring]",
        "grafana.example.org",
        "",
        "[pve_lab]",
        ...served.nodes.map((n) => `${n.name} ansible_host=${n.host} ansible_port=${n.port}`),
        "",
        "[pve_lab:vars]",
        "ansible_user=root",
        `ansible_ssh_private_key_file=${identity}`,
        `ansible_ssh_common_args='-o UserKnownHostsFile=${served.knownHosts} -o ControlMaster=auto'`,
        "pvefix_batch_reads=false",
        "pvefix_cluster=lab",
        "",
      ].join("\n"),
    );
    yamlInventory = join(cli.stateDir, "inventory.yml");
    writeFileSync(
      yamlInventory,
      [
        "all:",
        "  children:",
        "    proxmox:",
        "      vars:",
        "        ansible_user: root",
        `        ansible_ssh_private_key_file: ${identity}`,
        `        ansible_ssh_common_args: -o UserKnownHostsFile=${served.knownHosts}`,
        "        pvefix_batch_reads: false",
        "      hosts:",
        ...served.nodes.flatMap((n) => [
          `        ${n.name}:`,
          `          ansible_host: ${n.host}`,
          `          ansible_port: ${n.port}`,
        ]),
        "",
      ].join("\n"),
    );
  });

  afterAll(async () => {
    if (server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("reaches every node of the INI inventory's group and names it in the next commands", async () => {
    const result = await cli.pvefix(["-i", ini, "--group", "pve_lab", "diagnose"]);
    // The default scenario's stale lock and hung mounts are findings.
    expect([10, 11], result.stderr).toContain(result.code);
    expect(result.stdout).toContain(`-i ${ini} --group pve_lab`);
    const doc = json<{ cluster: string; nodes: unknown }>(
      await cli.pvefix(["-i", ini, "--group", "pve_lab", "diagnose", "-o", "json"]),
    );
    expect(doc.cluster).toBe("lab");
    expect(doc.nodes).toEqual({ up: ["pve1", "pve2", "pve3"], down: [] });
  });

  it("reads a YAML inventory with children: whose only group is the cluster, without --group", async () => {
    const doc = json<{ cluster: string; nodes: unknown }>(
      await cli.pvefix(["-i", yamlInventory, "diagnose", "-o", "json"]),
    );
    expect(doc.cluster).toBe("proxmox");
    expect(doc.nodes).toEqual({ up: ["pve1", "pve2", "pve3"], down: [] });
  });

  it("asks which group is the cluster when there are several, and changes nothing (exit 2)", async () => {
    const result = await cli.pvefix(["-i", ini, "diagnose"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${ini}: the Ansible inventory has several groups: monitoring (1 host), pve_lab (3 hosts); choose the cluster with --group NAME`,
    );
  });

  it("prints the converted inventory as a pvefix inventory file", async () => {
    const result = await cli.pvefix(["-i", ini, "--group", "pve_lab", "inventory"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`# read from the INI Ansible inventory ${ini}, group pve_lab\n`);
    expect(result.stdout).toMatch(/^cluster: lab$/m);
    expect(result.stdout).toMatch(/^ {4}batchReads: false$/m);
  });
});
