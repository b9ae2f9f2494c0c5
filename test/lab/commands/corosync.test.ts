import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

const CLUSTER_INFO = [
  "Cluster information",
  "-------------------",
  "Name:             lab",
  "Config Version:   3",
  "Transport:        knet",
  "Secure auth:      on",
  "",
];

describe("pvecm status", () => {
  it("prints the quorate layout of proxmox-facts §1.1/§1.2 byte for byte", () => {
    const lab = memoryLab();
    const result = lab.sh("pve1", "pvecm status");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        ...CLUSTER_INFO,
        "Quorum information",
        "------------------",
        "Date:             Wed Mar 11 14:02:08 2026",
        "Quorum provider:  corosync_votequorum",
        "Nodes:            3",
        "Node ID:          0x00000001",
        "Ring ID:          1.4f2",
        "Quorate:          Yes",
        "",
        "Votequorum information",
        "----------------------",
        "Expected votes:   3",
        "Highest expected: 3",
        "Total votes:      3",
        "Quorum:           2  ",
        "Flags:            Quorate ",
        "",
        "Membership information",
        "----------------------",
        "    Nodeid      Votes Name",
        "0x00000001          1 10.10.10.1 (local)",
        "0x00000002          1 10.10.10.2",
        "0x00000003          1 10.10.10.3",
        "",
      ].join("\n"),
    );
  });

  it("shows Activity blocked, an empty Flags value and only the local member when isolated (exit 2)", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    const result = lab.sh("pve1", "pvecm status");
    expect(result.exitCode).toBe(2);
    const lines = result.stdout.split("\n");
    expect(lines).toContain("Quorate:          No");
    expect(lines).toContain("Quorum:           2 Activity blocked");
    expect(lines).toContain("Flags:            ");
    expect(lines).toContain("Nodes:            1");
    expect(
      result.stdout.endsWith("    Nodeid      Votes Name\n0x00000001          1 10.10.10.1 (local)\n"),
    ).toBe(true);
  });

  it("prints the cluster block and then fails with the CMAP error when corosync is stopped", () => {
    const lab = memoryLab();
    lab.node("pve2").services.corosync = "inactive";
    const result = lab.sh("pve2", "pvecm status");
    expect(result).toEqual({
      stdout: `${CLUSTER_INFO.join("\n")}\n`,
      stderr: "Cannot initialize CMAP service\n",
      exitCode: 1,
    });
  });

  it("says the node is not part of a cluster when pmxcfs is not running", () => {
    const lab = memoryLab();
    lab.node("pve3").services["pve-cluster"] = "inactive";
    expect(lab.sh("pve3", "pvecm status")).toMatchObject({
      stdout: "",
      stderr:
        "Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?\n",
    });
  });
});

describe("pvecm nodes and corosync-quorumtool", () => {
  it("starts pvecm nodes with an empty line and uses names and decimal ids", () => {
    const lab = memoryLab();
    expect(lab.sh("pve2", "pvecm nodes").stdout).toBe(
      [
        "",
        "Membership information",
        "----------------------",
        "    Nodeid      Votes Name",
        "         1          1 pve1",
        "         2          1 pve2 (local)",
        "         3          1 pve3",
        "",
      ].join("\n"),
    );
  });

  it("prints decimal node ids and names for plain corosync-quorumtool -s", () => {
    const lab = memoryLab();
    const out = lab.sh("pve3", "corosync-quorumtool -s").stdout;
    expect(out).toContain("Node ID:          3\n");
    expect(out).toContain("         3          1 pve3 (local)\n");
    expect(out.startsWith("Quorum information\n")).toBe(true);
  });
});

describe("pvecm expected", () => {
  it("lets an isolated node lower expected votes to regain quorum", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    expect(lab.sh("pve1", "pvecm expected 1")).toEqual({ stdout: "", stderr: "", exitCode: 0 });
    expect(lab.sh("pve1", "pvecm status").stdout).toContain("Expected votes:   1\n");
    expect(lab.sh("pve1", "stat -c %a /etc/pve/local").stdout).toBe("755\n");
  });

  it("refuses a value below the votes present", () => {
    const lab = memoryLab();
    expect(lab.sh("pve1", "pvecm expected 2")).toEqual({
      stdout: "",
      stderr: "Unable to set expected votes: CS_ERR_INVALID_PARAM\n",
      exitCode: 1,
    });
  });

  it("refuses a value that would make a quorate partition inquorate", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    expect(lab.sh("pve2", "pvecm expected 5").exitCode).toBe(1);
    expect(lab.sh("pve2", "pvecm expected 3").exitCode).toBe(0);
  });

  it("is forgotten when corosync restarts", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    lab.sh("pve1", "pvecm expected 1");
    lab.sh("pve1", "systemctl restart corosync");
    expect(lab.sh("pve1", "pvecm status").exitCode).toBe(2);
  });
});

