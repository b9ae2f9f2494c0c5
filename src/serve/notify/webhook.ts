/**
 * Outgoing notifications: a JSON document, or Slack-compatible `{ text }`. Every value that came
 * from outside is escaped in the text; the JSON form carries the escaped text and the structured
 * fields. Delivery is best effort with a deadline: a slow receiver never holds a remediation.
 */
import type { NotifyTarget } from "../rules/schema.js";
import { escapeUntrusted } from "./escape.js";

export type NotifyEvent =
  | "needs-human"
  | "approval-requested"
  | "done"
  | "failed"
  | "rollback-incomplete"
  | "storm-pause";

export interface Notification {
  event: NotifyEvent;
  cluster: string;
  /** One line, in trusted words: untrusted values go in `fields` and are escaped when shown. */
  title: string;
  fields: Record<string, string>;
  /** Markdown made by pvefix (the plan, the result); its untrusted values were escaped by its maker. */
  body?: string;
}

const ICON: Record<NotifyEvent, string> = {
  "needs-human": "✋",
  "approval-requested": "📝",
  done: "✅",
  failed: "❌",
  "rollback-incomplete": "‼",
  "storm-pause": "⏸",
};

export function notificationText(n: Notification): string {
  const lines = [
    `${ICON[n.event]} pvefix ${n.event} on cluster ${escapeUntrusted(n.cluster)}: ${escapeUntrusted(n.title)}`,
  ];
  for (const [k, v] of Object.entries(n.fields)) lines.push(`• ${escapeUntrusted(k)}: ${escapeUntrusted(v)}`);
  if (n.body) lines.push("", n.body);
  return lines.join("\n");
}

export function payloadFor(target: NotifyTarget, n: Notification): unknown {
  const text = notificationText(n);
  if (target.format === "slack") return { text };
  return {
    event: n.event,
    cluster: escapeUntrusted(n.cluster),
    title: escapeUntrusted(n.title),
    fields: Object.fromEntries(
      Object.entries(n.fields).map(([k, v]) => [escapeUntrusted(k), escapeUntrusted(v)]),
    ),
    text,
  };
}

export type Send = (url: string, body: string, timeoutMs: number) => Promise<number>;

export const fetchSend: Send = async (url, body, timeoutMs) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer();
  return res.status;
};

export class Notifier {
  constructor(
    private readonly targets: readonly NotifyTarget[],
    private readonly send: Send = fetchSend,
    private readonly onResult: (ok: boolean, target: string, error?: string) => void = () => {},
    private readonly timeoutMs = 5_000,
  ) {}

  /** Deliver to every target that wants this event; resolves when all tried (never rejects). */
  async notify(n: Notification): Promise<void> {
    await Promise.all(
      this.targets
        .filter((t) => !t.events || t.events.includes(n.event))
        .map(async (t) => {
          const where = new URL(t.url).origin;
          try {
            const status = await this.send(t.url, JSON.stringify(payloadFor(t, n)), this.timeoutMs);
            this.onResult(status >= 200 && status < 300, where, status >= 300 ? `HTTP ${status}` : undefined);
          } catch (error) {
            this.onResult(false, where, (error as Error).message);
          }
        }),
    );
  }
}
