/**
 * Steps that align HA placement with storage replication: pure edits of the parsed HA and
 * replication files (every other section and unknown key kept), whole-file writes with a
 * restore-file undo, and the recovery of a guest from a dead node (HA off, config moved, start).
 */
import type { StepInput } from "../../engine/model.js";
import { withWords } from "../../kit/step.js";
import { sh } from "../../shell/quote.js";
import type { Placement } from "../guards/ha-placement.js";
import {
  type HaGroup,
  type HaResource,
  type HaRule,
  type NodePriority,
  serializeHaGroups,
  serializeHaResources,
  serializeHaRules,
} from "../parsers/ha-config.js";
import { formatNodePriorities } from "../parsers/ha-lists.js";
import { type ReplicationJob, serializeReplicationCfg } from "../parsers/replication-cfg.js";
import { type GuestRef, guestConfigPath, guestLabel, guestTool } from "../probes/guests.js";
import { HA_FILES, type HaConfig, type HaFile } from "../probes/ha-config.js";
import { guestRunning } from "./ha-checks.js";

/** The replica nodes as HA node priorities: the current node highest, so HA keeps the guest there. */
export function replicaPriorities(current: string, replicaNodes: readonly string[]): NodePriority[] {
  return replicaNodes.map((node) => ({ node, priority: node === current ? 2 : 1 }));
}

export const ruleNameFor = (vmid: number) => `ha-replication-${vmid}`;
export const groupNameFor = (vmid: number) => `replication-${vmid}`;

/** What a rules.cfg rewrite does to one rule, so the plan can name every rule it touches. */
export interface RuleEdit {
  rule: string;
  /** `added`: pvefix's own rule is new; `changed`: a rule keeps its name with other nodes; `narrowed`: it loses the resource; `removed`: it named only the resource. */
  change: "added" | "changed" | "narrowed" | "removed";
  /** `nodes pve1,pve3 → pve1:2,pve2:1, strict 0 → 1`, for the plan's warnings. */
  detail: string;
}

const nodeList = (nodes: readonly NodePriority[]) => formatNodePriorities(nodes).join(",") || "(none)";

/**
 * rules.cfg (PVE 9) where `sid` may only run on `nodes`, strictly. A rule the operator wrote for `sid`
 * alone is changed in place (its name, comment and keys kept): it is theirs, and replacing it would
 * lose it. Otherwise pvefix's own rule `ha-replication-<vmid>` does it, and `sid` leaves every other
 * enabled node-affinity rule (PVE drops a resource that is in two of them); a rule left with no
 * resource is removed. Disabled and resource-affinity rules are not touched. Every touched rule is
 * reported in `edits`.
 */
export function pinByRule(
  rules: readonly HaRule[],
  sid: string,
  vmid: number,
  nodes: NodePriority[],
): { rules: HaRule[]; edits: RuleEdit[] } {
  const name = ruleNameFor(vmid);
  const naming = rules.filter(
    (r) => r.type === "node-affinity" && !r.disabled && r.resources.includes(sid) && r.rule !== name,
  );
  const ours = rules.find((r) => r.rule === name);
  const sole = naming.length === 1 && naming[0]!.resources.length === 1 ? naming[0] : undefined;
  const keep = !ours && sole?.type === "node-affinity" ? sole : undefined;
  const edits: RuleEdit[] = [];
  const pinned = (rule: HaRule | undefined): HaRule => {
    const before = rule?.type === "node-affinity" ? rule : undefined;
    const after: HaRule = {
      type: "node-affinity",
      rule: before?.rule ?? name,
      resources: [sid],
      nodes,
      strict: true,
      disabled: false,
      comment:
        before && before.rule !== name
          ? before.comment
          : `Keeps ${sid} on the nodes that hold its replicas (pvefix)`,
      props: rule?.props ?? {},
    };
    const detail = [
      before ? `nodes ${nodeList(before.nodes)} → ${nodeList(nodes)}` : `nodes ${nodeList(nodes)}, strict`,
      ...(before && !before.strict ? ["strict 0 → 1"] : []),
      ...(before?.disabled ? ["enabled again"] : []),
    ].join(", ");
    edits.push({ rule: after.rule, change: before ? "changed" : "added", detail });
    return after;
  };
  const out = rules.flatMap((rule): HaRule[] => {
    if (rule === keep || rule.rule === name) return [pinned(rule)];
    if (!naming.includes(rule)) return [rule];
    const resources = rule.resources.filter((r) => r !== sid);
    if (resources.length === 0) {
      edits.push({ rule: rule.rule, change: "removed", detail: `${sid} was its only resource` });
      return [];
    }
    edits.push({
      rule: rule.rule,
      change: "narrowed",
      detail: `keeps ${resources.join(", ")} without ${sid}`,
    });
    return [{ ...rule, resources }];
  });
  return ours || keep ? { rules: out, edits } : { rules: [...out, pinned(undefined)], edits };
}

