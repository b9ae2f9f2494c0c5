/**
 * ha-replication-mismatch: the "time bomb" — HA may start a guest on a node that has no replica of
 * its disks. Align HA with replication, add the missing replication, or recover a guest whose node
 * died onto the node that holds its replica.
 */
import { z } from "zod";
import type { Decision, Finding, PlanDraftInput, RefusalCode } from "../src/engine/model.js";
import { NodeParam, VmidParam } from "../src/engine/params.js";
import { ProbeError } from "../src/engine/probe-context.js";
import { defineRunbook, type ProbeContext } from "../src/engine/runbook.js";
import { GuestRef, guestLabel, guestTool, listGuests } from "../src/pve/probes/guests.js";
import {
  ClusterView,
  clusterView,
  HA_FILES,
  HaConfig,
  HaService,
  haServices,
  isQuorateMember,
  JobHealth,
  type Placement,
  placementOf,
  readHaConfig,
  replicationHealth,
  replicationWarnings,
  whyNotDown,
} from "../src/pve/probes/ha-config.js";
import { PVE_TOOL } from "../src/pve/probes/pve-tools.js";
import { addReplicationStep, alignHaSteps, recoverSteps } from "../src/pve/steps/ha-config.js";
import { sh } from "../src/shell/quote.js";

const FIXES = ["align-ha", "add-replication", "recover"] as const;
const Params = z
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
  });
type Params = z.infer<typeof Params>;

const Facts = z.object({
  cluster: ClusterView,
  /** The node /etc/pve is read from and written through: a quorate one when there is one. */
  writer: z.string(),
  guest: GuestRef.nullable(),
  config: HaConfig,
  services: z.array(HaService),
  /** `pvesr status` of the guest's jobs; volatile (fail counts), kept out of the fingerprint. */
  health: z.array(JobHealth),
});
type Facts = z.infer<typeof Facts>;

/** Everything but the one guest: the cluster, the HA and replication files, HA's own view. */
async function survey(ctx: ProbeContext) {
  const cluster = await clusterView(ctx);
  const writer = cluster.seenBy ?? cluster.nodes.find((n) => n.reachable)?.name;
  if (!writer) throw new ProbeError(`no node of cluster ${ctx.cluster} answers over SSH`, "*");
  const [config, guests, services] = await Promise.all([
    readHaConfig(ctx, writer),
    listGuests(ctx),
    cluster.seenBy ? haServices(ctx, writer) : Promise.resolve([]),
  ]);
  return { cluster, writer, config, services, guests };
}

async function probe(ctx: ProbeContext, { vmid }: { vmid: number }): Promise<Facts> {
  const { guests, ...rest } = await survey(ctx);
  const guest = guests.find((g) => g.vmid === vmid) ?? null;
  const up = guest && rest.cluster.nodes.some((n) => n.name === guest.node && n.reachable);
  const health = guest && up ? await replicationHealth(ctx, guest.node, vmid) : [];
  return { ...rest, guest, health };
}

function placement(facts: Facts, guest: GuestRef): Placement | null {
  const resource = facts.config.resources.find((r) => r.vmid === guest.vmid);
  const nodes = facts.cluster.nodes.map((n) => n.name);
  return resource ? placementOf(resource, facts.config, guest.node, nodes) : null;
}

const list = (items: readonly string[]) => items.join(", ") || "none";
const why = (p: Placement) => {
  const limit =
    p.restrictedBy.length > 0 ? `restricted by ${p.restrictedBy.join(" and ")}` : "no restriction";
  const gap = p.missing.length > 0 ? `; no replica on ${list(p.missing)}` : "";
  const self = p.selfTargeted.length > 0 ? `; job ${list(p.selfTargeted)} targets ${p.current} itself` : "";
  return `HA may start ${p.sid} on ${list(p.haNodes)} (${limit}); replicas on ${list(p.replicaNodes)} (jobs ${list(p.jobs)})${gap}${self}`;
};

function refuse(code: RefusalCode, message: string, detail: string, node?: string): Decision {
  return { kind: "refusal", refusal: { code, message, detail, ...(node ? { node } : {}) } };
}

