/**
 * The guards of not-quorate-config, pure: a target that answers, usable new content, no other
 * local-mode pmxcfs, a readable quorum view, the split-brain guard, and a target that is alone in its
 * partition when `pvecm expected` would give it write access.
 */
import { type CodedRefusal, refusal } from "../../kit/refuse.js";
import { type SplitBrainGuard, splitBrainGuard } from "../guards/split-brain.js";
import type { ClusterFileFacts } from "../probes/cluster-file.js";
import type { NodeClusterState } from "../probes/corosync.js";
import { type PreparedEdit, prepareEdit, type WriteAccess } from "./cluster-config-edit.js";

type WriteRefusal =
  | "node-unreachable"
  | "invalid-config"
  | "local-mode-elsewhere"
  | "probe-failed"
  | "split-brain-risk";

export type WriteGuard =
  | { kind: "refusal"; refusal: CodedRefusal<WriteRefusal> }
  | { kind: "nothing-to-do"; reason: string }
  | {
      kind: "ok";
      t: NodeClusterState;
      edit: Exclude<PreparedEdit, { problem: string }>;
      guard: Extract<SplitBrainGuard, { ok: true }>;
      access: WriteAccess;
    };

const refused = (r: CodedRefusal<WriteRefusal>): WriteGuard => ({ kind: "refusal", refusal: r });

export function writeGuard(f: ClusterFileFacts, nodesDown: readonly string[]): WriteGuard {
  const t = f.states.find((s) => s.node === f.target);
  if (!t?.reachable) {
    const why = t ? "does not answer over SSH" : "is not in the inventory";
    const detail = "pick a node that answers";
    return refused(refusal("node-unreachable", { message: `${f.target} ${why}`, detail, node: f.target }));
  }
  const { text, problem } = f.newContent;
  if (text === null)
    return refused(
      refusal("invalid-config", { case: "no-new-content", file: f.path, problem: problem ?? "" }),
    );
  const edit = prepareEdit({ ...f, text });
  if ("problem" in edit)
    return refused(
      refusal("invalid-config", { case: "new-content-unusable", file: f.path, problem: edit.problem }),
    );
  if (edit.unchanged) return { kind: "nothing-to-do", reason: `${f.path} already has this content` };
  const local = f.states.find((s) => s.localModePid !== null);
  if (local) return refused(refusal("local-mode-elsewhere", { node: local.node, pid: local.localModePid! }));
  if (t.quorum === null && t.corosync === "active") {
    const message = `Cannot tell whether ${f.target} is quorate`;
    return refused(refusal("probe-failed", { message, detail: t.quorumProblem ?? "", node: f.target }));
  }
  const guard = splitBrainGuard({ ...f, nodesDown });
  if (!guard.ok) return refused(guard.refusal);
  const access = t.quorum?.quorate ? "quorate" : t.corosync === "active" ? "expected-votes" : "local-mode";
  const partners = (t.quorum?.members.length ?? 0) - 1;
  // `pvecm expected` reaches the whole partition, but only corosync restarts undo it, one node each.
  if (access === "expected-votes" && partners > 0)
    return refused(refusal("split-brain-risk", { case: "partition", target: f.target, partners }));
  return { kind: "ok", t, edit, guard, access };
}