/** groups.cfg (PVE 8) with a restricted group for the guest; `nofailback` follows its old group. */
export function pinByGroup(
  groups: readonly HaGroup[],
  vmid: number,
  nodes: NodePriority[],
  previous: HaGroup | undefined,
): HaGroup[] {
  const name = groupNameFor(vmid);
  const group: HaGroup = {
    group: name,
    nodes,
    restricted: true,
    nofailback: previous?.nofailback ?? false,
    comment: null,
    props: groups.find((g) => g.group === name)?.props ?? {},
  };
  const at = groups.findIndex((g) => g.group === name);
  return at >= 0 ? groups.map((g, i) => (i === at ? group : g)) : [...groups, group];
}

export function setResourceGroup(
  resources: readonly HaResource[],
  sid: string,
  group: string | null,
): HaResource[] {
  return resources.map((r) => (r.sid === sid ? { ...r, group } : r));
}

/** New `local: <vmid>-<N>` jobs to `targets`, numbered after the guest's highest job, same schedule and rate. */
export function addReplicationJobs(
  jobs: readonly ReplicationJob[],
  vmid: number,
  targets: readonly string[],
): ReplicationJob[] {
  const own = jobs.filter((j) => j.guest === vmid);
  const model = own[0];
  let next = Math.max(-1, ...own.map((j) => j.jobnum)) + 1;
  const added = targets.map((target) => {
    const jobnum = next++;
    return {
      id: `${vmid}-${jobnum}`,
      guest: vmid,
      jobnum,
      target,
      schedule: model?.schedule ?? "*/15",
      rate: model?.rate ?? null,
      disabled: false,
      source: null,
      removeJob: null,
      comment: null,
      props: {},
    };
  });
  return [...jobs, ...added];
}

/**
 * Replace a whole /etc/pve file with content computed in decide (guarded); undo puts the backup back.
 * `current` (the bytes it was computed from, null: no file) travels with the write for its diff.
 */
export function writeConfigStep(
  file: HaFile,
  node: string,
  content: string,
  current: string | null,
  title: string,
  reason: string,
): StepInput {
  const path = HA_FILES[file];
  return {
    id: `write-${file}-cfg`,
    title,
    node,
    risk: "guarded",
    reason,
    actions: [{ kind: "write-file", path, content, before: { path, content: current } }],
    undo: {
      kind: "actions",
      description: `restore ${path} from the backup taken before the step`,
      actions: [{ kind: "restore-file", path }],
    },
    files: [path],
  };
}

/** Steps, and what the operator must read about rules or jobs they wrote that the steps change. */
export interface HaEdit {
  steps: StepInput[];
  warnings: string[];
}

function ruleWarnings(edits: readonly RuleEdit[], sid: string, ownRule: string): string[] {
  return edits
    .filter((e) => e.rule !== ownRule)
    .map((e) => {
      const file = HA_FILES.rules;
      if (e.change === "changed")
        return `${file}: your rule '${e.rule}' is changed in place (name, comment and other keys kept): ${e.detail}. To keep its nodes and replicate ${sid} to them instead, use --fix add-replication`;
      if (e.change === "removed") return `${file}: rule '${e.rule}' is removed: ${e.detail}`;
      return `${file}: rule '${e.rule}' ${e.detail} (PVE ignores a resource named in two node-affinity rules)`;
    });
}

