/**
 * Steps that move corosync to another network or add a knet link, in Proxmox's order (pvecm
 * chapter, "Edit corosync.conf"): keep copies of corosync.conf and /etc/hosts on every node, write
 * `/etc/pve/corosync.conf.new` with a config_version above every node's, then one `mv`; pmxcfs copies
 * it to every node and runs `corosync-cfgtool -R`. The check that follows waits until every node
 * runs the new version and sees the link connected to every peer. A move removes the old link only
 * in a second change, after that check has passed. Undo writes the earlier file back with a still
 * higher config_version, so pmxcfs copies it and corosync loads it again.
 */
import { z } from "zod";
import type { PlanDraftInput, StepInput } from "../../engine/model.js";
import { defineCheck } from "../../kit/check.js";
import { withWords } from "../../kit/step.js";
import { sh } from "../../shell/quote.js";
import { parseCorosyncCfgtool } from "../parsers/corosync-cfgtool.js";
import { ParseError } from "../parsers/format.js";
import { runningVersion } from "../probes/cluster-network.js";
import { LOCAL_COROSYNC_CONF, PVE_COROSYNC_CONF } from "../probes/corosync.js";
import { atVersion, linkConfProblems, withLink, withoutLink } from "./cluster-network-conf.js";

const HOSTS = "/etc/hosts";
const STAGED = `${PVE_COROSYNC_CONF}.new`;
const LOCAL_BAK = `${LOCAL_COROSYNC_CONF}.bak`;
/** Reload through pmxcfs takes a second or two; knet needs a few pings to call a link connected. */
const RELOAD_WAIT_MS = 30_000;

const pass = (detail: string) => ({ ok: true, detail });
const failed = (detail: string) => ({ ok: false, detail });

export const corosyncRunsVersion = defineCheck(
  "corosync-runs-version",
  z.object({ version: z.number().int() }),
  async (ctx, node, { version }) => {
    const now = await runningVersion(ctx, node);
    return now === version
      ? pass(`corosync runs config_version ${version}`)
      : failed(`corosync runs config_version ${now ?? "(corosync not answering)"}, not ${version}`);
  },
);

async function cfgtool(ctx: Parameters<typeof corosyncRunsVersion.fn>[0], node: string) {
  const result = await ctx.run(node, "corosync-cfgtool -s", { fresh: true });
  try {
    return parseCorosyncCfgtool(result.stdout);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return `\`corosync-cfgtool -s\` gave no link status: ${result.stderr.trim() || error.message}`;
  }
}

export const knetLinkConnected = defineCheck(
  "knet-link-connected",
  z.object({ link: z.number().int(), addr: z.string(), peers: z.array(z.number().int()) }),
  async (ctx, node, { link, addr, peers }) => {
    const status = await cfgtool(ctx, node);
    if (typeof status === "string") return failed(status);
    const l = status.links.find((x) => x.linkId === link);
    if (!l) return failed(`corosync-cfgtool -s shows no link ${link}`);
    if (l.addr !== addr) return failed(`link ${link} runs on ${l.addr ?? "(no address)"}, not ${addr}`);
    const down = peers.filter((id) => !l.nodes.some((n) => n.nodeId === id && n.status === "connected"));
    return down.length === 0
      ? pass(`link ${link} (${addr}) connected to node id ${peers.join(", ")}`)
      : failed(`link ${link} is not connected to node id ${down.join(", ")}`);
  },
);

export const knetLinkGone = defineCheck(
  "knet-link-gone",
  z.object({ link: z.number().int() }),
  async (ctx, node, { link }) => {
    const status = await cfgtool(ctx, node);
    if (typeof status === "string") return failed(status);
    return status.links.some((x) => x.linkId === link)
      ? failed(`corosync-cfgtool -s still shows link ${link}`)
      : pass(`link ${link} is gone`);
  },
);

export interface Member {
  name: string;
  nodeid: number;
}

