/**
 * Steps that give a two-node cluster its QDevice: take `two_node`/`wait_for_all` out of
 * corosync.conf when they were set by hand (corosync refuses them beside a device), then
 * `pvecm qdevice setup <qnetd>` (certificates, the quorum.device section, corosync-qdevice on every
 * node, a cluster-wide reload), verified by every node counting the device's vote.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Check, StepInput } from "../../engine/model.js";
import { defineCheck } from "../../kit/check.js";
import { withWords } from "../../kit/step.js";
import { sh } from "../../shell/quote.js";
import { configVersionOf, setConfigVersion } from "../parsers/corosync-conf.js";
import { corosyncConfVersion, fileSha256Check } from "../probes/cluster-config-checks.js";
import { PVE_COROSYNC_CONF } from "../probes/corosync.js";
import { nodeVotesOf } from "../probes/qdevice.js";
import { pvecmStatus } from "../probes/quorum.js";

const STAGED = `${PVE_COROSYNC_CONF}.new`;
const SETUP_TIMEOUT_MS = 180_000;

/** The node counts the device's vote: Flags Quorate and Qdevice, the device row casting, expected votes as given. */
export const qdeviceVotes = defineCheck(
  "qdevice-votes",
  z.object({ expected: z.number().int().positive() }),
  async (ctx, node, { expected }) => {
    const { result, hung } = await pvecmStatus(ctx, node);
    const votes = hung ? null : nodeVotesOf(`${result.stdout}${result.stderr}`);
    if (!votes) return { ok: false, detail: `pvecm status on ${node} gave no quorum view` };
    const detail = `Flags: ${votes.flags.join(" ") || "(none)"}; expected votes ${votes.expectedVotes}; device ${
      votes.qdeviceVotes ? (votes.qdeviceVotes.casting ? "votes" : "does not vote") : "not registered"
    }`;
    const ok =
      votes.flags.includes("Quorate") &&
      votes.flags.includes("Qdevice") &&
      votes.qdeviceVotes?.casting === true &&
      votes.expectedVotes === expected;
    return { ok, detail };
  },
);