/**
 * Restrict HA for `p.sid` to its replica nodes. PVE 9 (rules.cfg exists, or groups.cfg is gone):
 * a strict node-affinity rule, and the legacy group dropped from the resource. PVE 8: a restricted
 * group, written before the resource that names it.
 */
function alignHa(config: HaConfig, p: Placement, node: string, reason: string): HaEdit {
  const resource = config.resources.find((r) => r.sid === p.sid);
  const nodes = replicaPriorities(p.current, p.replicaNodes);
  const where = p.replicaNodes.join(", ");
  const group = groupNameFor(p.vmid);
  if (config.exists.rules || !config.exists.groups) {
    const pinned = pinByRule(config.rules, p.sid, p.vmid, nodes);
    const own = ruleNameFor(p.vmid);
    const rule = pinned.edits.find((e) => e.change === "added" || e.change === "changed")!.rule;
    const others = pinned.edits.filter((e) => e.rule !== rule).map((e) => `${e.change} ${e.rule}`);
    const title =
      rule === own
        ? `Pin ${p.sid} to ${where} with the strict node-affinity rule ${rule}`
        : `Change your node-affinity rule ${rule} to keep ${p.sid} on ${where} (strict)`;
    const steps = [
      writeConfigStep(
        "rules",
        node,
        serializeHaRules(pinned.rules),
        config.text.rules,
        others.length > 0 ? `${title}; ${others.join(", ")}` : title,
        reason,
      ),
    ];
    if (resource?.group) {
      const resources = serializeHaResources(setResourceGroup(config.resources, p.sid, null));
      const title = `Drop the legacy group '${resource.group}' from ${p.sid} (PVE 9 makes it a rule too and ignores both)`;
      steps.push(writeConfigStep("resources", node, resources, config.text.resources, title, reason));
    }
    return { steps, warnings: ruleWarnings(pinned.edits, p.sid, own) };
  }
  const previous = config.groups.find((g) => g.group === resource?.group);
  const groups = serializeHaGroups(pinByGroup(config.groups, p.vmid, nodes, previous));
  const resources = serializeHaResources(setResourceGroup(config.resources, p.sid, group));
  return {
    steps: [
      writeConfigStep(
        "groups",
        node,
        groups,
        config.text.groups,
        `Add the restricted HA group ${group} (${where})`,
        reason,
      ),
      writeConfigStep(
        "resources",
        node,
        resources,
        config.text.resources,
        `Put ${p.sid} in HA group ${group}`,
        reason,
      ),
    ],
    warnings:
      resource?.group && resource.group !== group
        ? [
            `${HA_FILES.resources}: ${p.sid} leaves the HA group '${resource.group}', which stays as it is for its other resources`,
          ]
        : [],
  };
}

/**
 * Jobs of `vmid` that target `current` (the guest was moved there by hand) switched the way a
 * migration switches them (PVE's switch_replication_job_target): target = the node they replicated
 * from, source = `current`, so the replica there serves as the base again. A job whose old source is
 * unknown, is `current`, or is already another job's target takes the first of `candidates`
 * without a job; with none left it is dropped (like `pvesr delete --force`: no data is removed).
 */
export function retargetJobs(
  jobs: readonly ReplicationJob[],
  vmid: number,
  current: string,
  candidates: readonly string[],
): { jobs: ReplicationJob[]; moved: Array<{ id: string; to: string | null }> } {
  const taken = new Set(
    jobs.filter((j) => j.guest === vmid && j.removeJob === null && j.target !== current).map((j) => j.target),
  );
  const moved: Array<{ id: string; to: string | null }> = [];
  const out = jobs.flatMap((job): ReplicationJob[] => {
    if (job.guest !== vmid || job.removeJob !== null || job.target !== current) return [job];
    const back = job.source && job.source !== current && !taken.has(job.source) ? job.source : undefined;
    const to = back ?? candidates.find((n) => n !== current && !taken.has(n));
    moved.push({ id: job.id, to: to ?? null });
    if (!to) return [];
    taken.add(to);
    return [{ ...job, target: to, source: current }];
  });
  return { jobs: out, moved };
}

