/**
 * Steps that align HA placement with storage replication: pure edits of the parsed HA and
 * replication files (every other section and unknown key kept), whole-file writes with a
 * restore-file undo, and the recovery of a guest from a dead node (HA off, config moved, start).
 */
import type { StepInput } from "../../engine/model.js";
import { sh } from "../../shell/quote.js";
import {
  type HaGroup,
  type HaResource,
  type HaRule,
  type NodePriority,
  serializeHaGroups,
  serializeHaResources,
  serializeHaRules,
} from "../parsers/ha-config.js";
import { type ReplicationJob, serializeReplicationCfg } from "../parsers/replication-cfg.js";
import { type GuestRef, guestConfigPath, guestLabel, guestTool } from "../probes/guests.js";
import { HA_FILES, type HaConfig, type HaFile, type Placement } from "../probes/ha-config.js";

/** The replica nodes as HA node priorities: the current node highest, so HA keeps the guest there. */
export function replicaPriorities(current: string, replicaNodes: readonly string[]): NodePriority[] {
  return replicaNodes.map((node) => ({ node, priority: node === current ? 2 : 1 }));
}

export const ruleNameFor = (vmid: number) => `ha-replication-${vmid}`;
export const groupNameFor = (vmid: number) => `replication-${vmid}`;

/**
 * rules.cfg (PVE 9) with a strict node-affinity rule pinning `sid` to `nodes`, and `sid` taken out
 * of every other node-affinity rule (PVE drops a resource that is in two of them). Rules left with
 * no resource are removed; resource-affinity rules are not touched.
 */
export function pinByRule(
  rules: readonly HaRule[],
  sid: string,
  vmid: number,
  nodes: NodePriority[],
): HaRule[] {
  const name = ruleNameFor(vmid);
  const existing = rules.find((r) => r.rule === name);
  const pinned: HaRule = {
    type: "node-affinity",
    rule: name,
    resources: [sid],
    nodes,
    strict: true,
    disabled: false,
    comment: `Keeps ${sid} on the nodes that hold its replicas (pvefix)`,
    props: existing?.props ?? {},
  };
  const out = rules.flatMap((rule): HaRule[] => {
    if (rule.rule === name) return [pinned];
    if (rule.type !== "node-affinity" || !rule.resources.includes(sid)) return [rule];
    const resources = rule.resources.filter((r) => r !== sid);
    return resources.length > 0 ? [{ ...rule, resources }] : [];
  });
  return existing ? out : [...out, pinned];
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

/** Replace a whole /etc/pve file with content computed in decide (guarded); undo puts the backup back. */
export function writeConfigStep(
  file: HaFile,
  node: string,
  content: string,
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
    actions: [{ kind: "write-file", path, content }],
    undo: {
      kind: "actions",
      description: `restore ${path} from the backup taken before the step`,
      actions: [{ kind: "restore-file", path }],
    },
    files: [path],
  };
}

/**
 * Restrict HA for `p.sid` to its replica nodes. PVE 9 (rules.cfg exists, or groups.cfg is gone):
 * a strict node-affinity rule, and the legacy group dropped from the resource. PVE 8: a restricted
 * group, written before the resource that names it.
 */
export function alignHaSteps(config: HaConfig, p: Placement, node: string, reason: string): StepInput[] {
  const resource = config.resources.find((r) => r.sid === p.sid);
  const nodes = replicaPriorities(p.current, p.replicaNodes);
  const where = p.replicaNodes.join(", ");
  const group = groupNameFor(p.vmid);
  if (config.exists.rules || !config.exists.groups) {
    const rules = serializeHaRules(pinByRule(config.rules, p.sid, p.vmid, nodes));
    const steps = [
      writeConfigStep(
        "rules",
        node,
        rules,
        `Pin ${p.sid} to ${where} with a strict node-affinity rule`,
        reason,
      ),
    ];
    if (resource?.group) {
      const resources = serializeHaResources(setResourceGroup(config.resources, p.sid, null));
      const title = `Drop the legacy group '${resource.group}' from ${p.sid} (PVE 9 makes it a rule too and ignores both)`;
      steps.push(writeConfigStep("resources", node, resources, title, reason));
    }
    return steps;
  }
  const previous = config.groups.find((g) => g.group === resource?.group);
  const groups = serializeHaGroups(pinByGroup(config.groups, p.vmid, nodes, previous));
  const resources = serializeHaResources(setResourceGroup(config.resources, p.sid, group));
  return [
    writeConfigStep("groups", node, groups, `Add the restricted HA group ${group} (${where})`, reason),
    writeConfigStep("resources", node, resources, `Put ${p.sid} in HA group ${group}`, reason),
  ];
}

/** Replicate the guest to every node HA may pick that lacks a replica. */
export function addReplicationStep(config: HaConfig, p: Placement, node: string, reason: string): StepInput {
  const jobs = serializeReplicationCfg(addReplicationJobs(config.jobs, p.vmid, p.missing));
  return writeConfigStep("replication", node, jobs, `Replicate ${p.sid} to ${p.missing.join(", ")}`, reason);
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
      {
        name: "guest-running",
        node: guest.node,
        description: `${guestLabel(guest)} runs on ${guest.node}`,
        args: { vmid: guest.vmid, kind: guest.kind },
        waitMs: 30_000,
      },
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
export function recoverSteps({ guest, to, jobId, seenBy, ha }: RecoverOptions): StepInput[] {
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
