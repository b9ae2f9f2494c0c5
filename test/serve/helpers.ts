/** A service on the state-dir stores in a temporary directory, with a stand-in engine that records what it was asked. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Diagnosis, Plan, RunOutcome, RunResult } from "../../src/index.js";
import type { IncomingAlert } from "../../src/serve/alerts/alertmanager.js";
import { silentLogger } from "../../src/serve/log.js";
import { createMetrics } from "../../src/serve/metrics.js";
import { type Notification, Notifier } from "../../src/serve/notify/webhook.js";
import { InProcessQueue } from "../../src/serve/queue.js";
import type { Remediator } from "../../src/serve/remediator.js";
import { RulesFile, type RulesInput } from "../../src/serve/rules/schema.js";
import { ServeService } from "../../src/serve/service.js";
import { stateDirStores } from "../../src/serve/store/state-dir.js";

export function tempStateDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-serve-"));
}

export interface FakeCall {
  kind: "run" | "apply" | "undo" | "plan";
  cluster: string;
  params?: Record<string, unknown>;
  trigger?: Record<string, unknown>;
}

export function fakeRemediator(
  opts: {
    outcome?: () => RunOutcome;
    plan?: Plan;
    delayMs?: number;
    findings?: Diagnosis["findings"];
    /** Throw this from run() instead (e.g. the engine's PVEFIX_LOCKED). */
    fail?: () => Error | null;
  } = {},
) {
  const calls: FakeCall[] = [];
  let n = 0;
  const result = (outcome: RunOutcome, params: Record<string, unknown>): RunResult => ({
    runId: `run-${++n}`,
    runbook: "stuck-lock",
    outcome,
    params,
    steps: [],
    touchedFiles: [],
    ...(outcome === "needs-human" && opts.plan ? { plan: opts.plan } : {}),
  });
  const wait = () => new Promise((r) => setTimeout(r, opts.delayMs ?? 0));
  const remediator: Remediator = {
    async run(o) {
      calls.push({ kind: "run", cluster: o.target.cluster, params: o.params, trigger: o.trigger });
      await wait();
      const failure = opts.fail?.();
      if (failure) throw failure;
      return result(opts.outcome?.() ?? "done", o.params);
    },
    async plan(o) {
      calls.push({ kind: "plan", cluster: o.target.cluster, params: o.params });
      return opts.plan ? { kind: "plan", plan: opts.plan } : { kind: "nothing-to-do", reason: "fine" };
    },
    async apply(o) {
      calls.push({ kind: "apply", cluster: o.target.cluster, trigger: o.trigger });
      await wait();
      return result("done", {});
    },
    async undo(o) {
      calls.push({ kind: "undo", cluster: o.target.cluster });
      return result("undone", {});
    },
    async diagnose(target) {
      if (!opts.findings) throw new Error("no sweeps here");
      return {
        cluster: target.cluster,
        generatedAt: new Date(0).toISOString(),
        nodes: { up: [], down: [] },
        findings: opts.findings,
        unreachable: [],
        failures: [],
        status: "findings",
      } as Diagnosis;
    },
  };
  return { remediator, calls };
}

export function makeService(input: {
  rules: RulesInput;
  remediator: Remediator;
  clusters?: Record<string, number>;
  now?: () => number;
  stateDir?: string;
}) {
  const stateDir = input.stateDir ?? tempStateDir();
  const rules = RulesFile.parse(input.rules);
  const stores = stateDirStores(stateDir);
  const queue = new InProcessQueue(rules.policy.maxQueue);
  const metrics = createMetrics(() => queue.depth());
  const sent: Notification[] = [];
  const notifier = new Notifier([]);
  notifier.notify = async (n) => {
    sent.push(n);
  };
  const clusters = input.clusters ?? { lab: 3 };
  const service = new ServeService({
    rules,
    stores,
    queue,
    clusters: {
      names: () => Object.keys(clusters),
      nodeCount: (c) => clusters[c] ?? 0,
      open: async (cluster) => ({
        cluster,
        nodes: [],
        transport: { kind: "fake", close: async () => {} } as never,
      }),
    },
    remediator: input.remediator,
    notifier,
    metrics,
    logger: silentLogger,
    now: input.now ?? Date.now,
    stateDir,
  });
  return { service, stores, queue, metrics, sent, stateDir };
}

export function firing(
  labels: Record<string, string>,
  fingerprint: string,
  startsAt = "2026-12-01T00:00:00Z",
): IncomingAlert {
  return { source: "alertmanager", status: "firing", labels, fingerprint, startsAt };
}

export const LOCK_RULE = {
  name: "locked",
  match: { alertname: "PveGuestLocked" },
  runbook: "stuck-lock",
  params: { vmid: "{{ labels.vmid }}" },
  unattended: true,
};
