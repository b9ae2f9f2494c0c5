/**
 * Steps for changing cluster files while the cluster has no quorum (Proxmox "Write Configuration When
 * Not Quorate"): lower expected votes or run pmxcfs in local mode, stage `<file>.new`, replace the file
 * with one `mv`, copy corosync.conf to every node, and put the services back as they were.
 */
import type { Risk, StepInput } from "../../engine/model.js";
import { sh } from "../../shell/quote.js";
import {
  corosyncConfVersion,
  fileSha256Check,
  localModeOff,
  nodeQuorate,
  pveWritable,
  unitActive,
} from "../probes/cluster-config-checks.js";
import { LOCAL_COROSYNC_CONF, PMXCFS_PIDFILE } from "../probes/corosync.js";

const SERVICE_TIMEOUT_MS = 90_000;

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9.-]+/g, "-");
const exec = (command: string, timeoutMs = SERVICE_TIMEOUT_MS) => ({
  kind: "exec" as const,
  command,
  timeoutMs,
});

/** What every step of this module takes: where it runs, why, and how risky it is. */
export interface Common {
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
    verify: [nodeQuorate.at(o.node, `${o.node} is quorate`, {}, { waitMs: 10_000 })],
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
      unitActive.at(o.node, `corosync is active on ${o.node}`, { unit: "corosync" }, { waitMs: 15_000 }),
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
    verify: [pveWritable.at(o.node, `/etc/pve is writable on ${o.node}`, {}, { waitMs: 10_000 })],
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
    verify: [localModeOff.at(o.node, `no pmxcfs runs in local mode on ${o.node}`, {}, { waitMs: 10_000 })],
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
      unitActive.at(
        o.node,
        `pve-cluster is active on ${o.node}`,
        { unit: "pve-cluster" },
        { waitMs: 15_000 },
      ),
    ],
  };
}

/**
 * Write the new content next to the file as `<path>.new` (Proxmox's edit procedure). `current` is
 * what `<path>` holds now (null: no file): the write is shown as the change the rename will make.
 */
export function stageNewFileStep(
  o: Common & { path: string; content: string; current: string | null },
): StepInput {
  const staged = `${o.path}.new`;
  return {
    ...base("stage-new-file", `Write the new content to ${staged} on ${o.node}`, o),
    actions: [
      { kind: "write-file", path: staged, content: o.content, before: { path: o.path, content: o.current } },
    ],
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
    verify: [fileSha256Check.at(o.node, `${o.path} has the new content`, { path: o.path, sha256: o.sha256 })],
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
      corosyncConfVersion.at(o.node, `${LOCAL_COROSYNC_CONF} on ${o.node} has config_version ${o.version}`, {
        version: o.version,
      }),
    ],
  };
}
