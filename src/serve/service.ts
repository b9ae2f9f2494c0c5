/**
 * The unattended service: alerts, run requests and sweep findings in; policy, queue and the
 * engine's operations; approvals, metrics, logs and notifications out. Everything it depends on
 * comes in through `ServiceDeps` (stores, queue, clusters, the engine, the clock), so a
 * PostgreSQL store or a stand-in engine fits without changing this file.
 */
import { createHash, randomBytes } from "node:crypto";
import { parseParams } from "../engine/params.js";
import { redactDeep } from "../engine/redact.js";
import type { ClusterTarget, Diagnosis, Gate, Plan, RunResult } from "../index.js";
import { listRuns, readJournal, runbookById } from "../index.js";
import { planMarkdown } from "../views/plan-md.js";
import type { IncomingAlert } from "./alerts/alertmanager.js";
import { type Approval, decide, effectiveStatus, planHash } from "./approvals/approval.js";
import { ServeError } from "./errors.js";
import type { JobSpec } from "./jobs.js";
import type { Logger } from "./log.js";
import type { ServeMetrics } from "./metrics.js";
import type { Notification, Notifier } from "./notify/webhook.js";
import {
  admit,
  cancelStart,
  finish,
  pause,
  prune,
  type ReceiveVerdict,
  receive,
  resume,
} from "./policy/policy.js";
import type { JobQueue } from "./queue.js";
import type { Remediator } from "./remediator.js";
import { canonicalParams, matchAlert, type Trigger } from "./rules/match.js";
import type { RulesFile } from "./rules/schema.js";
import type { ServeStores, StoreTx } from "./store/types.js";

export interface ClusterDirectory {
  names(): readonly string[];
  nodeCount(cluster: string): number;
  /** A fresh target for one run; the caller closes its transport. */
  open(cluster: string): Promise<ClusterTarget>;
}

export interface ServiceDeps {
  rules: RulesFile;
  stores: ServeStores;
  queue: JobQueue;
  clusters: ClusterDirectory;
  remediator: Remediator;
  notifier: Notifier;
  metrics: ServeMetrics;
  logger: Logger;
  now: () => number;
  /** Where journals are (to find runs a killed service left behind). */
  stateDir: string;
}

export type AlertVerdict =
  | ReceiveVerdict["kind"]
  | "no-rule"
  | "unknown-cluster"
  | "bad-params"
  | "queued"
  | "queue-full"
  | "duplicate-queued"
  | "shutting-down";

export interface AlertResult {
  fingerprint: string;
  verdict: AlertVerdict;
  runbook?: string;
  cluster?: string;
  message?: string;
}

export class ServeService {
  private readonly controller = new AbortController();
  private stopping = false;

  constructor(private readonly deps: ServiceDeps) {
    deps.queue.handle((job) => this.perform(job));
  }

