/**
 * Which nodes answer, asked once per sweep. Diagnose checks every node before any detector runs
 * and hands the detectors a context that knows the answer: a node that did not answer fails at
 * once (no detector waits for it again) and is named in one finding of its own, while the
 * detectors report what they found on the nodes that did answer.
 */
import { TransportError } from "../transport/errors.js";
import type { CommandResult } from "../transport/types.js";
import { ProbeError } from "./probe-context.js";
import type { ProbeContext } from "./runbook.js";

/** Why a node could not be checked, in words an operator acts on. */
export type UnreachableCode =
  | "connection-refused"
  | "timed-out"
  | "no-route"
  | "host-key-changed"
  | "host-key-unknown"
  | "auth-failed"
  | "unknown-node"
  | "connect-failed"
  | "command-failed"
  | "cancelled"
  /** Offline (`--from`): the reports hold nothing of this node; it was not found wanting. */
  | "not-in-report";

export interface NodeDown {
  node: string;
  /** When this sweep first saw it fail (ISO 8601). */
  since: string;
  code: UnreachableCode;
  /** Short: "connection refused", "host key changed", "timed out". */
  reason: string;
  /** The transport's full message, with its hint (which file, which port). */
  detail: string;
}

export interface Reachability {
  up: string[];
  down: NodeDown[];
}

const SHORT: Record<UnreachableCode, string> = {
  "connection-refused": "connection refused",
  "timed-out": "timed out",
  "no-route": "no route to host",
  "host-key-changed": "host key changed",
  "host-key-unknown": "host key not known",
  "auth-failed": "authentication failed",
  "unknown-node": "not in the inventory",
  "connect-failed": "cannot connect",
  "command-failed": "`true` failed",
  cancelled: "not asked: pvefix was stopping",
  "not-in-report": "not in report",
};

/** Classify a transport failure by its code and the socket error it carries. */
export function classifyTransportError(error: TransportError): UnreachableCode {
  switch (error.code) {
    case "PVEFIX_HOST_KEY_CHANGED":
      return "host-key-changed";
    case "PVEFIX_HOST_KEY_UNKNOWN":
      return "host-key-unknown";
    case "PVEFIX_AUTH_FAILED":
      return "auth-failed";
    case "PVEFIX_UNKNOWN_NODE":
      return "unknown-node";
    // The sweep itself was stopped (the target closed): the node was not found wanting.
    case "PVEFIX_TRANSPORT_CLOSED":
      return "cancelled";
    case "PVEFIX_NOT_IN_REPORT":
      return "not-in-report";
    case "PVEFIX_CONNECT_FAILED": {
      const text = `${error.message} ${String((error.cause as { code?: unknown } | undefined)?.code ?? "")}`;
      if (/ECONNREFUSED|refused/i.test(text)) return "connection-refused";
      if (/EHOSTUNREACH|ENETUNREACH|no route/i.test(text)) return "no-route";
      if (/ETIMEDOUT|timed out/i.test(text)) return "timed-out";
      return "connect-failed";
    }
  }
}

export function nodeDownFromError(node: string, error: unknown, at: Date): NodeDown {
  if (error instanceof TransportError) {
    const code = classifyTransportError(error);
    const reason = code === "connect-failed" ? firstSentence(error.message) : SHORT[code];
    return { node, since: at.toISOString(), code, reason, detail: error.message };
  }
  const message = (error as Error)?.message ?? String(error);
  return {
    node,
    since: at.toISOString(),
    code: "command-failed",
    reason: firstSentence(message),
    detail: message,
  };
}

function nodeDownFromResult(result: CommandResult, at: Date): NodeDown {
  if (result.timedOut) {
    return {
      node: result.node,
      since: at.toISOString(),
      code: "timed-out",
      reason: SHORT["timed-out"],
      detail: `\`true\` did not finish within ${Math.round(result.durationMs / 1000)} s on ${result.node}`,
    };
  }
  const why = result.connectionLost ? "the connection broke" : `exit ${result.exitCode}`;
  return {
    node: result.node,
    since: at.toISOString(),
    code: result.connectionLost ? "connect-failed" : "command-failed",
    reason: result.connectionLost ? "connection lost" : `\`true\` failed (${why})`,
    detail: `\`true\` on ${result.node}: ${why}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}`,
  };
}

