/**
 * two-node-qdevice through the built CLI (bin/pvefix.js) against the lab: diagnose points to it,
 * the plan is ticket-ready Markdown, unattended needs a human (exit 4), a gate answered no changes
 * nothing, a fault in the middle step rolls the whole run back, and undo takes the QDevice away.
 */
import { describe, expect, it } from "vitest";
import { cliSession, json, plainText, pvefixLine } from "../cli/pvefix.js";

const cli = cliSession();
const QNETD = "10.10.10.9";
const RUN = ["run", "two-node-qdevice", "--qnetd", QNETD, "--lab"];
const SETUP_GATE = "Type pve1 to continue";

const reset = async (scenario: string) =>
  expect((await cli.pvefix(["lab", "reset", "--scenario", scenario, "--quiet"])).code).toBe(0);
const on = async (node: string, ...command: string[]) => (await cli.labExec(node, ...command)).stdout;
const conf = () => on("pve1", "cat", "/etc/pve/corosync.conf");
const status = (node: string) => on(node, "pvecm", "status");

/** What the test compares before and after: pmxcfs' file, each node's copy, each node's quorum view. */
async function clusterState(): Promise<string[]> {
  return [
    await conf(),
    await on("pve1", "cat", "/etc/corosync/corosync.conf"),
    await on("pve2", "cat", "/etc/corosync/corosync.conf"),
    (await status("pve1")).replace(/^Date:.*$/m, ""),
    (await status("pve2")).replace(/^Date:.*$/m, ""),
    await on("pve1", "systemctl", "is-active", "corosync-qdevice"),
  ];
}

interface FindingJson {
  runbook: string;
  severity: string;
  summary: string;
  command: string;
  node?: string;
}
const findings = async () =>
  json<{ findings: FindingJson[] }>(await cli.pvefix(["diagnose", "--lab", "-o", "json"])).findings.filter(
    (f) => f.runbook === "two-node-qdevice",
  );

