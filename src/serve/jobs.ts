/**
 * The service's jobs as data: a task name and a JSON payload, never a closure, so a job can
 * wait in PostgreSQL and be run by another worker. Both engines (the in-process queue and
 * graphile-worker) carry these and hand them back to the service's one handler.
 */
import { z } from "zod";

const TriggerPayload = z.strictObject({
  rule: z.string(),
  runbook: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
  cluster: z.string().min(1),
  key: z.string().min(1),
  node: z.string().nullable(),
  unattended: z.boolean(),
});

const Origin = z.record(z.string(), z.unknown());

/** An unattended run of a rule's runbook (policy admits it first). */
export const RemediateJob = z.strictObject({
  task: z.literal("remediate"),
  cluster: z.string().min(1),
  key: z.string().min(1),
  payload: z.strictObject({ trigger: TriggerPayload, origin: Origin }),
});

/** A rule that is not unattended: plan read-only and ask for approval. */
export const AskJob = z.strictObject({
  task: z.literal("ask"),
  cluster: z.string().min(1),
  key: z.string().min(1),
  payload: z.strictObject({ trigger: TriggerPayload, origin: Origin, reason: z.string() }),
});

/** Apply a plan people approved. */
export const ApplyApprovedJob = z.strictObject({
  task: z.literal("apply-approved"),
  cluster: z.string().min(1),
  key: z.string().min(1),
  payload: z.strictObject({ approval: z.string().min(1) }),
});

/** `diagnose` on a cluster, its findings through the alert path (read-only: not in the cluster's queue). */
export const SweepJob = z.strictObject({
  task: z.literal("sweep"),
  cluster: z.string().min(1),
  key: z.string().min(1),
  payload: z.strictObject({ cluster: z.string().min(1) }),
});

export const JobSpec = z.discriminatedUnion("task", [RemediateJob, AskJob, ApplyApprovedJob, SweepJob]);
export type JobSpec = z.infer<typeof JobSpec>;
export type JobTask = JobSpec["task"];
export const JOB_TASKS: readonly JobTask[] = ["remediate", "ask", "apply-approved", "sweep"];

/** Does this job change (or may it change) its cluster, so it must wait for the cluster's queue? */
export function serialisedPerCluster(task: JobTask): boolean {
  return task !== "sweep";
}

/**
 * A job's payload as it comes back from the database: checked, because a row written by another
 * version of pvefix (or by hand) must fail loudly here, not halfway through a run.
 */
export function jobFromRow(task: string, payload: unknown): JobSpec {
  const raw = payload as { cluster?: unknown; key?: unknown; payload?: unknown } | null;
  const parsed = JobSpec.safeParse({
    task,
    cluster: raw?.cluster,
    key: raw?.key,
    payload: raw?.payload,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `job ${task}: not a pvefix job payload (${issue?.path.join(".") || "payload"}: ${issue?.message})`,
    );
  }
  return parsed.data;
}

/** What goes into the database row: everything but the task name, which is the row's task identifier. */
export function rowOfJob(job: JobSpec): { cluster: string; key: string; payload: unknown } {
  return { cluster: job.cluster, key: job.key, payload: job.payload };
}
