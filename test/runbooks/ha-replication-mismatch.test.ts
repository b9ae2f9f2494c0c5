import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import haReplication from "../../runbooks/ha-replication-mismatch.js";
import { rawParams } from "../../src/cli/runbook-flags.js";
import { PlanDraft, type Step } from "../../src/engine/model.js";
import { parseParams } from "../../src/engine/params.js";
import { createProbeContext } from "../../src/engine/probe-context.js";
import { renderFinding } from "../../src/kit/index.js";
import { guestFindings } from "../../src/pve/guards/ha-findings.js";
import { placementOf } from "../../src/pve/guards/ha-placement.js";
import { parseHaGroups, parseHaResources, parseHaRules } from "../../src/pve/parsers/ha-config.js";
import { parseReplicationCfg } from "../../src/pve/parsers/replication-cfg.js";
import { HA_FILES, type HaConfig } from "../../src/pve/probes/ha-config.js";
import { pvecmCommand } from "../../src/pve/probes/quorum.js";
import { TransportError } from "../../src/transport/errors.js";
import type { CommandResult, ExecOptions } from "../../src/transport/types.js";
import { FakeCluster } from "../engine/fake-cluster.js";

type Facts = Parameters<typeof haReplication.decide>[1];
type Fix = "align-ha" | "add-replication" | "recover";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

/** The PVE 8 "time bomb": HA group prefer-a is not restricted, the only replica is on pve2. */
const PVE8 = {
  resources: "vm: 100\n\tgroup prefer-a\n\tstate started\n\nct: 101\n\tstate started\n\n",
  groups: "group: prefer-a\n\tnodes pve1:2,pve3:1\n\trestricted 0\n\n",
  rules: null,
  replication: "local: 100-0\n\ttarget pve2\n\trate 50\n\tschedule */5\n\n",
};
/** PVE 9: a strict rule allows pve1 and pve3; replication goes to pve2. */
const PVE9 = {
  ...PVE8,
  resources: "vm: 100\n\tstate started\n\n",
  groups: null,
  rules: "node-affinity: keep-100\n\tnodes pve1,pve3\n\tresources vm:100\n\tstrict 1\n\n",
};
type Files = Record<keyof typeof HA_FILES, string | null>;

function config(files: Files): HaConfig {
  const { resources, groups, rules, replication } = files;
  return {
    resources: resources ? parseHaResources(resources) : [],
    groups: groups ? parseHaGroups(groups) : [],
    rules: rules ? parseHaRules(rules) : [],
    jobs: replication ? parseReplicationCfg(replication) : [],
    exists: {
      resources: resources !== null,
      groups: groups !== null,
      rules: rules !== null,
      replication: replication !== null,
    },
    normalised: [],
    text: { resources, groups, rules, replication },
  };
}

const node = (name: string, id: number, up = true) => ({ name, id, reachable: up, quorate: up });

/** Three healthy nodes, pve1 writes; override what each case needs. */
function facts(over: Partial<Facts> = {}, files: Files = PVE8): Facts {
  return {
    cluster: {
      nodes: [node("pve1", 1), node("pve2", 2), node("pve3", 3)],
      seenBy: "pve1",
      members: ["pve1", "pve2", "pve3"],
    },
    writer: "pve1",
    guest: { vmid: 100, node: "pve1", kind: "qemu" },
    config: config(files),
    services: [{ sid: "vm:100", node: "pve1", state: "started" }],
    health: [],
    ...over,
  };
}

/** pve1 is gone: no SSH, not in pve2's membership. */
const pve1Dead = (): Partial<Facts> => ({
  cluster: {
    nodes: [node("pve1", 1, false), node("pve2", 2), node("pve3", 3)],
    seenBy: "pve2",
    members: ["pve2", "pve3"],
  },
  writer: "pve2",
});

const decide = (fix: Fix, f: Facts, extra: { to?: string } = {}) =>
  haReplication.decide({ vmid: 100, fix, ...extra }, f);

function planOf(d: ReturnType<typeof decide>) {
  if (d.kind !== "plan") throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  return PlanDraft.parse(d.plan);
}
const written = (step: { actions: Step["actions"] }) => {
  const action = step.actions[0];
  return action?.kind === "write-file" ? action.content : undefined;
};
const commands = (steps: Array<{ actions: Step["actions"] }>) =>
  steps.flatMap((s) => s.actions.map((a) => (a.kind === "exec" ? a.command : `${a.kind} ${a.path}`)));

