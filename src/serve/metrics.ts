/** The service's Prometheus metrics, in a registry of its own (no global state). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface ServeMetrics {
  registry: Registry;
  findings: Counter<"runbook" | "severity" | "cluster">;
  alerts: Counter<"verdict">;
  runs: Counter<"outcome">;
  refusals: Counter<"reason">;
  queueDepth: Gauge;
  jobsRunning: Gauge;
  runDuration: Histogram<"runbook">;
  approvals: Counter<"event">;
  notifications: Counter<"result">;
}

/**
 * `queueDepth` is the jobs waiting for their cluster: with a database, every worker reports the
 * fleet's one number (read from graphile-worker's jobs), so it is not summed across workers;
 * `running` is this process's own.
 */
export function createMetrics(
  queueDepth: () => number | Promise<number>,
  running: () => number = () => 0,
): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "pvefix_serve_" });
  const registers = [registry];
  return {
    registry,
    findings: new Counter({
      name: "pvefix_findings_total",
      help: "Findings received (alerts matched to a runbook, and sweep findings), by runbook, severity and cluster",
      labelNames: ["runbook", "severity", "cluster"],
      registers,
    }),
    alerts: new Counter({
      name: "pvefix_alerts_total",
      help: "Alerts received, by what the service did with them",
      labelNames: ["verdict"],
      registers,
    }),
    runs: new Counter({
      name: "pvefix_runs_total",
      help: "Runs the service ended, by outcome",
      labelNames: ["outcome"],
      registers,
    }),
    refusals: new Counter({
      name: "pvefix_guard_refusals_total",
      help: "Runs not started or refused, by reason (policy: paused, cooldown, attempt-cap, cluster-busy, queue-full; engine refusal codes)",
      labelNames: ["reason"],
      registers,
    }),
    queueDepth: new Gauge({
      name: "pvefix_queue_depth",
      help: "Jobs waiting for their cluster (with a database: the whole fleet's, the same on every worker)",
      registers,
      async collect() {
        // A scrape while the database is away says "unknown" (NaN) rather than failing the whole page.
        this.set(await Promise.resolve(queueDepth()).catch(() => Number.NaN));
      },
    }),
    jobsRunning: new Gauge({
      name: "pvefix_jobs_running",
      help: "Jobs (runs, approvals to ask or apply, sweeps) this worker is running now",
      registers,
      collect() {
        this.set(running());
      },
    }),
    runDuration: new Histogram({
      name: "pvefix_run_duration_seconds",
      help: "Duration of the runs the service started, by runbook",
      labelNames: ["runbook"],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    approvals: new Counter({
      name: "pvefix_approvals_total",
      help: "Approval requests and decisions, by event",
      labelNames: ["event"],
      registers,
    }),
    notifications: new Counter({
      name: "pvefix_notifications_total",
      help: "Outgoing notifications, by result",
      labelNames: ["result"],
      registers,
    }),
  };
}
