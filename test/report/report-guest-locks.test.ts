/**
 * A guest's lock from a bare pvereport (issue 11.4): the report has no /etc/pve/.vmlist, but its
 * node's `pct list` / `qm list` and guest configs; the lock is read from those, and what would
 * prove it stale (the node's task list) is named as not in the report, never guessed.
 */
import { describe, expect, it } from "vitest";
import { createProbeContext } from "../../src/engine/probe-context.js";
import { guestLockOf, lockedGuests, staleNotInReport } from "../../src/pve/probes/guest-lock.js";
import { knownGuests, locateGuest } from "../../src/pve/probes/guests.js";
import { loadCaptured } from "../../src/report/captured.js";
import { ReportTransport } from "../../src/report/transport.js";
import { notInReport } from "../../src/transport/errors.js";

const capture = (command: string, body: string) => ({
  path: `f/${command}`,
  text: `# ${command}\n# node: pve1\n${body}`,
  inFolder: true,
});
const PCT_LIST = [
  "VMID       Status     Lock         Name                ",
  "100        running    backup       web01               ",
  "101        stopped                 mail gateway        ",
  "",
].join("\n");
const QM_LIST = [
  "      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       ",
  "       200 db01                 running    4096              32.00 4110      ",
  "",
].join("\n");
const base = [
  capture("pct list", PCT_LIST),
  capture("qm list", QM_LIST),
  capture("cat /etc/pve/lxc/100.conf", "arch: amd64\nhostname: web01\nlock: backup\n"),
  capture("cat /etc/pve/lxc/101.conf", "arch: amd64\nhostname: mail\n"),
  capture("cat /etc/pve/qemu-server/200.conf", "memory: 4096\nname: db01\n"),
];
const contextOf = (inputs = base) => {
  const transport = new ReportTransport(loadCaptured(inputs));
  return { transport, ctx: createProbeContext({ transport, nodes: ["pve1"], cluster: "lab" }) };
};

describe("guest locks from a report without /etc/pve/.vmlist", () => {
  it("lists the node's own guests from pct list and qm list, marked incomplete", async () => {
    const { ctx } = contextOf();
    const known = await knownGuests(ctx);
    expect(known.guests).toEqual([
      { vmid: 100, node: "pve1", kind: "lxc" },
      { vmid: 101, node: "pve1", kind: "lxc" },
      { vmid: 200, node: "pve1", kind: "qemu" },
    ]);
    expect(known.unknown?.message).toBe("not in report: cat /etc/pve/.vmlist");
    expect(await lockedGuests(ctx)).toEqual([
      { g: { vmid: 100, node: "pve1", kind: "lxc" }, lock: "backup" },
    ]);
  });

  it("never calls a guest missing: one not on the reported node is 'not in report'", async () => {
    const { ctx } = contextOf();
    expect(await locateGuest(ctx, 200)).toEqual({ vmid: 200, node: "pve1", kind: "qemu" });
    await expect(locateGuest(ctx, 999)).rejects.toThrow("not in report: cat /etc/pve/.vmlist");
  });

  it("names the task list as what the report lacks to judge the lock", async () => {
    const { ctx, transport } = contextOf();
    const error = await guestLockOf(ctx, 100).catch((e: unknown) => e);
    expect(notInReport(error)).not.toBeNull();
    expect(await staleNotInReport(ctx, 100, error)).toBe(
      "whether a running task holds it, so whether it is stale, is not in the report (not in report: cat /var/log/pve/tasks/active)",
    );
    expect(transport.notAnswered).toContainEqual({ node: "pve1", command: "cat /var/log/pve/tasks/active" });
    // Any other failure is not turned into a finding.
    expect(await staleNotInReport(ctx, 100, new Error("pvecm status: parse error"))).toBeNull();
  });

  it("with neither .vmlist nor pct/qm list, fails as before on the .vmlist", async () => {
    const { ctx } = contextOf(base.slice(2));
    await expect(lockedGuests(ctx)).rejects.toThrow("not in report: cat /etc/pve/.vmlist");
  });

  it("with .vmlist captured, reads it alone, as on a cluster (pct list is not asked)", async () => {
    const vmlist = capture(
      "cat /etc/pve/.vmlist",
      '{\n"version": 3,\n"ids": {\n"100": { "node": "pve1", "type": "lxc", "version": 1 }}\n}\n',
    );
    const { ctx, transport } = contextOf([vmlist, capture("cat /etc/pve/lxc/100.conf", "lock: backup\n")]);
    expect(await knownGuests(ctx)).toEqual({
      guests: [{ vmid: 100, node: "pve1", kind: "lxc" }],
      unknown: null,
    });
    expect(transport.notAnswered).toEqual([]);
  });
});
