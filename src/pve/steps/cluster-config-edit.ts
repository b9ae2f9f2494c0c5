/**
 * The not-quorate edit as a whole, in Proxmox's order: check and prepare the new content
 * (config_version above every copy), then compose the steps of cluster-config.ts for the way the
 * target gets write access to /etc/pve.
 */
import type { StepInput } from "../../engine/model.js";
import { withWords } from "../../kit/step.js";
import {
  configVersionOf,
  parseCorosyncConf,
  setConfigVersion,
  verifyCorosyncConf,
} from "../parsers/corosync-conf.js";
import { ParseError } from "../parsers/format.js";
import { CLUSTER_CONFIG_CHECKS } from "../probes/cluster-config-checks.js";
import {
  type ConfNode,
  LOCAL_COROSYNC_CONF,
  type NodeClusterState,
  PVE_COROSYNC_CONF,
} from "../probes/corosync.js";
import {
  type Common,
  localModePmxcfsStep,
  lowerExpectedVotesStep,
  replaceFileStep,
  restoreExpectedVotesStep,
  stageNewFileStep,
  startPveClusterStep,
  stopLocalModeStep,
  stopPveClusterStep,
  writeLocalCorosyncConfStep,
} from "./cluster-config.js";

export type PreparedEdit =
  | {
      /** The bytes to write (corosync.conf: with the bumped config_version). */
      text: string;
      /** The new config_version; null for files other than corosync.conf. */
      version: number | null;
      /** The file already has this content (and, for corosync.conf, every reachable node runs its version). */
      unchanged: boolean;
      warnings: string[];
    }
  | { problem: string };

/**
 * The Proxmox edit procedure for corosync.conf: the new file must parse and pass PVE's checks, keep
 * the target in its nodelist, and carry a config_version above every copy on every node (pmxcfs copies
 * only a higher or equal version, and corosync exits on a version mismatch at join). Other files pass as given.
 */
export function prepareEdit(o: {
  path: string;
  text: string;
  current: string | null;
  target: string;
  nodelist: readonly ConfNode[];
  states: readonly NodeClusterState[];
}): PreparedEdit {
  if (o.path !== PVE_COROSYNC_CONF)
    return { text: o.text, version: null, unchanged: o.text === o.current, warnings: [] };
  try {
    const conf = parseCorosyncConf(o.text);
    const errors = verifyCorosyncConf(conf);
    if (errors.length > 0) return { problem: errors.join("; ") };
    const names = conf.nodes.map((n) => n.name);
    if (!names.includes(o.target))
      return { problem: `its nodelist has no node ${o.target}, which would leave the cluster` };
    const before = o.nodelist.map((n) => n.name);
    const added = names.filter((n) => !before.includes(n));
    const removed = before.filter((n) => !names.includes(n));
    const warnings = [
      ...(before.length > 0 && added.length > 0 ? [`the new nodelist adds ${added.join(", ")}`] : []),
      ...(removed.length > 0 ? [`the new nodelist removes ${removed.join(", ")}`] : []),
    ];
    const currentVersion = o.current === null ? null : configVersionOf(o.current);
    const seen = [currentVersion, ...o.states.flatMap((s) => [s.corosyncConfVersion, s.pveConfVersion])];
    const highest = Math.max(0, ...seen.filter((v): v is number => v !== null));
    const version = Math.max(conf.configVersion ?? 0, highest + 1);
    const unchanged =
      currentVersion !== null &&
      setConfigVersion(o.text, currentVersion) === o.current &&
      o.states.every((s) => !s.reachable || s.corosyncConfVersion === currentVersion);
    return { text: setConfigVersion(o.text, version), version, unchanged, warnings };
  } catch (error) {
    if (error instanceof ParseError || error instanceof RangeError) return { problem: error.message };
    throw error;
  }
}

/** How the target gets write access to /etc/pve: it has quorum, `pvecm expected`, or pmxcfs local mode. */
export type WriteAccess = "quorate" | "expected-votes" | "local-mode";

export interface EditPlanOptions {
  access: WriteAccess;
  node: string;
  path: string;
  /** From prepareEdit. */
  text: string;
  /** What `path` holds now on `node` (null: no file), for the diff of the staged write. */
  current: string | null;
  version: number | null;
  sha256: string;
  /** Reachable nodes other than `node` (they get /etc/corosync/corosync.conf). */
  others: readonly string[];
  /** Votes in the target's current view (`pvecm expected` may not go below them). */
  votes: number;
  source: string;
  pveClusterActive: boolean;
  corosyncState: string;
  /** What the split-brain guard proved. */
  evidence: string;
  /** The gate text for a step that forces quorum; `action` says how. */
  warning(action: string): string;
}