describe("ha-replication-mismatch placement", () => {
  it("lets HA pick every node when the group is not restricted and names the node without a replica", () => {
    const c = config(PVE8);
    const p = placementOf(c.resources[0]!, c, "pve1", ["pve1", "pve2", "pve3"]);
    expect(p).toMatchObject({
      haNodes: ["pve1", "pve2", "pve3"],
      restrictedBy: [],
      replicaNodes: ["pve1", "pve2"],
      jobs: ["100-0"],
      missing: ["pve3"],
    });
  });

  it("limits HA to a strict node-affinity rule's nodes", () => {
    const c = config(PVE9);
    const p = placementOf(c.resources[0]!, c, "pve1", ["pve1", "pve2", "pve3"]);
    expect(p).toMatchObject({ haNodes: ["pve1", "pve3"], restrictedBy: ["rule keep-100 (strict)"] });
  });

  it("ignores a resource's rules when it is named in two node-affinity rules, as PVE does", () => {
    const rules = `${PVE9.rules}node-affinity: other\n\tnodes pve1\n\tresources vm:100\n\tstrict 1\n\n`;
    const c = config({ ...PVE9, rules });
    const p = placementOf(c.resources[0]!, c, "pve1", ["pve1", "pve2", "pve3"]);
    expect(p.haNodes).toEqual(["pve1", "pve2", "pve3"]);
  });

  it("does not count a job that targets the guest's own node as a replica, and names it", () => {
    const c = config(PVE8);
    const p = placementOf(c.resources[0]!, c, "pve2", ["pve1", "pve2", "pve3"]);
    expect(p).toMatchObject({ replicaNodes: ["pve2"], jobs: [], selfTargeted: ["100-0"], missing: [] });
  });

  it("does not count a job marked for removal as a replica", () => {
    const replication = `${PVE8.replication}local: 100-1\n\ttarget pve3\n\tremove_job full\n\n`;
    const c = config({ ...PVE8, replication });
    expect(placementOf(c.resources[0]!, c, "pve1", ["pve1", "pve2", "pve3"]).missing).toEqual(["pve3"]);
  });
});

