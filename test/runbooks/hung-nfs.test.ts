import { describe, expect, it } from "vitest";
import hungNfs from "../../runbooks/hung-nfs.js";

type Facts = Parameters<typeof hungNfs.decide>[1];

const mount = {
  source: "10.10.20.51:/export/iso",
  fstype: "nfs4",
  options: "rw,relatime,vers=4.2,hard,proto=tcp,timeo=600,retrans=2,sec=sys,addr=10.10.20.51",
};

const address = { host: "10.10.20.51", port: 2049 };
const alive = { address, answers: true, detail: "answers" };
const dead = { address, answers: false, detail: "no answer within 3 s" };
const PROBE = "timeout -s KILL 3 bash -c '</dev/tcp/10.10.20.51/2049'";

function facts(over: Partial<Facts> = {}): Facts {
  return {
    storage: {
      id: "nfs-iso",
      type: "nfs",
      mountpoint: "/mnt/pve/nfs-iso",
      content: ["iso", "vztmpl"],
      network: true,
    },
    known: ["nfs-iso", "nfs-backup"],
    mounts: [
      { node: "pve1", mount, liveness: "responsive", server: null },
      { node: "pve3", mount, liveness: "hung", server: alive },
    ],
    guests: [],
    unreachable: [],
    ...over,
  };
}

describe("hung-nfs decide", () => {
  it("plans a safe lazy unmount and remount only on the node where the mount hangs", () => {
    const d = hungNfs.decide({ storage: "nfs-iso" }, facts());
    expect(d.kind).toBe("plan");
    if (d.kind !== "plan") return;
    expect(d.plan.steps).toHaveLength(1);
    const step = d.plan.steps[0]!;
    expect(step.node).toBe("pve3");
    expect(step.risk).toBe("safe");
    expect(step.actions.map((a) => (a.kind === "exec" ? a.command : a.kind))).toEqual([
      "umount -nlf /mnt/pve/nfs-iso",
      "pvesm status --storage nfs-iso",
    ]);
    expect(step.undo).toMatchObject({
      kind: "actions",
      actions: [
        {
          command: `mount -t nfs4 -o ${mount.options} 10.10.20.51:/export/iso /mnt/pve/nfs-iso`,
          okExitCodes: [0, 32],
          // Never mount on a dead server: the undo is skipped while it does not answer.
          skipIf: `cat /proc/mounts | grep -q ' /mnt/pve/nfs-iso ' || ! ${PROBE}`,
        },
      ],
    });
  });

  it("puts the step behind a gate and names the running guests when one uses the storage", () => {
    const d = hungNfs.decide(
      { storage: "nfs-iso" },
      facts({ guests: [{ vmid: 105, node: "pve3", kind: "lxc", running: true, keys: ["mp0"] }] }),
    );
    expect(d.kind === "plan" && d.plan.steps[0]?.risk).toBe("guarded");
    expect(d.kind === "plan" && d.plan.steps[0]?.warning).toContain("CT 105 (running; mp0)");
    expect(d.kind === "plan" && d.plan.warnings).toEqual([
      "CT 105 runs on pve3 with volumes on nfs-iso (mp0)",
    ]);
  });

  it("keeps the step guarded when only a stopped guest uses the storage", () => {
    const d = hungNfs.decide(
      { storage: "nfs-iso" },
      facts({ guests: [{ vmid: 210, node: "pve3", kind: "qemu", running: false, keys: ["ide2"] }] }),
    );
    expect(d.kind === "plan" && d.plan.steps[0]?.risk).toBe("guarded");
    expect(d.kind === "plan" && d.plan.steps[0]?.warning).toContain("cannot start");
  });

  it("ignores guests on other nodes when judging the risk on the hung node", () => {
    const d = hungNfs.decide(
      { storage: "nfs-iso" },
      facts({ guests: [{ vmid: 105, node: "pve1", kind: "lxc", running: true, keys: ["mp0"] }] }),
    );
    expect(d.kind === "plan" && d.plan.steps[0]?.risk).toBe("safe");
  });

  it("has nothing to do when every mount answers", () => {
    const d = hungNfs.decide(
      { storage: "nfs-iso" },
      facts({ mounts: [{ node: "pve3", mount, liveness: "responsive", server: null }] }),
    );
    expect(d.kind).toBe("nothing-to-do");
  });

  it("refuses an unknown storage listing the network storages, and a local one", () => {
    const unknown = hungNfs.decide({ storage: "nope" }, facts({ storage: null }));
    expect(unknown.kind === "refusal" && unknown.refusal).toMatchObject({
      code: "storage-not-found",
      detail: "network storages: nfs-iso, nfs-backup",
    });
    const local = hungNfs.decide(
      { storage: "local" },
      facts({
        storage: { id: "local", type: "dir", mountpoint: "/var/lib/vz", content: ["iso"], network: false },
      }),
    );
    expect(local.kind === "refusal" && local.refusal.code).toBe("storage-not-network");
  });

  it("refuses when the server of the hung mount does not answer, and says what to do instead", () => {
    const d = hungNfs.decide(
      { storage: "nfs-iso", node: "pve3" },
      facts({ mounts: [{ node: "pve3", mount, liveness: "hung", server: dead }] }),
    );
    expect(d.kind === "refusal" && d.refusal).toMatchObject({
      code: "server-down",
      node: "pve3",
      message:
        "The server 10.10.20.51 of nfs storage 'nfs-iso' does not answer on port 2049 from pve3 (no answer within 3 s)",
    });
    expect(d.kind === "refusal" && d.refusal.detail).toContain("umount -nlf /mnt/pve/nfs-iso");
  });

  it("acts only where the server answers and names the node it leaves alone", () => {
    const d = hungNfs.decide(
      { storage: "nfs-iso" },
      facts({
        mounts: [
          { node: "pve1", mount, liveness: "hung", server: dead },
          { node: "pve3", mount, liveness: "hung", server: alive },
        ],
      }),
    );
    expect(d.kind === "plan" && d.plan.steps.map((s) => s.node)).toEqual(["pve3"]);
    expect(d.kind === "plan" && d.plan.warnings).toContain(
      "Left alone on pve1: its server 10.10.20.51 does not answer (no answer within 3 s)",
    );
  });

  it("plans for the nodes that answered and names those that did not", () => {
    const d = hungNfs.decide(
      { storage: "nfs-iso" },
      facts({ unreachable: [{ node: "pve2", reason: "Connection refused by pve2" }] }),
    );
    expect(d.kind === "plan" && d.plan.steps.map((s) => s.node)).toEqual(["pve3"]);
    expect(d.kind === "plan" && d.plan.warnings).toContain(
      "Not checked, not answering: pve2 (Connection refused by pve2)",
    );
  });

  it("refuses rather than claim nothing to do when a node that did not answer may be the hung one", () => {
    const d = hungNfs.decide(
      { storage: "nfs-iso" },
      facts({
        mounts: [{ node: "pve1", mount, liveness: "responsive", server: null }],
        unreachable: [{ node: "pve3", reason: "Connection refused" }],
      }),
    );
    expect(d.kind === "refusal" && d.refusal).toMatchObject({ code: "node-unreachable", node: "pve3" });
  });
});