/** `cp -p` of the node's corosync.conf beside it (the wiki's `.bak`); the engine backs up both files first. */
function backupStep(node: string, first: { warning: string } | null): StepInput {
  return {
    id: `backup-corosync-conf-${node}`,
    title: `Keep copies of corosync.conf and ${HOSTS} on ${node}`,
    node,
    risk: first ? "dangerous" : "safe",
    ...(first ? { warning: first.warning } : {}),
    reason: `the way back if ${node}'s corosync cannot load the new config: ${LOCAL_BAK} on the node, both files in the journal`,
    actions: [{ kind: "exec", command: sh`cp -p ${LOCAL_COROSYNC_CONF} ${LOCAL_BAK}`, timeoutMs: 30_000 }],
    undo: {
      kind: "actions",
      description: `put back the earlier ${LOCAL_BAK} (or remove it)`,
      actions: [{ kind: "restore-file", path: LOCAL_BAK }],
    },
    files: [LOCAL_BAK, LOCAL_COROSYNC_CONF, HOSTS],
  };
}

interface ReplaceOptions {
  id: string;
  title: string;
  writer: string;
  members: readonly Member[];
  current: string;
  next: string;
  version: number;
  /** What the undo writes: the file before this step, with a config_version above anything forward. */
  undoText: string;
  undoVersion: number;
  reason: string;
  connected: { link: number; addrs: Readonly<Record<string, string>> };
  gone: number | null;
}

/** `.new` then one `mv`; verified on every node: the running version and the link's state. */
function replaceConfStep(o: ReplaceOptions): StepInput {
  const mv = { kind: "exec" as const, command: sh`mv -f ${STAGED} ${PVE_COROSYNC_CONF}`, timeoutMs: 30_000 };
  const wait = { waitMs: RELOAD_WAIT_MS };
  const { link, addrs } = o.connected;
  return {
    id: o.id,
    title: o.title,
    node: o.writer,
    risk: "safe",
    reason: o.reason,
    actions: [
      {
        kind: "write-file",
        path: STAGED,
        content: o.next,
        before: { path: PVE_COROSYNC_CONF, content: o.current },
      },
      mv,
    ],
    undo: {
      kind: "actions",
      description: `write the earlier ${PVE_COROSYNC_CONF} back with config_version ${o.undoVersion} (\`.new\`, then \`mv\`), which pmxcfs copies and corosync reloads`,
      actions: [{ kind: "write-file", path: STAGED, content: o.undoText }, mv],
    },
    files: [STAGED, PVE_COROSYNC_CONF],
    verify: o.members.flatMap((m) => [
      corosyncRunsVersion.at(
        m.name,
        `corosync on ${m.name} runs config_version ${o.version}`,
        { version: o.version },
        wait,
      ),
      knetLinkConnected.at(
        m.name,
        `${m.name} sees link ${link} (${addrs[m.name]}) connected to every other node`,
        { link, addr: addrs[m.name] ?? "", peers: o.members.filter((p) => p !== m).map((p) => p.nodeid) },
        wait,
      ),
      ...(o.gone === null
        ? []
        : [knetLinkGone.at(m.name, `${m.name} no longer runs link ${o.gone}`, { link: o.gone }, wait)]),
    ]),
  };
}

export interface LinkPlanOptions {
  writer: string;
  members: readonly Member[];
  /** /etc/pve/corosync.conf now. */
  text: string;
  /** The highest config_version seen anywhere. */
  highest: number;
  link: number;
  addrs: Readonly<Record<string, string>>;
  priority: number | null;
  /** Add the link (null: it is there already) and/or remove this one after it is proven. */
  add: boolean;
  remove: number | null;
  evidence: string;
}

