/**
 * restart-pve-services: stop and start PVE's hung services (pmxcfs, corosync, the daemons) on a node
 * without rebooting it, one node at a time, never losing the quorum or tripping the HA watchdog.
 */
import { z } from "zod";
import type { StepInput } from "../src/engine/model.js";
import { CommaList, NodeParam } from "../src/engine/params.js";
import { defineRunbook, type FindingInput, refuse } from "../src/kit/index.js";
import { restartFinding, restartGuards } from "../src/pve/guards/service-restart.js";
import { type RestartFacts, restartFacts } from "../src/pve/probes/service-restart.js";
import {
  healthProblems,
  nodeHealthOf,
  RestartableUnit,
  STOP_ORDER,
  sickUnits,
} from "../src/pve/probes/services.js";
import { restartNodePlan } from "../src/pve/steps/service-restart.js";
import { restartServicesSteps } from "../src/pve/steps/services.js";

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
  params: z
    .object({
      node: CommaList.pipe(z.array(NodeParam).min(1)).describe(
        "Node, or comma list of nodes, to restart one after another",
      ),
      services: CommaList.pipe(z.array(RestartableUnit).min(1))
        .optional()
        .describe(`Only these units (comma list of ${STOP_ORDER.join(", ")}); still in the fixed order`),
      withHa: z
        .boolean()
        .optional()
        .describe("On a node whose HA watchdog is armed, stop pve-ha-lrm then pve-ha-crm first"),
    })
    .strict(),
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
  steps: [restartServicesSteps],

  probe: (ctx, { node }): Promise<RestartFacts> => restartFacts(ctx, node),

  decide(params, facts: RestartFacts) {
    if (facts.unknown.length > 0)
      return refuse("node-unreachable", {
        message: `Not in the inventory: ${facts.unknown.join(", ")}`,
        detail: "check --node",
      });
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
      const held = restartGuards(facts, t, units, params.withHa === true);
      if ("refusal" in held) return { kind: "refusal", refusal: held.refusal };
      const node = restartNodePlan({ health: t, problems, units, ...held });
      steps.push(...node.steps);
      warnings.push(...node.warnings);
    }
    // Only a running pveproxy is stopped: the GUI is down only when the plan stops it.
    const guiDown = units.includes("pveproxy") && sick.some((s) => s.t.units.pveproxy === "active");
    const gui = guiDown
      ? "Guests keep running; the node's GUI/API is down until pveproxy starts again"
      : "Guests keep running; pveproxy is not stopped, so the GUI/API stays up";
    const summary = `Restart ${units.join(", ")} on ${sick.map((s) => s.t.node).join(", then ")}, one node at a time`;
    return { kind: "plan", plan: { summary, warnings: [...warnings, gui], steps } };
  },

  async detect(ctx) {
    const { up } = await ctx.reachable();
    const findings: FindingInput[] = [];
    for (const node of up) {
      const health = await nodeHealthOf(ctx, node);
      const sick = sickUnits(health);
      if (sick.length === 0) continue;
      // Restart only what is wrong: a hung pmxcfs is no reason to take corosync out of the quorum.
      const services = sick.map((s) => s.unit);
      const params = { node: [node], services };
      const facts = await this.probe(ctx, params);
      let decision = this.decide(params, facts);
      const armed = decision.kind === "refusal" && decision.refusal.code === "ha-armed";
      if (armed) decision = this.decide({ ...params, withHa: true }, facts);
      findings.push(restartFinding(health, sick, decision, armed));
    }
    return findings;
  },
});
