/**
 * pvefix with no -i and no --lab, against a fake node's /etc tree ($PVEFIX_PVE_ROOT, for tests
 * only): `pvefix inventory` prints what it found, a node refuses --accept-new-host-keys, and a
 * machine that is no node is told how to choose a cluster. (Reaching the nodes for real:
 * test/system/this-node.test.ts.)
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliSession, ROOT } from "./pvefix.js";

const cli = cliSession();
const tree = mkdtempSync(join(tmpdir(), "pvefix-node-tree-"));
afterAll(() => rmSync(tree, { recursive: true, force: true }));
mkdirSync(join(tree, "etc", "pve", "priv"), { recursive: true });
mkdirSync(join(tree, "home", ".ssh"), { recursive: true });
cpSync(join(ROOT, "test/fixtures/members-cluster.txt"), join(tree, "etc/pve/.members"));
cpSync(join(ROOT, "test/fixtures/corosync-conf-pve-written.txt"), join(tree, "etc/pve/corosync.conf"));
writeFileSync(join(tree, "home", ".ssh", "id_rsa"), "not read until a peer is reached\n");
const env = { PVEFIX_PVE_ROOT: tree, HOME: join(tree, "home") };

describe("pvefix on a PVE node, nothing configured", () => {
  it("prints the cluster it found as an inventory file that -i loads", async () => {
    const result = await cli.pvefix(["inventory"], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("# found on pve1 from /etc/pve/.members, /etc/pve/corosync.conf\n");
    expect(result.stdout).toContain(`knownHosts: ${join(tree, "etc/pve/priv/known_hosts")}\n`);
    const file = join(tree, "cluster.yaml");
    writeFileSync(file, result.stdout);
    const again = await cli.pvefix(["-i", file, "inventory", "-o", "json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).inventory.nodes).toEqual([
      { name: "pve1", host: "10.10.10.1", hostKeyAlias: "pve1" },
      { name: "pve2", host: "10.10.10.2", hostKeyAlias: "pve2" },
      { name: "pve3", host: "10.10.10.3", hostKeyAlias: "pve3" },
    ]);
  });

  it("refuses --accept-new-host-keys: PVE's known_hosts is not pvefix's to add to (exit 2)", async () => {
    const result = await cli.pvefix(["diagnose", "--accept-new-host-keys"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("pvecm updatecerts");
  });

  it("tells a machine that is no PVE node how to choose a cluster (exit 2)", async () => {
    const result = await cli.pvefix(["diagnose"], { env: { PVEFIX_PVE_ROOT: join(tree, "nothing") } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "No cluster given: use -i/--inventory FILE for a real cluster or --lab for the embedded lab cluster",
    );
  });
});
