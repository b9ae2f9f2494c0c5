/**
 * Steps for changing cluster files while the cluster has no quorum (Proxmox "Write Configuration When
 * Not Quorate"): lower expected votes or run pmxcfs in local mode, stage `<file>.new`, replace the file
 * with one `mv`, copy corosync.conf to every node, and put the services back as they were.
 */
import type { Risk, StepInput } from "../../engine/model.js";
import { sh } from "../../shell/quote.js";
import {
  configVersionOf,
  parseCorosyncConf,
  setConfigVersion,
  verifyCorosyncConf,
} from "../parsers/corosync-conf.js";
import { ParseError } from "../parsers/format.js";
import {
  type ConfNode,
  LOCAL_COROSYNC_CONF,
  type NodeClusterState,
  PMXCFS_PIDFILE,
  PVE_COROSYNC_CONF,
} from "../probes/corosync.js";

const SERVICE_TIMEOUT_MS = 90_000;

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
const exec = (command: string, timeoutMs = SERVICE_TIMEOUT_MS) => ({
  kind: "exec" as const,
  command,
  timeoutMs,
});

interface Common {
  node: string;
  reason: string;
  risk?: Risk;
  warning?: string;
}

function base(id: string, title: string, o: Common) {
  return {
    id: slug(`${id}-${o.node}`),
    title,
    node: o.node,
    risk: o.risk ?? "safe",
    reason: o.reason,
    ...(o.warning ? { warning: o.warning } : {}),
  };
}

/** `pvecm expected <votes present>`: the node's own partition becomes quorate, so /etc/pve takes writes. */
export function lowerExpectedVotesStep(o: Common & { votes: number }): StepInput {
  return {
    ...base("lower-expected-votes", `Lower expected votes on ${o.node} to ${o.votes} (its own votes)`, o),
    actions: [exec(sh`pvecm expected ${o.votes}`, 30_000)],
    // votequorum refuses to raise expected votes above the votes present, so only a restart undoes it.
    undo: {
      kind: "actions",
      description: `restart corosync on ${o.node}: it forgets the runtime expected votes and loses the forced quorum`,
      actions: [exec("systemctl restart corosync")],
    },
    verify: [{ name: "node-quorate", node: o.node, description: `${o.node} is quorate`, waitMs: 10_000 }],
  };
}

/** The end of path A: corosync restarts with the (new) config and the configured expected votes. */
export function restoreExpectedVotesStep(o: Common & { votes: number }): StepInput {
  return {
    ...base(
      "restore-expected-votes",
      `Restart corosync on ${o.node} to restore the configured expected votes`,
      o,
    ),
    actions: [exec("systemctl restart corosync")],
    undo: {
      kind: "actions",
      description: `\`pvecm expected ${o.votes}\` makes ${o.node} quorate again, as it was before this step`,
      actions: [exec(sh`pvecm expected ${o.votes}`, 30_000)],
    },
    verify: [
      {
        name: "unit-active",
        node: o.node,
        description: `corosync is active on ${o.node}`,
        args: { unit: "corosync" },
        waitMs: 15_000,
      },
    ],
  };
}

export function stopPveClusterStep(o: Common): StepInput {
  return {
    ...base("stop-pve-cluster", `Stop pve-cluster (pmxcfs) on ${o.node}`, o),
    actions: [exec("systemctl stop pve-cluster")],
    undo: {
      kind: "actions",
      description: "start pve-cluster again",
      actions: [exec("systemctl start pve-cluster")],
    },
  };
}

export function localModePmxcfsStep(o: Common): StepInput {
  return {
    ...base("pmxcfs-local-mode", `Start pmxcfs in local mode on ${o.node} (\`pmxcfs -l\`)`, o),
    actions: [exec("pmxcfs -l", 30_000)],
    undo: {
      kind: "actions",
      description: `stop the local-mode pmxcfs by the pid in ${PMXCFS_PIDFILE}`,
      actions: [exec(sh`pkill -F ${PMXCFS_PIDFILE}`, 30_000)],
    },
    verify: [
      {
        name: "pve-writable",
        node: o.node,
        description: `/etc/pve is writable on ${o.node}`,
        waitMs: 10_000,
      },
    ],
  };
}

