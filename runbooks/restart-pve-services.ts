/**
 * restart-pve-services: stop and start PVE's hung services (pmxcfs, corosync, the daemons) on a node
 * without rebooting it, one node at a time, never losing the quorum or tripping the HA watchdog.
 */
import { z } from "zod";
import type { Decision, Finding, Refusal, StepInput } from "../src/engine/model.js";
import { NodeParam } from "../src/engine/params.js";
import { defineRunbook, type ProbeContext } from "../src/engine/runbook.js";
import { quorumGuard } from "../src/pve/guards/quorum.js";
import { HaNodeView, haViewsOf, watchdogArmed } from "../src/pve/probes/ha-status.js";
import {
  CorosyncVote,
  corosyncVotesOf,
  healthProblems,
  NodeHealth,
  nodeHealthOf,
  OTHER_UNITS,
  RestartableUnit,
  STOP_ORDER,
  sickUnits,
  Tools,
  toolsOf,
  type VoteView,
} from "../src/pve/probes/services.js";
import { restartServicesSteps, serviceChecks } from "../src/pve/steps/services.js";

/** A comma list on the command line; the parsed array is accepted again when a saved plan is applied. */
const commaList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => [...new Set((Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean))]);

const Params = z
  .object({
    node: commaList
      .pipe(z.array(NodeParam).min(1))
      .describe("Node, or comma list of nodes, to restart one after another"),
    services: commaList
      .pipe(z.array(RestartableUnit).min(1))
      .optional()
      .describe(`Only these units (comma list of ${STOP_ORDER.join(", ")}); still in the fixed order`),
    withHa: z
      .boolean()
      .optional()
      .describe("On a node whose HA watchdog is armed, stop pve-ha-lrm then pve-ha-crm first"),
  })
  .strict();
type Params = z.infer<typeof Params>;

const Peer = z.object({ node: z.string(), reachable: z.boolean(), tools: Tools.nullable() });
const Facts = z.object({
  /** Requested nodes that are not in the inventory. */
  unknown: z.array(z.string()),
  targets: z.array(NodeHealth),
  /** Every other inventory node and its view of the quorum. */
  peers: z.array(Peer),
  votes: z.array(CorosyncVote).nullable(),
  ha: z.array(HaNodeView),
});
type Facts = z.infer<typeof Facts>;

async function probe(ctx: ProbeContext, { node: names }: Params): Promise<Facts> {
  const unknown = names.filter((n) => !ctx.nodes.includes(n));
  if (unknown.length > 0) return { unknown, targets: [], peers: [], votes: null, ha: [] };
  const { down } = await ctx.reachable();
  const [targets, peers] = await Promise.all([
    Promise.all(names.map((n) => nodeHealthOf(ctx, n))),
    Promise.all(
      ctx.nodes
        .filter((n) => !names.includes(n))
        .map(async (node) => {
          if (down.includes(node)) return { node, reachable: false, tools: null };
          return toolsOf(ctx, node).then(
            (tools) => ({ node, reachable: true, tools }),
            () => ({ node, reachable: false, tools: null }),
          );
        }),
    ),
  ]);
  const up = peers.filter((p) => p.reachable).map((p) => p.node);
  const quorate = peers.filter((p) => p.tools?.view?.quorate).map((p) => p.node);
  const healthy = targets.filter((t) => t.etcPve.state === "responsive").map((t) => t.node);
  let votes: Facts["votes"] = null;
  for (const node of [...quorate, ...up, ...names]) {
    votes = await corosyncVotesOf(ctx, node);
    if (votes) break;
  }
  const ha = await haViewsOf(ctx, names, [...new Set([...quorate, ...up, ...healthy])]);
  return { unknown, targets, peers, votes, ha };
}

function decide(params: Params, facts: Facts): Decision {
  if (facts.unknown.length > 0) {
    return refuse("node-unreachable", `Not in the inventory: ${facts.unknown.join(", ")}`, "check --node");
  }
  const units = STOP_ORDER.filter((u) => (params.services ?? STOP_ORDER).includes(u));
  const sick = facts.targets
    .map((t) => ({ t, problems: healthProblems(t) }))
    .filter((s) => s.problems.length);
  if (sick.length === 0) {
    const each = facts.targets.map(
      (t) => `${t.node}: units active, ${t.etcPve.detail}, pvecm ${t.tools.detail}`,
    );
    return {
      kind: "nothing-to-do",
      reason: `${each.join("; ")}: nothing hangs or failed, a restart would change nothing`,
    };
  }
  const steps: StepInput[] = [];
  const warnings: string[] = [];
  for (const { t, problems } of sick) {
    const node = planNode(params, facts, units, t, problems);
    if ("refusal" in node) return { kind: "refusal", refusal: node.refusal };
    steps.push(...node.steps);
    warnings.push(...node.warnings);
  }
  // Only a running pveproxy is stopped: the GUI is down only when the plan stops it.
  const guiDown = units.includes("pveproxy") && sick.some((s) => s.t.units.pveproxy === "active");
  return {
    kind: "plan",
    plan: {
      summary: `Restart ${units.join(", ")} on ${sick.map((s) => s.t.node).join(", then ")}, one node at a time`,
      warnings: [
        ...warnings,
        guiDown
          ? "Guests keep running; the node's GUI/API is down until pveproxy starts again"
          : "Guests keep running; pveproxy is not stopped, so the GUI/API stays up",
      ],
      steps,
    },
  };
}