describe("ha-replication-mismatch decide: align-ha", () => {
  it("on PVE 8 adds a restricted group over the replica nodes, then moves the resource into it", () => {
    const plan = planOf(decide("align-ha", facts()));
    expect(plan.steps.map((s) => [s.id, s.node, s.risk, s.files])).toEqual([
      ["write-groups-cfg", "pve1", "guarded", ["/etc/pve/ha/groups.cfg"]],
      ["write-resources-cfg", "pve1", "guarded", ["/etc/pve/ha/resources.cfg"]],
    ]);
    expect(written(plan.steps[0]!)).toBe(
      `${PVE8.groups}group: replication-100\n\tnodes pve1:2,pve2:1\n\trestricted 1\n\n`,
    );
    expect(written(plan.steps[1]!)).toBe(
      "vm: 100\n\tgroup replication-100\n\tstate started\n\nct: 101\n\tstate started\n\n",
    );
    expect(plan.steps[0]!.undo).toEqual({
      kind: "actions",
      description: "restore /etc/pve/ha/groups.cfg from the backup taken before the step",
      actions: [{ kind: "restore-file", path: "/etc/pve/ha/groups.cfg" }],
    });
    expect(plan.steps[0]!.reason).toBe(
      "HA may start vm:100 on pve1, pve2, pve3 (no restriction); replicas on pve1, pve2 (jobs 100-0); no replica on pve3",
    );
    expect(plan.postconditions).toEqual([
      expect.objectContaining({ name: "replicas-cover-ha", node: "pve1", args: { vmid: 100 } }),
    ]);
    expect(plan.warnings).toContain(
      "HA will no longer start vm:100 on pve3: when none of pve1, pve2 is up, it stays down until someone acts",
    );
    expect(plan.warnings).toContain(
      "/etc/pve/ha/resources.cfg: vm:100 leaves the HA group 'prefer-a', which stays as it is for its other resources",
    );
  });

  it("keeps the old group's nofailback and every unknown key of the other sections", () => {
    const groups = "group: prefer-a\n\tnodes pve1:2,pve3:1\n\tnofailback 1\n\trestricted 0\n\n";
    const resources = "vm: 100\n\tgroup prefer-a\n\tmax_restart 3\n\tstate started\n\tfuture_key x\n\n";
    const plan = planOf(decide("align-ha", facts({}, { ...PVE8, groups, resources })));
    expect(written(plan.steps[0]!)).toContain(
      "group: replication-100\n\tnodes pve1:2,pve2:1\n\tnofailback 1\n",
    );
    expect(written(plan.steps[1]!)).toBe(
      "vm: 100\n\tfuture_key x\n\tgroup replication-100\n\tmax_restart 3\n\tstate started\n\n",
    );
  });

  it("on PVE 9 pins the resource with a strict rule and takes it out of the rule that allowed pve3", () => {
    const rules = `${PVE9.rules}node-affinity: shared\n\tnodes pve1,pve2\n\tresources vm:100,vm:200\n\n`;
    const plan = planOf(decide("align-ha", facts({}, { ...PVE9, rules })));
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]!.id).toBe("write-rules-cfg");
    expect(written(plan.steps[0]!)).toBe(
      "node-affinity: shared\n\tnodes pve1,pve2\n\tresources vm:200\n\n" +
        "node-affinity: ha-replication-100\n\tcomment Keeps vm:100 on the nodes that hold its replicas (pvefix)\n" +
        "\tnodes pve1:2,pve2:1\n\tresources vm:100\n\tstrict 1\n\n",
    );
  });

  it("on PVE 9 changes the operator's own rule in place and names it, instead of replacing it", () => {
    const rules =
      "node-affinity: keep-100\n\tcomment DB stays off pve2\n\tnodes pve1,pve3\n\tresources vm:100\n\tstrict 1\n\tfuture x\n\n";
    const plan = planOf(decide("align-ha", facts({}, { ...PVE9, rules })));
    expect(plan.steps.map((s) => [s.id, s.title])).toEqual([
      ["write-rules-cfg", "Change your node-affinity rule keep-100 to keep vm:100 on pve1, pve2 (strict)"],
    ]);
    expect(written(plan.steps[0]!)).toBe(
      "node-affinity: keep-100\n\tcomment DB stays off pve2\n\tnodes pve1:2,pve2:1\n\tresources vm:100\n\tfuture x\n\tstrict 1\n\n",
    );
    expect(plan.warnings).toContain(
      "/etc/pve/ha/rules.cfg: your rule 'keep-100' is changed in place (name, comment and other keys kept): nodes pve1,pve3 → pve1:2,pve2:1. To keep its nodes and replicate vm:100 to them instead, use --fix add-replication",
    );
    expect(plan.steps[0]!.actions[0]).toMatchObject({
      kind: "write-file",
      before: { path: "/etc/pve/ha/rules.cfg", content: rules },
    });
  });

  it("makes a preference rule of the operator strict, and says so", () => {
    const rules = "node-affinity: prefer-1\n\tnodes pve1:2\n\tresources vm:100\n\n";
    const plan = planOf(decide("align-ha", facts({}, { ...PVE9, rules })));
    expect(written(plan.steps[0]!)).toBe(
      "node-affinity: prefer-1\n\tnodes pve1:2,pve2:1\n\tresources vm:100\n\tstrict 1\n\n",
    );
    expect(plan.warnings.join("\n")).toContain("nodes pve1:2 → pve1:2,pve2:1, strict 0 → 1");
  });

  it("names every rule it narrows or removes when the resource is in two rules", () => {
    const rules = `${PVE9.rules}node-affinity: shared\n\tnodes pve1,pve2\n\tresources vm:100,vm:200\n\n`;
    const plan = planOf(decide("align-ha", facts({}, { ...PVE9, rules })));
    expect(plan.steps[0]!.title).toBe(
      "Pin vm:100 to pve1, pve2 with the strict node-affinity rule ha-replication-100; removed keep-100, narrowed shared",
    );
    expect(plan.warnings).toEqual(
      expect.arrayContaining([
        "/etc/pve/ha/rules.cfg: rule 'keep-100' is removed: vm:100 was its only resource",
        "/etc/pve/ha/rules.cfg: rule 'shared' keeps vm:200 without vm:100 (PVE ignores a resource named in two node-affinity rules)",
      ]),
    );
  });

  it("leaves a disabled rule of the operator alone", () => {
    const rules = "node-affinity: off\n\tdisable\n\tnodes pve3\n\tresources vm:100\n\n";
    const plan = planOf(decide("align-ha", facts({}, { ...PVE9, rules })));
    expect(written(plan.steps[0]!)).toMatch(
      /^node-affinity: off\n\tdisable\n\tnodes pve3\n\tresources vm:100\n\n/,
    );
    expect(written(plan.steps[0]!)).toContain("node-affinity: ha-replication-100\n");
  });

  it("treats a cluster without groups.cfg as PVE 9 and drops a leftover legacy group from the resource", () => {
    const plan = planOf(decide("align-ha", facts({}, { ...PVE8, groups: null })));
    expect(plan.steps.map((s) => s.id)).toEqual(["write-rules-cfg", "write-resources-cfg"]);
    expect(written(plan.steps[1]!)).toBe("vm: 100\n\tstate started\n\nct: 101\n\tstate started\n\n");
  });

  it("warns that a hand-edited file loses its comments when it is rewritten", () => {
    const f = facts();
    f.config.normalised = ["groups", "rules"];
    expect(planOf(decide("align-ha", f)).warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/etc\/pve\/ha\/groups\.cfg has comments/)]),
    );
    expect(planOf(decide("align-ha", f)).warnings.join("\n")).not.toContain("rules.cfg");
  });

  it("has nothing to do when the restricted group holds only replica nodes", () => {
    const groups = "group: prefer-a\n\tnodes pve1:2,pve2:1\n\trestricted 1\n\n";
    const d = decide("align-ha", facts({}, { ...PVE8, groups }));
    expect(d.kind === "nothing-to-do" && d.reason).toMatch(/^every node HA may pick holds a replica/);
  });

  it("has nothing to do for a guest HA does not manage or that has no replication job", () => {
    const unmanaged = decide("align-ha", facts({}, { ...PVE8, resources: "ct: 101\n\tstate started\n\n" }));
    expect(unmanaged).toEqual({
      kind: "nothing-to-do",
      reason: "VM 100 is not HA-managed: HA never moves it",
    });
    const shared = decide("add-replication", facts({}, { ...PVE8, replication: null }));
    expect(shared.kind === "nothing-to-do" && shared.reason).toContain("no replication job");
  });

  it("refuses to write /etc/pve when no reachable node is quorate", () => {
    const f = facts();
    f.cluster = { ...f.cluster, seenBy: null, members: [] };
    const d = decide("align-ha", f);
    expect(d.kind === "refusal" && d.refusal).toMatchObject({ code: "not-quorate", node: "pve1" });
  });

  it("refuses a guest that does not exist", () => {
    const d = decide("align-ha", facts({ guest: null }));
    expect(d.kind === "refusal" && d.refusal.code).toBe("guest-not-found");
  });
});

