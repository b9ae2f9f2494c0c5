/**
 * The job engine's seam, and the embedded default behind it: the in-process queue, one FIFO per
 * cluster, one job at a time per cluster (one remediation per cluster), different clusters in
 * parallel. A job whose key is already waiting or running is a duplicate and is not queued
 * again. With a database, graphile-worker (src/serve/store/postgres/graphile-queue.ts) does the
 * same across every worker: one named queue per cluster, the job key for duplicates.
 */
import { type JobSpec, serialisedPerCluster } from "./jobs.js";
import type { StoreTx } from "./store/types.js";

export type Enqueued = "queued" | "duplicate" | "full" | "closed";

/** The service's one handler: the engine calls it for every job it starts, on whichever worker. */
export type JobHandler = (job: JobSpec) => Promise<void>;

export interface JobQueue {
  /** Set once, by the service, before any job runs. */
  handle(handler: JobHandler): void;
  /**
   * `tx`: the policy transaction that admitted the job (`PolicyStore.update`'s `commitWith`); a
   * database queue adds the job in it, so the admission and the job commit or vanish together.
   */
  enqueue(job: JobSpec, tx?: StoreTx): Promise<Enqueued>;
  /** Jobs waiting for their cluster (with a database: on every worker, the same number). */
  depth(): Promise<number>;
  /** Jobs this process is running now. */
  running(): number;
  /** Take no more jobs; resolves when the running ones are done (the waiting ones are dropped here, and returned; a database keeps them for the other workers). */
  close(): Promise<JobSpec[]>;
  /** Resolves when nothing waits or runs. */
  idle(): Promise<void>;
  /** Begin taking jobs (after the service recovered what a previous process left); the in-process queue needs no start. */
  start?(): Promise<void>;
  /** True when the engine schedules the rules' sweeps itself (graphile-worker's crontab, once across workers). */
  readonly runsSweeps?: boolean;
}

export class InProcessQueue implements JobQueue {
  private readonly waiting = new Map<string, JobSpec[]>();
  private readonly active = new Map<string, { job: JobSpec; done: Promise<void> }>();
  private readonly keys = new Set<string>();
  private closed = false;
  private handler: JobHandler | null = null;
  private idleWaiters: Array<() => void> = [];
  private sequence = 0;

  constructor(
    private readonly maxPerCluster: number,
    private readonly onError: (job: JobSpec, error: unknown) => void = () => {},
  ) {}

  handle(handler: JobHandler): void {
    this.handler = handler;
    for (const lane of [...this.waiting.keys()]) this.pump(lane);
  }

  async enqueue(job: JobSpec): Promise<Enqueued> {
    if (this.closed) return "closed";
    if (this.keys.has(job.key)) return "duplicate";
    // A sweep only reads: it runs beside the cluster's remediation, in a lane of its own.
    const lane = serialisedPerCluster(job.task) ? job.cluster : `${job.task}#${this.sequence++}`;
    const list = this.waiting.get(lane) ?? [];
    if (serialisedPerCluster(job.task) && list.length >= this.maxPerCluster) return "full";
    list.push(job);
    this.waiting.set(lane, list);
    this.keys.add(job.key);
    this.pump(lane);
    return "queued";
  }

  async depth(): Promise<number> {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  running(): number {
    return this.active.size;
  }

  private pump(lane: string): void {
    if (this.active.has(lane) || !this.handler) return;
    const handler = this.handler;
    const list = this.waiting.get(lane);
    const job = list?.shift();
    if (list && list.length === 0) this.waiting.delete(lane);
    if (!job) {
      if (this.active.size === 0 && this.waiting.size === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
      return;
    }
    const done = (async () => {
      try {
        await handler(job);
      } catch (error) {
        this.onError(job, error);
      } finally {
        this.active.delete(lane);
        this.keys.delete(job.key);
        if (!this.closed) this.pump(lane);
        else if (this.active.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    })();
    this.active.set(lane, { job, done });
  }

  async close(): Promise<JobSpec[]> {
    this.closed = true;
    const dropped = [...this.waiting.values()].flat();
    this.waiting.clear();
    for (const job of dropped) this.keys.delete(job.key);
    await Promise.all([...this.active.values()].map((r) => r.done));
    return dropped;
  }

  idle(): Promise<void> {
    if (this.active.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
