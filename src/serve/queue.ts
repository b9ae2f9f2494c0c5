/**
 * The in-process queue: one FIFO per cluster, one job at a time per cluster (one remediation per
 * cluster), different clusters in parallel. A job whose key is already waiting or running is a
 * duplicate and is not queued again. A database queue (one named queue per cluster) can replace
 * it behind the same interface.
 */

export interface Job {
  cluster: string;
  /** Jobs with the same key are one job: a second one is not queued while the first waits or runs. */
  key: string;
  run(): Promise<void>;
}

export type Enqueued = "queued" | "duplicate" | "full" | "closed";

export interface JobQueue {
  enqueue(job: Job): Enqueued;
  depth(): number;
  busy(cluster: string): boolean;
  /** Take no more jobs; resolves when the running ones are done (the waiting ones are dropped, and returned). */
  close(): Promise<Job[]>;
  /** Resolves when nothing waits or runs. */
  idle(): Promise<void>;
}

export class InProcessQueue implements JobQueue {
  private readonly waiting = new Map<string, Job[]>();
  private readonly running = new Map<string, { job: Job; done: Promise<void> }>();
  private readonly keys = new Set<string>();
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly maxPerCluster: number,
    private readonly onError: (job: Job, error: unknown) => void = () => {},
  ) {}

  enqueue(job: Job): Enqueued {
    if (this.closed) return "closed";
    if (this.keys.has(job.key)) return "duplicate";
    const list = this.waiting.get(job.cluster) ?? [];
    if (list.length >= this.maxPerCluster) return "full";
    list.push(job);
    this.waiting.set(job.cluster, list);
    this.keys.add(job.key);
    this.pump(job.cluster);
    return "queued";
  }

  depth(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  busy(cluster: string): boolean {
    return this.running.has(cluster);
  }

  private pump(cluster: string): void {
    if (this.running.has(cluster)) return;
    const list = this.waiting.get(cluster);
    const job = list?.shift();
    if (list && list.length === 0) this.waiting.delete(cluster);
    if (!job) {
      if (this.running.size === 0 && this.waiting.size === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
      return;
    }
    const done = (async () => {
      try {
        await job.run();
      } catch (error) {
        this.onError(job, error);
      } finally {
        this.running.delete(cluster);
        this.keys.delete(job.key);
        if (!this.closed) this.pump(cluster);
        else if (this.running.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    })();
    this.running.set(cluster, { job, done });
  }

  async close(): Promise<Job[]> {
    this.closed = true;
    const dropped = [...this.waiting.values()].flat();
    this.waiting.clear();
    for (const job of dropped) this.keys.delete(job.key);
    await Promise.all([...this.running.values()].map((r) => r.done));
    return dropped;
  }

  idle(): Promise<void> {
    if (this.running.size === 0 && this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