/**
 * Replication to every node HA may pick: jobs left targeting the guest's own node are re-targeted
 * first (see retargetJobs), then a new job goes to each node still without a replica.
 */
function addReplication(config: HaConfig, p: Placement, node: string, reason: string): HaEdit {
  const switched = retargetJobs(config.jobs, p.vmid, p.current, p.haNodes);
  const covered = new Set([
    p.current,
    ...switched.moved.flatMap((m) => (m.to ? [m.to] : [])),
    ...p.replicaNodes,
  ]);
  const missing = p.haNodes.filter((n) => !covered.has(n));
  const jobs = serializeReplicationCfg(addReplicationJobs(switched.jobs, p.vmid, missing));
  const what = [
    ...switched.moved.map((m) =>
      m.to ? `re-target job ${m.id} from ${p.current} to ${m.to}` : `drop job ${m.id} (targets ${p.current})`,
    ),
    ...(missing.length > 0 ? [`replicate ${p.sid} to ${missing.join(", ")}`] : []),
  ];
  const title = what.join("; ");
  const warnings = switched.moved.map((m) =>
    m.to
      ? `job ${m.id} targets ${p.current}, where ${p.sid} now runs, so it never runs; it is switched to replicate from ${p.current} to ${m.to}, as a migration would switch it (pvesr syncs only while ${m.to} is online)`
      : `job ${m.id} targets ${p.current}, where ${p.sid} now runs, and no other node is free for it: it is removed from ${HA_FILES.replication} (no data is deleted anywhere)`,
  );
  if (missing.length > 0)
    warnings.push(
      `Until the first (full) sync to ${missing.join(", ")} completes, those nodes still hold no replica; replication needs the guest's storage (ZFS, same id) on every target`,
    );
  return {
    steps: [
      writeConfigStep(
        "replication",
        node,
        jobs,
        config.text.replication,
        `${title.charAt(0).toUpperCase()}${title.slice(1)}`,
        reason,
      ),
    ],
    warnings,
  };
}

/** `ha-manager set <sid> --state ignored`: HA stops managing the guest while it is recovered by hand. */
export function haIgnoreStep(sid: string, previous: string, node: string, reason: string): StepInput {
  return {
    id: `ha-ignore-${sid.replace(":", "-")}`,
    title: `Stop HA from managing ${sid} (state ignored)`,
    node,
    risk: "guarded",
    reason,
    actions: [{ kind: "exec", command: sh`ha-manager set ${sid} --state ignored`, timeoutMs: 30_000 }],
    undo: {
      kind: "actions",
      description: `give ${sid} back to HA with its previous state '${previous}'`,
      actions: [{ kind: "exec", command: sh`ha-manager set ${sid} --state ${previous}`, timeoutMs: 30_000 }],
    },
    files: ["/etc/pve/ha/resources.cfg"],
  };
}

/** `mv` the guest config into the directory of the node with the replica (pmxcfs.adoc's recovery). */
export function moveGuestConfigStep(guest: GuestRef, to: string, reason: string, warning: string): StepInput {
  const from = guestConfigPath(guest);
  const dest = guestConfigPath({ ...guest, node: to });
  return {
    id: `move-config-${guest.vmid}`,
    title: `Move ${guestLabel(guest)}'s config from ${guest.node} to ${to}`,
    node: to,
    risk: "dangerous",
    reason,
    warning,
    actions: [{ kind: "exec", command: sh`mv -f ${from} ${dest}`, timeoutMs: 30_000 }],
    undo: {
      kind: "actions",
      description: `move the config back to ${guest.node}`,
      actions: [{ kind: "exec", command: sh`mv -f ${dest} ${from}`, timeoutMs: 30_000 }],
    },
    files: [from, dest],
  };
}

