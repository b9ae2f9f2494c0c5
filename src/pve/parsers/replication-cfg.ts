/** `/etc/pve/replication.cfg` (proxmox-facts §7.1): storage replication jobs, cluster-wide. */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { isTrue, validated } from "./parser-support.js";
import { decodePveText, encodePveText } from "./pve-text.js";
import { orderSectionProps, parseSectionConfig, serializeSectionConfig } from "./section-config.js";
import { setDisable, setProp } from "./section-props.js";

export const ReplicationJob = z.object({
  /** `<guest>-<jobnum>`, e.g. `100-0`. */
  id: z.string(),
  guest: z.number().int().min(100),
  jobnum: z.number().int().nonnegative(),
  target: z.string().min(1),
  /** Calendar event; `*\/15` when the file has none. */
  schedule: z.string(),
  /** MB/s. */
  rate: z.number().positive().nullable(),
  disabled: z.boolean(),
  /** Node the guest was on when the job last ran; detects guests moved behind its back. */
  source: z.string().nullable(),
  /** `local` or `full` when the job is marked for removal. */
  removeJob: z.string().nullable(),
  /** Decoded (the file stores it URI-escaped). */
  comment: z.string().nullable(),
  props: z.record(z.string(), z.string()),
});
export type ReplicationJob = z.infer<typeof ReplicationJob>;

const FORMAT = "replication-cfg";
const DEFAULT_SCHEDULE = "*/15";

export function parseReplicationCfg(text: string): ReplicationJob[] {
  const jobs = parseSectionConfig(text, FORMAT).map(({ type, id, props }) => {
    const m = /^(\d+)-(\d+)$/.exec(id);
    if (type.toLowerCase() !== "local" || !m) {
      throw new ParseError(FORMAT, `expected a 'local: <guest>-<jobnum>' section, got '${type}: ${id}'`);
    }
    if (props.target === undefined) throw new ParseError(FORMAT, `job '${id}' has no target`);
    const rate = props.rate === undefined ? null : Number(props.rate);
    if (rate !== null && !Number.isFinite(rate))
      throw new ParseError(FORMAT, `job '${id}': rate '${props.rate}' is not a number`);
    const guest = Number(m[1]);
    const jobnum = Number(m[2]);
    return {
      // PVE normalises the integers (`0100-00` is job `100-0`).
      id: `${guest}-${jobnum}`,
      guest,
      jobnum,
      target: props.target,
      schedule: props.schedule ?? DEFAULT_SCHEDULE,
      rate,
      disabled: isTrue(props.disable),
      source: props.source ?? null,
      removeJob: props.remove_job ?? null,
      comment: props.comment === undefined ? null : decodePveText(props.comment),
      props,
    };
  });
  return validated(FORMAT, z.array(ReplicationJob), jobs);
}

/** Write replication.cfg in PVE's order (comment, disable, target, then the rest sorted). */
export function serializeReplicationCfg(jobs: readonly ReplicationJob[]): string {
  return serializeSectionConfig(
    jobs.map((job) => {
      const props = { ...job.props };
      const rawComment = props.comment;
      if (job.comment === null) delete props.comment;
      else if (rawComment === undefined || decodePveText(rawComment) !== job.comment) {
        props.comment = encodePveText(job.comment);
      }
      setDisable(props, job.disabled);
      setProp(props, "target", job.target);
      setProp(props, "schedule", job.schedule, DEFAULT_SCHEDULE);
      setProp(props, "rate", job.rate);
      setProp(props, "source", job.source);
      setProp(props, "remove_job", job.removeJob);
      return { type: "local", id: `${job.guest}-${job.jobnum}`, props: orderSectionProps(props, ["target"]) };
    }),
  );
}

export const replicationCfgFormat: ParserFormat<ReplicationJob[]> = {
  name: FORMAT,
  description: "/etc/pve/replication.cfg: replication jobs with target, schedule, rate, source",
  schema: z.array(ReplicationJob),
  parse: parseReplicationCfg,
};
