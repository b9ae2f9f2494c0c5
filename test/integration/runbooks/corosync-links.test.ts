/**
 * corosync-links through the built CLI on the lab: `diagnose` points to the right cause in each
 * scenario, `plan -o md` is a list that can go into a ticket, and `run --unattended` changes nothing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliSession, json } from "../cli/pvefix.js";

const cli = cliSession();

type Diagnosis = {
  findings: Array<{ runbook: string; node?: string; severity: string; summary: string; command: string }>;
};

async function linkFindings(scenario: string) {
  expect((await cli.pvefix(["lab", "reset", "--scenario", scenario, "--quiet"])).code).toBe(0);
  const result = await cli.pvefix(["diagnose", "--lab", "-o", "json"]);
  return json<Diagnosis>(result).findings.filter((f) => f.runbook === "corosync-links");
}

describe("corosync-links on the lab, through bin/pvefix.js", () => {
  it("diagnose names the cause in every scenario, and nothing on the healthy default", async () => {
    expect(await linkFindings("default")).toEqual([]);
    const down = await linkFindings("corosync-links");
    expect(down.map((f) => [f.node, f.severity, f.command])).toEqual([
      ["pve3", "warning", "ip -d link show dev eno3"],
    ]);
    expect(down[0]?.summary).toMatch(/corosync link 1 of pve3 is down .*eno3 \(under vmbr2\) has no carrier/);
    const mtu = await linkFindings("corosync-links-mtu");
    expect(mtu.map((f) => [f.node, f.summary.slice(0, 56)])).toEqual([
      ["pve3", "MTU mismatch on corosync link 1: pve3 vmbr2 has MTU 1400"],
    ]);
    const firewall = await linkFindings("corosync-links-firewall");
    expect(firewall.map((f) => [f.node, f.command])).toEqual([["pve2", "nft -a list ruleset"]]);
    expect(firewall[0]?.summary).toContain('`iifname "vmbr1" udp dport 5405 drop`');
    const fake = await linkFindings("corosync-links-fake-redundancy");
    expect(fake.map((f) => f.node)).toEqual(["pve1", "pve2", "pve3"]);
    expect(fake.every((f) => /not redundant: both on vmbr1.*cluster-network/.test(f.summary))).toBe(true);
  });

  it("plan -o md: one line per finding with its node, severity and next command", async () => {
    expect((await cli.pvefix(["lab", "reset", "--scenario", "corosync-links", "--quiet"])).code).toBe(0);
    const result = await cli.pvefix(["plan", "corosync-links", "--lab", "-o", "md"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^# Nothing to do\n\ncorosync-links changes nothing; it found 1 finding:\n- \[warning\] pve3: corosync link 1 of pve3 is down /,
    );
    expect(result.stdout).toMatch(/ — next: `ip -d link show dev eno3`\n/);
    const narrowed = await cli.pvefix(["plan", "corosync-links", "--node", "pve1", "--lab", "-o", "md"]);
    expect(narrowed.stdout).toContain("corosync-links found nothing");
  });

  it("run --unattended changes nothing: exit 0, the lab state as it was", async () => {
    expect(
      (await cli.pvefix(["lab", "reset", "--scenario", "corosync-links-firewall", "--quiet"])).code,
    ).toBe(0);
    const state = () => {
      const s = JSON.parse(readFileSync(join(cli.stateDir, "lab", "state.json"), "utf8"));
      // The lab clock moves on with every command; everything else must stay.
      return { ...s, clock: 0 };
    };
    const before = state();
    const result = await cli.pvefix(["run", "corosync-links", "--lab", "--unattended"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("nothing was changed");
    expect(state()).toEqual(before);
  });
});