/** `qm start` / `pct start` on the node that now owns the guest; the undo stops it again. */
export function startGuestStep(guest: GuestRef, reason: string): StepInput {
  const tool = guestTool(guest.kind);
  return {
    id: `start-${guest.vmid}`,
    title: `Start ${guestLabel(guest)} on ${guest.node}`,
    node: guest.node,
    risk: "guarded",
    reason,
    actions: [{ kind: "exec", command: sh`${tool} start ${guest.vmid}`, timeoutMs: 120_000 }],
    undo: {
      kind: "actions",
      description: `stop ${guestLabel(guest)} again`,
      actions: [{ kind: "exec", command: sh`${tool} stop ${guest.vmid}`, timeoutMs: 120_000 }],
    },
    verify: [
      guestRunning.at(
        guest.node,
        `${guestLabel(guest)} runs on ${guest.node}`,
        { vmid: guest.vmid, kind: guest.kind },
        { waitMs: 30_000 },
      ),
    ],
  };
}

export interface RecoverOptions {
  guest: GuestRef;
  to: string;
  /** The replication job whose replica on `to` the guest will run from. */
  jobId: string;
  /** The quorate node whose membership proved `guest.node` gone. */
  seenBy: string;
  /** HA resource and its configured state, when HA manages the guest. */
  ha: { sid: string; state: string } | null;
}

/** HA off (when managed), config moved to the replica node, guest started there. */
function recover({ guest, to, jobId, seenBy, ha }: RecoverOptions): StepInput[] {
  const label = guestLabel(guest);
  const steps: StepInput[] = [];
  if (ha && ha.state !== "ignored") {
    const reason = `${ha.sid} is HA-managed (state ${ha.state}): HA must not fight the manual recovery`;
    steps.push(haIgnoreStep(ha.sid, ha.state, to, reason));
  }
  steps.push(
    moveGuestConfigStep(
      guest,
      to,
      `${guest.node} does not answer SSH and is not in ${seenBy}'s quorum membership; ${to} holds the replica of job ${jobId}`,
      `${guest.node} must stay off. If it comes back with ${label} still running, both copies run on diverging disks: power it off or keep it fenced before answering.`,
    ),
    startGuestStep(
      { ...guest, node: to },
      `the config now lives on ${to}, next to the replica of job ${jobId}`,
    ),
  );
  return steps;
}

export const alignHaSteps = withWords(
  {
    changes: [
      "align-ha, PVE 9: /etc/pve/ha/rules.cfg keeps the guest on the replica nodes (current node first) with a strict node-affinity rule: the operator's own enabled rule for the guest alone is changed in place (name, comment and other keys kept); otherwise `ha-replication-<vmid>` is added and the guest leaves the other enabled node-affinity rules. The plan names every rule it changes, narrows or removes; resources.cfg drops a legacy group",
      "align-ha, PVE 8: /etc/pve/ha/groups.cfg gets the restricted group `replication-<vmid>`; resources.cfg puts the guest in it",
    ],
    undoes: ["every config file write: the file is restored from the backup taken before the step"],
  },
  alignHa,
);

export const addReplicationStep = withWords(
  {
    changes: [
      "add-replication: /etc/pve/replication.cfg: a job that targets the guest's own node (left by a recovery) is switched back to its old source, as a migration switches it; then `local: <vmid>-<N>` jobs to each node HA may pick that still lacks a replica",
    ],
    undoes: [],
  },
  addReplication,
);

export const recoverSteps = withWords(
  {
    changes: [
      "recover: `ha-manager set <sid> --state ignored`, `mv` of the guest config from the dead node's directory to the replica node's, `qm start` / `pct start` there",
    ],
    undoes: ["recover: `ha-manager set <sid> --state <previous>`, the config moved back, the guest stopped"],
    checks: [guestRunning],
  },
  recover,
);
