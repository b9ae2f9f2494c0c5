import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cliSession, plainText, pvefixLine } from "./pvefix.js";

/**
 * The cluster runbooks on a pseudo-terminal: each asks at its first gate (yes/no for a guarded
 * step, the node name for a dangerous one), and answering no changes nothing.
 */
const cli = cliSession();
const YES_NO = /Run step \d+ of \d+ on (pve\d) \(/;
const sha = async (node: string, file: string) => (await cli.labExec(node, "sha256sum", file)).stdout;

async function declineAt(args: string[], question: RegExp, answer: string) {
  const session = cli.inPty(pvefixLine([...args, "--lab"]));
  await session.waitFor(question, 30_000);
  session.type(`${answer}\r`);
  const result = await session.exited;
  return { code: result.code, screen: plainText(result.stdout) };
}

async function reset(scenario: string) {
  expect((await cli.pvefix(["lab", "reset", "--quiet", "--scenario", scenario])).code).toBe(0);
}

describe("cluster runbooks asked on a pseudo-terminal", () => {
  it("restart-pve-services asks before stopping the first unit, and no leaves every unit as it was", async () => {
    await reset("restart-pve-services");
    const units = "pveproxy spiceproxy pvestatd pve-cluster corosync".split(" ");
    const before = (await cli.labExec("pve2", "systemctl", "is-active", ...units)).stdout;
    const { code, screen } = await declineAt(["run", "restart-pve-services", "--node", "pve2"], YES_NO, "n");
    expect(code).toBe(1);
    expect(screen).toMatch(/Declined at a gate/);
    expect((await cli.labExec("pve2", "systemctl", "is-active", ...units)).stdout).toBe(before);
  });

  it("restart-pve-services --with-ha takes one typed answer for the node's whole batch, naming each step", async () => {
    await reset("restart-pve-services-ha");
    const session = cli.inPty(
      pvefixLine(["run", "restart-pve-services", "--node", "pve2", "--with-ha", "--lab"]),
    );
    await session.waitFor(/or "pve2 all" to run all 13 steps listed/, 30_000);
    session.type("pve2 all\r");
    const result = await session.exited;
    const screen = plainText(result.stdout);
    expect(result.code).toBe(0);
    expect(screen).toContain('"pve2 all" approves these 13 steps on pve2:');
    expect(screen).toContain("1. Stop pve-ha-lrm on pve2");
    expect(screen).toContain("13. Start pve-ha-lrm on pve2");
    expect(screen.match(/needs your approval/g)).toHaveLength(1);
    const units = "pveproxy spiceproxy pvestatd pve-cluster corosync pve-ha-lrm pve-ha-crm".split(" ");
    expect((await cli.labExec("pve2", "systemctl", "is-active", ...units)).stdout).toBe("active\n".repeat(7));
  });

  it("not-quorate-config asks for the node name before `pvecm expected`, and a wrong name changes nothing", async () => {
    await reset("not-quorate-config");
    const current = (await cli.labExec("pve1", "cat", "/etc/pve/corosync.conf")).stdout;
    const file = path.join(cli.stateDir, "corosync.conf.new");
    fs.writeFileSync(file, current.replace("totem {\n", "totem {\n  token: 3000\n"));
    const before = await sha("pve1", "/etc/pve/corosync.conf");
    const { code, screen } = await declineAt(
      ["run", "not-quorate-config", "--node", "pve1", "--file", file],
      /Type pve1 to continue/,
      "pve2",
    );
    expect(code).toBe(1);
    expect(screen).toContain("pvecm expected");
    expect(await sha("pve1", "/etc/pve/corosync.conf")).toBe(before);
    expect((await cli.labExec("pve1", "pvecm", "status")).stdout).toMatch(/Quorate:\s+No/);
  });

  it("ha-replication-mismatch asks before rewriting the HA group, and no keeps groups.cfg", async () => {
    await reset("ha-replication-mismatch");
    const before = await sha("pve1", "/etc/pve/ha/groups.cfg");
    const { code } = await declineAt(
      ["run", "ha-replication-mismatch", "--vmid", "100", "--fix", "align-ha"],
      YES_NO,
      "n",
    );
    expect(code).toBe(1);
    expect(await sha("pve1", "/etc/pve/ha/groups.cfg")).toBe(before);
  });

  it("zerotier-blacklist asks before replacing an invalid local.conf, and no keeps its bytes", async () => {
    await reset("zerotier-blacklist");
    const conf = "/var/lib/zerotier-one/local.conf";
    const write = await cli.pvefix(["lab", "exec", "pve1", "--", "cat", ">", conf], {
      stdin: '{ "settings": {,}\n',
    });
    expect(write.code).toBe(0);
    const before = await sha("pve1", conf);
    const { code } = await declineAt(["run", "zerotier-blacklist", "--node", "pve1"], YES_NO, "n");
    expect(code).toBe(1);
    expect(await sha("pve1", conf)).toBe(before);
  });
});