describe("ha-replication-mismatch decide: add-replication", () => {
  it("adds the next job number to every node HA may pick without a replica, with the same schedule and rate", () => {
    const plan = planOf(decide("add-replication", facts()));
    expect(plan.steps.map((s) => [s.id, s.risk, s.files])).toEqual([
      ["write-replication-cfg", "guarded", ["/etc/pve/replication.cfg"]],
    ]);
    expect(written(plan.steps[0]!)).toBe(
      `${PVE8.replication}local: 100-1\n\ttarget pve3\n\trate 50\n\tschedule */5\n\n`,
    );
    expect(plan.warnings.join("\n")).toContain("Until the first (full) sync to pve3 completes");
  });

  it("warns about replicas that exist on paper only: disabled, failing or never synced jobs", () => {
    const replication = `${PVE8.replication}local: 100-2\n\tdisable\n\ttarget pve1\n\n`;
    const health = [
      { jobId: "100-0", target: "pve2", state: "No common base snapshot", failCount: 3, synced: true },
      { jobId: "100-2", target: "pve1", state: "OK", failCount: 0, synced: false },
    ];
    const warnings = planOf(decide("add-replication", facts({ health }, { ...PVE8, replication }))).warnings;
    expect(warnings).toEqual(
      expect.arrayContaining([
        "replication job 100-2 to pve1 is disabled: its replica is as old as its last sync",
        "replication job 100-0 to pve2 is failing (3 failures): No common base snapshot",
        "replication job 100-2 to pve1 has never completed a sync: no usable replica there yet",
      ]),
    );
  });
});

/** After a recovery by hand: VM 100 runs on pve2, HA ignores it, job 100-0 still targets pve2, pve1 is down. */
const RECOVERED = {
  ...PVE8,
  resources: "vm: 100\n\tstate ignored\n\nct: 101\n\tstate started\n\n",
  groups: null,
  replication: "local: 100-0\n\ttarget pve2\n\tsource pve1\n\n",
};
const recovered = (): Facts =>
  facts(
    {
      ...pve1Dead(),
      guest: { vmid: 100, node: "pve2", kind: "qemu" },
      services: [{ sid: "vm:100", node: "pve2", state: "ignored" }],
    },
    RECOVERED,
  );