export function stopLocalModeStep(o: Common): StepInput {
  return {
    ...base("stop-pmxcfs-local-mode", `Stop the local-mode pmxcfs on ${o.node} by its pid`, o),
    actions: [exec(sh`pkill -F ${PMXCFS_PIDFILE}`, 30_000)],
    undo: {
      kind: "actions",
      description: "start pmxcfs in local mode again",
      actions: [exec("pmxcfs -l", 30_000)],
    },
    verify: [
      {
        name: "local-mode-off",
        node: o.node,
        description: `no pmxcfs runs in local mode on ${o.node}`,
        waitMs: 10_000,
      },
    ],
  };
}

export function startPveClusterStep(o: Common): StepInput {
  return {
    ...base("start-pve-cluster", `Start pve-cluster (pmxcfs) on ${o.node}`, o),
    actions: [exec("systemctl start pve-cluster")],
    undo: {
      kind: "actions",
      description: "stop pve-cluster again",
      actions: [exec("systemctl stop pve-cluster")],
    },
    verify: [
      {
        name: "unit-active",
        node: o.node,
        description: `pve-cluster is active on ${o.node}`,
        args: { unit: "pve-cluster" },
        waitMs: 15_000,
      },
    ],
  };
}

/** Write the new content next to the file as `<path>.new` (Proxmox's edit procedure). */
export function stageNewFileStep(o: Common & { path: string; content: string }): StepInput {
  const staged = `${o.path}.new`;
  return {
    ...base("stage-new-file", `Write the new content to ${staged} on ${o.node}`, o),
    actions: [{ kind: "write-file", path: staged, content: o.content }],
    undo: {
      kind: "actions",
      description: `remove ${staged}`,
      actions: [{ kind: "restore-file", path: staged }],
    },
    files: [staged],
  };
}

/**
 * `mv -f <path>.new <path>`: readers see the old or the new file, never half of one. `alsoChanges` are
 * files pmxcfs rewrites as a side effect (its copy to /etc/corosync/corosync.conf), backed up too.
 */
export function replaceFileStep(
  o: Common & { path: string; sha256: string; alsoChanges?: string[] },
): StepInput {
  const files = [o.path, ...(o.alsoChanges ?? [])];
  return {
    ...base("replace-file", `Replace ${o.path} on ${o.node} with the staged file in one rename`, o),
    actions: [exec(sh`mv -f ${`${o.path}.new`} ${o.path}`, 30_000)],
    undo: {
      kind: "actions",
      description: `put the backed-up ${files.join(" and ")} back`,
      actions: files.map((path) => ({ kind: "restore-file" as const, path })),
    },
    files,
    verify: [
      {
        name: "file-sha256",
        node: o.node,
        description: `${o.path} has the new content`,
        args: { path: o.path, sha256: o.sha256 },
      },
    ],
  };
}

/** corosync reads /etc/corosync/corosync.conf, which pmxcfs cannot deliver to a node outside its partition. */
export function writeLocalCorosyncConfStep(o: Common & { content: string; version: number }): StepInput {
  return {
    ...base(
      "write-corosync-conf",
      `Write ${LOCAL_COROSYNC_CONF} (config_version ${o.version}) on ${o.node}`,
      o,
    ),
    actions: [{ kind: "write-file", path: LOCAL_COROSYNC_CONF, content: o.content, mode: "0644" }],
    undo: {
      kind: "actions",
      description: `put the backed-up ${LOCAL_COROSYNC_CONF} back`,
      actions: [{ kind: "restore-file", path: LOCAL_COROSYNC_CONF }],
    },
    files: [LOCAL_COROSYNC_CONF],
    verify: [
      {
        name: "corosync-conf-version",
        node: o.node,
        description: `${LOCAL_COROSYNC_CONF} on ${o.node} has config_version ${o.version}`,
        args: { version: o.version },
      },
    ],
  };
}

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
export function configEditSteps(o: EditPlanOptions): StepInput[] {
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
