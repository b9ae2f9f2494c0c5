/**
 * ZeroTier's local.conf and the restart that makes zerotier-one read it. zerotier-one exits on a file that
 * is not strict JSON (also on its 10-second hot reload), so the content is built and re-parsed here: a
 * step never carries a file zerotier-one would refuse.
 */
import { z } from "zod";
import type { Risk, StepInput } from "../../engine/model.js";
import { defineCheck } from "../../kit/check.js";
import { defineStep } from "../../kit/step.js";
import {
  blacklistGaps,
  blacklistingPrefix,
  type RequiredBlacklist,
  usableLocalConf,
} from "../guards/zerotier-blacklist.js";
import {
  type BlacklistRequest,
  formatZerotierLocalConf,
  mergeZerotierBlacklist,
  parseZerotierLocalConf,
  type ZerotierLocalConf,
} from "../parsers/zerotier.js";
import {
  bridgedZerotier,
  describeGrowth,
  heartbeatOnlyOverZerotier,
  heartbeatOverZerotier,
  ZEROTIER_LOCAL_CONF,
  type ZerotierFacts,
  zerotierStable,
} from "../probes/zerotier.js";

const list = (items: readonly string[]): string => items.join(", ");

/** After a restart: zerotier-one is active and its memory holds still over two samples. */
export const zerotierStableCheck = defineCheck("zerotier-stable", z.object({}), (ctx, node) =>
  zerotierStable(ctx, node),
);

export type MergedLocalConf = { ok: true; text: string } | { ok: false; error: string };

/**
 * `existing` (null = start from an empty file) with `request` merged in, every other key kept, as text
 * that parses back and blacklists everything asked for.
 * @example mergedLocalConf(null, { cidrs: ["10.10.10.0/24"], interfacePrefixes: ["vmbr1"] })
 */
