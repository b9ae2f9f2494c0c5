/**
 * not-quorate-config: fix or revert /etc/pve/corosync.conf (or another cluster file) while the cluster
 * has no quorum, by Proxmox's "Write Configuration When Not Quorate" procedure behind a split-brain guard.
 */
import { z } from "zod";
import { sha256Hex } from "../src/engine/fingerprint.js";
import type { Decision, Finding } from "../src/engine/model.js";
import { NodeParam } from "../src/engine/params.js";
import { defineRunbook, type ProbeContext } from "../src/engine/runbook.js";
import { clusterConfigChecks } from "../src/pve/probes/cluster-config-checks.js";
import {
  ConfNode,
  clusterStates,
  corosyncConfigOf,
  disconnectedPeers,
  LOCAL_COROSYNC_CONF,
  NodeClusterState,
  nodelistOf,
  PVE_COROSYNC_CONF,
} from "../src/pve/probes/corosync.js";
import { NewContent, readNewContentFrom } from "../src/pve/probes/new-content.js";
import { splitBrainGuard } from "../src/pve/probes/split-brain.js";
import { configEditSteps, prepareEdit } from "../src/pve/steps/cluster-config-edit.js";
import { clusterConfigUndoGuard } from "../src/pve/steps/cluster-config-undo.js";

const Params = z
  .object({
    node: NodeParam.describe("Node to write on: the one that carries on (it must answer over SSH)"),
    file: z.string().min(1).optional().describe("Local file with the new content (read on this machine)"),
    restoreBackup: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, "Expected a run id such as 20261123T103500Z-not-quorate-config-1a2b")
      .optional()
      .describe("Put back what an earlier pvefix run backed up before it first changed the file"),
    target: z
      .string()
      .refine(
        (p) =>
          /^\/etc\/pve\/[^\0\n]*[^/]$/.test(p) && !p.split("/").some((seg) => seg === "." || seg === ".."),
        "Expected a file path under /etc/pve/",
      )
      .default(PVE_COROSYNC_CONF)
      .describe("The cluster file to fix (a path under /etc/pve/)"),
    nodesDown: z
      .string()
      .optional()
      .transform((v) => (v ?? "").split(",").flatMap((s) => (s.trim() ? [s.trim()] : [])))
      .pipe(z.array(NodeParam))
      .describe("Comma list of nodes you have verified are powered off (pvefix cannot see them)"),
  })
  .strict()
  .superRefine((p, ctx) => {
    if ((p.file === undefined) === (p.restoreBackup === undefined))
      ctx.addIssue({
        code: "custom",
        path: ["file"],
        message: "Expected exactly one of --file or --restore-backup",
      });
  });
type Params = z.output<typeof Params>;

const Facts = z.object({
  target: z.string(),
  path: z.string(),
  states: z.array(NodeClusterState),
  /** Peers the target sees disconnected on every knet link; null when corosync does not run there. */
  disconnected: z.array(z.string()).nullable(),
  /** The running nodelist: the target's /etc/corosync/corosync.conf, else /etc/pve's. */
  nodelist: z.array(ConfNode),
  /** The file as the target sees it now; null when missing. */
  current: z.string().nullable(),
  newContent: NewContent,
});
type Facts = z.infer<typeof Facts>;

const ACCESS_WORDS = {
  quorate: "quorate",
  "expected-votes": "via `pvecm expected`",
  "local-mode": "via pmxcfs local mode",
};

