import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import restartPveServices from "../../runbooks/restart-pve-services.js";
import { InputError } from "../../src/engine/errors.js";
import type { Check, Step } from "../../src/engine/model.js";
import { parseParams } from "../../src/engine/params.js";
import { createProbeContext } from "../../src/engine/probe-context.js";
import { type HaNodeView, watchdogArmed } from "../../src/pve/probes/ha-status.js";
import { pvecmCommand } from "../../src/pve/probes/quorum.js";
import {
  etcPveCommand,
  etcPveOf,
  type NodeHealth,
  PVE_UNITS,
  toolsOf,
  unitStatesOf,
  type VoteView,
} from "../../src/pve/probes/services.js";
import { TransportError } from "../../src/transport/errors.js";
import { FakeCluster } from "../engine/fake-cluster.js";

const rb = restartPveServices;
type Facts = Parameters<typeof rb.decide>[1];
type Params = Parameters<typeof rb.decide>[0];

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}.txt`, import.meta.url), "utf8");

const ACTIVE = {
  pveproxy: "active",
  spiceproxy: "active",
  pvestatd: "active",
  "pve-cluster": "active",
  corosync: "active",
  pvedaemon: "active",
  "pve-ha-lrm": "active",
  "pve-ha-crm": "active",
} as const;

function view(node: string, members: number[], over: Partial<VoteView> = {}): VoteView {
  return {
    node,
    quorate: true,
    localId: Number(node.slice(3)),
    totalVotes: members.length,
    quorum: 2,
    members: members.map((nodeId) => ({ nodeId, votes: 1 })),
    ...over,
  };
}

function healthy(node: string, over: Partial<NodeHealth> = {}): NodeHealth {
  return {
    node,
    units: { ...ACTIVE },
    etcPve: { state: "responsive", mode: "755", detail: "/etc/pve answers (mode 755)" },
    tools: { state: "responsive", detail: "quorate (3 votes, quorum 2)", view: view(node, [1, 2, 3]) },
    corosync: {
      node,
      local: { version: 3, token: null, problem: null },
      pve: { version: 3, token: null, problem: null },
      running: { configVersion: 3, token: null, tokenInUse: 3650 },
    },
    ...over,
  };
}

/** pve2 as the field report describes it: pmxcfs hung, so /etc/pve and pvecm hang; pvestatd failed. */
function hung(node: string): NodeHealth {
  return healthy(node, {
    units: { ...ACTIVE, pvestatd: "failed" },
    etcPve: { state: "hung", mode: null, detail: "/etc/pve did not answer within 5 s" },
    tools: { state: "hung", detail: "pvecm status did not answer within 10 s", view: null },
  });
}

function ha(node: string, over: Partial<HaNodeView> = {}): HaNodeView {
  return {
    node,
    source: "pve1",
    trusted: true,
    lrm: { state: "idle", watchdog: null },
    resources: [],
    ...over,
  };
}

const armed = (node: string) =>
  ha(node, { lrm: { state: "active", watchdog: null }, resources: [{ sid: "vm:300", state: "started" }] });

function facts(over: Partial<Facts> = {}): Facts {
  return {
    unknown: [],
    targets: [hung("pve2")],
    peers: [
      { node: "pve1", reachable: true, tools: healthy("pve1").tools },
      { node: "pve3", reachable: true, tools: healthy("pve3").tools },
    ],
    votes: [1, 2, 3].map((id) => ({ name: `pve${id}`, nodeId: id, votes: 1 })),
    ha: [ha("pve2")],
    ...over,
  };
}

const decide = (f: Facts, params: Partial<Params> = {}) => rb.decide({ node: ["pve2"], ...params }, f);
const commands = (steps: Step[] | undefined) =>
  (steps ?? []).map(
    (s) => `${s.node}: ${s.actions.map((a) => (a.kind === "exec" ? a.command : a.kind)).join("; ")}`,
  );
const planOf = (d: ReturnType<typeof decide>) => {
  if (d.kind !== "plan") throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  return { ...d.plan, steps: d.plan.steps as Step[] };
};
const refusalOf = (d: ReturnType<typeof decide>) => {
  if (d.kind !== "refusal") throw new Error(`expected a refusal, got ${d.kind}`);
  return d.refusal;
};

/** The failed pvestatd of `hung()` is only started: stopping it would change nothing. */
const FIVE_STOPS = ["pveproxy", "spiceproxy", "pve-cluster", "corosync"].map(
  (u) => `pve2: systemctl stop ${u}`,
);
const FIVE_STARTS = ["corosync", "pve-cluster", "pvestatd", "spiceproxy", "pveproxy"].map(
  (u) => `pve2: systemctl start ${u}`,
);

describe("restart-pve-services decide", () => {
  it("stops the running units in the field report's order and starts all five in the reverse order", () => {
    const plan = planOf(decide(facts()));
    expect(commands(plan.steps)).toEqual([...FIVE_STOPS, ...FIVE_STARTS]);
    expect(plan.steps.every((s) => s.risk === "guarded")).toBe(true);
    expect(plan.steps[0]?.reason).toBe(
      "pvestatd is failed; /etc/pve did not answer within 5 s; pvecm status did not answer within 10 s on pve2",
    );
  });

  it("undoes every stop by starting the unit again and gives the starts nothing to undo", () => {
    const plan = planOf(decide(facts()));
    const stop = plan.steps.find((s) => s.id === "stop-pve-cluster-pve2")!;
    expect(stop.undo).toEqual({
      kind: "actions",
      description: "start pve-cluster again",
      actions: [{ kind: "exec", command: "systemctl start pve-cluster", timeoutMs: 90_000 }],
    });
    expect(plan.steps.filter((s) => s.id.startsWith("start-")).map((s) => s.undo.kind)).toEqual(
      Array(5).fill("none"),
    );
  });

  it("verifies each unit and checks /etc/pve and the quorum (90 s) as soon as pve-cluster is back", () => {
    const plan = planOf(decide(facts()));
    const verify = (id: string) =>
      plan.steps
        .find((s) => s.id === id)!
        .verify.map((c: Check) => `${c.name} ${JSON.stringify(c.args)} ${c.waitMs}`);
    expect(verify("stop-corosync-pve2")).toEqual(['unit-state {"unit":"corosync","want":"stopped"} 15000']);
    expect(verify("start-pve-cluster-pve2")).toEqual([
      'unit-state {"unit":"pve-cluster","want":"active"} 30000',
      "etc-pve-responsive {} 30000",
      "back-in-quorum {} 90000",
    ]);
    expect(verify("start-pveproxy-pve2")).toEqual(['unit-state {"unit":"pveproxy","want":"active"} 30000']);
  });

  it("tells the operator at the corosync stop how many votes the cluster keeps", () => {
    const plan = planOf(decide(facts()));
    expect(plan.steps.find((s) => s.id === "stop-corosync-pve2")?.warning).toBe(
      "pve2 leaves the corosync membership until corosync starts again: the cluster keeps 2 votes (quorum 2; pve1 sees 3 votes, quorum 2)",
    );
  });

  it("has nothing to do when every unit is active and /etc/pve and pvecm answer", () => {
    const d = decide(facts({ targets: [healthy("pve2")] }));
    expect(d.kind).toBe("nothing-to-do");
    expect(d.kind === "nothing-to-do" && d.reason).toContain(
      "pve2: units active, /etc/pve answers (mode 755), pvecm quorate (3 votes, quorum 2)",
    );
  });

  it("plans for a failed unit even when /etc/pve and pvecm answer", () => {
    const plan = planOf(
      decide(facts({ targets: [healthy("pve2", { units: { ...ACTIVE, pvestatd: "failed" } })] })),
    );
    expect(plan.steps[0]?.reason).toBe("pvestatd is failed on pve2");
  });

  it("refuses a node that is not in the inventory", () => {
    expect(refusalOf(decide(facts({ unknown: ["pve9"], targets: [] })))).toMatchObject({
      code: "node-unreachable",
      message: "Not in the inventory: pve9",
    });
  });

  it("refuses quorum-at-risk when the votes left without the node fall below quorum", () => {
    const d = decide(
      facts({
        peers: [
          { node: "pve1", reachable: true, tools: { ...healthy("pve1").tools, view: view("pve1", [1, 2]) } },
          { node: "pve3", reachable: false, tools: null },
        ],
      }),
    );
    expect(refusalOf(d)).toEqual({
      code: "quorum-at-risk",
      node: "pve2",
      message: "Stopping corosync on pve2 would leave the cluster 1 of the 2 votes it needs",
      detail: "pve1 sees 2 votes, quorum 2. Bring the missing nodes back first, then restart pve2.",
    });
  });

  it("refuses quorum-at-risk when no other node can show the quorum", () => {
    const d = decide(facts({ peers: [{ node: "pve1", reachable: false, tools: null }] }));
    expect(refusalOf(d).code).toBe("quorum-at-risk");
    expect(refusalOf(d).message).toContain("No other node answers pvecm status");
  });

  it("counts a node of unknown id as one vote of the view", () => {
    const d = decide(
      facts({
        votes: null,
        peers: [
          { node: "pve1", reachable: true, tools: { ...healthy("pve1").tools, view: view("pve1", [1, 2]) } },
        ],
      }),
    );
    expect(refusalOf(d).detail).toContain("the node id of pve2 is unknown: counted as one vote");
  });

  it("does not count the vote of a node that already left the membership", () => {
    const plan = planOf(
      decide(
        facts({
          peers: [
            {
              node: "pve1",
              reachable: true,
              tools: { ...healthy("pve1").tools, view: view("pve1", [1, 3]) },
            },
          ],
        }),
      ),
    );
    expect(plan.steps.find((s) => s.id === "stop-corosync-pve2")?.warning).toContain(
      "the cluster keeps 2 votes",
    );
  });

  it("refuses not-quorate when the cluster has no quorum even with the node", () => {
    const lonely = view("pve1", [1, 2], { quorate: false, totalVotes: 2, quorum: 3 });
    const d = decide(
      facts({
        peers: [{ node: "pve1", reachable: true, tools: { ...healthy("pve1").tools, view: lonely } }],
      }),
    );
    expect(refusalOf(d)).toMatchObject({
      code: "not-quorate",
      message: "The cluster has no quorum even with pve2 (pve1 sees 2 votes, quorum 3)",
    });
  });

  it("plans when the node's return gives a non-quorate cluster its quorum back", () => {
    const alone = view("pve1", [1], { quorate: false, totalVotes: 1, quorum: 2 });
    const plan = planOf(
      decide(
        facts({
          targets: [healthy("pve2", { units: { ...ACTIVE, corosync: "failed" } })],
          peers: [
            { node: "pve1", reachable: true, tools: { ...healthy("pve1").tools, view: alone } },
            { node: "pve3", reachable: false, tools: null },
          ],
        }),
      ),
    );
    // A failed corosync holds no vote: it is only started, and no quorum guard stands in the way.
    expect(plan.steps.map((s) => s.id)).not.toContain("stop-corosync-pve2");
    expect(plan.steps.map((s) => s.id)).toContain("start-corosync-pve2");
    expect(plan.warnings).toContain(
      "pve2: no other node is quorate, so its return is checked by corosync being active; the cluster is quorate again once enough nodes run corosync",
    );
    const checks = plan.steps.flatMap((s) => s.verify.map((c: Check) => c.name));
    expect(checks).not.toContain("back-in-quorum");
  });

  it("starts a stopped corosync although no other node answers, since it cannot cost a vote", () => {
    const target = healthy("pve2", { units: { ...ACTIVE, corosync: "inactive" } });
    const plan = planOf(
      decide(facts({ targets: [target], peers: [{ node: "pve1", reachable: false, tools: null }] }), {
        services: ["corosync"],
      }),
    );
    expect(commands(plan.steps)).toEqual(["pve2: systemctl start corosync"]);
    expect(plan.warnings).toContain("Guests keep running; pveproxy is not stopped, so the GUI/API stays up");
  });

  it("restarts a corosync that runs an older config than its corosync.conf, behind the quorum guard", () => {
    const stale = healthy("pve2", {
      corosync: {
        node: "pve2",
        local: { version: 4, token: 5000, problem: null },
        pve: { version: 4, token: 5000, problem: null },
        running: { configVersion: 3, token: null, tokenInUse: 3650 },
      },
    });
    const plan = planOf(decide(facts({ targets: [stale] }), { services: ["corosync"] }));
    expect(commands(plan.steps)).toEqual(["pve2: systemctl stop corosync", "pve2: systemctl start corosync"]);
    expect(plan.steps[0]?.reason).toBe(
      "corosync runs config_version 3 (default token) but /etc/corosync/corosync.conf and /etc/pve/corosync.conf have version 4 (token 5000 ms): it has not loaded the written config on pve2",
    );
    expect(plan.steps[0]?.warning).toContain("the cluster keeps 2 votes");
  });

  it("refuses ha-armed naming the resources and the --with-ha flag when the LRM is active", () => {
    const r = refusalOf(decide(facts({ ha: [armed("pve2")] })));
    expect(r).toMatchObject({
      code: "ha-armed",
      node: "pve2",
      message: "The HA watchdog of pve2 is armed (vm:300)",
    });
    expect(r.detail).toContain("ha-manager status on pve1: lrm pve2 (active) with vm:300");
    expect(r.detail).toContain("Re-run with --with-ha");
  });

  it("checks the quorum before the watchdog, since --with-ha cannot fix a quorum problem", () => {
    const d = decide(
      facts({ ha: [armed("pve2")], peers: [{ node: "pve1", reachable: false, tools: null }] }),
    );
    expect(refusalOf(d).code).toBe("quorum-at-risk");
  });

  it("with --with-ha stops the LRM then the CRM first and starts the CRM then the LRM last, all dangerous", () => {
    const plan = planOf(decide(facts({ ha: [armed("pve2")] }), { withHa: true }));
    expect(commands(plan.steps)).toEqual([
      "pve2: systemctl stop pve-ha-lrm",
      "pve2: systemctl stop pve-ha-crm",
      ...FIVE_STOPS,
      ...FIVE_STARTS,
      "pve2: systemctl start pve-ha-crm",
      "pve2: systemctl start pve-ha-lrm",
    ]);
    expect(new Set(plan.steps.map((s) => s.risk))).toEqual(new Set(["dangerous"]));
    expect(plan.steps[0]?.warning).toContain(
      "HA resources on pve2 (vm:300) are frozen while pve-ha-lrm is stopped",
    );
    expect(plan.steps[0]?.actions[0]).toMatchObject({ timeoutMs: 180_000 });
    expect(plan.steps[0]?.undo).toMatchObject({ actions: [{ command: "systemctl start pve-ha-lrm" }] });
  });

  it("leaves a CRM that does not run alone", () => {
    const f = facts({
      ha: [armed("pve2")],
      targets: [{ ...hung("pve2"), units: { ...hung("pve2").units, "pve-ha-crm": "inactive" } }],
    });
    const plan = planOf(decide(f, { withHa: true }));
    expect(commands(plan.steps).filter((c) => c.includes("pve-ha"))).toEqual([
      "pve2: systemctl stop pve-ha-lrm",
      "pve2: systemctl start pve-ha-lrm",
    ]);
  });

  it("with --with-ha on a node whose watchdog is not armed keeps the HA units running and says so", () => {
    const plan = planOf(decide(facts(), { withHa: true }));
    expect(commands(plan.steps)).toEqual([...FIVE_STOPS, ...FIVE_STARTS]);
    expect(plan.steps.every((s) => s.risk === "guarded")).toBe(true);
    expect(plan.warnings).toContain(
      "pve2: HA units left running (ha-manager status on pve1: lrm pve2 (idle) with no HA resource)",
    );
  });

  it("treats a running LRM as armed when no quorate node could show the HA status", () => {
    const d = decide(facts({ ha: [ha("pve2", { source: null, trusted: false, lrm: null })] }));
    expect(refusalOf(d).detail).toContain(
      "no node could answer ha-manager status; pve-ha-lrm is active on pve2, so the watchdog may be armed",
    );
  });

  it("restarts only the units given in --services, still in the fixed order, without the cluster guards", () => {
    const plan = planOf(
      decide(facts({ ha: [armed("pve2")], peers: [] }), {
        services: ["pveproxy", "spiceproxy"].reverse() as never,
      }),
    );
    expect(commands(plan.steps)).toEqual([
      "pve2: systemctl stop pveproxy",
      "pve2: systemctl stop spiceproxy",
      "pve2: systemctl start spiceproxy",
      "pve2: systemctl start pveproxy",
    ]);
    expect(plan.warnings).toContain("pve2: pvestatd is failed but not in --services: it stays so");
    expect(plan.steps.flatMap((s) => s.verify.map((c: Check) => c.name))).not.toContain("back-in-quorum");
  });

  it("checks the quorum right after corosync when pve-cluster is not restarted", () => {
    const plan = planOf(decide(facts(), { services: ["corosync", "pvestatd"] }));
    expect(plan.steps.find((s) => s.id === "start-corosync-pve2")?.verify.map((c: Check) => c.name)).toEqual([
      "unit-state",
      "back-in-quorum",
    ]);
  });

  it("restarts several nodes one after another, each fully before the next, counting the other's vote", () => {
    const plan = planOf(
      rb.decide(
        { node: ["pve2", "pve3"] },
        facts({
          targets: [hung("pve2"), hung("pve3")],
          peers: [facts().peers[0]!],
          ha: [ha("pve2"), ha("pve3")],
        }),
      ),
    );
    expect(plan.steps.map((s) => s.node)).toEqual([...Array(9).fill("pve2"), ...Array(9).fill("pve3")]);
    for (const node of ["pve2", "pve3"]) {
      const step = (id: string) => plan.steps.find((s) => s.id === `${id}-${node}`)!;
      expect(step("stop-corosync").warning).toContain(
        "the cluster keeps 2 votes (quorum 2; pve1 sees 3 votes",
      );
      expect(step("start-pve-cluster").verify.map((c: Check) => c.name)).toContain("back-in-quorum");
    }
    expect(plan.summary).toBe(
      "Restart pveproxy, spiceproxy, pvestatd, pve-cluster, corosync on pve2, then pve3, one node at a time",
    );
  });

  it("skips a healthy node of the list", () => {
    const plan = planOf(
      rb.decide({ node: ["pve2", "pve3"] }, facts({ targets: [hung("pve2"), healthy("pve3")] })),
    );
    expect(new Set(plan.steps.map((s) => s.node))).toEqual(new Set(["pve2"]));
  });

  it("warns about a failed unit it does not restart", () => {
    const f = facts({
      targets: [{ ...hung("pve2"), units: { ...hung("pve2").units, pvedaemon: "failed" } }],
    });
    expect(planOf(decide(f)).warnings).toContain(
      "pve2: pvedaemon is failed; this runbook does not restart it",
    );
  });
});

describe("restart-pve-services params", () => {
  it("accepts one node or a comma list and validates each name", () => {
    expect(parseParams(rb, { node: "pve2" })).toEqual({ node: ["pve2"] });
    expect(parseParams(rb, { node: "pve2, pve3,pve2" })).toEqual({ node: ["pve2", "pve3"] });
    expect(() => parseParams(rb, { node: "pve2,bad_name" })).toThrow(InputError);
    try {
      parseParams(rb, { node: "pve2,bad_name" });
    } catch (e) {
      expect((e as InputError).issues[0]).toMatchObject({ field: "--node" });
    }
  });

  it("accepts only the five units in --services and re-reads its own output from a saved plan", () => {
    expect(() => parseParams(rb, { node: "pve2", services: "pveproxy,pvedaemon" })).toThrow(InputError);
    const parsed = parseParams(rb, { node: "pve1,pve3", services: "pveproxy,spiceproxy", withHa: true });
    expect(parseParams(rb, parsed)).toEqual(parsed);
  });
});

describe("watchdogArmed", () => {
  it("reads the newer format's watchdog field", () => {
    const v = ha("pve2", { lrm: { state: "idle", watchdog: "watchdog active" } });
    expect(watchdogArmed(v, "active").armed).toBe(true);
  });

  it("does not arm an idle LRM or one the CRM does not know", () => {
    expect(watchdogArmed(ha("pve2"), "active").armed).toBe(false);
    expect(watchdogArmed(ha("pve2", { lrm: null }), "active").armed).toBe(false);
  });

  it("holds an LRM about to fence (lost_agent_lock) as armed", () => {
    const v = ha("pve2", { lrm: { state: "lost_agent_lock", watchdog: null } });
    expect(watchdogArmed(v, "active").armed).toBe(true);
  });

  it("does not believe a stale lrm line, even with a watchdog field, while the LRM unit runs", () => {
    const dead = ha("pve2", { lrm: { state: "old timestamp - dead?", watchdog: "watchdog standby" } });
    expect(watchdogArmed(dead, "active")).toEqual({
      armed: true,
      why: "ha-manager status on pve1 cannot tell (lrm pve2 (old timestamp - dead?, watchdog standby) with no HA resource); pve-ha-lrm is active on pve2, so the watchdog may be armed",
    });
    expect(
      watchdogArmed(ha("pve2", { lrm: { state: "maintenance mode", watchdog: null } }), "active").armed,
    ).toBe(true);
  });

  it("distrusts a frozen view from a node without quorum unless the LRM unit is stopped", () => {
    const frozen = ha("pve2", { trusted: false, lrm: { state: "old timestamp - dead?", watchdog: null } });
    expect(watchdogArmed(frozen, "active")).toMatchObject({ armed: true });
    expect(watchdogArmed(frozen, "inactive")).toMatchObject({ armed: false });
  });
});

/** pve2 with a hung pmxcfs, pve1 and pve3 healthy; HA status as the fixture says. */
function lab(haStatus = fixture("ha-manager-status-old")): FakeCluster {
  const cluster = new FakeCluster(["pve1", "pve2", "pve3"]);
  for (const n of cluster.nodes)
    cluster.file(n, "/etc/corosync/corosync.conf", fixture("corosync-conf-pve-written"));
  return cluster.on((node, argv) => {
    const command = argv.join(" ");
    const isHung = node === "pve2";
    if (argv[0] === "systemctl" && argv[1] === "is-active") {
      const hungStates = fixture("systemctl-is-active-pve-services-hung").split("\n");
      const text = argv
        .slice(2)
        .map((u) => `${isHung ? hungStates[PVE_UNITS.indexOf(u as never)] : "active"}\n`)
        .join("");
      return { exitCode: 0, stdout: text };
    }
    if (command === etcPveCommand) return isHung ? { exitCode: 137 } : { stdout: "755\n" };
    if (command === pvecmCommand)
      return isHung ? { exitCode: 137 } : { stdout: fixture("pvecm-status-quorate") };
    if (command === "ha-manager status") return isHung ? { exitCode: 137 } : { stdout: haStatus };
    return undefined;
  });
}

const ctxOf = (transport: FakeCluster) =>
  createProbeContext({ transport, nodes: transport.nodes, cluster: "lab", retries: 0 });

describe("restart-pve-services probes", () => {
  it("reads one state per unit and ignores systemctl's exit code", async () => {
    const states = await unitStatesOf(ctxOf(lab()), "pve2");
    expect(states).toMatchObject({ pvestatd: "failed", pveproxy: "active", "pve-ha-crm": "active" });
  });

  it("tells a hung /etc/pve (137) from a missing one and a quorate one", async () => {
    const cluster = lab().on((node, argv) =>
      node === "pve3" && argv.includes("stat")
        ? { exitCode: 1, stderr: "stat: cannot statx '/etc/pve/local': No such file or directory\n" }
        : undefined,
    );
    const ctx = ctxOf(cluster);
    expect((await etcPveOf(ctx, "pve2")).state).toBe("hung");
    expect(await etcPveOf(ctx, "pve1")).toEqual({
      state: "responsive",
      mode: "755",
      detail: "/etc/pve answers (mode 755)",
    });
    expect(await etcPveOf(ctx, "pve3")).toMatchObject({
      state: "down",
      detail: "/etc/pve is not available (stat: cannot statx '/etc/pve/local': No such file or directory)",
    });
  });

  it("tells hung tools from a stopped corosync and reads the votes of a quorate view", async () => {
    const cluster = lab().on((node, argv) =>
      node === "pve3" && argv.includes("pvecm")
        ? {
            exitCode: 1,
            stdout: fixture("pvecm-status-corosync-down"),
            stderr: "Cannot initialize CMAP service\n",
          }
        : undefined,
    );
    const ctx = ctxOf(cluster);
    expect((await toolsOf(ctx, "pve2")).state).toBe("hung");
    expect((await toolsOf(ctx, "pve3")).state).toBe("corosync-down");
    expect((await toolsOf(ctx, "pve1")).view).toEqual(view("pve1", [1, 2, 3], { localId: 1 }));
  });

  it("probes the hung node under node-side timeouts and reads HA status and votes on a healthy peer", async () => {
    const cluster = lab(fixture("ha-manager-status-lrm-active-pve2"));
    const f = await rb.probe(ctxOf(cluster), { node: ["pve2"] });
    expect(f.targets[0]).toMatchObject({ etcPve: { state: "hung" }, tools: { state: "hung" } });
    expect(f.ha).toEqual([armed("pve2")]);
    expect(f.votes).toEqual([1, 2, 3].map((id) => ({ name: `pve${id}`, nodeId: id, votes: 1 })));
    const onPve2 = cluster.log.filter((l) => l.node === "pve2").map((l) => l.command);
    expect(onPve2).not.toContain("ha-manager status");
    expect(onPve2).toContain("timeout -s KILL 10 pvecm status");
    expect(refusalOf(rb.decide({ node: ["pve2"] }, f)).code).toBe("ha-armed");
  });

  it("skips a peer that does not answer over SSH, counts only the votes still present, and refuses a target that does not answer", async () => {
    const cluster = lab().on((node, argv) =>
      node === "pve1" && argv.includes("pvecm")
        ? { stdout: fixture("pvecm-status-two-of-three") }
        : undefined,
    );
    const exec = cluster.exec.bind(cluster);
    cluster.exec = async (node, command, options) => {
      if (node === "pve3") throw new TransportError("PVEFIX_CONNECT_FAILED", node, "connect ECONNREFUSED");
      return exec(node, command, options);
    };
    const f = await rb.probe(ctxOf(cluster), { node: ["pve2"] });
    expect(f.peers.find((p) => p.node === "pve3")).toEqual({ node: "pve3", reachable: false, tools: null });
    expect(refusalOf(rb.decide({ node: ["pve2"] }, f)).message).toBe(
      "Stopping corosync on pve2 would leave the cluster 1 of the 2 votes it needs",
    );
    await expect(rb.probe(ctxOf(cluster), { node: ["pve3"] })).rejects.toThrow(TransportError);
  });

  it("reports a node that is not in the inventory without touching the cluster", async () => {
    const cluster = lab();
    expect((await rb.probe(ctxOf(cluster), { node: ["pve9"] })).unknown).toEqual(["pve9"]);
    expect(cluster.log).toEqual([]);
  });
});

describe("restart-pve-services checks", () => {
  const check = (name: string, node: string, args: Record<string, unknown> = {}): Check => ({
    name,
    node,
    description: name,
    args,
  });

  it("reads a unit's state, /etc/pve and the quorum", async () => {
    const ctx = ctxOf(lab());
    const checks = rb.checks!;
    expect(
      await checks["unit-state"]!(ctx, check("unit-state", "pve2", { unit: "pvestatd", want: "active" })),
    ).toEqual({
      ok: false,
      detail: "pvestatd is failed",
    });
    expect(
      await checks["unit-state"]!(ctx, check("unit-state", "pve2", { unit: "pvestatd", want: "stopped" })),
    ).toMatchObject({
      ok: true,
    });
    expect((await checks["etc-pve-responsive"]!(ctx, check("etc-pve-responsive", "pve2"))).ok).toBe(false);
    expect(await checks["back-in-quorum"]!(ctx, check("back-in-quorum", "pve1"))).toEqual({
      ok: true,
      detail: "quorate (3 votes, quorum 2)",
    });
  });
});

describe("restart-pve-services detect", () => {
  it("reports the hung node with the exact command to run", async () => {
    const findings = await rb.detect!(ctxOf(lab()));
    expect(findings).toEqual([
      {
        runbook: "restart-pve-services",
        severity: "critical",
        node: "pve2",
        params: { node: "pve2", services: "pvestatd,pve-cluster" },
        summary:
          "PVE services on pve2 are not healthy: pvestatd is failed; /etc/pve did not answer within 5 s; pvecm status did not answer within 10 s",
        command: "pvefix run restart-pve-services --node pve2 --services pvestatd,pve-cluster",
      },
    ]);
  });

  it("answers one inactive pvestatd with `--services pvestatd`, as a warning, not a full-stack restart", async () => {
    const cluster = new FakeCluster(["pve1", "pve2", "pve3"]);
    for (const n of cluster.nodes)
      cluster.file(n, "/etc/corosync/corosync.conf", fixture("corosync-conf-pve-written"));
    cluster.on((node, argv) => {
      const command = argv.join(" ");
      if (argv[0] === "systemctl" && argv[1] === "is-active")
        return {
          stdout: argv
            .slice(2)
            .map((u) => (node === "pve3" && u === "pvestatd" ? "inactive\n" : "active\n"))
            .join(""),
        };
      if (command === etcPveCommand) return { stdout: "755\n" };
      if (command === pvecmCommand) return { stdout: fixture("pvecm-status-quorate") };
      if (command === "ha-manager status") return { stdout: fixture("ha-manager-status-old") };
      return undefined;
    });
    const findings = await rb.detect!(ctxOf(cluster));
    expect(findings.map((f) => [f.severity, f.node, f.summary, f.command])).toEqual([
      [
        "warning",
        "pve3",
        "PVE services on pve3 are not healthy: pvestatd is inactive",
        "pvefix run restart-pve-services --node pve3 --services pvestatd",
      ],
    ]);
    const facts = await rb.probe(ctxOf(cluster), { node: ["pve3"], services: ["pvestatd"] });
    const plan = planOf(rb.decide({ node: ["pve3"], services: ["pvestatd"] }, facts));
    expect(commands(plan.steps)).toEqual(["pve3: systemctl start pvestatd"]);
  });

  it("points to a reviewed plan with --with-ha when the node's watchdog is armed", async () => {
    const [finding] = await rb.detect!(ctxOf(lab(fixture("ha-manager-status-lrm-active-pve2"))));
    expect(finding?.command).toBe(
      "pvefix plan restart-pve-services --node pve2 --services pvestatd,pve-cluster --with-ha",
    );
    expect(finding?.summary).toContain("its HA watchdog is armed: the restart stops the HA units first");
  });
});