export function mergedLocalConf(
  existing: ZerotierLocalConf | null,
  request: BlacklistRequest,
): MergedLocalConf {
  let text: string;
  try {
    text = formatZerotierLocalConf(mergeZerotierBlacklist(existing, request));
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const back = parseZerotierLocalConf(text);
  if (!back.ok) return { ok: false, error: `the merged file does not parse: ${back.error}` };
  const left = blacklistGaps(back.value, request);
  if (left.cidrs.length > 0 || left.interfacePrefixes.length > 0) {
    return {
      ok: false,
      error: `the merged file still misses ${[...left.cidrs, ...left.interfacePrefixes].join(", ")}`,
    };
  }
  return { ok: true, text };
}

const RESTART = "systemctl restart zerotier-one";

export interface WriteLocalConfOptions {
  node: string;
  content: string;
  /** Whether a local.conf exists now (the undo then puts it back instead of removing the new one). */
  existed: boolean;
  /** Its bytes now (null: none), carried by the write so every view can show the diff. */
  current: string | null;
  /** The plan restarts zerotier-one afterwards, so the undo restarts it too. */
  restarts: boolean;
  risk: Risk;
  reason: string;
  warning?: string;
}

export const writeLocalConfStep = defineStep(
  {
    changes: [
      "/var/lib/zerotier-one/local.conf: adds the missing `physical.<cidr>.blacklist` entries and interface prefixes, keeps every other key",
    ],
    undoes: ["puts the previous local.conf back (or removes the new one) and restarts zerotier-one"],
  },
  (o: WriteLocalConfOptions): StepInput => {
    const back = o.existed ? "put the previous local.conf back" : "remove local.conf again";
    return {
      id: "write-zerotier-local-conf",
      title: `Write the blacklist into ${ZEROTIER_LOCAL_CONF} on ${o.node}`,
      node: o.node,
      risk: o.risk,
      reason: o.reason,
      ...(o.warning ? { warning: o.warning } : {}),
      actions: [
        {
          kind: "write-file",
          path: ZEROTIER_LOCAL_CONF,
          content: o.content,
          before: { path: ZEROTIER_LOCAL_CONF, content: o.current },
        },
      ],
      files: [ZEROTIER_LOCAL_CONF],
      undo: {
        kind: "actions",
        description: o.restarts ? `${back} and restart zerotier-one` : back,
        actions: [
          { kind: "restore-file", path: ZEROTIER_LOCAL_CONF },
          ...(o.restarts ? [{ kind: "exec" as const, command: RESTART, timeoutMs: 60_000 }] : []),
        ],
      },
    };
  },
);

export interface RestartZerotierOptions {
  node: string;
  risk: Risk;
  reason: string;
  warning?: string;
}

/** The restart, verified by the `zerotier-stable` check (active, memory steady). */
export const restartZerotierStep = defineStep(
  {
    changes: [
      "`systemctl restart zerotier-one` when it is active or failed (an inactive unit is left stopped)",
    ],
    undoes: [],
    checks: [zerotierStableCheck],
  },
  (o: RestartZerotierOptions): StepInput => ({
    id: "restart-zerotier-one",
    title: `Restart zerotier-one on ${o.node} and check that its memory stops growing`,
    node: o.node,
    risk: o.risk,
    reason: o.reason,
    ...(o.warning ? { warning: o.warning } : {}),
    actions: [{ kind: "exec", command: RESTART, timeoutMs: 60_000 }],
    undo: {
      kind: "none",
      reason: "a restart changes no file: it only makes zerotier-one read local.conf again",
    },
    verify: [
      zerotierStableCheck.at(
        o.node,
        "zerotier-one is active and its resident memory does not grow between two samples 2 s apart",
        {},
        { waitMs: 30_000 },
      ),
    ],
  }),
);

/**
 * The restart for these facts. Guarded when a corosync link of the node runs over ZeroTier: the
 * restart drops that link for a few seconds and the blacklist then sends it the long way round.
 * Every link over ZeroTier: quorum and HA fencing are at stake; only some: the cluster keeps its
 * heartbeat on the others, but degraded.
 */
export function restartZerotierFor(f: ZerotierFacts, reason: string): StepInput {
  const over = heartbeatOverZerotier(f).filter((r) => r.node === f.node);
  if (over.length === 0) return restartZerotierStep({ node: f.node, risk: "safe", reason });
  const links = list(over.map((r) => `link ${r.link}`));
  const warning = heartbeatOnlyOverZerotier(f)
    ? `every corosync link of ${f.node} runs over ZeroTier: the restart interrupts its heartbeat for a few seconds, which can cost quorum and, with HA, fence the node`
    : `corosync ${links} of ${f.node} runs over ZeroTier: the restart drops it for a few seconds and the blacklist then routes it only through the way out, so the heartbeat is degraded to its other links meanwhile`;
  return restartZerotierStep({ node: f.node, risk: "guarded", reason, warning });
}

/** The write of the merged local.conf for these facts, with why (the loop, the gaps, the way out). */
export function blacklistWriteFor(
  f: ZerotierFacts,
  o: { content: string; missing: readonly string[]; required: RequiredBlacklist; restarts: boolean },
): StepInput {
  return writeLocalConfStep({
    node: f.node,
    content: o.content,
    existed: f.localConf.state !== "absent",
    current: f.localConf.state === "absent" ? null : f.localConf.text,
    restarts: o.restarts,
    // Replacing an unreadable file drops whatever settings it meant to hold: a human decides.
    risk: f.localConf.state === "invalid" ? "guarded" : "safe",
    reason: [
      f.memory.growing ? describeGrowth(f.memory) : `zerotier-one is ${f.service}`,
      ...bridgedZerotier(f).map((b) => `${b.dev} is a port of ${b.bridge}`),
      `local.conf is ${f.localConf.state} and lacks ${list(o.missing)}`,
      `the way out stays open: ${list(o.required.outside)}`,
    ].join("; "),
    ...(f.localConf.state === "invalid" ? { warning: replacedWarning(f.localConf.error) } : {}),
  });
}

/** What the operator must know: heartbeat over ZeroTier, names that cannot be prefixes, a way out already cut. */
export function blacklistWarnings(f: ZerotierFacts, required: RequiredBlacklist): string[] {
  const byLink = new Map<string, string[]>();
  for (const r of heartbeatOverZerotier(f)) {
    const key = `corosync link ${r.link} (ring${r.link}_addr) lies in the ZeroTier network ${r.cidr} (${r.nwid ? `network ${r.nwid} on ` : ""}${r.dev})`;
    byLink.set(key, [...(byLink.get(key) ?? []), `${r.node} ${r.addr}`]);
  }
  const conf = usableLocalConf(f.localConf);
  return [
    ...[...byLink].map(
      ([link, nodes]) =>
        `${link} for ${list(nodes)}: the cluster heartbeat depends on ZeroTier, whose latency spikes cost corosync tokens and can fence nodes; with the internal networks blacklisted, ZeroTier reaches the other nodes only through the way out. Move this link to a physical network.`,
    ),
    ...required.unprefixable.map(
      (u) =>
        `${u.name} is internal, but its name begins ${u.outside} (the way out) and zerotier-one matches prefixes: ${u.name} is left out of interfacePrefixBlacklist and covered only by its networks.`,
    ),
    // Only the default-route devices carry the addresses zerotier-one binds; their ports have none.
    ...required.outside
      .filter((o) => f.network.defaultRouteDevs.includes(o))
      .flatMap((o) => {
        const p = blacklistingPrefix(conf, o);
        return p
          ? [
              `${ZEROTIER_LOCAL_CONF} already blacklists the prefix '${p}', which matches ${o}, the way out: ZeroTier may find no path.`,
            ]
          : [];
      }),
  ];
}

/** For replacing a local.conf that is not valid JSON. */
export function replacedWarning(error: string): string {
  return `${ZEROTIER_LOCAL_CONF} is not valid JSON (${error}), so zerotier-one cannot read it: it is replaced by a file holding only the blacklist. The old bytes stay in the backup; copy any setting you still need from there.`;
}

/** For a unit the operator stopped: the file is written, the service stays as it is. */
export function notStartedWarning(node: string, state: string): string {
  return `zerotier-one is ${state} on ${node}: the blacklist is written but the service is not started; start it with \`systemctl start zerotier-one\` when you are ready`;
}