function decide(params: Params, f: Facts): Decision {
  const t = f.states.find((s) => s.node === f.target);
  if (!t?.reachable) {
    const why = t ? "does not answer over SSH" : "is not in the inventory";
    return refuse("node-unreachable", `${f.target} ${why}`, "pick a node that answers", f.target);
  }
  const { text, problem, source } = f.newContent;
  if (text === null) return refuse("invalid-config", `No new content for ${f.path}`, problem ?? "");
  const edit = prepareEdit({ ...f, text });
  if ("problem" in edit) return refuse("invalid-config", `The new ${f.path} is not usable`, edit.problem);
  if (edit.unchanged) return { kind: "nothing-to-do", reason: `${f.path} already has this content` };
  const local = f.states.find((s) => s.localModePid !== null);
  if (local) {
    const detail = `Never two local-mode nodes at once. Finish that work first: on ${local.node} run \`pkill -F /run/pve-cluster.pid && systemctl start pve-cluster\`.`;
    return refuse(
      "local-mode-elsewhere",
      `pmxcfs runs in local mode on ${local.node} (pid ${local.localModePid})`,
      detail,
      local.node,
    );
  }
  if (t.quorum === null && t.corosync === "active")
    return refuse(
      "probe-failed",
      `Cannot tell whether ${f.target} is quorate`,
      t.quorumProblem ?? "",
      f.target,
    );
  const guard = splitBrainGuard({ ...f, nodesDown: params.nodesDown });
  if (!guard.ok) return { kind: "refusal", refusal: guard.refusal };
  const access = t.quorum?.quorate ? "quorate" : t.corosync === "active" ? "expected-votes" : "local-mode";
  const partners = (t.quorum?.members.length ?? 0) - 1;
  if (access === "expected-votes" && partners > 0) {
    // `pvecm expected` reaches the whole partition, but only corosync restarts undo it, one node each.
    const detail = `\`pvecm expected\` would lower expected votes on the ${partners} other member(s) of ${f.target}'s partition too, and a rollback could not raise them again there. Restore the network, or run this on a node that is cut off alone.`;
    return refuse("split-brain-risk", `${f.target} is not alone in its corosync partition`, detail, f.target);
  }
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
            ? [
                `corosync stays stopped: once every node has the new file, start it with \`pvefix run restart-pve-services --node ${f.states.map((s) => s.node).join(",")} --services corosync\``,
              ]
            : access === "expected-votes"
              ? [
                  "the other nodes' corosync reads the new file when it restarts there (reboot them one by one)",
                ]
              : []),
        ];
  const check = (node: string) =>
    edit.version === null
      ? {
          name: "file-sha256",
          node,
          description: `${f.path} has the new content`,
          args: { path: f.path, sha256 },
        }
      : {
          name: "corosync-conf-version",
          node,
          description: `${LOCAL_COROSYNC_CONF} on ${node} has config_version ${edit.version}`,
          args: { version: edit.version },
        };
  return {
    kind: "plan",
    plan: {
      summary: `Replace ${f.path} on ${f.target} (${ACCESS_WORDS[access]}), content from ${source}`,
      warnings: [...edit.warnings, ...corosyncNotes],
      steps,
      postconditions: (edit.version === null ? [f.target] : [f.target, ...others]).map(check),
    },
  };
}

function refuse(
  code: "node-unreachable" | "invalid-config" | "local-mode-elsewhere" | "probe-failed" | "split-brain-risk",
  message: string,
  detail: string,
  node?: string,
): Decision {
  return { kind: "refusal", refusal: { code, message, detail, ...(node ? { node } : {}) } };
}

/**
 * Only a cluster with no quorate partition at all needs this runbook. A node cut off from a quorate
 * majority is a network problem (forcing quorum there would split the brain), a node whose corosync is
 * merely stopped needs a start (restart-pve-services reports it), a corosync that cannot start needs a
 * fixed corosync.conf.
 */