function decide(params: Params, facts: Facts): Decision {
  const { guest } = facts;
  if (!guest)
    return refuse(
      "guest-not-found",
      `No guest ${params.vmid} in the cluster`,
      "it is not in /etc/pve/.vmlist",
    );
  if (params.fix === "recover") return decideRecover(params, facts, guest);
  const p = placement(facts, guest);
  const label = guestLabel(guest);
  if (!p) return { kind: "nothing-to-do", reason: `${label} is not HA-managed: HA never moves it` };
  const stranded = p.selfTargeted.map(
    (id) => `job ${id} targets ${p.current}, the node ${label} runs on, so it never runs`,
  );
  if (p.jobs.length === 0 && p.selfTargeted.length === 0)
    return {
      kind: "nothing-to-do",
      reason: `${label} has no replication job: its disks do not depend on replicas`,
    };
  if (params.fix === "align-ha" && p.jobs.length === 0)
    return refuse(
      "no-valid-replica",
      `No node but ${p.current} holds a replica of ${label}: restricting HA to it would leave ${p.sid} no node to fail over to`,
      `${stranded.join("; ")}. Re-target it first: \`pvefix plan ha-replication-mismatch --vmid ${p.vmid} --fix add-replication\``,
      p.current,
    );
  if (p.missing.length === 0 && p.selfTargeted.length === 0)
    return { kind: "nothing-to-do", reason: `every node HA may pick holds a replica: ${why(p)}` };
  if (params.fix === "align-ha" && p.missing.length === 0)
    return {
      kind: "nothing-to-do",
      reason: `every node HA may pick holds a replica: ${why(p)}; but ${stranded.join("; ")} (--fix add-replication re-targets it)`,
    };
  if (!facts.cluster.seenBy) {
    return refuse(
      "not-quorate",
      `No reachable node is quorate: /etc/pve is read-only`,
      "restore quorum first (see `pvefix explain not-quorate-config`)",
      facts.writer,
    );
  }
  const warnings = replicationWarnings(facts.config, facts.health, p.vmid);
  const edit =
    params.fix === "align-ha"
      ? alignHaSteps(facts.config, p, facts.writer, why(p))
      : addReplicationStep(facts.config, p, facts.writer, why(p));
  const { steps } = edit;
  warnings.push(...edit.warnings);
  if (params.fix === "align-ha") {
    warnings.push(
      `HA will no longer start ${p.sid} on ${list(p.missing)}: when none of ${list(p.replicaNodes)} is up, it stays down until someone acts`,
      ...stranded.map((s) => `${s} (--fix add-replication re-targets it)`),
    );
  }
  for (const file of facts.config.normalised.filter((f) => steps.some((s) => s.files?.includes(HA_FILES[f]))))
    warnings.push(
      `${HA_FILES[file]} has comments or a layout PVE does not write: the rewrite keeps every section and key but not those bytes (the backup does)`,
    );
  const plan: PlanDraftInput = {
    summary:
      params.fix === "align-ha"
        ? `Restrict HA for ${p.sid} so every node HA may pick holds a replica`
        : `${p.selfTargeted.length > 0 ? "Re-target and add" : "Add"} replication for ${p.sid} so every node HA may pick holds a replica`,
    warnings,
    steps,
    postconditions: [
      {
        name: "replicas-cover-ha",
        node: facts.writer,
        description: `every node HA may pick for ${p.sid} holds a replica`,
        args: { vmid: p.vmid },
      },
    ],
  };
  return { kind: "plan", plan };
}