/** One node's steps, behind the quorum guard and then the fencing guard (--with-ha cannot fix quorum). */
function planNode(
  params: Params,
  facts: Facts,
  units: RestartableUnit[],
  t: NodeHealth,
  problems: string[],
): { refusal: Refusal } | { steps: StepInput[]; warnings: string[] } {
  // A corosync that is not running holds no vote: starting it can only add one, never cost the quorum.
  const corosyncRuns = t.units.corosync === "active";
  const quorum = units.includes("corosync") && corosyncRuns ? quorumFor(facts, t.node) : {};
  if ("refusal" in quorum) return quorum;
  const none = { node: t.node, source: null, trusted: false, lrm: null, resources: [] };
  const view = facts.ha.find((h) => h.node === t.node) ?? none;
  const arm = watchdogArmed(view, t.units["pve-ha-lrm"]);
  const sids = view.resources.map((r) => r.sid);
  // Only stopping corosync or pmxcfs can starve an armed watchdog; starting them cannot.
  const stopped = units.filter((u) => !["inactive", "failed"].includes(t.units[u] ?? ""));
  const fencing = arm.armed && (stopped.includes("corosync") || stopped.includes("pve-cluster"));
  if (fencing && !params.withHa) {
    return {
      refusal: {
        code: "ha-armed",
        node: t.node,
        message: `The HA watchdog of ${t.node} is armed (${sids.join(", ") || "LRM active"})`,
        detail: `${arm.why}. Stopping pve-cluster or corosync under an armed watchdog can make it reset the node (fencing). Re-run with --with-ha to stop pve-ha-lrm then pve-ha-crm first (services freeze, nothing is killed) and start them again at the end.`,
      },
    };
  }
  const ha = fencing ? { crm: t.units["pve-ha-crm"] === "active", resources: sids } : null;
  const warnings = [
    ...(params.withHa && !ha ? [`${t.node}: HA units left running (${arm.why})`] : []),
    ...(ha ? [`${t.node}: HA resources ${sids.join(", ") || "none"} freeze until pve-ha-lrm starts`] : []),
    ...STOP_ORDER.filter((u) => !units.includes(u) && t.units[u] !== "active").map(
      (u) => `${t.node}: ${u} is ${t.units[u]} but not in --services: it stays so`,
    ),
    ...OTHER_UNITS.filter((u) => t.units[u] === "failed").map(
      (u) => `${t.node}: ${u} is failed; this runbook does not restart it`,
    ),
  ];
  // Without a quorate view elsewhere (every corosync was down), one node's return cannot make it quorate.
  const othersQuorate = otherViews(facts, t.node).some((v) => v.quorate);
  const verifyQuorum = corosyncRuns || othersQuorate;
  if (!verifyQuorum && units.includes("corosync"))
    warnings.push(
      `${t.node}: no other node is quorate, so its return is checked by corosync being active; the cluster is quorate again once enough nodes run corosync`,
    );
  const steps = restartServicesSteps({
    node: t.node,
    units,
    // A unit that is not running is only started: stopping it would change nothing, and undoing that stop would start it.
    running: stopped,
    risk: ha ? "dangerous" : "guarded",
    reason: `${problems.join("; ")} on ${t.node}${ha ? `; ${arm.why}` : ""}`,
    ha,
    verifyQuorum,
    ...(quorum.warning ? { corosyncWarning: quorum.warning } : {}),
  });
  return { steps, warnings };
}

/** Views of every node but `node`; with no other node in the inventory there is no one to lose quorum. */
function quorumFor(facts: Facts, node: string): ReturnType<typeof quorumGuard> | { warning?: string } {
  if (facts.peers.length + facts.targets.length === 1) return {};
  return quorumGuard(node, otherViews(facts, node), facts.votes?.find((v) => v.name === node) ?? null);
}

function otherViews(facts: Facts, node: string): VoteView[] {
  return [
    ...facts.peers.map((p) => p.tools),
    ...facts.targets.filter((t) => t.node !== node).map((t) => t.tools),
  ]
    .map((tools) => tools?.view)
    .filter((v): v is VoteView => v !== null && v !== undefined);
}

function refuse(code: Refusal["code"], message: string, detail: string, node?: string): Decision {
  return { kind: "refusal", refusal: { code, message, detail, ...(node ? { node } : {}) } };
}

