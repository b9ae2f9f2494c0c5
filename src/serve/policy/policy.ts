/**
 * The policy across runs, pure like `decide`: (state, event, clock, config) → a verdict with its
 * numbers and the next state. The service records each verdict's numbers in the run's journal
 * (or, for an alert that starts nothing, in the service log), so "why did it (not) run" has an
 * answer with figures.
 */
import { createHash } from "node:crypto";
import type { IncomingAlert } from "../alerts/alertmanager.js";
import type { Trigger } from "../rules/match.js";
import type { PolicyConfig } from "../rules/schema.js";
import { MAX_SEEN, MAX_TARGETS, type Pause, type PolicyState, type TargetMemory } from "./state.js";

export type ReceiveVerdict =
  | { kind: "accept"; numbers: StormNumbers }
  | { kind: "duplicate"; numbers: { firstSeenAt: number } }
  | { kind: "resolved" }
  | { kind: "paused"; scope: "all" | "cluster"; pause: Pause }
  | { kind: "storm-pause"; numbers: StormNumbers; reason: string };

export interface StormNumbers {
  windowMs: number;
  alertsInWindow: number;
  maxAlerts: number;
  nodesInWindow: number;
  nodeCount: number;
  nodeShare: number;
  maxNodeShare: number;
}

export type AdmitVerdict =
  | { kind: "start"; numbers: AdmitNumbers; before: TargetMemory | null }
  | { kind: "refuse"; reason: RefuseReason; message: string; numbers: AdmitNumbers };

export type RefuseReason = "paused" | "cooldown" | "attempt-cap" | "cluster-busy";

export interface AdmitNumbers {
  attempts: number;
  maxAttempts: number;
  cooldownMs: number;
  sinceLastStartMs: number | null;
  paused: boolean;
}

export interface Outcome<V> {
  state: PolicyState;
  verdict: V;
}

/** The dedupe key of a delivered alert: Alertmanager resends a group with the same fingerprint, status and start. */
export function dedupeKey(alert: Pick<IncomingAlert, "fingerprint" | "status" | "startsAt">): string {
  return createHash("sha256")
    .update(`${alert.fingerprint}\0${alert.status}\0${alert.startsAt}`)
    .digest("base64url")
    .slice(0, 16);
}

export function pauseOf(
  state: PolicyState,
  cluster: string,
): { scope: "all" | "cluster"; pause: Pause } | null {
  if (state.paused.all) return { scope: "all", pause: state.paused.all };
  const p = state.paused.clusters[cluster];
  return p ? { scope: "cluster", pause: p } : null;
}

/** Forget what is older than the windows and more than the caps allow. */
export function prune(state: PolicyState, now: number, config: PolicyConfig): PolicyState {
  const seenEntries = Object.entries(state.seen)
    .filter(([, at]) => now - at < config.dedupeFor)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_SEEN);
  const windows: PolicyState["windows"] = {};
  for (const [cluster, list] of Object.entries(state.windows)) {
    const kept = list.filter((e) => now - e.at < config.storm.window).slice(-(config.storm.maxAlerts + 1));
    if (kept.length > 0) windows[cluster] = kept;
  }
  let targets = state.targets;
  if (Object.keys(targets).length > MAX_TARGETS) {
    targets = Object.fromEntries(
      Object.entries(targets)
        .sort((a, b) => (b[1].lastStartAt ?? 0) - (a[1].lastStartAt ?? 0))
        .slice(0, MAX_TARGETS),
    );
  }
  return { ...state, seen: Object.fromEntries(seenEntries), windows, targets };
}

/**
 * An alert arrives: drop a repeat, note a resolve, count it in the storm window, and pause the
 * cluster when the window holds too many alerts or too large a share of its nodes (the probe
 * may be what is wrong: a human looks first). `draft` is changed in place and returned: a store
 * hands each transaction its own copy, and copying the dedupe memory per alert would make a
 * storm quadratic.
 */
export function receive(
  draft: PolicyState,
  alert: IncomingAlert,
  trigger: Pick<Trigger, "cluster" | "node">,
  nodeCount: number,
  now: number,
  config: PolicyConfig,
): Outcome<ReceiveVerdict> {
  // The caller prunes once per transaction (`prune`); a delivery holds at most 1,000 alerts.
  const state = draft;
  const key = dedupeKey(alert);
  const firstSeenAt = state.seen[key];
  if (firstSeenAt !== undefined && now - firstSeenAt < config.dedupeFor) {
    return { state, verdict: { kind: "duplicate", numbers: { firstSeenAt } } };
  }
  state.seen[key] = now;
  if (alert.status === "resolved") return { state, verdict: { kind: "resolved" } };
  const paused = pauseOf(state, trigger.cluster);
  if (paused) return { state, verdict: { kind: "paused", ...paused } };
  const window = [
    ...(state.windows[trigger.cluster] ?? []).filter((e) => now - e.at < config.storm.window),
    { at: now, node: trigger.node },
  ];
  state.windows[trigger.cluster] = window.slice(-(config.storm.maxAlerts + 1));
  const nodes = new Set(window.map((e) => e.node).filter((n): n is string => n !== null));
  const numbers: StormNumbers = {
    windowMs: config.storm.window,
    alertsInWindow: window.length,
    maxAlerts: config.storm.maxAlerts,
    nodesInWindow: nodes.size,
    nodeCount,
    nodeShare: nodeCount > 0 ? round(nodes.size / nodeCount) : 0,
    maxNodeShare: config.storm.maxNodeShare,
  };
  const tooMany = numbers.alertsInWindow > numbers.maxAlerts;
  // One node alerting is never a storm, however small the cluster.
  const tooWide = nodes.size > 1 && numbers.nodeShare > numbers.maxNodeShare;
  if (!tooMany && !tooWide) return { state, verdict: { kind: "accept", numbers } };
  const reason = tooMany
    ? `storm: ${numbers.alertsInWindow} alerts in ${seconds(numbers.windowMs)} (more than ${numbers.maxAlerts})`
    : `storm: ${numbers.nodesInWindow} of ${nodeCount} nodes alerting in ${seconds(numbers.windowMs)} (more than ${Math.round(numbers.maxNodeShare * 100)} %)`;
  state.paused.clusters[trigger.cluster] = { by: "storm-guard", reason, at: now };
  return { state, verdict: { kind: "storm-pause", numbers, reason } };
}