/** corosync.conf without the quorum section's `two_node` and `wait_for_all` lines, every other byte kept. */
export function withoutHandSetQuorum(text: string): string {
  const path: string[] = [];
  const kept: string[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    const open = /^([A-Za-z0-9_.-]+)\s*\{$/.exec(t);
    if (open) path.push(open[1]!);
    else if (t === "}") path.pop();
    else if (path.length === 1 && path[0] === "quorum" && /^(two_node|wait_for_all)\s*:/.test(t)) continue;
    kept.push(line);
  }
  return kept.join("\n");
}

export interface HandSetEdit {
  node: string;
  /** corosync.conf as probed. */
  current: string;
  /** The keys as written, for the words (`two_node: 1`). */
  keys: readonly string[];
  /** Node names: each one's /etc/corosync/corosync.conf must reach the new version. */
  nodes: readonly string[];
}

/**
 * Stage corosync.conf without the hand-set keys, then rename it into place (Proxmox's edit procedure).
 * The undo writes the old quorum section back with a config_version above any this run can reach
 * (this edit, the setup and its undo: +3), because pmxcfs never copies a lower version to the nodes.
 */
export function dropHandSetQuorumSteps(o: HandSetEdit): StepInput[] {
  const version = configVersionOf(o.current) ?? 0;
  const next = setConfigVersion(withoutHandSetQuorum(o.current), version + 1);
  const back = setConfigVersion(o.current, version + 4);
  const keys = o.keys.join(", ");
  const reason = `corosync.conf sets ${keys} by hand; corosync refuses two_node beside a quorum device, and the device makes both unnecessary`;
  const versionChecks: Check[] = o.nodes.map((n) =>
    corosyncConfVersion.at(
      n,
      `/etc/corosync/corosync.conf on ${n} has config_version ${version + 1}`,
      { version: version + 1 },
      { waitMs: 15_000 },
    ),
  );
  return [
    {
      id: `stage-corosync-conf-${o.node}`,
      title: `Write corosync.conf without ${keys} to ${STAGED} (config_version ${version + 1})`,
      node: o.node,
      risk: "guarded",
      reason,
      warning: `Both nodes keep quorum only together until the QDevice votes (the next step); ${keys} go away.`,
      actions: [
        {
          kind: "write-file",
          path: STAGED,
          content: next,
          before: { path: PVE_COROSYNC_CONF, content: o.current },
        },
      ],
      undo: {
        kind: "actions",
        description: `remove ${STAGED}`,
        actions: [{ kind: "restore-file", path: STAGED }],
      },
      files: [STAGED],
    },
    {
      id: `replace-corosync-conf-${o.node}`,
      title: `Replace ${PVE_COROSYNC_CONF} with the staged file in one rename`,
      node: o.node,
      risk: "guarded",
      reason:
        "pmxcfs copies the new version to every node's /etc/corosync/corosync.conf and reloads corosync",
      actions: [{ kind: "exec", command: sh`mv -f ${STAGED} ${PVE_COROSYNC_CONF}`, timeoutMs: 30_000 }],
      undo: {
        kind: "actions",
        description: `write the old quorum section back as config_version ${version + 4} (${STAGED}, then one rename)`,
        actions: [
          { kind: "write-file", path: STAGED, content: back },
          { kind: "exec", command: sh`mv -f ${STAGED} ${PVE_COROSYNC_CONF}`, timeoutMs: 30_000 },
        ],
      },
      files: [PVE_COROSYNC_CONF],
      verify: [
        fileSha256Check.at(o.node, `${PVE_COROSYNC_CONF} has the new content`, {
          path: PVE_COROSYNC_CONF,
          sha256: createHash("sha256").update(next).digest("hex"),
        }),
        ...versionChecks,
      ],
    },
  ];
}

export interface SetupOptions {
  node: string;
  qnetd: string;
  nodes: readonly string[];
  /** Expected votes once the device counts: the nodes' votes + 1 (ffsplit). */
  expected: number;
}

export function qdeviceSetupStep(o: SetupOptions): StepInput {
  return {
    id: `qdevice-setup-${o.node}`,
    title: `Set up the QDevice with qnetd ${o.qnetd} (pvecm qdevice setup on ${o.node})`,
    node: o.node,
    risk: "dangerous",
    reason: `${o.nodes.join(" and ")} lose quorum when either goes down; qnetd ${o.qnetd} gives the surviving node the tie-breaking vote`,
    warning: `pvecm copies certificates to ${o.qnetd} as root, adds quorum.device to /etc/pve/corosync.conf, starts and enables corosync-qdevice on ${o.nodes.join(", ")} and reloads corosync on every node.`,
    actions: [{ kind: "exec", command: sh`pvecm qdevice setup ${o.qnetd}`, timeoutMs: SETUP_TIMEOUT_MS }],
    undo: {
      kind: "actions",
      description:
        "`pvecm qdevice remove` (takes the device out of corosync.conf, stops corosync-qdevice, removes the certificate stores)",
      actions: [
        {
          kind: "exec",
          command: "pvecm qdevice remove",
          timeoutMs: SETUP_TIMEOUT_MS,
          // A setup that failed before writing corosync.conf left no device to remove.
          skipIf: sh`! grep -qE ${"^ +device +\\{"} ${PVE_COROSYNC_CONF}`,
        },
      ],
    },
    files: [PVE_COROSYNC_CONF],
    verify: o.nodes.map((n) =>
      qdeviceVotes.at(
        n,
        `${n}: Flags Quorate Qdevice, expected votes ${o.expected}, the device votes`,
        { expected: o.expected },
        { waitMs: 30_000 },
      ),
    ),
  };
}

export const qdeviceSteps = withWords(
  {
    changes: [
      "when `two_node`/`wait_for_all` were set by hand: corosync.conf without them, staged as `/etc/pve/corosync.conf.new` (config_version + 1) and renamed into place",
      "`pvecm qdevice setup <qnetd>` on the setup node: certificates on the qnetd host and every node, `quorum { device { model: net … } }` in corosync.conf, corosync-qdevice started and enabled everywhere, `corosync-cfgtool -R`",
    ],
    undoes: [
      "`pvecm qdevice remove` (skipped when the setup never wrote the device section)",
      "the hand-set keys come back: the old corosync.conf, with a config_version above any the run wrote, staged and renamed into place",
    ],
    checks: [qdeviceVotes, corosyncConfVersion, fileSha256Check],
  },
  (steps: { edit: HandSetEdit | null; setup: SetupOptions }): StepInput[] => [
    ...(steps.edit ? dropHandSetQuorumSteps(steps.edit) : []),
    qdeviceSetupStep(steps.setup),
  ],
);
