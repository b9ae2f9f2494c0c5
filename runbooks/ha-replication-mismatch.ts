/**
 * ha-replication-mismatch: the "time bomb" — HA may start a guest on a node that has no replica of
 * its disks. Align HA with replication, add the missing replication, or recover a guest whose node
 * died onto the node that holds its replica.
 */
import { z } from "zod";
import { NodeParam, VmidParam } from "../src/engine/params.js";
import { defineRunbook, refuse } from "../src/kit/index.js";
import { guestFindings } from "../src/pve/guards/ha-findings.js";
import { mismatchGuard, recoverGuard } from "../src/pve/guards/ha-replication.js";
import { type HaReplicationFacts, haReplicationFacts, haSurvey } from "../src/pve/probes/ha-replication.js";
import { replicasCoverHa } from "../src/pve/steps/ha-checks.js";
import { addReplicationStep, alignHaSteps, recoverSteps } from "../src/pve/steps/ha-config.js";
import { mismatchPlan, recoverPlan } from "../src/pve/steps/ha-replication.js";

const FIXES = ["align-ha", "add-replication", "recover"] as const;

export default defineRunbook({
  meta: {
    id: "ha-replication-mismatch",
    summary:
      "Make sure HA only starts a replicated guest where a replica of its disks exists, or recover it there",
    description:
      "PVE does not check that HA placement and storage replication agree: replicate to node A, let HA fail over to node B, and the guest cannot start (the disks are not there). This runbook compares the nodes HA may pick (restricted groups in PVE 8, strict node-affinity rules in PVE 9) with the replication targets, and either restricts HA to the replica nodes, adds the missing replication jobs, or — for a guest whose node died — moves its config to the node with the replica and starts it.",
    risk: "dangerous",
    unattended: "never",
    undo: "full",
    checks: [
      "every node: SSH reachable (`true`) and quorate (`pvecm status`); the membership a quorate node sees; `/etc/pve/.members` for configured nodes",
      "/etc/pve/ha/resources.cfg, groups.cfg (PVE 8), rules.cfg (PVE 9) and /etc/pve/replication.cfg, read on a quorate node",
      "/etc/pve/.vmlist for the guest's node and type; `ha-manager status` for HA's view; `pvesr status` on the guest's node for the health of its jobs",
      "which nodes HA may pick (a restricted group / strict node-affinity rule limits them, otherwise every node) against the current node plus every replication target; a job whose target is the guest's own node is no replica",
      "diagnose also reports a job that targets its guest's own node, a guest HA ignores (`state ignored`), and HA's `error` and `fence` states, each with the next command",
    ],
    asks: [
      "align-ha and add-replication: a yes/no before each config file is written",
      "recover: yes/no before HA is told to ignore the guest and before the start; the node name before the config is moved",
    ],
    refuses: {
      "guest-not-found": "no such guest in the cluster",
      "not-quorate":
        "no reachable node is quorate (or --to is not an online quorate member): /etc/pve is read-only and nothing proves who is in the cluster",
      "node-not-down":
        "recover while the guest's node still answers SSH or is still in the quorum membership",
      "no-valid-replica":
        "recover to a node no replication job targets, or no replica target is online; align-ha when the guest's only jobs target its own node (HA would be pinned to that one node)",
      "node-unreachable": "recover: the --to node does not answer over SSH",
    },
    notes: [
      "Only guests with at least one replication job can mismatch; guests on shared storage are never reported.",
      "A guest recovered by hand runs from its last completed sync; whatever it wrote afterwards on the dead node is lost.",
      "Files rewritten from their parsed form keep every section and unknown key; comment lines are not kept (the backup has them). Every plan shows each write as a diff against the file it was made on.",
      "`pvesr status` on the guest's node is PVE's job_status: like every scheduled replication run (pvescheduler, each minute) it switches a job that targets the guest's own node back to its `source` by itself, so such a job only stays when the job has no other source or replication does not run there.",
    ],
    seeAlso: [
      "proxmox-facts §6 (HA stack), §7 (replication), §4.3 (moving guests off failed nodes)",
      "not-quorate-config",
    ],
  },
  params: z
    .object({
      vmid: VmidParam.describe("Guest id (VM or CT) whose HA placement and replication to check"),
      fix: z
        .enum(FIXES, { error: `Expected --fix to be one of: ${FIXES.join(", ")}` })
        .describe(
          "align-ha: restrict HA to the replica nodes; add-replication: replicate to every node HA may pick; recover: start the guest of a dead node where its replica is",
        ),
      to: NodeParam.optional().describe(
        "recover only: node to start the guest on (default: the first replica target that is online)",
      ),
    })
    .strict()
    .refine((p) => p.to === undefined || p.fix === "recover", {
      message: "--to only applies to --fix recover",
      path: ["to"],
    }),
  examples: [
    {
      intent: "Keep HA for VM 100 on the nodes that hold its replicas",
      params: { vmid: 100, fix: "align-ha" },
    },
    {
      intent: "Replicate VM 100 to every node HA may start it on",
      params: { vmid: 100, fix: "add-replication" },
    },
    {
      intent: "Start VM 100 on pve2 after its node pve1 died",
      params: { vmid: 100, fix: "recover", to: "pve2" },
    },
  ],
  steps: [alignHaSteps, addReplicationStep, recoverSteps],
  checks: [replicasCoverHa],

  probe: (ctx, { vmid }): Promise<HaReplicationFacts> => haReplicationFacts(ctx, vmid),

  decide(params, facts: HaReplicationFacts) {
    const { guest } = facts;
    if (!guest) return refuse("guest-not-found", { vmid: params.vmid });
    if (params.fix === "recover") {
      const found = recoverGuard(facts, guest, params.to);
      if ("refusal" in found) return { kind: "refusal", refusal: found.refusal };
      return { kind: "plan", plan: recoverPlan(facts, guest, found.to, found.job) };
    }
    const found = mismatchGuard(params.fix, facts, guest);
    if (found.kind !== "mismatch") return found;
    return { kind: "plan", plan: mismatchPlan(params.fix, facts, found.p, found.stranded) };
  },

  stableFacts: ({ health: _volatile, ...stable }: HaReplicationFacts) => stable,

  async detect(ctx) {
    const { guests, ...survey } = await haSurvey(ctx);
    return guests.flatMap((guest) => guestFindings(survey, guest));
  },
});