describe("ha-replication-mismatch after a recovery (the job targets the guest's node)", () => {
  it("refuses align-ha: it would pin the guest to the one node it runs on", () => {
    const d = decide("align-ha", recovered());
    expect(d.kind === "refusal" && d.refusal).toEqual({
      code: "no-valid-replica",
      message:
        "No node but pve2 holds a replica of VM 100: restricting HA to it would leave vm:100 no node to fail over to",
      detail:
        "job 100-0 targets pve2, the node VM 100 runs on, so it never runs. Re-target it first: `pvefix plan ha-replication-mismatch --vmid 100 --fix add-replication`",
      node: "pve2",
    });
  });

  it("add-replication switches the job back to its old source, as a migration would, and adds the missing node", () => {
    const plan = planOf(decide("add-replication", recovered()));
    expect(plan.summary).toBe(
      "Re-target and add replication for vm:100 so every node HA may pick holds a replica",
    );
    expect(plan.steps.map((s) => [s.id, s.node, s.title])).toEqual([
      ["write-replication-cfg", "pve2", "Re-target job 100-0 from pve2 to pve1; replicate vm:100 to pve3"],
    ]);
    expect(written(plan.steps[0]!)).toBe(
      "local: 100-0\n\ttarget pve1\n\tsource pve2\n\nlocal: 100-1\n\ttarget pve3\n\n",
    );
    expect(plan.warnings).toContain(
      "job 100-0 targets pve2, where vm:100 now runs, so it never runs; it is switched to replicate from pve2 to pve1, as a migration would switch it (pvesr syncs only while pve1 is online)",
    );
  });

  it("re-targets a job without a known source to the first node HA may pick that has none", () => {
    const f = recovered();
    f.config = config({ ...RECOVERED, replication: "local: 100-0\n\ttarget pve2\n\n" });
    expect(written(planOf(decide("add-replication", f)).steps[0]!)).toBe(
      "local: 100-0\n\ttarget pve1\n\tsource pve2\n\nlocal: 100-1\n\ttarget pve3\n\n",
    );
  });

  it("has nothing for align-ha to restrict when the other jobs cover HA's nodes, but names the stranded job", () => {
    const f = recovered();
    f.config = config({
      ...RECOVERED,
      replication:
        "local: 100-0\n\ttarget pve2\n\tsource pve1\n\nlocal: 100-1\n\ttarget pve3\n\nlocal: 100-2\n\ttarget pve1\n\n",
    });
    const d = decide("align-ha", f);
    expect(d.kind === "nothing-to-do" && d.reason).toMatch(
      /; but job 100-0 targets pve2, the node VM 100 runs on, so it never runs \(--fix add-replication re-targets it\)$/,
    );
    // pve1 already has job 100-2, so 100-0 takes no other node and is dropped, keeping every disk.
    const plan = planOf(decide("add-replication", f));
    expect(written(plan.steps[0]!)).toBe("local: 100-1\n\ttarget pve3\n\nlocal: 100-2\n\ttarget pve1\n\n");
    expect(plan.steps[0]!.title).toBe("Drop job 100-0 (targets pve2)");
  });

  it("counts only the other jobs as replicas when the guest has some, and warns about the stranded one", () => {
    const f = recovered();
    f.config = config({
      ...RECOVERED,
      resources: "vm: 100\n\tstate started\n\n",
      replication: "local: 100-0\n\ttarget pve2\n\tsource pve1\n\nlocal: 100-1\n\ttarget pve3\n\n",
    });
    const plan = planOf(decide("align-ha", f));
    expect(plan.steps[0]!.reason).toBe(
      "HA may start vm:100 on pve2, pve1, pve3 (no restriction); replicas on pve2, pve3 (jobs 100-1); no replica on pve1; job 100-0 targets pve2 itself",
    );
    expect(plan.warnings).toContain(
      "job 100-0 targets pve2, the node VM 100 runs on, so it never runs (--fix add-replication re-targets it)",
    );
  });
});