/** The first line without its hint: "Cannot connect to lab node pve3: the node is down". */
function firstSentence(text: string): string {
  const line = text.split("\n")[0] ?? text;
  const end = line.search(/\.(\s|$)/);
  return end > 0 ? line.slice(0, end) : line;
}

/** Ask every node `true` at once; every node ends up exactly once in `up` or `down`. */
export async function checkReachability(
  ctx: ProbeContext,
  now: () => Date = () => new Date(),
): Promise<Reachability> {
  const settled = await Promise.allSettled(ctx.nodes.map((n) => ctx.run(n, "true", { fresh: true })));
  const up: string[] = [];
  const down: NodeDown[] = [];
  settled.forEach((s, i) => {
    const node = ctx.nodes[i]!;
    if (s.status === "fulfilled" && !s.value.failed) up.push(node);
    else if (s.status === "fulfilled") down.push(nodeDownFromResult(s.value, now()));
    else down.push(nodeDownFromError(node, s.reason, now()));
  });
  return { up, down };
}

/** The error a detector gets for a node that did not answer: a TransportError, so plans refuse with node-unreachable. */
export function nodeDownError(down: NodeDown): TransportError {
  const code = down.code === "host-key-changed" ? "PVEFIX_HOST_KEY_CHANGED" : "PVEFIX_CONNECT_FAILED";
  return new TransportError(code, down.node, `${down.node} did not answer (${down.reason}): ${down.detail}`);
}

export interface AnsweringContext extends ProbeContext {
  /** Nodes that stopped answering after the check (a connection lost mid-sweep), in order seen. */
  readonly lost: NodeDown[];
}

/**
 * The context detectors get: `reachable()` is the check's answer (not asked again), `anyNode()`
 * is the first node that answered, and a command for a node that did not answer fails at once.
 * A node that fails later is remembered in `lost` so diagnose can name it too.
 */
export function answeringContext(
  ctx: ProbeContext,
  reach: Reachability,
  now: () => Date = () => new Date(),
): AnsweringContext {
  const failed = new Map(reach.down.map((d) => [d.node, nodeDownError(d)]));
  const lost: NodeDown[] = [];
  const guard = async <T>(node: string, work: () => Promise<T>): Promise<T> => {
    const known = failed.get(node);
    if (known) throw known;
    try {
      return await work();
    } catch (error) {
      if (error instanceof TransportError && !failed.has(node)) {
        const down = nodeDownFromError(node, error, now());
        lost.push(down);
        failed.set(node, nodeDownError(down));
      }
      throw error;
    }
  };
  const up = reach.up;
  return {
    nodes: ctx.nodes,
    cluster: ctx.cluster,
    stateDir: ctx.stateDir,
    lost,
    run: (node, command, options) => guard(node, () => ctx.run(node, command, options)),
    readFile: (node, path) => guard(node, () => ctx.readFile(node, path)),
    anyNode: async () => {
      const first = up.find((n) => !failed.has(n));
      if (first !== undefined) return first;
      const why = reach.down.map((d) => `${d.node}: ${d.reason}`).join("; ");
      throw new ProbeError(`no node of cluster ${ctx.cluster} answered${why ? ` (${why})` : ""}`, "*");
    },
    reachable: async () => ({
      up: up.filter((n) => !failed.has(n)),
      down: ctx.nodes.filter((n) => failed.has(n)),
    }),
  };
}

/**
 * Run `work` for each key (a node, or a guest judged on its node) and keep the answers of those
 * whose node answered. A connection failure leaves that key out: in a diagnose sweep the node is
 * already named as unreachable, so one dead node does not hide what the others show. Any other
 * error is a bug or an answer nobody can read: it is thrown.
 */
export async function keepAnswered<K, T>(
  keys: readonly K[],
  work: (key: K) => Promise<T>,
): Promise<Array<{ key: K; value: T }>> {
  const settled = await Promise.allSettled(keys.map((k) => work(k)));
  const answered: Array<{ key: K; value: T }> = [];
  settled.forEach((s, i) => {
    if (s.status === "fulfilled") answered.push({ key: keys[i]!, value: s.value });
    else if (!(s.reason instanceof TransportError)) throw s.reason;
  });
  return answered;
}