  /** Every job of either engine comes back here, on whichever worker took it. */
  async perform(job: JobSpec): Promise<void> {
    switch (job.task) {
      case "remediate":
        return this.runJob(job.payload.trigger, job.payload.origin);
      case "ask":
        return this.askJob(job.payload.trigger, job.payload.origin, job.payload.reason);
      case "apply-approved":
        return this.applyJob(job.payload.approval);
      case "sweep":
        await this.sweep(job.payload.cluster);
        return;
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Alerts of one delivery: one policy transaction for all of them, then the runs they admit are queued. */
  async receiveAlerts(alerts: readonly IncomingAlert[], by: string): Promise<AlertResult[]> {
    const { rules, clusters, stores, now, metrics, logger } = this.deps;
    const results: AlertResult[] = [];
    const candidates: Array<{ alert: IncomingAlert; trigger: Trigger; index: number }> = [];
    for (const alert of alerts) {
      const matched = matchAlert(rules, alert);
      if (matched.kind === "no-rule") {
        results.push({ fingerprint: alert.fingerprint, verdict: "no-rule", message: matched.reason });
        continue;
      }
      const trigger = matched.trigger;
      if (!clusters.names().includes(trigger.cluster)) {
        results.push({
          fingerprint: alert.fingerprint,
          verdict: "unknown-cluster",
          cluster: trigger.cluster,
          message: `this service serves ${clusters.names().join(", ")}`,
        });
        continue;
      }
      const checked = this.checkParams(trigger);
      if (checked) {
        results.push({ fingerprint: alert.fingerprint, verdict: "bad-params", message: checked });
        continue;
      }
      candidates.push({ alert, trigger, index: results.length });
      results.push({ fingerprint: alert.fingerprint, verdict: "accept" });
    }
    const at = now();
    // The jobs of the admitted alerts are queued in the policy's transaction: a worker that dies
    // or loses the database in between leaves neither, and the sender's retry is not a duplicate.
    const queued = new Map<number, AlertVerdict>();
    const verdicts = await stores.policy.update(
      (state) => {
        const out: ReceiveVerdict[] = [];
        let s = prune(state, at, rules.policy);
        for (const c of candidates) {
          const r = receive(s, c.alert, c.trigger, clusters.nodeCount(c.trigger.cluster), at, rules.policy);
          s = r.state;
          out.push(r.verdict);
        }
        return { state: s, result: out };
      },
      async (out, tx) => {
        queued.clear();
        for (const [i, c] of candidates.entries()) {
          if (out[i]?.kind !== "accept") continue;
          const origin = { source: c.alert.source, by, fingerprint: c.alert.fingerprint };
          queued.set(i, await this.enqueueTrigger(c.trigger, origin, tx));
        }
      },
    );
    for (const [i, c] of candidates.entries()) {
      const verdict = verdicts[i] as ReceiveVerdict;
      const result: AlertResult = {
        fingerprint: c.alert.fingerprint,
        verdict: verdict.kind,
        runbook: c.trigger.runbook,
        cluster: c.trigger.cluster,
      };
      results[c.index] = result;
      if (verdict.kind === "storm-pause") {
        result.message = verdict.reason;
        metrics.refusals.inc({ reason: "storm" });
        logger.log("warn", "cluster paused by the storm guard", {
          cluster: c.trigger.cluster,
          ...verdict.numbers,
        });
        void this.notify({
          event: "storm-pause",
          cluster: c.trigger.cluster,
          title: `${verdict.reason}: no remediation starts until a human runs pvefix resume --cluster ${c.trigger.cluster}`,
          fields: {
            alertsInWindow: String(verdict.numbers.alertsInWindow),
            nodesInWindow: String(verdict.numbers.nodesInWindow),
          },
        });
      } else if (verdict.kind === "paused") {
        result.message = `paused by ${verdict.pause.by}: ${verdict.pause.reason}`;
        metrics.refusals.inc({ reason: "paused" });
      } else if (verdict.kind === "accept") {
        metrics.findings.inc({
          runbook: c.trigger.runbook,
          severity: c.alert.labels.severity ?? "unknown",
          cluster: c.trigger.cluster,
        });
        result.verdict = queued.get(i) ?? "shutting-down";
      }
    }
    for (const r of results) metrics.alerts.inc({ verdict: r.verdict });
    logger.log("info", "alerts received", {
      by,
      count: alerts.length,
      verdicts: countBy(results.map((r) => r.verdict)),
    });
    return results;
  }

  /** `POST /v1/runs`: the same path as an alert (policy, queue), from another tool. */
  async requestRun(
    input: { runbook: string; params: Record<string, unknown>; cluster: string },
    by: string,
  ): Promise<AlertResult> {
    const fingerprint = createHash("sha256")
      .update(`${input.runbook}\0${input.cluster}\0${canonicalParams(input.params)}`)
      .digest("hex")
      .slice(0, 16);
    return (
      await this.receiveAlertsOfTrigger(
        {
          rule: "(POST /v1/runs)",
          runbook: input.runbook,
          params: input.params,
          cluster: input.cluster,
          key: `${input.runbook}|${input.cluster}|${canonicalParams(input.params)}`,
          node: null,
          unattended: true,
        },
        {
          source: "alertmanager",
          status: "firing",
          labels: {},
          fingerprint,
          startsAt: new Date(this.deps.now()).toISOString(),
        },
        by,
      )
    )[0] as AlertResult;
  }

  private async receiveAlertsOfTrigger(
    trigger: Trigger,
    alert: IncomingAlert,
    by: string,
  ): Promise<AlertResult[]> {
    const { clusters, stores, now, rules } = this.deps;
    if (!clusters.names().includes(trigger.cluster)) {
      throw new ServeError(
        "PVEFIX_BAD_INPUT",
        `✖ Unknown cluster "${trigger.cluster}": this service serves ${clusters.names().join(", ")}\n  → at cluster`,
      );
    }
    const bad = this.checkParams(trigger);
    if (bad) throw new ServeError("PVEFIX_BAD_INPUT", bad);
    let queued: AlertVerdict = "shutting-down";
    const verdict = await stores.policy.update(
      (s) => {
        const r = receive(s, alert, trigger, clusters.nodeCount(trigger.cluster), now(), rules.policy);
        return { state: r.state, result: r.verdict };
      },
      async (v, tx) => {
        if (v.kind !== "accept") return;
        queued = await this.enqueueTrigger(
          trigger,
          { source: alert.source === "sweep" ? "sweep" : "api", by },
          tx,
        );
      },
    );
    const result: AlertResult = {
      fingerprint: alert.fingerprint,
      verdict: verdict.kind,
      runbook: trigger.runbook,
      cluster: trigger.cluster,
    };
    if (verdict.kind === "accept") result.verdict = queued;
    if (verdict.kind === "paused") result.message = `paused by ${verdict.pause.by}: ${verdict.pause.reason}`;
    if (verdict.kind === "storm-pause") result.message = verdict.reason;
    this.deps.metrics.alerts.inc({ verdict: result.verdict });
    return [result];
  }

  /** Parameters are checked when they arrive: a bad one is the sender's error, named now, not a failed run later. */
  private checkParams(trigger: Trigger): string | null {
    try {
      parseParams(runbookById(trigger.runbook), trigger.params);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  }

  private async enqueueTrigger(
    trigger: Trigger,
    origin: Record<string, unknown>,
    tx?: StoreTx,
  ): Promise<AlertVerdict> {
    if (this.stopping) return "shutting-down";
    const job: JobSpec = trigger.unattended
      ? {
          task: "remediate",
          cluster: trigger.cluster,
          key: `run|${trigger.key}`,
          payload: { trigger, origin },
        }
      : {
          task: "ask",
          cluster: trigger.cluster,
          key: `ask|${trigger.key}`,
          payload: { trigger, origin, reason: "the rule does not allow it unattended" },
        };
    const queued = await this.deps.queue.enqueue(job, tx);
    if (queued === "full") this.deps.metrics.refusals.inc({ reason: "queue-full" });
    return queued === "queued"
      ? "queued"
      : queued === "duplicate"
        ? "duplicate-queued"
        : queued === "full"
          ? "queue-full"
          : "shutting-down";
  }

  /** One unattended run: the policy admits it (or says why not), the engine runs it, the policy remembers how it ended. */
  private async runJob(trigger: Trigger, origin: Record<string, unknown>): Promise<void> {
    const { stores, now, rules, metrics, logger, remediator } = this.deps;
    const admitted = await stores.policy.update((s) => {
      const r = admit(s, trigger, false, now(), rules.policy);
      return { state: r.state, result: r.verdict };
    });
    if (admitted.kind === "refuse") {
      metrics.refusals.inc({ reason: admitted.reason });
      logger.log("info", "policy refused a run", {
        key: trigger.key,
        reason: admitted.reason,
        message: admitted.message,
        ...admitted.numbers,
      });
      if (admitted.reason === "attempt-cap") {
        await this.notify({
          event: "needs-human",
          cluster: trigger.cluster,
          title: `${trigger.runbook}: ${admitted.message}`,
          fields: { runbook: trigger.runbook, params: canonicalParams(trigger.params) },
        });
      }
      return;
    }
    const target = await this.deps.clusters.open(trigger.cluster);
    const started = now();
    let result: RunResult;
    try {
      result = await remediator.run({
        target,
        runbook: trigger.runbook,
        params: trigger.params,
        trigger: {
          ...origin,
          rule: trigger.rule,
          key: trigger.key,
          policy: { verdict: "start", ...admitted.numbers },
        },
        signal: this.controller.signal,
      });
    } catch (error) {
      if ((error as { code?: string }).code === "PVEFIX_LOCKED") {
        // Another pvefix (a person's `pvefix run`) holds the cluster: not an attempt; the alert's next delivery tries again.
        await stores.policy.update((s) => ({
          state: cancelStart(s, trigger.key, admitted.before),
          result: null,
        }));
        metrics.refusals.inc({ reason: "cluster-busy" });
        logger.log("info", "cluster busy: another pvefix run holds its lock", {
          key: trigger.key,
          error: (error as Error).message,
        });
        return;
      }
      await stores.policy.update((s) => ({
        state: finish(s, trigger.key, "failed-rolled-back", null),
        result: null,
      }));
      metrics.runs.inc({ outcome: "error" });
      logger.log("error", "run could not start", { key: trigger.key, error: (error as Error).message });
      await this.notify({
        event: "failed",
        cluster: trigger.cluster,
        title: `${trigger.runbook} could not run: ${(error as Error).message}`,
        fields: {},
      });
      return;
    } finally {
      await target.transport.close();
    }
    await this.ended(trigger, result, started);
    if (result.outcome === "interrupted" && this.controller.signal.aborted)
      await this.rollBack(result, trigger.cluster);
    if (result.outcome === "needs-human" && result.plan) {
      await this.requestApproval(
        trigger,
        result.plan,
        String(origin.by ?? "service"),
        result.reason ?? "the plan has steps that need a person",
      );
    }
  }

  private async ended(
    trigger: Pick<Trigger, "key" | "cluster" | "runbook">,
    result: RunResult,
    started: number,
  ): Promise<void> {
    const { stores, metrics, logger, now } = this.deps;
    await stores.policy.update((s) => ({
      state: finish(s, trigger.key, result.outcome, result.runId),
      result: null,
    }));
    metrics.runs.inc({ outcome: result.outcome });
    metrics.runDuration.observe({ runbook: trigger.runbook }, (now() - started) / 1000);
    if (result.outcome === "refused") metrics.refusals.inc({ reason: result.refusal?.code ?? "refused" });
    logger.log("info", "run ended", {
      runId: result.runId,
      key: trigger.key,
      outcome: result.outcome,
      ms: now() - started,
    });
    const event =
      result.outcome === "done"
        ? "done"
        : result.outcome === "rollback-incomplete"
          ? "rollback-incomplete"
          : result.outcome === "failed-rolled-back" || result.outcome === "interrupted"
            ? "failed"
            : result.outcome === "refused"
              ? "needs-human"
              : null;
    if (event) {
      await this.notify({
        event,
        cluster: trigger.cluster,
        title: `${trigger.runbook} ${result.outcome}${result.runId ? ` (run ${result.runId})` : ""}`,
        fields: {
          ...(result.refusal ? { refusal: result.refusal.message } : {}),
          ...(result.error ? { error: result.error } : {}),
          params: canonicalParams(result.params),
        },
      });
    }
  }

  /** A rule that does not allow the run unattended: plan it (read-only) and ask for approval. */
  private async askJob(trigger: Trigger, origin: Record<string, unknown>, reason: string): Promise<void> {
    const target = await this.deps.clusters.open(trigger.cluster);
    try {
      const planned = await this.deps.remediator.plan({
        target,
        runbook: trigger.runbook,
        params: trigger.params,
      });
      if (planned.kind !== "plan") {
        this.deps.logger.log("info", "nothing to approve", {
          key: trigger.key,
          kind: planned.kind,
          ...(planned.kind === "refusal" ? { code: planned.code } : {}),
        });
        return;
      }
      await this.requestApproval(trigger, planned.plan, String(origin.by ?? "service"), reason);
    } finally {
      await target.transport.close();
    }
  }

  private async requestApproval(
    trigger: Trigger,
    plan: Plan,
    requestedBy: string,
    reason: string,
  ): Promise<Approval | null> {
    const { stores, now, rules } = this.deps;
    const open = (await stores.approvals.list()).find(
      (a) => a.key === trigger.key && ["pending", "approved", "applying"].includes(effectiveStatus(a, now())),
    );
    if (open) return null; // one open request per target: a repeated alert does not pile up tickets
    const saved = redactDeep(plan);
    const at = now();
    const approval: Approval = {
      id: randomBytes(6).toString("hex"),
      runbook: plan.runbook,
      params: plan.params,
      cluster: plan.cluster,
      planHash: planHash(saved),
      fingerprint: plan.fingerprint,
      key: trigger.key,
      requestedBy,
      reason,
      createdAt: at,
      expiresAt: at + rules.approvals.ttl,
      required: rules.approvals.required,
      dangerousNodes: [...new Set(plan.steps.filter((s) => s.risk === "dangerous").map((s) => s.node))],
      decisions: [],
      status: "pending",
      runId: null,
      outcome: null,
      markdown: planMarkdown(saved),
    };
    await stores.approvals.create(approval, saved);
    this.deps.metrics.approvals.inc({ event: "requested" });
    this.deps.logger.log("info", "approval requested", {
      id: approval.id,
      key: trigger.key,
      planHash: approval.planHash,
      expiresAt: new Date(approval.expiresAt).toISOString(),
    });
    await this.notify({
      event: "approval-requested",
      cluster: plan.cluster,
      title: `${plan.runbook} needs ${approval.required} approval(s): pvefix approve ${approval.id}${approval.dangerousNodes.length ? ` --confirm ${approval.dangerousNodes.join(",")}` : ""}`,
      fields: {
        reason,
        expires: new Date(approval.expiresAt).toISOString(),
        plan: approval.planHash.slice(0, 12),
      },
      body: approval.markdown,
    });
    return approval;
  }

  /** An approver's decision (HTTP or the CLI through the same store); an approval that is complete is queued to apply. */
  async decideApproval(
    id: string,
    input: {
      by: string;
      verdict: "approve" | "deny";
      confirm?: string | undefined;
      planHash?: string | undefined;
    },
  ): Promise<Approval> {
    const approval = await this.deps.stores.approvals.update(id, (a) => decide(a, input, this.deps.now()));
    this.deps.metrics.approvals.inc({ event: input.verdict });
    this.deps.logger.log("info", "approval decision", {
      id,
      by: input.by,
      verdict: input.verdict,
      status: approval.status,
    });
    if (approval.status === "approved") await this.enqueueApply(approval);
    return approval;
  }

  async listApprovals(): Promise<Approval[]> {
    return this.deps.stores.approvals.list();
  }

  async getApproval(id: string): Promise<Approval> {
    const a = await this.deps.stores.approvals.get(id);
    if (!a) throw new ServeError("PVEFIX_APPROVAL_NOT_FOUND", `✖ No approval ${id}`);
    return a;
  }

  /** Approvals completed elsewhere (`pvefix approve` on this machine) are picked up here. */
  async pollApprovals(): Promise<void> {
    for (const a of await this.deps.stores.approvals.list()) {
      if (a.status === "approved") await this.enqueueApply(a);
    }
  }

  private async enqueueApply(approval: Approval): Promise<void> {
    if (this.stopping) return;
    await this.deps.queue.enqueue({
      task: "apply-approved",
      cluster: approval.cluster,
      key: `apply|${approval.id}`,
      payload: { approval: approval.id },
    });
  }

  /** Apply an approved plan: once (approved → applying), in time, bound to its hash, checked for staleness by `apply`. */
  private async applyJob(id: string): Promise<void> {
    const { stores, now, rules, remediator, logger } = this.deps;
    let expired = false;
    // Only the worker whose transaction moved it to applying runs it: another (a second serve on
    // the same database) that finds it already applying must not run it again.
    let claimed = false;
    const approval = await stores.approvals.update(id, (a) => {
      if (a.status !== "approved") return a;
      if (now() >= a.expiresAt) {
        expired = true;
        return { ...a, status: "expired" };
      }
      claimed = true;
      return { ...a, status: "applying" };
    });
    if (expired) {
      logger.log("warn", "approved plan expired before it could run", { id });
      this.deps.metrics.approvals.inc({ event: "expired" });
      return;
    }
    if (!claimed) return;
    const plan = await stores.approvals.plan(id);
    const finishWith = async (outcome: string, runId: string | null) =>
      stores.approvals.update(id, (a) => ({ ...a, status: "applied", outcome, runId }));
    if (planHash(plan) !== approval.planHash) {
      logger.log("error", "saved plan does not match its approval", { id });
      await finishWith("plan-mismatch", null);
      await this.notify({
        event: "needs-human",
        cluster: approval.cluster,
        title: `approval ${id}: the saved plan changed after it was approved; nothing ran`,
        fields: {},
      });
      return;
    }
    const admitted = await stores.policy.update((s) => {
      // A person approved this plan: cooldown and the attempt cap were for unattended runs; pause still holds.
      const r = admit(s, { cluster: approval.cluster, key: approval.key }, false, now(), {
        ...rules.policy,
        cooldown: 0,
        maxAttempts: Number.MAX_SAFE_INTEGER,
      });
      return { state: r.state, result: r.verdict };
    });
    if (admitted.kind === "refuse") {
      this.deps.metrics.refusals.inc({ reason: admitted.reason });
      await stores.approvals.update(id, (a) => ({ ...a, status: "approved" }));
      logger.log("info", "approved plan waits", { id, reason: admitted.reason, message: admitted.message });
      return;
    }
    const approvers = approval.decisions.filter((d) => d.verdict === "approve").map((d) => d.by);
    const gate: Gate = async (request) => ({
      approved: true,
      answer: `approved in ${id} by ${approvers.join(", ")}${request.confirm === "node-name" ? ` (typed ${approval.dangerousNodes.join(",")})` : ""}`,
      ...(request.batch && request.batch.length > 1 ? { batch: true } : {}),
    });
    const target = await this.deps.clusters.open(approval.cluster);
    const started = now();
    let result: RunResult;
    try {
      result = await remediator.apply({
        target,
        plan,
        gate,
        trigger: {
          source: "approval",
          approval: id,
          approvers,
          planHash: approval.planHash,
          policy: { verdict: "start", ...admitted.numbers },
        },
        signal: this.controller.signal,
      });
    } catch (error) {
      await finishWith(`error: ${(error as Error).message}`, null);
      logger.log("error", "approved plan could not run", { id, error: (error as Error).message });
      await this.notify({
        event: "failed",
        cluster: approval.cluster,
        title: `approval ${id}: ${(error as Error).message}`,
        fields: {},
      });
      return;
    } finally {
      await target.transport.close();
    }
    await finishWith(result.outcome, result.runId);
    await this.ended(
      { key: approval.key, cluster: approval.cluster, runbook: approval.runbook },
      result,
      started,
    );
    if (result.outcome === "interrupted" && this.controller.signal.aborted)
      await this.rollBack(result, approval.cluster);
  }

  /** A run the shutdown stopped between steps: put back what it changed, from its journal. */
  private async rollBack(result: Pick<RunResult, "runId">, cluster: string): Promise<void> {
    if (!result.runId) return;
    await this.undoRun(result.runId, cluster, "stopped by SIGTERM");
  }

  private async undoRun(runId: string, cluster: string, why: string): Promise<void> {
    const { logger } = this.deps;
    const target = await this.deps.clusters.open(cluster);
    try {
      const undo = await this.deps.remediator.undo({ target, runId, trigger: { source: "serve", why } });
      logger.log("info", "rolled back a stopped run", {
        runId,
        why,
        outcome: undo.outcome,
        undoRun: undo.runId,
      });
      if (undo.outcome !== "undone") {
        await this.notify({
          event: "rollback-incomplete",
          cluster,
          title: `run ${runId} was ${why} and its rollback ended ${undo.outcome}: pvefix undo ${runId}`,
          fields: { ...(undo.refusal ? { refusal: undo.refusal.message } : {}) },
        });
      }
    } catch (error) {
      // Nothing to undo (the run stopped before its first change) is the clean end.
      if ((error as { code?: string }).code === "PVEFIX_NOTHING_TO_UNDO") {
        logger.log("info", "stopped run changed nothing", { runId, why });
        return;
      }
      logger.log("error", "rollback of a stopped run failed", { runId, error: (error as Error).message });
      await this.notify({
        event: "rollback-incomplete",
        cluster,
        title: `run ${runId} was ${why}; its rollback failed: ${(error as Error).message}`,
        fields: {},
      });
    } finally {
      await target.transport.close();
    }
  }

  /**
   * At start: a run this service started that has no end in its journal (the process was killed)
   * is rolled back from its journal, as `pvefix undo` would, unattended; what cannot be is paged.
   */
  async recover(): Promise<string[]> {
    const recovered: string[] = [];
    for (const run of listRuns(this.deps.stateDir)) {
      if (run.outcome !== "interrupted" || run.undoneBy || run.mode === "undo") continue;
      if (!this.deps.clusters.names().includes(run.cluster)) continue;
      const start = readJournal(this.deps.stateDir, run.runId).find((e) => e.type === "run-start");
      if (start?.type !== "run-start" || !start.trigger) continue;
      const undos = listRuns(this.deps.stateDir).filter((r) => r.undoOf === run.runId);
      if (undos.length > 0) continue; // tried already: a human has it (it was paged then)
      recovered.push(run.runId);
      await this.undoRun(run.runId, run.cluster, "interrupted (the service died)");
      const key = typeof start.trigger.key === "string" ? start.trigger.key : null;
      if (key)
        await this.deps.stores.policy.update((s) => ({
          state: finish(s, key, "interrupted", run.runId),
          result: null,
        }));
    }
    return recovered;
  }

  /** One sweep: `diagnose` on a cluster, its findings through the same path as alerts. */
  async sweep(cluster: string): Promise<AlertResult[]> {
    const target = await this.deps.clusters.open(cluster);
    let findings: Diagnosis["findings"];
    try {
      findings = (await this.deps.remediator.diagnose(target)).findings;
    } finally {
      await target.transport.close();
    }
    const at = new Date(this.deps.now()).toISOString();
    const results: AlertResult[] = [];
    const triggers: Array<{ alert: IncomingAlert; trigger: Trigger }> = [];
    for (const f of findings) {
      const rule = this.deps.rules.findings.find(
        (r) => r.runbook === f.runbook && r.severity.includes(f.severity),
      );
      const key = `${f.runbook}|${cluster}|${canonicalParams(f.params)}`;
      const fingerprint = createHash("sha256").update(key).digest("hex").slice(0, 16);
      this.deps.metrics.findings.inc({ runbook: f.runbook, severity: f.severity, cluster });
      if (!rule) {
        results.push({ fingerprint, verdict: "no-rule", runbook: f.runbook, cluster });
        continue;
      }
      triggers.push({
        alert: { source: "sweep", status: "firing", labels: {}, fingerprint, startsAt: at },
        trigger: {
          rule: `findings:${f.runbook}`,
          runbook: f.runbook,
          params: f.params,
          cluster,
          key,
          node: f.node ?? null,
          unattended: rule.unattended,
        },
      });
    }
    for (const t of triggers)
      results.push(...(await this.receiveAlertsOfTrigger(t.trigger, t.alert, "sweep")));
    this.deps.logger.log("info", "sweep", {
      cluster,
      findings: findings.length,
      verdicts: countBy(results.map((r) => r.verdict)),
    });
    return results;
  }

  async pause(cluster: string | null, by: string, reason: string): Promise<void> {
    await this.deps.stores.policy.update((s) => ({
      state: pause(s, cluster, by, reason, this.deps.now()),
      result: null,
    }));
  }

  async resume(cluster: string | null): Promise<void> {
    await this.deps.stores.policy.update((s) => ({ state: resume(s, cluster), result: null }));
  }

  /**
   * SIGTERM: take nothing new, let the running remediation end its current step (the engine
   * stops before the next one), roll it back, and resolve when every cluster is quiet.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.controller.abort();
    const dropped = await this.deps.queue.close();
    if (dropped.length > 0)
      this.deps.logger.log("info", "dropped queued jobs at shutdown", { count: dropped.length });
  }

  private async notify(n: Notification): Promise<void> {
    await this.deps.notifier.notify(n);
  }
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
