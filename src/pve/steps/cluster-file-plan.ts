/**
 * not-quorate-config's plan once its guards held: the edit in Proxmox's order, what the operator must
 * still do on the nodes it could not reach, and the postconditions on every node that gets the file.
 */
import { sha256Hex } from "../../engine/fingerprint.js";
import type { PlanDraftInput } from "../../engine/model.js";
import { paramFlags } from "../../engine/params.js";
import { corosyncConfVersion, fileSha256Check } from "../probes/cluster-config-checks.js";
import type { ClusterFileFacts } from "../probes/cluster-file.js";
import { LOCAL_COROSYNC_CONF } from "../probes/corosync.js";
import { configEditSteps } from "./cluster-config-edit.js";
import type { WriteGuard } from "./cluster-file-guard.js";

const ACCESS_WORDS = {
  quorate: "quorate",
  "expected-votes": "via `pvecm expected`",
  "local-mode": "via pmxcfs local mode",
};

export function clusterFilePlan(f: ClusterFileFacts, w: Extract<WriteGuard, { kind: "ok" }>): PlanDraftInput {
  const { t, edit, guard, access } = w;
  const source = f.newContent.source;
  const others = f.states.filter((s) => s.reachable && s.node !== f.target).map((s) => s.node);
  const sha256 = sha256Hex(edit.text);
  const steps = configEditSteps({
    ...edit,
    ...guard,
    access,
    node: f.target,
    path: f.path,
    current: f.current,
    sha256,
    others,
    votes: t.quorum?.totalVotes ?? 1,
    source,
    pveClusterActive: t.pveCluster === "active",
    corosyncState: t.corosync ?? "unknown",
  });
  const missed = f.states.filter((s) => !s.reachable).map((s) => s.node);
  const nodes = f.states.map((s) => s.node).join(",");
  const restart = [
    "pvefix run restart-pve-services",
    ...paramFlags({ node: nodes, services: "corosync" }),
  ].join(" ");
  const corosyncNotes =
    edit.version === null
      ? []
      : [
          ...(missed.length > 0
            ? [
                `${missed.join(", ")} did not answer: copy ${LOCAL_COROSYNC_CONF} there before corosync starts, or corosync exits on the config_version mismatch`,
              ]
            : []),
          ...(access === "local-mode"
            ? [`corosync stays stopped: once every node has the new file, start it with \`${restart}\``]
            : access === "expected-votes"
              ? [
                  "the other nodes' corosync reads the new file when it restarts there (reboot them one by one)",
                ]
              : []),
        ];
  const version = edit.version;
  const check = (node: string) =>
    version === null
      ? fileSha256Check.at(node, `${f.path} has the new content`, { path: f.path, sha256 })
      : corosyncConfVersion.at(node, `${LOCAL_COROSYNC_CONF} on ${node} has config_version ${version}`, {
          version,
        });
  return {
    summary: `Replace ${f.path} on ${f.target} (${ACCESS_WORDS[access]}), content from ${source}`,
    warnings: [...edit.warnings, ...corosyncNotes],
    steps,
    postconditions: (version === null ? [f.target] : [f.target, ...others]).map(check),
  };
}