/**
 * The whole edit in Proxmox's order. The first step that changes anything carries the gate and the
 * split-brain warning; the rest run within the approved run.
 */
export const configEditSteps = withWords(
  {
    changes: [
      "`pvecm expected <votes present>` then, at the end, `systemctl restart corosync` (corosync running)",
      "`systemctl stop pve-cluster`, `pmxcfs -l`, then `pkill -F /run/pve-cluster.pid` and `systemctl start pve-cluster` (corosync dead)",
      "`<file>.new` written, then `mv -f <file>.new <file>`; for corosync.conf also /etc/corosync/corosync.conf on every reachable node",
    ],
    undoes: [
      "every file is put back from its backup (a `.new` that did not exist is removed)",
      "`pvecm expected` is undone by restarting corosync (votequorum will not raise expected votes above the votes present)",
      "local mode is ended with `pkill -F /run/pve-cluster.pid`; pve-cluster is started or stopped back",
    ],
    checks: CLUSTER_CONFIG_CHECKS,
  },
  editSteps,
);

function editSteps(o: EditPlanOptions): StepInput[] {
  const { node } = o;
  const corosync = o.version !== null;
  const copies = (!corosync ? [] : o.access === "local-mode" ? [node, ...o.others] : o.others).map((n) =>
    writeLocalCorosyncConfStep({
      node: n,
      content: o.text,
      version: o.version!,
      reason:
        o.access === "local-mode"
          ? `corosync reads ${LOCAL_COROSYNC_CONF}, and pmxcfs in local mode copies nothing there`
          : `corosync reads ${LOCAL_COROSYNC_CONF}; written before the mv, whose pmxcfs copy would otherwise land first and leave no backup of the old bytes`,
    }),
  );
  const stage = (gate: Partial<Common> = {}) =>
    stageNewFileStep({
      node,
      path: o.path,
      content: o.text,
      current: o.current,
      reason: `content from ${o.source}${corosync ? `; config_version ${o.version}, above every node's copy` : ""}`,
      ...gate,
    });
  const edit = [
    ...copies,
    replaceFileStep({
      node,
      path: o.path,
      sha256: o.sha256,
      // Normal pmxcfs (not local mode) copies a new corosync.conf to /etc/corosync on the writer itself.
      alsoChanges: corosync && o.access !== "local-mode" ? [LOCAL_COROSYNC_CONF] : [],
      reason: "one rename: pmxcfs and its readers never see half a file",
    }),
  ];
  if (o.access === "quorate")
    return [stage({ risk: "guarded", warning: `This changes ${o.path} for the whole cluster.` }), ...edit];
  if (o.access === "expected-votes") {
    return [
      lowerExpectedVotesStep({
        node,
        votes: o.votes,
        risk: "dangerous",
        warning: o.warning(`\`pvecm expected ${o.votes}\` makes ${node} quorate on its own`),
        reason: `${node} is not quorate and corosync runs there; ${o.evidence}`,
      }),
      stage(),
      ...edit,
      restoreExpectedVotesStep({
        node,
        votes: o.votes,
        reason:
          "votequorum refuses to raise expected votes above the votes present; a restart reloads them from the config",
      }),
    ];
  }
  const warning = o.warning(
    `in local mode pmxcfs on ${node} accepts writes without quorum and merges them when it rejoins the cluster`,
  );
  return [
    ...(o.pveClusterActive
      ? [
          stopPveClusterStep({
            node,
            risk: "dangerous",
            warning: `${warning} /etc/pve is gone on ${node} until pve-cluster starts again at the end.`,
            reason: "`pmxcfs -l` cannot start while pve-cluster holds the pmxcfs lock",
          }),
        ]
      : []),
    localModePmxcfsStep({
      node,
      risk: "dangerous",
      warning: o.pveClusterActive
        ? `From here pmxcfs on ${node} accepts writes without quorum. Never run local mode on a second node.`
        : warning,
      reason: `corosync is ${o.corosyncState} on ${node}, so \`pvecm expected\` cannot work; ${o.evidence}`,
    }),
    stage(),
    ...edit,
    stopLocalModeStep({ node, reason: "local mode ends before the normal pmxcfs starts" }),
    startPveClusterStep({
      node,
      reason: "back to the normal pmxcfs, which rejoins the cluster with corosync",
    }),
  ];
}
