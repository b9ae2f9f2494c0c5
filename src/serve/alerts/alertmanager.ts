/**
 * Alertmanager's webhook payload, version 4 (prometheus/alertmanager notify/webhook): the whole
 * notification of one group, with every alert in it. Validated before anything else reads it.
 */
import { z } from "zod";

const LabelSet = z.record(z.string().max(1024), z.string().max(4096));

export const AlertmanagerAlert = z.object({
  status: z.enum(["firing", "resolved"]),
  labels: LabelSet,
  annotations: LabelSet.default({}),
  startsAt: z.string().max(64),
  endsAt: z.string().max(64).optional(),
  generatorURL: z.string().max(4096).optional(),
  fingerprint: z.string().min(1).max(128),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

export const AlertmanagerWebhook = z.object({
  version: z.literal("4"),
  groupKey: z.string().max(4096),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(["firing", "resolved"]),
  receiver: z.string().max(1024),
  groupLabels: LabelSet,
  commonLabels: LabelSet,
  commonAnnotations: LabelSet,
  externalURL: z.string().max(4096),
  alerts: z.array(AlertmanagerAlert).max(1000),
});
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>;

/** One alert the service considers: where it came from does not matter past this point (sweeps make these too). */
export interface IncomingAlert {
  source: "alertmanager" | "sweep";
  status: "firing" | "resolved";
  labels: Record<string, string>;
  /** Alertmanager's fingerprint of the label set, or the sweep's own key for a finding. */
  fingerprint: string;
  startsAt: string;
}

export function alertsOf(webhook: AlertmanagerWebhook): IncomingAlert[] {
  return webhook.alerts.map((a) => ({
    source: "alertmanager",
    status: a.status,
    labels: a.labels,
    fingerprint: a.fingerprint,
    startsAt: a.startsAt,
  }));
}