function decideRecover(params: Params, facts: Facts, guest: GuestRef): Decision {
  const { cluster } = facts;
  const label = guestLabel(guest);
  if (!cluster.seenBy)
    return refuse(
      "not-quorate",
      "No reachable node is quorate",
      `without a quorate view nothing proves ${guest.node} is out of the cluster, and /etc/pve is read-only`,
    );
  const alive = whyNotDown(cluster, guest.node);
  if (alive.length > 0)
    return refuse(
      "node-not-down",
      `${guest.node}, which owns ${label}, is not proven down`,
      `${alive.join("; ")}. Moving the config of a guest that may still run there starts it twice on diverging disks.`,
      guest.node,
    );
  const jobs = facts.config.jobs.filter((j) => j.guest === guest.vmid && j.removeJob === null);
  const online = (node: string) => isQuorateMember(cluster, node);
  const replicas = `replicas: ${list(jobs.map((j) => `${j.target} (job ${j.id})`))}`;
  const to = params.to ?? jobs.find((j) => online(j.target))?.target;
  if (!to || !jobs.some((j) => j.target === to))
    return refuse(
      "no-valid-replica",
      to ? `No replication job of ${label} targets ${to}` : `No node holding a replica of ${label} is online`,
      replicas,
    );
  if (!facts.cluster.nodes.some((n) => n.name === to && n.reachable))
    return refuse("node-unreachable", `${to} does not answer over SSH`, replicas, to);
  if (!online(to))
    return refuse(
      "not-quorate",
      `${to} is not a quorate member of the cluster`,
      "the config can only be moved to and started on a quorate node",
      to,
    );
  const job = jobs.find((j) => j.target === to)!;
  const resource = facts.config.resources.find((r) => r.vmid === guest.vmid);
  const ha = resource ? { sid: resource.sid, state: resource.state } : null;
  const steps = recoverSteps({ guest, to, jobId: job.id, seenBy: cluster.seenBy, ha });
  return {
    kind: "plan",
    plan: {
      summary: `Recover ${label} from the dead node ${guest.node} onto ${to}, where its replica is`,
      warnings: [
        ...facts.services
          .filter((sv) => sv.sid === ha?.sid)
          .map((sv) => `HA reports ${sv.sid} as '${sv.state}' on ${sv.node ?? "no node"}`),
        `${label} starts from the last completed sync of job ${job.id} (schedule ${job.schedule}); writes after it are lost. pvesr status can only be read on ${guest.node}, which is down.`,
        `Afterwards: job ${job.id} targets the node the guest now runs on; re-create replication to another node${resource ? `, then hand ${resource.sid} back to HA (\`ha-manager set ${resource.sid} --state ${resource.state === "ignored" ? "started" : resource.state}\`)` : ""}`,
      ],
      steps,
    },
  };
}

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
    changes: [
      "align-ha, PVE 9: /etc/pve/ha/rules.cfg keeps the guest on the replica nodes (current node first) with a strict node-affinity rule: the operator's own enabled rule for the guest alone is changed in place (name, comment and other keys kept); otherwise `ha-replication-<vmid>` is added and the guest leaves the other enabled node-affinity rules. The plan names every rule it changes, narrows or removes; resources.cfg drops a legacy group",
      "align-ha, PVE 8: /etc/pve/ha/groups.cfg gets the restricted group `replication-<vmid>`; resources.cfg puts the guest in it",
      "add-replication: /etc/pve/replication.cfg: a job that targets the guest's own node (left by a recovery) is switched back to its old source, as a migration switches it; then `local: <vmid>-<N>` jobs to each node HA may pick that still lacks a replica",
      "recover: `ha-manager set <sid> --state ignored`, `mv` of the guest config from the dead node's directory to the replica node's, `qm start` / `pct start` there",
    ],
    undoes: [
      "every config file write: the file is restored from the backup taken before the step",
      "recover: `ha-manager set <sid> --state <previous>`, the config moved back, the guest stopped",
    ],
    refuses: [
      "guest-not-found: no such guest in the cluster",
      "not-quorate: no reachable node is quorate (or --to is not an online quorate member): /etc/pve is read-only and nothing proves who is in the cluster",
      "node-not-down: recover while the guest's node still answers SSH or is still in the quorum membership",
      "no-valid-replica: recover to a node no replication job targets, or no replica target is online; align-ha when the guest's only jobs target its own node (HA would be pinned to that one node)",
    ],
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
  params: Params,
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
  probe,
  decide,
  stableFacts: ({ health: _volatile, ...stable }: Facts) => stable,
  checks: {
    async "replicas-cover-ha"(ctx, check) {
      const { vmid } = z.object({ vmid: z.number() }).parse(check.args);
      const facts = await probe(ctx, { vmid });
      const p = facts.guest ? placement(facts, facts.guest) : null;
      if (!p) return { ok: false, detail: `vm/ct ${vmid} is no longer found as an HA resource` };
      return p.missing.length === 0 ? { ok: true, detail: why(p) } : { ok: false, detail: why(p) };
    },
    async "guest-running"(ctx, check) {
      const guest = GuestRef.parse({ vmid: check.args.vmid, kind: check.args.kind, node: check.node });
      const result = await ctx.run(check.node, sh`${guestTool(guest.kind)} status ${guest.vmid}`, PVE_TOOL);
      const ok = result.exitCode === 0 && /^status: running$/m.test(result.stdout);
      return { ok, detail: result.stdout.trim() || result.stderr.trim() };
    },
  },
  async detect(ctx): Promise<Finding[]> {
    const { guests, ...rest } = await survey(ctx);
    const facts = { ...rest, guest: null, health: [] };
    return guests.flatMap((guest) => guestFindings(facts, guest));
  },
});

/** HA's own states a human must act on (besides a configured `ignored`): it gave up, or waits on a fence. */
const STUCK = ["error", "fence"] as const;

/**
 * Pure: what is wrong with one guest's HA placement, replication and HA state, each with the next
 * command (a pvefix plan, or the manual PVE command where no runbook fits).
 */
export function guestFindings(facts: Omit<Facts, "guest" | "health">, guest: GuestRef): Finding[] {
  const p = placement({ ...facts, guest, health: [] }, guest);
  const jobs = facts.config.jobs.filter((j) => j.guest === guest.vmid && j.removeJob === null);
  const resource = facts.config.resources.find((r) => r.vmid === guest.vmid);
  const service = facts.services.find((sv) => sv.sid === resource?.sid);
  const down = !facts.cluster.nodes.some((n) => n.name === guest.node && n.reachable);
  const label = `${guestLabel(guest)} on ${guest.node}`;
  const finding = (
    severity: Finding["severity"],
    summary: string,
    fix: Params["fix"] | null,
    manual?: string,
  ): Finding => ({
    runbook: "ha-replication-mismatch",
    severity,
    node: guest.node,
    params: fix ? { vmid: guest.vmid, fix } : { vmid: guest.vmid },
    summary,
    command: fix ? `pvefix plan ha-replication-mismatch --vmid ${guest.vmid} --fix ${fix}` : manual!,
  });
  const replicas = jobs.filter((j) => j.target !== guest.node);
  if (down && replicas.length > 0) {
    const where = list(replicas.map((j) => j.target));
    return [finding("critical", `${label}: ${guest.node} does not answer; replicas on ${where}`, "recover")];
  }
  const out: Finding[] = [];
  const managed = resource?.state === "started" || resource?.state === "enabled";
  for (const job of jobs.filter((j) => j.target === guest.node)) {
    const why = `replication job ${job.id} targets ${guest.node}, the node it runs on, so it never runs${replicas.length === 0 ? " and no other node holds a replica" : ""}`;
    if (p) {
      const back =
        job.source && job.source !== guest.node
          ? ` (back to ${job.source}, as a migration would; PVE's next replication run on ${guest.node} does the same)`
          : "";
      out.push(
        finding(managed ? "critical" : "warning", `${label}: ${why}; re-target it${back}`, "add-replication"),
      );
    } else {
      // Not HA-managed, so no pvefix fix applies; PVE cannot change a job's target: delete and re-create.
      const to =
        job.source && job.source !== guest.node
          ? job.source
          : facts.cluster.nodes.find((n) => n.name !== guest.node)?.name;
      const next = Math.max(...jobs.map((j) => j.jobnum)) + 1;
      const manual = to
        ? sh`pvesr delete ${job.id} --force && pvesr create-local-job ${`${guest.vmid}-${next}`} ${to}`
        : sh`pvesr delete ${job.id} --force`;
      out.push(
        finding(
          "warning",
          `${label}: ${why}; re-create it to another node (the delete keeps every disk)`,
          null,
          manual,
        ),
      );
    }
  }
  if (p && p.missing.length > 0) {
    out.push(
      finding(
        managed ? "critical" : "warning",
        `${label}: ${why(p)}; a failover there cannot start it (or: --fix add-replication)`,
        "align-ha",
      ),
    );
  }
  const state = resource?.state === "ignored" ? "ignored" : STUCK.find((st) => st === service?.state);
  if (!resource || !state) return out;
  const sid = resource.sid;
  if (state === "ignored") {
    const first =
      out.length > 0 ? "; fix its replication first (above), then hand it back" : "; hand it back";
    out.push(
      finding(
        "warning",
        `${label}: HA ignores ${sid} (state ignored): nothing restarts it or moves it when ${guest.node} fails${first}`,
        null,
        sh`ha-manager set ${sid} --state started`,
      ),
    );
  } else if (state === "error") {
    out.push(
      finding(
        "critical",
        `${label}: HA gave up on ${sid} (state error): disable it, find the cause (journalctl -u pve-ha-lrm on ${service?.node ?? guest.node}), then \`ha-manager set ${sid} --state started\``,
        null,
        sh`ha-manager set ${sid} --state disabled`,
      ),
    );
  } else {
    out.push(
      finding(
        "warning",
        `${label}: HA holds ${sid} in state fence until ${guest.node} is fenced (its lock expires about 2 min after it fails); if it stays there, ${guest.node} was never fenced: check it is powered off`,
        null,
        "ha-manager status",
      ),
    );
  }
  return out;
}