export default defineRunbook({
  meta: {
    id: "restart-pve-services",
    summary: "Stop and start PVE's hung services (pmxcfs, corosync, pvestatd, pveproxy…) without a reboot",
    description:
      "When pmxcfs or the PVE daemons hang, the GUI shows question marks and `pvecm`, `qm` and `pct` hang while guests keep running. The best fix is a reboot; when that is not acceptable, stop `pveproxy spiceproxy pvestatd pve-cluster corosync` in that order and start them in the reverse order, node by node, verifying each unit, /etc/pve and the node's return to the quorum.",
    risk: "dangerous",
    unattended: "never",
    undo: "full",
    checks: [
      "each unit's state on the node (`systemctl is-active` prints one line per unit; its exit code is not trusted)",
      "whether /etc/pve answers `stat` within 5 s and `pvecm status` within 10 s (both under `timeout -s KILL`)",
      "every other node's `pvecm status`: would the cluster keep quorum while the node's corosync is stopped",
      "`ha-manager status` on a quorate node: is the node's LRM active (watchdog armed), with which resources",
      "the config the running corosync loaded (`corosync-cmapctl totem. runtime.config.totem.token`) against /etc/corosync/corosync.conf and /etc/pve/corosync.conf: an older config_version or token means corosync must restart",
    ],
    asks: [
      "a yes/no confirmation for every stop and start (never provably safe: no unattended run)",
      "the node name when the node's HA watchdog is armed and --with-ha was given: per step, or `<node> all` once for the node's whole run of steps (each one listed)",
    ],
    changes: [
      "`systemctl stop` pveproxy, spiceproxy, pvestatd, pve-cluster, corosync (in that order, those that run), then `systemctl start` corosync, pve-cluster, pvestatd, spiceproxy, pveproxy",
      "with --with-ha on an armed node: `systemctl stop pve-ha-lrm` then `pve-ha-crm` first, `systemctl start pve-ha-crm` then `pve-ha-lrm` last",
    ],
    undoes: [
      "every stopped unit is started again (a failure mid-way starts again every unit the run stopped); a start needs no undo",
    ],
    refuses: {
      "node-unreachable": "a node is not in the inventory or does not answer over SSH",
      "quorum-at-risk":
        "the votes left without the node would fall below quorum, or no other node can show they would not (a corosync that does not run is only started: it holds no vote to lose)",
      "not-quorate": "the cluster has no quorum even with the node, so its return cannot be verified",
      "ha-armed": "the node's LRM is active (watchdog armed) and --with-ha was not given",
    },
    notes: [
      "The field report's second loop says `systemctl stop` again: a typo, the units must be started.",
      "Several nodes are restarted strictly one after another; each must be back in the quorum (up to 90 s) before the next one is touched. When no node is quorate (corosync was down everywhere), a start is checked by the unit being active instead.",
      "`pvefix diagnose` suggests `--services` with only the units that are down, hung or running an old config.",
      "pvedaemon and the HA units are probed but only restarted as described above.",
      "Stopping pve-ha-lrm needs an active CRM master and may hang while pmxcfs hangs; the step gives up after 3 minutes and the run rolls back (then a reboot is the way out).",
    ],
    seeAlso: ["proxmox-facts §4 (pmxcfs), §6.2 (ha-manager status), §9 (services)", "not-quorate-config"],
  },
  params: Params,
  examples: [
    { intent: "Unfreeze pve2 whose /etc/pve and pvecm hang", params: { node: "pve2" } },
    {
      intent: "Restart the services of pve2 although HA runs guests there",
      params: { node: "pve2", withHa: true },
    },
    {
      intent: "Restart only the GUI proxies on pve1 and pve3",
      params: { node: "pve1,pve3", services: "pveproxy,spiceproxy" },
    },
  ],
  probe,
  decide,
  checks: serviceChecks,
  async detect(ctx): Promise<Finding[]> {
    const { up } = await ctx.reachable();
    const findings: Finding[] = [];
    for (const node of up) {
      const health = await nodeHealthOf(ctx, node);
      const sick = sickUnits(health);
      if (sick.length === 0) continue;
      // Restart only what is wrong: a hung pmxcfs is no reason to take corosync out of the quorum.
      const services = sick.map((s) => s.unit);
      const params: Params = { node: [node], services };
      const facts = await probe(ctx, params);
      let decision = decide(params, facts);
      const armed = decision.kind === "refusal" && decision.refusal.code === "ha-armed";
      if (armed) decision = decide({ ...params, withHa: true }, facts);
      const flags = `--node ${node} --services ${services.join(",")}${armed ? " --with-ha" : ""}`;
      const hung = health.etcPve.state === "hung" || health.tools.state === "hung";
      // Without corosync or pmxcfs the node is out of the cluster and /etc/pve is read-only there.
      const core = services.some(
        (u) => (u === "corosync" || u === "pve-cluster") && health.units[u] !== "active",
      );
      findings.push({
        runbook: "restart-pve-services",
        severity: hung || core ? "critical" : "warning",
        node,
        params: { node, services: services.join(","), ...(armed ? { withHa: true } : {}) },
        summary:
          `PVE services on ${node} are not healthy: ${sick.flatMap((s) => s.problems).join("; ")}` +
          (decision.kind === "refusal"
            ? `; a restart is refused now: ${decision.refusal.message}`
            : armed
              ? "; its HA watchdog is armed: the restart stops the HA units first"
              : ""),
        command:
          decision.kind === "plan" && !armed
            ? `pvefix run restart-pve-services ${flags}`
            : `pvefix plan restart-pve-services ${flags}`,
      });
    }
    return findings;
  },
});