describe("corosync-cfgtool -s", () => {
  it("lists every configured node with tabs and a right-aligned id (corosync >= 3.1.5)", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    expect(lab.sh("pve2", "corosync-cfgtool -s")).toEqual({
      stdout:
        "Local node ID 2, transport knet\nLINK ID 0 udp\n\taddr\t= 10.10.10.2\n\tstatus:\n" +
        "\t\tnodeid:          1:\tdisconnected\n\t\tnodeid:          2:\tlocalhost\n\t\tnodeid:          3:\tconnected\n",
      stderr: "",
      exitCode: 0,
    });
  });

  it("fails with the configuration API error when corosync is down", () => {
    const lab = memoryLab();
    lab.sh("pve1", "systemctl stop corosync");
    expect(lab.sh("pve1", "corosync-cfgtool -s")).toEqual({
      stdout: "",
      stderr: "Could not initialize corosync configuration API error 2\n",
      exitCode: 1,
    });
  });
});

describe("corosync-cmapctl", () => {
  it("prints totem.* and the token in use like corosync 3.1 (sorted keys, `key (type) = value`)", () => {
    const lab = memoryLab();
    const result = lab.sh("pve1", "corosync-cmapctl totem. runtime.config.totem.token");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [
        "totem.cluster_name (str) = lab",
        "totem.config_version (u64) = 3",
        "totem.interface.0.bindnetaddr (str) = 10.10.10.1",
        "totem.ip_version (str) = ipv4-6",
        "totem.link_mode (str) = passive",
        "totem.secauth (str) = on",
        "totem.version (u32) = 2",
        // 3 nodes: 3000 + 650, as real corosync computes it (fixture corosync-cmapctl-totem-3.1.7.txt: 1000 + 650).
        "runtime.config.totem.token (u32) = 3650",
        "runtime.config.totem.token_retransmit (u32) = 869",
        "runtime.config.totem.token_retransmits_before_loss_const (u32) = 4",
        "runtime.config.totem.token_warning (u32) = 75",
        "",
      ].join("\n"),
    );
  });

  it("answers -g per key and fails like corosync on a missing key or a stopped corosync", () => {
    const lab = memoryLab();
    expect(lab.sh("pve2", "corosync-cmapctl -g totem.config_version").stdout).toBe(
      "totem.config_version (u64) = 3\n",
    );
    expect(lab.sh("pve2", "corosync-cmapctl -g totem.token")).toMatchObject({
      exitCode: 1,
      stderr: "Can't get key totem.token. Error CS_ERR_NOT_EXIST\n",
    });
    lab.sh("pve2", "systemctl stop corosync");
    expect(lab.sh("pve2", "corosync-cmapctl totem.")).toMatchObject({
      exitCode: 1,
      stdout: "",
      stderr: "Failed to initialize the cmap API. Error CS_ERR_LIBRARY\n",
    });
    expect(lab.sh("pve2", "corosync-cmapctl runtime.")).toMatchObject({ exitCode: 2 });
  });

  it("keeps the config corosync loaded until a restart or `corosync-cfgtool -R`, not the file", () => {
    const lab = memoryLab();
    const conf = lab.node("pve1").files["/etc/corosync/corosync.conf"]!;
    lab.node("pve1").files["/etc/corosync/corosync.conf"] = conf.replace(
      "config_version: 3",
      "config_version: 4",
    );
    const version = () => lab.sh("pve1", "corosync-cmapctl -g totem.config_version").stdout;
    expect(version()).toBe("totem.config_version (u64) = 3\n");
    expect(lab.sh("pve1", "corosync-cfgtool -R").stdout).toBe("Reloading corosync.conf...\nDone\n");
    expect(version()).toBe("totem.config_version (u64) = 4\n");
  });
});