describe("two-node-qdevice: diagnose", () => {
  it("points a two-node cluster without a QDevice to the runbook, asking for the qnetd address", async () => {
    await reset("two-node-qdevice");
    const result = await cli.pvefix(["diagnose", "--lab"]);
    expect(result.code).toBe(10);
    expect(result.stdout).toContain(
      "pve1, pve2 form a two-node cluster without a QDevice: either node down and the other loses quorum",
    );
    expect(result.stdout).toContain("$ pvefix plan two-node-qdevice --qnetd QNETD-IP --lab");
  });

  it("says the tiebreaker is gone when the qnetd host is down", async () => {
    await reset("two-node-qdevice-qnetd-down");
    expect(await status("pve1")).toMatch(/0x00000001 {10}1 {3}A,NV,NMW 10\.10\.10\.1 \(local\)/);
    const [f] = await findings();
    expect(f).toMatchObject({ severity: "critical", node: "pve1" });
    expect(f?.summary).toContain("The QDevice's vote does not count (qnetd 10.10.10.9)");
    expect(f?.summary).toContain("corosync-qdevice-tool: Connect failed");
    expect(f?.summary).toContain("The tiebreaker is gone");
    expect(f?.command).toBe("ssh -o BatchMode=yes -l root 10.10.10.9 systemctl status corosync-qnetd");
  });

  it("names a survivor forced with `pvecm expected 1` as a split-brain risk", async () => {
    await reset("two-node-qdevice-forced");
    const forced = (await findings()).find((f) => f.node === "pve1");
    expect(forced?.severity).toBe("critical");
    expect(forced?.summary).toMatch(/^pve1 runs with expected votes forced to 1 \(corosync\.conf gives 2\)/);
    expect(forced?.summary).toContain("split brain");
    const plan = await cli.pvefix(["plan", "two-node-qdevice", "--qnetd", QNETD, "--lab"]);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toContain("qdevice-not-ready");
  });

  it("has nothing to say, and nothing to do, about a QDevice that votes", async () => {
    await reset("two-node-qdevice-working");
    expect(await findings()).toEqual([]);
    const plan = await cli.pvefix(["plan", "two-node-qdevice", "--qnetd", QNETD, "--lab"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("Nothing to do: a QDevice with qnetd 10.10.10.9 votes");
  });
});

describe("two-node-qdevice: refusals", () => {
  it("refuses three nodes (odd) and a third node half added, and changes nothing", async () => {
    for (const [scenario, code] of [
      ["two-node-qdevice-odd", "qdevice-odd-nodes"],
      ["two-node-qdevice-joining", "qdevice-node-joining"],
    ] as const) {
      await reset(scenario);
      const before = await conf();
      const result = await cli.pvefix(["plan", "two-node-qdevice", "--qnetd", QNETD, "--lab", "-o", "json"]);
      expect(result.code).toBe(3);
      expect(json<{ refusal: { code: string } }>(result).refusal.code).toBe(code);
      expect(await conf()).toBe(before);
    }
  });

  it("rejects an address that is not an IP with exit 2, naming the flag", async () => {
    await reset("two-node-qdevice");
    const result = await cli.pvefix(["plan", "two-node-qdevice", "--qnetd", "qnetd; rm -rf /", "--lab"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--qnetd");
  });
});

describe("two-node-qdevice: plan, gates, run and undo", () => {
  it("prints a ticket-ready Markdown plan with the command, its undo and the checks", async () => {
    await reset("two-node-qdevice");
    const result = await cli.pvefix(["plan", "two-node-qdevice", "--qnetd", QNETD, "--lab", "-o", "md"]);
    expect(result.code).toBe(0);
    const md = result.stdout;
    expect(md).toMatch(
      /^# Plan: Set up a QDevice with qnetd 10\.10\.10\.9 for pve1 and pve2 \(expected votes 3\)\n/,
    );
    expect(md).toContain("| Unattended | not eligible: two-node-qdevice never runs unattended |");
    expect(md).toContain("### 1. Set up the QDevice with qnetd 10.10.10.9 (pvecm qdevice setup on pve1)");
    expect(md).toContain("dangerous");
    expect(md).toContain("pvecm qdevice setup 10.10.10.9\n");
    expect(md).toContain("pvecm qdevice remove");
    expect(md).toContain("pve2: Flags Quorate Qdevice, expected votes 3, the device votes");
  });

  it("exits 4 unattended and changes nothing", async () => {
    await reset("two-node-qdevice");
    const before = await clusterState();
    const result = await cli.pvefix([...RUN, "--unattended"]);
    expect(result.code).toBe(4);
    expect(await clusterState()).toEqual(before);
  });

  it("changes nothing when the setup gate is not answered with the node name", async () => {
    await reset("two-node-qdevice");
    const before = await clusterState();
    const session = cli.inPty(pvefixLine(RUN));
    await session.waitFor(SETUP_GATE);
    session.type("yes\r");
    const result = await session.exited;
    expect(result.code).toBe(1);
    expect(plainText(result.stdout)).toMatch(/Declined at a gate; nothing was changed/);
    expect(await clusterState()).toEqual(before);
  });

  it("sets the QDevice up: both nodes vote with it, one node down keeps the other quorate, undo removes it", async () => {
    await reset("two-node-qdevice");
    const before = await conf();
    const session = cli.inPty(pvefixLine(RUN));
    await session.waitFor(SETUP_GATE);
    session.type("pve1\r");
    const result = await session.exited;
    expect(plainText(result.stdout)).toContain("✔ Done");
    expect(result.code).toBe(0);
    for (const node of ["pve1", "pve2"]) {
      const s = await status(node);
      expect(s).toContain("Flags:            Quorate Qdevice \n");
      expect(s).toContain("Expected votes:   3\n");
      expect(s).toContain("0x00000000          1            Qdevice\n");
    }
    expect(await conf()).toContain(
      "  device {\n    model: net\n    net {\n      algorithm: ffsplit\n      host: 10.10.10.9\n",
    );

    await cli.labExec("pve1", "systemctl", "stop", "corosync");
    expect(await status("pve2")).toContain("Quorate:          Yes\n");
    await cli.labExec("pve1", "systemctl", "start", "corosync");

    const undo = cli.inPty(pvefixLine(["undo", "last", "--lab"]));
    await undo.waitFor(/Type pve1|Run step 1/);
    undo.type("pve1\r");
    const undone = await undo.exited;
    expect(plainText(undone.stdout)).toContain("Undone");
    expect(undone.code).toBe(0);
    const after = await conf();
    expect(after).not.toContain("device {");
    // pvecm bumps config_version on each write: the setup and its removal.
    expect(after).toBe(before.replace("config_version: 2", "config_version: 4"));
    expect(await status("pve2")).toContain("Flags:            Quorate \n");
    expect(await on("pve2", "systemctl", "is-active", "corosync-qdevice")).toBe("inactive\n");
  });
});

describe("two-node-qdevice with two_node set by hand", () => {
  it("plans the edit of corosync.conf before the setup", async () => {
    await reset("two-node-qdevice-two-node");
    const result = await cli.pvefix(["plan", "two-node-qdevice", "--qnetd", QNETD, "--lab", "-o", "json"]);
    const plan = json<{ plan: { steps: Array<{ id: string; risk: string }> } }>(result).plan;
    expect(plan.steps.map((s) => [s.id, s.risk])).toEqual([
      ["stage-corosync-conf-pve1", "guarded"],
      ["replace-corosync-conf-pve1", "guarded"],
      ["qdevice-setup-pve1", "dangerous"],
    ]);
  });

  it("rolls every step back when the connection drops after the rename (the middle step)", async () => {
    await reset("two-node-qdevice-two-node");
    const before = await conf();
    const fault = await cli.pvefix([
      "lab",
      "fault",
      "add",
      "--lab",
      "--node",
      "pve1",
      "--match",
      "mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf",
      "--action",
      "drop",
      "--after",
      "--times",
      "1",
    ]);
    expect(fault.code).toBe(0);
    const session = cli.inPty(pvefixLine(RUN));
    await session.waitFor("Run step 1 of 3");
    session.type("y\r");
    await session.waitFor("Run step 2 of 3");
    session.type("y\r");
    const result = await session.exited;
    expect(result.code).toBe(1);
    expect(plainText(result.stdout)).toMatch(/rolled back/i);
    const restored = await conf();
    // The old quorum section is back, above every version the run could have written (3 + 4).
    expect(restored).toBe(before.replace("config_version: 3", "config_version: 7"));
    for (const node of ["pve1", "pve2"]) {
      expect(await on(node, "cat", "/etc/corosync/corosync.conf")).toBe(restored);
      expect(await status(node)).toContain("Flags:            2Node Quorate WaitForAll \n");
    }
    expect((await cli.labExec("pve1", "test", "-e", "/etc/pve/corosync.conf.new")).code).toBe(1);
  });
});
