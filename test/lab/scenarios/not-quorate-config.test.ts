import { describe, expect, it } from "vitest";
import { configVersionOf } from "../../../src/lab/model/corosync-conf.js";
import { nodeQuorate } from "../../../src/lab/model/quorum.js";
import { memoryLab } from "../helpers.js";

const NAMES = ["pve1", "pve2", "pve3"];
const version = (lab: ReturnType<typeof memoryLab>, node: string) =>
  configVersionOf(lab.sh(node, "cat /etc/corosync/corosync.conf").stdout);

describe("not-quorate-config", () => {
  it("isolates every node: corosync runs, nobody is quorate, every link is disconnected", () => {
    const lab = memoryLab("not-quorate-config");
    for (const name of NAMES) {
      expect(lab.sh(name, "pvecm status").exitCode).toBe(2);
      expect(lab.sh(name, "systemctl is-active corosync pve-cluster").stdout).toBe("active\nactive\n");
    }
    expect(lab.sh("pve1", "corosync-cfgtool -s").stdout.match(/disconnected/g)).toHaveLength(2);
  });

  it("lets pve1 write corosync.conf after pvecm expected 1, and syncs only its own copy", () => {
    const lab = memoryLab("not-quorate-config");
    expect(lab.sh("pve1", "pvecm expected 1").exitCode).toBe(0);
    const next = (lab.state.pve["corosync.conf"] ?? "").replace("config_version: 3", "config_version: 4");
    lab.sh("pve1", "cat > /etc/pve/corosync.conf.new", next);
    expect(lab.sh("pve1", "mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf").exitCode).toBe(0);
    expect(NAMES.map((n) => version(lab, n))).toEqual([4, 3, 3]);
    // votequorum refuses to make a quorate partition inquorate again, as on a real node.
    expect(lab.sh("pve1", "pvecm expected 3").stderr).toBe(
      "Unable to set expected votes: CS_ERR_INVALID_PARAM\n",
    );
  });
});

describe("not-quorate-config-split", () => {
  it("cuts only pve1: pve2 and pve3 stay quorate together", () => {
    const lab = memoryLab("not-quorate-config-split");
    expect(NAMES.map((n) => nodeQuorate(lab.state, lab.node(n)))).toEqual([false, true, true]);
    expect(lab.sh("pve1", "pvecm expected 1").exitCode).toBe(0);
  });
});

describe("not-quorate-config-corosync-down", () => {
  it("has corosync failed on every node after a version-4 config with a missing brace", () => {
    const lab = memoryLab("not-quorate-config-corosync-down");
    for (const name of NAMES) {
      expect(lab.sh(name, "systemctl is-active corosync pve-cluster").stdout).toBe("failed\nactive\n");
      expect(lab.sh(name, "pvecm status")).toMatchObject({
        stderr: "Cannot initialize CMAP service\n",
        exitCode: 1,
      });
      expect(version(lab, name)).toBe(4);
    }
    expect(lab.sh("pve1", "mkdir /etc/pve/x")).toMatchObject({
      stderr: "mkdir: cannot create directory '/etc/pve/x': Permission denied\n",
      exitCode: 1,
    });
  });

  it("takes Path B on pve1: local mode, write, kill the manual pmxcfs, start pve-cluster", () => {
    const lab = memoryLab("not-quorate-config-corosync-down");
    const fixed = (lab.state.pve["corosync.conf"] ?? "")
      .replace("config_version: 4", "config_version: 5")
      .replace("  interface {\n    linknumber: 1\n", "  interface {\n    linknumber: 1\n  }\n");
    for (const cmd of ["systemctl stop pve-cluster", "pmxcfs -l"])
      expect(lab.sh("pve1", cmd).exitCode).toBe(0);
    expect(lab.sh("pve1", "ps -C pmxcfs -o pid=,args=").stdout).toMatch(/ -l\n$/);
    lab.sh("pve1", "cat > /etc/pve/corosync.conf.new", fixed);
    expect(lab.sh("pve1", "mv -f /etc/pve/corosync.conf.new /etc/pve/corosync.conf").exitCode).toBe(0);
    for (const name of NAMES) lab.sh(name, "cat > /etc/corosync/corosync.conf", fixed);
    expect(lab.sh("pve1", "pkill -F /run/pve-cluster.pid").exitCode).toBe(0);
    expect(lab.sh("pve1", "systemctl start pve-cluster").exitCode).toBe(0);
    expect(NAMES.map((n) => version(lab, n))).toEqual([5, 5, 5]);
    for (const name of NAMES) expect(lab.sh(name, "systemctl start corosync").exitCode).toBe(0);
    expect(lab.sh("pve1", "pvecm status").exitCode).toBe(0);
  });
});
