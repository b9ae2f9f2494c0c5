/**
 * `ha-manager status` (proxmox-facts §6.2), both the pre-5.1.3 format and the newer one with a
 * `fencing` line and a watchdog field per LRM. Only trust it from a quorate node: elsewhere it is
 * a frozen view whose master and LRM lines turn `old timestamp - dead?`.
 */
import { z } from "zod";
import { ParseError, type ParserFormat } from "./format.js";
import { splitLines } from "./parser-support.js";
import { isStderrLine } from "./stderr-lines.js";

export const HaManagerStatus = z.object({
  quorum: z.object({ ok: z.boolean(), message: z.string() }),
  master: z
    .object({
      node: z.string(),
      state: z.string(),
      time: z.string().nullable(),
      /**
       * CRS scheduler mode from the ` - static load CRS` / ` - dynamic load CRS` suffix; `basic` when
       * no suffix (ha-manager prints it only for non-basic modes, datacenter.cfg `crs: ha=`).
       */
      crs: z.string().optional(),
      /** ` - <disarm state>, resource mode: <mode>` suffix (pve-ha-manager ≥ 5.1.3), verbatim. */
      disarm: z.string().nullable().optional(),
    })
    .nullable(),
  /** pve-ha-manager ≥ 5.1.3 only, e.g. `armed (CRM watchdog active)`. */
  fencing: z.string().nullable(),
  lrms: z.array(
    z.object({
      node: z.string(),
      /** `active`, `idle`, `wait_for_agent_lock`, `lost_agent_lock`, `maintenance mode`, `old timestamp - dead?`, ... */
      state: z.string(),
      /** `watchdog active|standby|released` (newer versions only). */
      watchdog: z.string().nullable(),
      time: z.string().nullable(),
    }),
  ),
  services: z.array(z.object({ sid: z.string(), node: z.string().nullable(), state: z.string() })),
});
export type HaManagerStatus = z.infer<typeof HaManagerStatus>;

const FORMAT = "ha-manager-status";
// Perl scalar localtime: `Wed Mar  4 14:03:12 2026`.
const LOCALTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;
const WATCHDOG = /^watchdog (active|standby|released)$/;

/** Split `state[, watchdog …][, time]` from inside the parentheses. */
function details(inner: string): { state: string; watchdog: string | null; time: string | null } {
  const parts = inner.split(", ");
  const time =
    parts.length > 1 && LOCALTIME.test(parts[parts.length - 1] as string) ? (parts.pop() as string) : null;
  const watchdog =
    parts.length > 1 && WATCHDOG.test(parts[parts.length - 1] as string) ? (parts.pop() as string) : null;
  return { state: parts.join(", "), watchdog, time };
}

export function parseHaManagerStatus(text: string): HaManagerStatus {
  const status: HaManagerStatus = {
    quorum: { ok: false, message: "" },
    master: null,
    fencing: null,
    lrms: [],
    services: [],
  };
  let sawQuorum = false;
  for (const [index, line] of splitLines(text).entries()) {
    const lineNo = index + 1;
    if (line.trim() === "") continue;
    // `--verbose` appends the raw manager_status JSON; nothing after it is a status line.
    if (line.startsWith("full cluster state:")) break;
    const [kind, ...restWords] = line.split(" ");
    const rest = restWords.join(" ");
    const paren = /^(\S+) \((.*)\)(.*)$/.exec(rest);
    if (kind === "quorum") {
      sawQuorum = true;
      status.quorum = { ok: rest === "OK", message: rest };
    } else if (kind === "master" && paren) {
      const { state, time } = details(paren[2] as string);
      const suffixes = (paren[3] as string)
        .split(" - ")
        .map((x) => x.trim())
        .filter((x) => x !== "");
      const crs = suffixes.map((x) => /^(\w+) load CRS$/.exec(x)?.[1]).find((x) => x !== undefined);
      const disarm = suffixes.find((x) => /resource mode:/.test(x)) ?? null;
      status.master = { node: paren[1] as string, state, time, crs: crs ?? "basic", disarm };
    } else if (kind === "fencing") {
      status.fencing = rest;
    } else if (kind === "lrm" && paren) {
      status.lrms.push({ node: paren[1] as string, ...details(paren[2] as string) });
    } else if (kind === "service" && paren && (paren[2] as string).includes(", ")) {
      const inner = paren[2] as string;
      const node = inner.slice(0, inner.indexOf(", "));
      status.services.push({
        sid: paren[1] as string,
        node: node === "---" ? null : node,
        state: inner.slice(node.length + 2),
      });
    } else {
      throw new ParseError(FORMAT, `unexpected line '${line}'`, lineNo);
    }
  }
  if (!sawQuorum) throw new ParseError(FORMAT, "no 'quorum' line: is this ha-manager status output?");
  return status;
}

export const HaManagerStatusReading = HaManagerStatus.extend({
  /** `unavailable` when ha-manager could not read the cluster filesystem (pmxcfs down). */
  state: z.enum(["running", "unavailable"]),
  error: z.string().nullable(),
  warnings: z.array(z.string()),
});
export type HaManagerStatusReading = z.infer<typeof HaManagerStatusReading>;

/** 2>&1 accepted: pmxcfs errors (`ipcc_send_rec[1] failed: ...`) are kept as warnings, or are the answer. */
export function readHaManagerStatus(text: string): HaManagerStatusReading {
  const lines = splitLines(text);
  const warnings = lines.filter((l) => isStderrLine(l)).map((l) => l.trim());
  const kept = lines.map((l) => (isStderrLine(l) ? "" : l)).join("\n");
  if (warnings.length > 0 && kept.trim() === "") {
    return {
      quorum: { ok: false, message: "" },
      master: null,
      fencing: null,
      lrms: [],
      services: [],
      state: "unavailable",
      error: warnings[warnings.length - 1] as string,
      warnings,
    };
  }
  return { ...parseHaManagerStatus(kept), state: "running", error: null, warnings };
}

export const haManagerStatusFormat: ParserFormat<HaManagerStatusReading> = {
  name: FORMAT,
  description: "ha-manager status: quorum, CRM master (CRS mode), fencing, LRMs, services; stderr kept",
  schema: HaManagerStatusReading,
  parse: readHaManagerStatus,
};