describe("ha-replication-mismatch findings (no false all-clear)", () => {
  const findingsOf = (f: Facts) =>
    guestFindings(f, f.guest!).map((x) => renderFinding("ha-replication-mismatch", x));

  it("reports the stranded job and the ignored HA state after a recovery, each with its next command", () => {
    expect(findingsOf(recovered())).toEqual([
      {
        runbook: "ha-replication-mismatch",
        severity: "warning",
        node: "pve2",
        params: { vmid: 100, fix: "add-replication" },
        summary:
          "VM 100 on pve2: replication job 100-0 targets pve2, the node it runs on, so it never runs and no other node holds a replica; re-target it (back to pve1, as a migration would; PVE's next replication run on pve2 does the same)",
        command: "pvefix plan ha-replication-mismatch --vmid 100 --fix add-replication",
      },
      {
        runbook: "ha-replication-mismatch",
        severity: "warning",
        node: "pve2",
        params: { vmid: 100 },
        summary:
          "VM 100 on pve2: HA ignores vm:100 (state ignored): nothing restarts it or moves it when pve2 fails; fix its replication first (above), then hand it back",
        command: "ha-manager set vm:100 --state started",
      },
    ]);
  });

  it("is critical when HA would start the guest with no replica anywhere", () => {
    const f = recovered();
    f.config = config({ ...RECOVERED, resources: "vm: 100\n\tstate started\n\n" });
    expect(findingsOf(f).map((x) => [x.severity, x.command])).toEqual([
      ["critical", "pvefix plan ha-replication-mismatch --vmid 100 --fix add-replication"],
    ]);
  });

  it("gives the manual commands for a guest HA does not manage", () => {
    const f = recovered();
    f.config = config({ ...RECOVERED, resources: "ct: 101\n\tstate started\n\n" });
    expect(findingsOf(f).map((x) => [x.severity, x.command])).toEqual([
      ["warning", "pvesr delete 100-0 --force && pvesr create-local-job 100-1 pve1"],
    ]);
  });

  it("reports HA's error and fence states, and an ignored guest even when replication is right", () => {
    const error = facts(
      { services: [{ sid: "vm:100", node: "pve1", state: "error" }] },
      {
        ...PVE8,
        groups: "group: prefer-a\n\tnodes pve1:2,pve2:1\n\trestricted 1\n\n",
      },
    );
    expect(findingsOf(error)).toEqual([
      expect.objectContaining({
        severity: "critical",
        summary:
          "VM 100 on pve1: HA gave up on vm:100 (state error): disable it, find the cause (journalctl -u pve-ha-lrm on pve1), then `ha-manager set vm:100 --state started`",
        command: "ha-manager set vm:100 --state disabled",
      }),
    ]);
    const fence = facts(
      { ...pve1Dead(), services: [{ sid: "vm:100", node: "pve1", state: "fence" }] },
      { ...PVE8, replication: null },
    );
    expect(findingsOf(fence).map((x) => [x.severity, x.command])).toEqual([["warning", "ha-manager status"]]);
    const ignored = facts({}, { ...PVE8, resources: "vm: 100\n\tgroup prefer-a\n\tstate ignored\n\n" });
    expect(findingsOf(ignored).map((x) => [x.severity, x.params])).toEqual([
      ["warning", { vmid: 100, fix: "align-ha" }],
      ["warning", { vmid: 100 }],
    ]);
  });

  it("asks only for the recovery while the guest's node is down, whatever HA's state", () => {
    const f = facts({ ...pve1Dead(), services: [{ sid: "vm:100", node: "pve1", state: "fence" }] });
    expect(findingsOf(f).map((x) => x.command)).toEqual([
      "pvefix plan ha-replication-mismatch --vmid 100 --fix recover",
    ]);
  });
});