/** The whole change as steps, or the problems that make its corosync.conf unusable. */
export const clusterNetworkSteps = withWords(
  {
    changes: [
      `\`cp -p ${LOCAL_COROSYNC_CONF} ${LOCAL_BAK}\` on every node (the engine also keeps ${LOCAL_COROSYNC_CONF} and ${HOSTS} in the journal)`,
      `${STAGED} with \`ring<link>_addr\` on every node and the link's \`interface\` block, config_version above every node's, then \`mv -f ${STAGED} ${PVE_COROSYNC_CONF}\`: pmxcfs copies it to every node and runs \`corosync-cfgtool -R\``,
      "a move (`--replace`): a second corosync.conf without the old link, written only after the new link is connected on every node",
    ],
    undoes: [
      `each corosync.conf written is replaced by the one before it with a still higher config_version (\`.new\`, then \`mv\`), so pmxcfs copies it and corosync reloads it`,
      `${LOCAL_BAK} is put back as it was (or removed)`,
    ],
    checks: [corosyncRunsVersion, knetLinkConnected, knetLinkGone],
  },
  linkSteps,
);

function linkSteps(
  o: LinkPlanOptions,
): { steps: StepInput[]; summary: string; warning: string } | { problems: string[] } {
  const links = (text: string) => [
    ...new Set([...text.matchAll(/ring(\d+)_addr:/g)].map((m) => Number(m[1]))),
  ];
  const texts: Array<{ text: string; version: number; links: number[] }> = [];
  let last = o.text;
  let version = o.highest;
  if (o.add) {
    version += 1;
    last = withLink(last, o.link, o.addrs, o.priority, version);
    texts.push({ text: last, version, links: [...links(o.text), o.link] });
  }
  if (o.remove !== null) {
    version += 1;
    last = withoutLink(last, o.remove, version);
    texts.push({ text: last, version, links: [...links(o.text), o.link].filter((l) => l !== o.remove) });
  }
  const problems = texts.flatMap((t) => linkConfProblems(t.text, [...new Set(t.links)], t.version));
  if (problems.length > 0) return { problems };
  const where = Object.entries(o.addrs)
    .map(([n, a]) => `${n} ${a}`)
    .join(", ");
  const what = o.add
    ? `Add knet link ${o.link} (${where})${o.remove === null ? "" : ` and then remove link ${o.remove}`}`
    : `Remove link ${o.remove}: link ${o.link} (${where}) carries the cluster`;
  const warning = `${what}. /etc/pve/corosync.conf is replaced and every node's corosync reloads it at once; a wrong address there costs the cluster its quorum. ${o.evidence}.${o.remove === null ? "" : ` Link ${o.remove} is removed only after link ${o.link} is connected on every node.`}`;
  const befores = [o.text, ...texts.map((t) => t.text)];
  const steps = texts.map((t, i) => {
    // Undo runs last step first: each undo writes a version above every forward one and the undo before it.
    const undoVersion = version + (texts.length - i);
    const removing = o.remove !== null && (!o.add || i === 1);
    return replaceConfStep({
      id: removing ? `remove-link-${o.remove}` : `add-link-${o.link}`,
      title: removing
        ? `Remove link ${o.remove} from corosync.conf (config_version ${t.version})`
        : `Add link ${o.link} to corosync.conf (config_version ${t.version})`,
      writer: o.writer,
      members: o.members,
      current: befores[i]!,
      next: t.text,
      version: t.version,
      undoText: atVersion(befores[i]!, undoVersion),
      undoVersion,
      reason: removing
        ? `link ${o.link} is connected on every node${o.add ? " (checked by the step before)" : ""}: link ${o.remove} can go`
        : `every node has its address and reaches the others there; config_version ${t.version} is above every node's`,
      connected: { link: o.link, addrs: o.addrs },
      gone: removing ? o.remove : null,
    });
  });
  const backups = o.members.map((m, i) => backupStep(m.name, i === 0 ? { warning } : null));
  return { steps: [...backups, ...steps], summary: what, warning };
}

export type LinkSteps = ReturnType<typeof linkSteps>;

/** The plan for `decide`, or the problems of the corosync.conf it would write. */
export function clusterNetworkPlan(o: LinkPlanOptions): { plan: PlanDraftInput } | { problems: string[] } {
  const built = clusterNetworkSteps(o);
  if ("problems" in built) return built;
  return { plan: { summary: built.summary, warnings: [], steps: built.steps } };
}
