/**
 * The refusal codes the engine returns for every runbook, with their words: the catalogue's
 * `engine` domain (src/kit/refusals/ re-exports it; the kit sits above the engine). The engine
 * builds these refusals with `engineRefusal(code, data)`, so it writes no refusal wording itself;
 * a runbook whose own guards raise one of them gets the same words through `refuse`.
 */
import type { Refusal } from "./model.js";
import { entry, onNode, type RefusalEntry } from "./refusal-entry.js";

/** A file that changed after the run being undone, as the undo found it. */
export interface DriftSeen {
  node: string;
  path: string;
  /** sha256 of what the run left; null when the journal has no record of it. */
  expected: string | null;
  found: string;
}

export function describeDrift(d: DriftSeen, runId: string): string {
  const expected = d.expected ?? "not recorded";
  return `${d.node}:${d.path} changed since run ${runId} left it (expected sha256 ${expected}, found ${d.found})`;
}

/** A probe's error, as the refusal names it. */
type ProbeData = { case: "probe"; node?: string; error: string };

export const engineRefusals = {
  "node-unreachable": entry<
    | { message: string; detail: string; node?: string }
    | ProbeData
    | {
        case: "mount-unchecked";
        storage: string;
        unreachable: ReadonlyArray<{ node: string; reason: string }>;
        /** Where it was checked: `on pve2`, `on any node that answered`. */
        where: string;
        /** `node: liveness` of the nodes that answered. */
        states: readonly string[];
      }
  >("a node the plan needs does not answer", (d) => {
    if (!("case" in d)) return { message: d.message, detail: d.detail, ...onNode(d.node) };
    if (d.case === "probe") {
      const message = `Cannot establish the facts: node ${d.node} is unreachable`;
      return { message, detail: d.error, ...(d.node !== undefined ? { node: d.node } : {}) };
    }
    return {
      message: `Cannot tell whether ${d.storage} hangs on ${d.unreachable.map((u) => u.node).join(", ")}: not answering`,
      detail: `${d.unreachable.map((u) => `${u.node} (${u.reason})`).join("; ")}. It does not hang ${d.where} (${d.states.join(", ") || "none"}).`,
      ...onNode(d.unreachable[0]?.node),
    };
  }),
  "probe-failed": entry<
    | { message: string; detail: string; node?: string }
    | ProbeData
    | { case: "unexpected-output"; node?: string; error: string }
    | { case: "no-way-out"; node: string; defaultRouteDevs: readonly string[]; file: string }
  >("a probe could not read what the plan needs", (d) => {
    if (!("case" in d)) return { message: d.message, detail: d.detail, ...onNode(d.node) };
    const at = (node?: string) => (node !== undefined ? { node } : {});
    switch (d.case) {
      case "probe":
        return { message: "Cannot establish the facts", detail: d.error, ...at(d.node) };
      case "unexpected-output":
        return {
          message: "Cannot establish the facts: unexpected output from the cluster",
          detail: d.error,
          ...at(d.node),
        };
      case "no-way-out":
        return {
          message: `${d.node} has no default route outside ZeroTier: cannot tell which interface leads out`,
          detail: `\`ip -j route show default\` names ${d.defaultRouteDevs.join(", ") || "no device"}; blacklisting every other interface could cut ZeroTier off. Edit ${d.file} by hand.`,
          node: d.node,
        };
    }
  }),
  "stale-plan": entry<{
    /** What changed, in the runbook's words: "the cluster", "the file you gave". */
    what: string;
    changes: readonly string[];
    /** Only a redacted (secret) value differs. */
    secretOnly: boolean;
    /** What the runbook decides today when it is no plan. */
    today:
      | { kind: "plan" }
      | { kind: "refusal"; message: string }
      | { kind: "nothing-to-do"; reason: string };
    /** The command that makes a fresh plan. */
    again: string;
  }>("a saved plan was made for another cluster state (apply)", (d) => ({
    message: `Saved plan is stale: ${d.what} changed after the plan was made`,
    detail: [
      ...d.changes.map((c) => `changed: ${c}`),
      d.secretOnly ? "changed: a redacted (secret) value in the facts" : "",
      d.today.kind === "refusal" ? `today the runbook refuses: ${d.today.message}` : "",
      d.today.kind === "nothing-to-do" ? `today there is nothing to do: ${d.today.reason}` : "",
      d.again,
    ]
      .filter(Boolean)
      .join("\n"),
  })),
  "plan-mismatch": entry<{ differences: readonly string[]; again: string }>(
    "a saved plan differs from the plan made now (apply)",
    (d) => ({
      message:
        "Saved plan differs from the plan pvefix builds now for the same facts: the file was edited or made by another pvefix version",
      detail: [
        ...d.differences,
        "nothing runs from a plan file itself: pvefix runs only what it builds again and finds identical",
        d.again,
      ].join("\n"),
    }),
  ),
  "file-changed": entry<{ runId: string; drift: readonly [DriftSeen, ...DriftSeen[]] }>(
    "a file changed since the run being undone (undo)",
    ({ runId, drift }) => ({
      message: `${drift.length === 1 ? "A file" : `${drift.length} files`} changed after run ${runId}: undo would overwrite that change`,
      detail: [
        ...drift.map((d) => describeDrift(d, runId)),
        `Check who changed ${drift.length === 1 ? "it" : "them"}; run \`pvefix undo ${runId}\` on a terminal to see the difference and decide.`,
      ].join("\n"),
      node: drift[0].node,
    }),
  ),
};

export type EngineRefusalCode = keyof typeof engineRefusals;
type EngineRefusalData<C extends EngineRefusalCode> =
  (typeof engineRefusals)[C] extends RefusalEntry<infer D> ? D : never;

/** A refusal the engine returns itself, in the catalogue's words: `{ code, message, detail?, node? }`. */
export function engineRefusal<C extends EngineRefusalCode>(code: C, data: EngineRefusalData<C>): Refusal {
  const words = (engineRefusals[code] as RefusalEntry<EngineRefusalData<C>>).words(data);
  return {
    code,
    message: words.message,
    ...(words.detail !== undefined ? { detail: words.detail } : {}),
    ...(words.node !== undefined ? { node: words.node } : {}),
  };
}