describe("ha-replication-mismatch decide: recover", () => {
  it("takes the guest from HA, moves its config to the replica node and starts it there", () => {
    const plan = planOf(decide("recover", facts(pve1Dead())));
    expect(plan.steps.map((s) => [s.id, s.node, s.risk])).toEqual([
      ["ha-ignore-vm-100", "pve2", "guarded"],
      ["move-config-100", "pve2", "dangerous"],
      ["start-100", "pve2", "guarded"],
    ]);
    expect(commands(plan.steps)).toEqual([
      "ha-manager set vm:100 --state ignored",
      "mv -f /etc/pve/nodes/pve1/qemu-server/100.conf /etc/pve/nodes/pve2/qemu-server/100.conf",
      "qm start 100",
    ]);
    expect(commands(plan.steps.map((s) => (s.undo.kind === "actions" ? s.undo : { actions: [] })))).toEqual([
      "ha-manager set vm:100 --state started",
      "mv -f /etc/pve/nodes/pve2/qemu-server/100.conf /etc/pve/nodes/pve1/qemu-server/100.conf",
      "qm stop 100",
    ]);
    expect(plan.steps[1]!.warning).toContain("pve1 must stay off");
    expect(plan.steps[2]!.verify).toEqual([expect.objectContaining({ name: "guest-running", node: "pve2" })]);
    expect(plan.warnings[0]).toBe("HA reports vm:100 as 'started' on pve1");
  });

  it("recovers a container that HA does not manage with pct and without touching HA", () => {
    const f = facts(
      { ...pve1Dead(), guest: { vmid: 100, node: "pve1", kind: "lxc" } },
      { ...PVE8, resources: null },
    );
    expect(commands(planOf(decide("recover", f)).steps)).toEqual([
      "mv -f /etc/pve/nodes/pve1/lxc/100.conf /etc/pve/nodes/pve2/lxc/100.conf",
      "pct start 100",
    ]);
  });

  it("refuses while the old node still answers SSH or is still a quorum member", () => {
    const reachable = decide("recover", facts());
    expect(reachable.kind === "refusal" && reachable.refusal.code).toBe("node-not-down");
    expect(reachable.kind === "refusal" && reachable.refusal.detail).toContain("pve1 answers over SSH");
    const member = facts(pve1Dead());
    member.cluster.members.push("pve1");
    const d = decide("recover", member);
    expect(d.kind === "refusal" && d.refusal.detail).toBe(
      "pve1 is in the quorum membership seen by pve2. Moving the config of a guest that may still run there starts it twice on diverging disks.",
    );
  });

  it("refuses when the old node has no known node id, since its absence from the membership proves nothing", () => {
    const f = facts(pve1Dead());
    f.cluster.nodes[0] = { ...f.cluster.nodes[0]!, id: null };
    const d = decide("recover", f);
    expect(d.kind === "refusal" && d.refusal.code).toBe("node-not-down");
  });

  it("refuses a --to node that no replication job targets", () => {
    const d = decide("recover", facts(pve1Dead()), { to: "pve3" });
    expect(d.kind === "refusal" && d.refusal).toMatchObject({
      code: "no-valid-replica",
      message: "No replication job of VM 100 targets pve3",
      detail: "replicas: pve2 (job 100-0)",
    });
  });

  it("refuses when every replica target is offline", () => {
    const f = facts(pve1Dead());
    f.cluster.members = ["pve3"];
    const d = decide("recover", f);
    expect(d.kind === "refusal" && d.refusal.message).toBe("No node holding a replica of VM 100 is online");
  });

  it("refuses without a quorate view of the cluster", () => {
    const f = facts(pve1Dead());
    f.cluster.seenBy = null;
    const d = decide("recover", f);
    expect(d.kind === "refusal" && d.refusal.code).toBe("not-quorate");
  });
});

describe("ha-replication-mismatch parameters", () => {
  it("names the allowed fixes and keeps --to for recover only", () => {
    expect(() => parseParams(haReplication, { vmid: "100", fix: "nope" })).toThrow(
      /one of: align-ha, add-replication, recover \(got "nope"\)\n {2}→ at --fix/,
    );
    expect(() => parseParams(haReplication, { vmid: "100", fix: "align-ha", to: "pve2" })).toThrow(
      /--to only applies to --fix recover/,
    );
    expect(parseParams(haReplication, { vmid: "100", fix: "recover", to: "pve2" })).toEqual({
      vmid: 100,
      fix: "recover",
      to: "pve2",
    });
    expect(rawParams(haReplication, { vmid: "100", fix: "recover", to: "pve2", other: 1 })).toEqual({
      vmid: "100",
      fix: "recover",
      to: "pve2",
    });
  });

  it("keeps replication health out of the plan fingerprint", () => {
    const f = facts({
      health: [{ jobId: "100-0", target: "pve2", state: "OK", failCount: 0, synced: true }],
    });
    expect(haReplication.stableFacts?.(f)).not.toHaveProperty("health");
  });
});

/** A FakeCluster holding the PVE 8 scenario in every node's /etc/pve. */
function fakeCluster(pve1Down = false): FakeCluster {
  const cluster = pve1Down
    ? new DeadPve1(["pve1", "pve2", "pve3"])
    : new FakeCluster(["pve1", "pve2", "pve3"]);
  for (const n of cluster.nodes) {
    for (const [key, path] of Object.entries(HA_FILES)) {
      const text = PVE8[key as keyof typeof PVE8];
      if (text) cluster.file(n, path, text);
    }
    cluster.file(n, "/etc/pve/.members", fixture("members-cluster.txt"));
    cluster.file(n, "/etc/pve/.vmlist", fixture("vmlist-cluster.txt"));
  }
  cluster.on((_node, argv) => {
    const line = argv.join(" ");
    if (line === pvecmCommand)
      return { stdout: fixture(pve1Down ? "pvecm-status-node1-lost.txt" : "pvecm-status-quorate.txt") };
    if (line === "ha-manager status")
      return { stdout: fixture(pve1Down ? "ha-manager-status-fence.txt" : "ha-manager-status-old.txt") };
    if (line === "pvesr status") return { stdout: fixture("pvesr-status-multiline-error.txt") };
    return undefined;
  });
  return cluster;
}