/**
 * Just before an unattended run starts: paused, busy, cooling down or capped refuses; otherwise
 * the attempt is counted now (a run that dies still counted) and the run may start.
 */
export function admit(
  input: PolicyState,
  trigger: Pick<Trigger, "cluster" | "key">,
  clusterBusy: boolean,
  now: number,
  config: PolicyConfig,
): Outcome<AdmitVerdict> {
  const state = { ...input };
  const memory: TargetMemory = state.targets[trigger.key] ?? {
    attempts: 0,
    lastStartAt: null,
    lastOutcome: null,
    lastRunId: null,
  };
  const paused = pauseOf(state, trigger.cluster);
  const numbers: AdmitNumbers = {
    attempts: memory.attempts,
    maxAttempts: config.maxAttempts,
    cooldownMs: config.cooldown,
    sinceLastStartMs: memory.lastStartAt === null ? null : now - memory.lastStartAt,
    paused: paused !== null,
  };
  const refuse = (reason: RefuseReason, message: string): Outcome<AdmitVerdict> => ({
    state: input,
    verdict: { kind: "refuse", reason, message, numbers },
  });
  if (paused) {
    return refuse(
      "paused",
      `${paused.scope === "all" ? "every cluster" : `cluster ${trigger.cluster}`} is paused by ${paused.pause.by}: ${paused.pause.reason}`,
    );
  }
  if (clusterBusy)
    return refuse("cluster-busy", `a remediation is already running on cluster ${trigger.cluster}`);
  if (memory.attempts >= config.maxAttempts) {
    return refuse(
      "attempt-cap",
      `${memory.attempts} attempts since the last verified success (cap ${config.maxAttempts}): a human must look (last outcome ${memory.lastOutcome ?? "unknown"})`,
    );
  }
  if (numbers.sinceLastStartMs !== null && numbers.sinceLastStartMs < config.cooldown) {
    return refuse(
      "cooldown",
      `last attempt ${seconds(numbers.sinceLastStartMs)} ago, cooldown ${seconds(config.cooldown)}`,
    );
  }
  state.targets = {
    ...state.targets,
    [trigger.key]: { ...memory, attempts: memory.attempts + 1, lastStartAt: now },
  };
  return { state, verdict: { kind: "start", numbers, before: input.targets[trigger.key] ?? null } };
}

/**
 * The run the policy admitted never started (another pvefix holds the cluster's lock): it was
 * not an attempt, so the target's memory goes back to what it was before `admit`.
 */
export function cancelStart(input: PolicyState, key: string, before: TargetMemory | null): PolicyState {
  const { [key]: _admitted, ...rest } = input.targets;
  return { ...input, targets: before ? { ...rest, [key]: before } : rest };
}

/** A run ended: remember how; only a verified success (`done`) resets the attempts. */
export function finish(input: PolicyState, key: string, outcome: string, runId: string | null): PolicyState {
  const memory = input.targets[key];
  if (!memory) return input;
  return {
    ...input,
    targets: {
      ...input.targets,
      [key]: {
        ...memory,
        attempts: outcome === "done" ? 0 : memory.attempts,
        lastOutcome: outcome,
        lastRunId: runId,
      },
    },
  };
}

export function pause(
  input: PolicyState,
  cluster: string | null,
  by: string,
  reason: string,
  now: number,
): PolicyState {
  const record: Pause = { by, reason, at: now };
  if (cluster === null) return { ...input, paused: { ...input.paused, all: record } };
  return { ...input, paused: { ...input.paused, clusters: { ...input.paused.clusters, [cluster]: record } } };
}

/**
 * Resume one cluster, or (no cluster) everything: the global pause and every cluster's. The storm
 * window starts empty again: a human has looked, and the alerts that paused the cluster must not
 * pause it again with the next one.
 */
export function resume(input: PolicyState, cluster: string | null): PolicyState {
  if (cluster === null) return { ...input, paused: { all: null, clusters: {} }, windows: {} };
  const { [cluster]: _gone, ...rest } = input.paused.clusters;
  const { [cluster]: _window, ...windows } = input.windows;
  return { ...input, paused: { ...input.paused, clusters: rest }, windows };
}

/** Forget a target's attempts: what a human does after looking (`pvefix resume` does not). */
export function resetTarget(input: PolicyState, key: string): PolicyState {
  const { [key]: _gone, ...rest } = input.targets;
  return { ...input, targets: rest };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function seconds(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}
