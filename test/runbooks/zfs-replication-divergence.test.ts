/** zfs-replication-divergence's decide on hand-made facts: every branch, and the purge's rules. */
import { describe, expect, it } from "vitest";
import runbook from "../../runbooks/zfs-replication-divergence.js";
import type { Decision } from "../../src/engine/model.js";
import { parseHaResources } from "../../src/pve/parsers/ha-config.js";
import type { ZfsReplicationFacts } from "../../src/pve/probes/zfs-replication.js";

const GiB = 1024 ** 3;
const DISK = "rpool/data/vm-100-disk-0";
const NO_BASE =
  "No common base snapshot on volume(s) local-zfs:vm-100-disk-0\nPlease remove the problematic volume(s) from the replication target or delete and re-create the whole job 100-0";
const snap = (name: string, guid: string, creation: number) => ({ name, guid, creation });

function facts(over: Partial<ZfsReplicationFacts> = {}): ZfsReplicationFacts {
  return {
    jobId: "100-0",
    knownJobs: ["100-0"],
    job: { id: "100-0", guest: 100, target: "pve2", disabled: false, rate: 50 },
    cluster: {
      nodes: ["pve1", "pve2", "pve3"].map((name, i) => ({ name, id: i + 1, reachable: true, quorate: true })),
      seenBy: "pve1",
      members: ["pve1", "pve2", "pve3"],
    },
    guest: { vmid: 100, node: "pve1", kind: "qemu" },
    label: "VM 100",
    status: {
      jobId: "100-0",
      enabled: true,
      target: "pve2",
      lastSync: "2026-03-08_14:02:07",
      nextSync: "pending",
      duration: 0.81,
      failCount: 3,
      state: NO_BASE,
      lastSyncAt: "2026-03-08T14:02:07",
      nextSyncAt: null,
      pending: true,
      stateKind: "error",
    },
    logError: NO_BASE,
    volumes: [
      {
        volid: "local-zfs:vm-100-disk-0",
        dataset: DISK,
        source: {
          name: DISK,
          guid: "1",
          creation: 2_000,
          used: 41 * GiB,
          avail: 900 * GiB,
          written: 0,
          snapshots: [],
        },
        target: {
          name: DISK,
          guid: "77",
          creation: 100,
          used: 42 * GiB,
          avail: 900 * GiB,
          written: 0,
          snapshots: [snap("__replicate_100-0_1000__", "5", 1_000)],
        },
      },
    ],
    targetPool: { name: "rpool", size: 1024 * GiB, alloc: 50 * GiB, free: 974 * GiB, health: "ONLINE" },
    users: [],
    asideOnTarget: [],
    ha: null,
    purge: null,
    ...over,
  };
}

const decide = (f: ZfsReplicationFacts, params: Record<string, string> = {}): Decision =>
  runbook.decide(runbook.params.parse({ job: "100-0", ...params }), f);
const code = (d: Decision) => (d.kind === "refusal" ? d.refusal.code : d.kind);
const target = (f: ZfsReplicationFacts) => f.volumes[0]!.target!;

describe("zfs-replication-divergence decide", () => {
  it("plans the rename aside on the target, then the trigger on the source", () => {
    const d = decide(facts());
    expect(d.kind).toBe("plan");
    if (d.kind !== "plan") return;
    expect(
      d.plan.steps.map((s) => [s.id, s.node, s.risk, s.actions.map((a) => a.kind === "exec" && a.command)]),
    ).toEqual([
      [
        "set-aside-vm-100-disk-0",
        "pve2",
        "dangerous",
        [`zfs rename ${DISK} rpool/data/pvefix-77-vm-100-disk-0`],
      ],
      ["resync", "pve1", "guarded", ["pvesr schedule-now 100-0"]],
    ]);
    expect(d.plan.steps[1]!.verify?.[0]).toMatchObject({
      name: "replication-synced",
      args: { job: "100-0", before: "2026-03-08T14:02:07" },
      // 41 GiB (rounded up to 48) at the job's 50 MB/s, after pvescheduler's minute and a margin.
      waitMs: 120_000 + Math.ceil((48 * GiB) / 50_000),
    });
  });

  it.each([
    ["volume 'rpool/data/vm-100-disk-0' already exists", "plan"],
    ["base snapshot 'rpool/data/vm-100-disk-0@__replicate_100-0_1000__' doesn't exist", "plan"],
    ["ssh: connect to host 10.0.0.2 port 22: No route to host", "not-divergence"],
  ])("reads the error %s as %s", (state, expected) => {
    const f = facts({ logError: null });
    f.status!.state = state;
    expect(code(decide(f))).toBe(expected);
  });

  it("has nothing to do on a healthy or syncing job", () => {
    const ok = facts();
    Object.assign(ok.status!, { state: "OK", stateKind: "ok", failCount: 0 });
    expect(decide(ok).kind).toBe("nothing-to-do");
    const syncing = facts();
    Object.assign(syncing.status!, { state: "SYNCING", stateKind: "syncing" });
    expect(decide(syncing).kind).toBe("nothing-to-do");
  });

  it("refuses every copy it cannot prove is a mere replica", () => {
    expect(code(decide(facts({ guest: { vmid: 100, node: "pve2", kind: "qemu" } })))).toBe("guest-on-target");
    expect(code(decide(facts({ users: [{ label: "VM 120", volid: "local-zfs:vm-100-disk-0" }] })))).toBe(
      "replica-in-use",
    );
    const written = facts();
    target(written).written = GiB;
    expect(code(decide(written))).toBe("replica-written");
    const newer = facts();
    target(newer).snapshots.push(snap("__replicate_100-0_3000__", "9", 3_000));
    expect(code(decide(newer))).toBe("replica-newer");
    const small = facts();
    target(small).avail = 40 * GiB;
    expect(code(decide(small))).toBe("replica-no-space");
    const down = facts();
    down.cluster.nodes[1]!.reachable = false;
    expect(code(decide(down))).toBe("node-unreachable");
    expect(code(decide(facts({ job: null })))).toBe("replication-job-not-found");
  });

  it("does not call a snapshot both sides share (same guid) newer", () => {
    const f = facts();
    const shared = snap("__replicate_100-0_3000__", "9", 3_000);
    target(f).snapshots.push(shared);
    f.volumes[0]!.source!.snapshots.push(shared);
    expect(decide(f).kind).toBe("plan");
  });

  it("refuses while HA moves the guest, and warns at the gate when HA could fail over to the target", () => {
    const config = {
      resources: parseHaResources("vm: 100\n\tstate started\n"),
      groups: [],
      rules: [],
      jobs: [],
      exists: { resources: true, groups: false, rules: false, replication: true },
      normalised: [],
      text: { resources: null, groups: null, rules: null, replication: null },
    };
    const moving = facts({
      ha: { sid: "vm:100", service: { sid: "vm:100", node: "pve1", state: "migrate" }, config },
    });
    expect(code(decide(moving))).toBe("ha-moving");
    const started = facts({
      ha: { sid: "vm:100", service: { sid: "vm:100", node: "pve1", state: "started" }, config },
    });
    const d = decide(started);
    expect(d.kind === "plan" && d.plan.steps[0]!.warning).toMatch(
      /^HA may recover vm:100 on pve2 if pve1 fails/,
    );
  });
});