/** pve1 refuses SSH connections, the way SshTransport reports a dead host. */
class DeadPve1 extends FakeCluster {
  override async exec(node: string, command: string, options?: ExecOptions): Promise<CommandResult> {
    if (node === "pve1")
      throw new TransportError("PVEFIX_CONNECT_FAILED", node, "connect ECONNREFUSED 10.10.10.1:22");
    return super.exec(node, command, options);
  }
}

const context = (cluster: FakeCluster) =>
  createProbeContext({ transport: cluster, nodes: cluster.nodes, cluster: "prod-cl01", retries: 0 });

describe("ha-replication-mismatch probe and detector", () => {
  it("reads the HA and replication files on a quorate node and the guest's replication health", async () => {
    const facts = await haReplication.probe(context(fakeCluster()), { vmid: 100, fix: "align-ha" });
    expect(facts.writer).toBe("pve1");
    expect(facts.cluster.members).toEqual(["pve1", "pve2", "pve3"]);
    expect(facts.guest).toEqual({ vmid: 100, node: "pve1", kind: "qemu" });
    expect(facts.config.exists).toEqual({ resources: true, groups: true, rules: false, replication: true });
    expect(facts.config.normalised).toEqual([]);
    expect(facts.health).toEqual([
      { jobId: "100-0", target: "pve2", state: "OK", failCount: 0, synced: true },
    ]);
    expect(facts.services).toContainEqual({ sid: "vm:100", node: "pve1", state: "started" });
  });

  it("proves a dead node gone by SSH and by the membership of a quorate survivor", async () => {
    const facts = await haReplication.probe(context(fakeCluster(true)), { vmid: 100, fix: "recover" });
    expect(facts.cluster).toEqual({
      nodes: [node("pve1", 1, false), node("pve2", 2), node("pve3", 3)],
      seenBy: "pve2",
      members: ["pve2", "pve3"],
    });
    expect(facts.writer).toBe("pve2");
    expect(facts.health).toEqual([]);
    expect(planOf(haReplication.decide({ vmid: 100, fix: "recover" }, facts)).steps[1]!.node).toBe("pve2");
  });

  it("reports the mismatch as critical with the exact next command", async () => {
    const findings = await haReplication.detect!(context(fakeCluster()));
    expect(findings).toEqual([
      {
        runbook: "ha-replication-mismatch",
        severity: "critical",
        node: "pve1",
        params: { vmid: 100, fix: "align-ha" },
        summary:
          "VM 100 on pve1: HA may start vm:100 on pve1, pve2, pve3 (no restriction); replicas on pve1, pve2 (jobs 100-0); no replica on pve3; a failover there cannot start it (or: --fix add-replication)",
        command: "pvefix plan ha-replication-mismatch --vmid 100 --fix align-ha",
      },
    ]);
  });

  it("asks for a recovery when the node of a replicated guest does not answer", async () => {
    const findings = await haReplication.detect!(context(fakeCluster(true)));
    expect(findings.map((f) => [f.severity, f.command])).toEqual([
      ["critical", "pvefix plan ha-replication-mismatch --vmid 100 --fix recover"],
    ]);
  });

  it("notices a file whose bytes a rewrite would not keep (a comment line)", async () => {
    const cluster = fakeCluster();
    for (const n of cluster.nodes)
      cluster.file(n, HA_FILES.groups, `# keep vm:100 near pve1\n${PVE8.groups}`);
    const facts = await haReplication.probe(context(cluster), { vmid: 100, fix: "align-ha" });
    expect(facts.config.normalised).toEqual(["groups"]);
  });

  it("refuses as probe-failed instead of rewriting a config file it cannot parse", async () => {
    const cluster = fakeCluster();
    for (const n of cluster.nodes) cluster.file(n, HA_FILES.groups, "group: broken\nnodes pve1\n\n");
    await expect(haReplication.probe(context(cluster), { vmid: 100, fix: "align-ha" })).rejects.toThrow(
      /cannot parse \/etc\/pve\/ha\/groups\.cfg on pve1/,
    );
  });
});
