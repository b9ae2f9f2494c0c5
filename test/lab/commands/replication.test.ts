import { describe, expect, it } from "vitest";
import { parsePvesrStatus } from "../../../src/pve/parsers/pvesr-status.js";
import { memoryLab } from "../helpers.js";

const HEADER =
  "JobID      Enabled    Target                           LastSync             NextSync   Duration  FailCount State\n";

describe("pvesr status", () => {
  it("prints the jobs of guests on this node in pvesr's fixed columns", () => {
    const lab = memoryLab("ha-replication-mismatch");
    const out = lab.sh("pve1", "pvesr status");
    expect(out.stdout).toBe(
      `${HEADER}100-0      Yes        local/pve2            2026-03-11_14:00:01  2026-03-11_14:15:00   3.554485          0 OK\n`,
    );
    expect(parsePvesrStatus(out.stdout)).toMatchObject([{ jobId: "100-0", target: "pve2", state: "OK" }]);
  });

  it("shows a due run as pending", () => {
    const out = memoryLab("ha-replication-mismatch").sh("pve3", "pvesr status").stdout;
    expect(out).toContain(
      "102-0      Yes        local/pve1            2026-03-11_13:45:07              pending   1.908321          0 OK\n",
    );
  });

  it("lists nothing but the header on a node without replicated guests and filters by --guest", () => {
    const lab = memoryLab("ha-replication-mismatch");
    expect(lab.sh("pve2", "pvesr status").stdout).toBe(HEADER);
    expect(lab.sh("pve3", "pvesr status --guest 100").stdout).toBe(HEADER);
  });

  it("prints a failed run's full error text, disabled jobs with No and no next sync", () => {
    const lab = memoryLab("ha-replication-mismatch");
    lab.state.replication["100-0"] = {
      lastSync: lab.state.clock - 3_600,
      duration: 12.3,
      failCount: 3,
      error:
        "No common base snapshot on volume(s) local-zfs:vm-100-disk-0\nPlease remove the problematic volume(s)",
    };
    lab.state.pve["replication.cfg"] = (lab.state.pve["replication.cfg"] ?? "").replace(
      "local: 100-0\n",
      "local: 100-0\n\tdisable\n",
    );
    const out = lab.sh("pve1", "pvesr status").stdout;
    expect(out).toBe(
      `${HEADER}100-0      No         local/pve2            2026-03-11_13:02:07                    -       12.3          3 ` +
        "No common base snapshot on volume(s) local-zfs:vm-100-disk-0\nPlease remove the problematic volume(s)\n",
    );
  });
});

describe("pvesr status after a guest moved without a migration", () => {
  /** ha-replication-recovery after the config of VM 100 was moved to pve2 by hand. */
  function recovered() {
    const lab = memoryLab("ha-replication-recovery");
    const from = "nodes/pve1/qemu-server/100.conf";
    lab.state.pve["nodes/pve2/qemu-server/100.conf"] = lab.state.pve[from] ?? "";
    delete lab.state.pve[from];
    return lab;
  }

  it("swaps a stolen job's source and target, as ReplicationState::job_status does, and lists it", () => {
    const lab = recovered();
    expect(lab.state.pve["replication.cfg"]).toContain("local: 100-0\n\ttarget pve2\n\tsource pve1\n");
    const out = lab.sh("pve2", "pvesr status --guest 100").stdout;
    expect(lab.state.pve["replication.cfg"]).toContain("local: 100-0\n\ttarget pve1\n\tsource pve2\n");
    expect(parsePvesrStatus(out)).toMatchObject([{ jobId: "100-0", target: "pve1", lastSync: null }]);
  });

  it("never lists a job that targets its own node when no other source is known", () => {
    const lab = recovered();
    lab.state.pve["replication.cfg"] = (lab.state.pve["replication.cfg"] ?? "").replace(
      "\tsource pve1\n",
      "",
    );
    const before = lab.state.pve["replication.cfg"];
    expect(lab.sh("pve2", "pvesr status").stdout).toBe(HEADER);
    expect(lab.state.pve["replication.cfg"]).toBe(before);
  });
});