async function detect(ctx: ProbeContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  const command = (node: string) => `pvefix plan not-quorate-config --node ${node} --file PATH-TO-NEW-CONF`;
  const states = await clusterStates(ctx);
  const quorate = states.filter((s) => s.quorum?.quorate);
  const finding = (node: string, severity: Finding["severity"], summary: string, next = command(node)) =>
    findings.push({
      runbook: "not-quorate-config",
      severity,
      node,
      params: { node },
      summary,
      command: next,
    });
  for (const s of states) {
    if (!s.reachable) continue;
    if (s.corosync !== "active") {
      const config = await corosyncConfigOf(ctx, s.node);
      const problem =
        config.local === null
          ? "is missing"
          : config.local.problem === null
            ? null
            : `is not usable (${config.local.problem})`;
      // A usable config needs only a start: the restart-pve-services finding.
      if (problem !== null) {
        const summary = `corosync is ${s.corosync} on ${s.node} and cannot start: ${LOCAL_COROSYNC_CONF} ${problem}`;
        finding(s.node, "critical", summary, command(quorate[0]?.node ?? s.node));
      }
    } else if (s.quorum !== null && !s.quorum.quorate) {
      if (quorate.length > 0) finding(s.node, "critical", await cutOff(ctx, s, quorate), linkCheck(s.node));
      else {
        const why = `${s.quorum.totalVotes ?? 0} of ${s.quorum.expectedVotes ?? "?"} votes`;
        const summary = `${s.node} is not quorate (${why}) and no node is: /etc/pve is read-only there`;
        finding(s.node, "critical", summary);
      }
    }
    if (
      s.corosyncConfVersion !== null &&
      s.pveConfVersion !== null &&
      s.corosyncConfVersion !== s.pveConfVersion
    ) {
      finding(
        s.node,
        "warning",
        `${s.node} has ${LOCAL_COROSYNC_CONF} version ${s.corosyncConfVersion} but /etc/pve/corosync.conf has version ${s.pveConfVersion}`,
      );
    }
  }
  return findings;
}

/** The words for a node outside a quorate partition: who is quorate, and what its links say. */
async function cutOff(
  ctx: ProbeContext,
  s: NodeClusterState,
  quorate: readonly NodeClusterState[],
): Promise<string> {
  const majority = quorate.map((q) => q.node);
  const running = (await ctx.readFile(s.node, LOCAL_COROSYNC_CONF)) ?? null;
  const nodelist = nodelistOf(running) ?? [];
  const nameOf = (id: number) => nodelist.find((n) => n.nodeid === id)?.name ?? `nodeid ${id}`;
  const peers = (await disconnectedPeers(ctx, s.node))?.map(nameOf) ?? null;
  const evidence =
    peers === null
      ? `\`corosync-cfgtool -s\` gives no link status on ${s.node}`
      : peers.length > 0
        ? `\`corosync-cfgtool -s\` on ${s.node} shows ${peers.join(", ")} disconnected on every link`
        : `\`corosync-cfgtool -s\` on ${s.node} shows every link connected, yet it is not in their membership`;
  return `${s.node} is cut off from the quorate partition (${majority.join(", ")}): ${evidence}. Repair its corosync network; forcing quorum on ${s.node} would split the brain`;
}

/** Read-only: what to run on the node once its network is repaired. */
const linkCheck = (node: string) => `corosync-cfgtool -s  # on ${node}: every peer must show connected`;

