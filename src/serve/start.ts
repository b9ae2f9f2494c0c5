/**
 * `pvefix serve` put together on the embedded default: the state-dir stores, the in-process
 * queue, the engine, the HTTP server, the sweeps and the approval poll. Returns a handle whose
 * `shutdown()` is what SIGTERM does.
 */
import type { AddressInfo } from "node:net";
import { runbooks } from "../index.js";
import { type RunSource, stateDirRuns } from "./http/page/routes.js";
import { buildHttpServer } from "./http/server.js";
import type { Logger } from "./log.js";
import { createMetrics } from "./metrics.js";
import { Notifier } from "./notify/webhook.js";
import { pauseOf } from "./policy/policy.js";
import { InProcessQueue, type JobQueue } from "./queue.js";
import { engineRemediator, type Remediator } from "./remediator.js";
import type { RulesFile } from "./rules/schema.js";
import { type ClusterDirectory, ServeService } from "./service.js";
import { stateDirStores } from "./store/state-dir.js";
import type { ServeStores } from "./store/types.js";

export interface ServeOptions {
  stateDir: string;
  rules: RulesFile;
  clusters: ClusterDirectory;
  host: string;
  port: number;
  logger: Logger;
  tls?: { cert: Buffer; key: Buffer };
  trustProxy?: boolean;
  /** Signs the approval page's sessions (shared by workers behind one address). @default random */
  sessionKey?: Buffer;
  bodyLimit?: number;
  rateLimit?: number;
  /** How often approvals decided outside this process (`pvefix approve`) are looked for. @default 1000 */
  approvalPollMs?: number;
  now?: () => number;
  stores?: ServeStores;
  remediator?: Remediator;
  /** The job engine: graphile-worker with a database; the in-process queue when absent. */
  queue?: JobQueue;
  /** Roll back the runs a killed service left in the state directory. False for a fleet worker: takeover does it. @default true */
  recover?: boolean;
  /** Where the approval page reads runs: every worker's, from PostgreSQL, for a fleet worker. @default the state directory */
  runs?: RunSource;
  /** Throws when this worker must not be trusted any more (a fleet worker declared dead): /healthz answers with the error. */
  assertAlive?: () => void;
}

export interface ServeHandle {
  url: string;
  service: ServeService;
  /** Resolves when no run waits or runs (tests and the benchmark). */
  idle(): Promise<void>;
  /** Stop taking requests, let the running remediation end cleanly, stop the timers. */
  shutdown(): Promise<void>;
}

export const KNOWN_RUNBOOKS = (): string[] => runbooks.map((r) => r.meta.id);

export async function startServe(o: ServeOptions): Promise<ServeHandle> {
  const now = o.now ?? Date.now;
  const stores = o.stores ?? stateDirStores(o.stateDir);
  const queue: JobQueue =
    o.queue ??
    new InProcessQueue(o.rules.policy.maxQueue, (job, error) =>
      o.logger.log("error", "job failed", { key: job.key, error: (error as Error).message }),
    );
  const metrics = createMetrics(
    () => queue.depth(),
    () => queue.running(),
  );
  const notifier = new Notifier(o.rules.notify, undefined, (ok, target, error) => {
    metrics.notifications.inc({ result: ok ? "sent" : "failed" });
    if (!ok) o.logger.log("warn", "notification not delivered", { target, error });
  });
  const service = new ServeService({
    rules: o.rules,
    stores,
    queue,
    clusters: o.clusters,
    remediator: o.remediator ?? engineRemediator(o.stateDir),
    notifier,
    metrics,
    logger: o.logger,
    now,
    stateDir: o.stateDir,
  });
  const recovered = o.recover === false ? [] : await service.recover();
  if (recovered.length > 0)
    o.logger.log("warn", "rolled back runs a previous service left unfinished", { runs: recovered });
  await queue.start?.();

  const app = await buildHttpServer({
    service,
    tokens: stores.tokens,
    metrics,
    logger: o.logger,
    now,
    ...(o.tls ? { tls: o.tls } : {}),
    ...(o.trustProxy ? { trustProxy: true } : {}),
    ...(o.bodyLimit ? { bodyLimit: o.bodyLimit } : {}),
    ...(o.rateLimit ? { rateLimit: o.rateLimit } : {}),
    page: {
      runs: o.runs ?? stateDirRuns(o.stateDir),
      paused: async () => {
        const state = await stores.policy.read();
        return [
          ...(state.paused.all ? [{ cluster: null, pause: state.paused.all }] : []),
          ...Object.entries(state.paused.clusters).map(([cluster, pause]) => ({ cluster, pause })),
        ];
      },
      sessionKey: o.sessionKey,
    },
    health: async () => {
      o.assertAlive?.();
      const state = await stores.policy.read();
      return {
        queue: await queue.depth(),
        paused: Object.fromEntries(o.clusters.names().map((c) => [c, pauseOf(state, c) !== null])),
      };
    },
  });
  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `${o.tls ? "https" : "http"}://${host}:${address.port}`;

  const timers: NodeJS.Timeout[] = [];
  for (const sweep of queue.runsSweeps ? [] : o.rules.sweeps) {
    let running = false;
    timers.push(
      setInterval(() => {
        if (running) return; // a slow sweep is not stacked on itself
        running = true;
        service
          .sweep(sweep.cluster)
          .catch((error: unknown) =>
            o.logger.log("error", "sweep failed", {
              cluster: sweep.cluster,
              error: (error as Error).message,
            }),
          )
          .finally(() => {
            running = false;
          });
      }, sweep.every),
    );
  }
  timers.push(
    setInterval(() => {
      service
        .pollApprovals()
        .catch((error: unknown) =>
          o.logger.log("error", "approval poll failed", { error: (error as Error).message }),
        );
    }, o.approvalPollMs ?? 1_000),
  );
  o.logger.log("info", "listening", {
    url,
    clusters: o.clusters.names(),
    rules: o.rules.rules.length,
    sweeps: o.rules.sweeps.length,
  });

  let stopped: Promise<void> | undefined;
  return {
    url,
    service,
    idle: () => queue.idle(),
    shutdown: () => {
      stopped ??= (async () => {
        for (const t of timers) clearInterval(t);
        o.logger.log("info", "stopping: no new work; the running remediation ends its step");
        // Stop the listener first, then the work: no request is accepted that could not be served.
        const closing = app.close();
        await service.shutdown();
        await closing;
        o.logger.log("info", "stopped");
      })();
      return stopped;
    },
  };
}