describe("a saved plan while the guest keeps writing", () => {
  it("keeps the same fingerprinted facts and the same plan when sizes move within 8 GiB", () => {
    const now = facts();
    const later = facts();
    later.volumes[0]!.source!.used += 3 * GiB;
    target(later).avail -= GiB;
    later.targetPool!.free -= GiB;
    expect(runbook.stableFacts!(later)).toEqual(runbook.stableFacts!(now));
    expect(decide(later)).toEqual(decide(now));
  });
});

describe("--purge-renamed", () => {
  const ASIDE = "rpool/data/pvefix-77-vm-100-disk-0";
  const healthy = (purge: ZfsReplicationFacts["purge"]) => {
    const f = facts({ purge });
    Object.assign(f.status!, { state: "OK", stateKind: "ok", failCount: 0 });
    return f;
  };
  const run = { run: "r1", outcome: "done", runbook: "zfs-replication-divergence", undone: false };
  const RESYNC = "rpool/data/pvefix-77-resync-vm-100-disk-0";
  const aside = [{ node: "pve2", from: DISK, to: ASIDE, exists: true, resync: RESYNC, resyncExists: false }];

  it("destroys only with the exact name typed", () => {
    expect(code(decide(healthy({ ...run, setAside: aside }), { purgeRenamed: "r1" }))).toBe(
      "purge-not-confirmed",
    );
    expect(code(decide(healthy({ ...run, setAside: aside }), { purgeRenamed: "r1", confirm: DISK }))).toBe(
      "purge-not-confirmed",
    );
    const d = decide(healthy({ ...run, setAside: aside }), { purgeRenamed: "r1", confirm: ASIDE });
    expect(d.kind === "plan" && d.plan.steps.map((s) => [s.risk, s.undo.kind, s.actions])).toEqual([
      ["dangerous", "irreversible", [{ kind: "exec", command: `zfs destroy -r ${ASIDE}` }]],
    ]);
  });

  it.each([
    [{ ...run, outcome: null, runbook: null }, "no such run"],
    [{ ...run, runbook: "stuck-lock" }, "it is a run of stuck-lock"],
    [{ ...run, undone: true }, "it was undone: its copy is back in place and no resynced copy is left"],
    [{ ...run, outcome: "failed-rolled-back" }, "it ended failed-rolled-back"],
  ])("refuses run %j: %s", (purge, why) => {
    const d = decide(healthy({ ...purge, setAside: aside }), { purgeRenamed: "r1", confirm: ASIDE });
    expect(d.kind === "refusal" && [d.refusal.code, d.refusal.message]).toEqual([
      "purge-not-safe",
      expect.stringContaining(why),
    ]);
  });

  it("after an undo, purges only the replica the resync made, by its own typed name", () => {
    const undone = healthy({ ...run, undone: true, setAside: [{ ...aside[0]!, resyncExists: true }] });
    expect(code(decide(undone, { purgeRenamed: "r1", confirm: ASIDE }))).toBe("purge-not-confirmed");
    const d = decide(undone, { purgeRenamed: "r1", confirm: RESYNC });
    expect(d.kind === "plan" && d.plan.steps[0]!.actions).toEqual([
      { kind: "exec", command: `zfs destroy -r ${RESYNC}` },
    ]);
  });

  it("refuses while the job fails again or when the copy is gone", () => {
    const failing = facts({ purge: { ...run, setAside: aside } });
    expect(code(decide(failing, { purgeRenamed: "r1", confirm: ASIDE }))).toBe("purge-not-safe");
    const gone = healthy({ ...run, setAside: [{ ...aside[0]!, exists: false }] });
    expect(code(decide(gone, { purgeRenamed: "r1", confirm: ASIDE }))).toBe("purge-not-safe");
  });
});