export default defineRunbook({
  meta: {
    id: "not-quorate-config",
    summary: "Fix or revert /etc/pve/corosync.conf (or another cluster file) while the cluster has no quorum",
    description:
      "Without quorum pmxcfs makes /etc/pve read-only, so a broken corosync.conf cannot be fixed the normal way. This runbook proves no other part of the cluster is or could become quorate, then makes the chosen node writable (`pvecm expected` while corosync runs, `pmxcfs -l` when it does not), replaces the file by the Proxmox procedure (`.new`, config_version above every node's, validation, one `mv`), copies corosync.conf to every node it reaches, and puts the services back.",
    risk: "dangerous",
    unattended: "never",
    undo: "full",
    checks: [
      "every node answers over SSH (`true`); its quorum view (`pvecm status`), corosync and pve-cluster (`systemctl is-active`), a local-mode pmxcfs (`ps -C pmxcfs -o pid=,args=`)",
      "config_version of /etc/corosync/corosync.conf and /etc/pve/corosync.conf on every node",
      "on the target: peers disconnected on every knet link (`corosync-cfgtool -s`) and the current file",
      "the new corosync.conf parses, passes PVE's checks and keeps the target in its nodelist",
      "split-brain guard: no other node is quorate, and the unreachable nodes plus the largest view among the others cannot reach quorum",
    ],
    asks: [
      "the node name before forcing quorum (`pvecm expected`, stopping pve-cluster, `pmxcfs -l`); the warning says what could split",
      "yes/no before replacing the file when the target is quorate",
    ],
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
    refuses: [
      "node-unreachable: the target does not answer over SSH",
      "invalid-config: no usable new content (file unreadable, no backup in that run, corosync.conf that does not parse or fails PVE's checks)",
      "local-mode-elsewhere: pmxcfs already runs in local mode on some node",
      "probe-failed: corosync runs on the target but `pvecm status` gives no quorum view",
      "split-brain-risk: another node is quorate, cannot be assessed, or the nodes out of sight could form a quorate partition; a node named in --nodes-down answers; or the target shares a non-quorate partition (`pvecm expected` would reach its partners too)",
    ],
    notes: [
      "The running corosync of other nodes keeps its old config until it restarts; reboot nodes one by one.",
      "After local mode, pmxcfs merges /etc/pve when it rejoins: conflicting changes made elsewhere can be lost.",
      "`pvefix diagnose` suggests this runbook only when no node is quorate, or when a corosync.conf is unusable: a node cut off from a quorate majority is reported as a network problem, a stopped corosync with a usable config as a `restart-pve-services --services corosync`.",
    ],
    seeAlso: [
      "proxmox-facts §1.4 (pvecm expected), §3 (corosync.conf), §4.1 (local mode)",
      'Proxmox VE admin guide, pvecm: "Write Configuration When Not Quorate"',
    ],
  },
  params: Params,
  examples: [
    {
      intent: "Put a fixed corosync.conf on pve1 while pve2 and pve3 are cut off",
      params: { node: "pve1", file: "corosync.conf.fixed" },
    },
    {
      intent: "Revert corosync.conf to what an earlier run replaced",
      params: { node: "pve1", restoreBackup: "20261123T103500Z-not-quorate-config-1a2b" },
    },
    {
      intent: "Fix storage.cfg on pve1 with pve3 powered off",
      params: { node: "pve1", file: "storage.cfg", target: "/etc/pve/storage.cfg", nodesDown: "pve3" },
    },
  ],
  // `--file` is read on this machine: a saved plan whose file changed is not a changed cluster.
  localFacts: ["newContent"],
  async probe(ctx, params): Promise<Facts> {
    const newContent = await readNewContentFrom((node, path) => ctx.readFile(node, path), {
      ...params,
      path: params.target,
      stateDir: ctx.stateDir,
    });
    const states = await clusterStates(ctx);
    const base = { target: params.node, path: params.target, states, newContent };
    if (!states.some((s) => s.node === params.node && s.reachable))
      return { ...base, disconnected: null, nodelist: [], current: null };
    const [current, running, pve, peers] = await Promise.all([
      ctx.readFile(params.node, params.target),
      ctx.readFile(params.node, LOCAL_COROSYNC_CONF),
      ctx.readFile(params.node, PVE_COROSYNC_CONF),
      disconnectedPeers(ctx, params.node),
    ]);
    const nodelist = nodelistOf(running) ?? nodelistOf(pve) ?? [];
    const nameOf = (id: number) => nodelist.find((n) => n.nodeid === id)?.name ?? `nodeid ${id}`;
    return { ...base, current, nodelist, disconnected: peers?.map(nameOf) ?? null };
  },
  decide,
  guardUndo: (params, facts, step, undo) =>
    clusterConfigUndoGuard({ ...facts, nodesDown: params.nodesDown }, step, undo),
  checks: clusterConfigChecks,
  detect,
});
