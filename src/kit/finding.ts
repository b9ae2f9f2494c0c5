/**
 * `finding({ severity, summary, verb, params })`: what diagnose reports, with the next command
 * built by the one quoting function (views/command-line.ts), never by hand.
 */
import type { Finding, Severity } from "../engine/model.js";
import { pvefixCommand } from "../views/command-line.js";

export interface FindingInput {
  severity: Severity;
  summary: string;
  /** `run`: the runbook fixes it; `plan`: look first (it may refuse); `explain`: read the runbook's docs. */
  verb: "run" | "plan" | "explain";
  params: Record<string, unknown>;
  node?: string;
  /** `run … --unattended`: safe to run without a human. */
  unattended?: boolean;
  /** The command's flags when they are not the finding's `params` (it names another node to act on). */
  flags?: Record<string, unknown>;
  /** Flags the operator fills in after the others, such as `--file PATH-TO-NEW-CONF`. */
  placeholders?: readonly string[];
  /**
   * The next command when no pvefix command is it: a PVE command no runbook covers (built with `sh`)
   * or a read-only check. It is shown as given, instead of `pvefix <verb> …`.
   */
  manual?: string;
}

/** A finding as `detect` returns it: the kit adds the runbook id and renders the command. */
export function finding(input: FindingInput): FindingInput {
  return input;
}

/** The engine's Finding: same keys, same order, as the hand-written ones were. */
export function renderFinding(runbook: string, f: FindingInput): Finding {
  const flags = f.verb === "explain" ? {} : (f.flags ?? f.params);
  const extra = [...(f.placeholders ?? []), ...(f.unattended && f.verb === "run" ? ["--unattended"] : [])];
  return {
    runbook,
    ...(f.node !== undefined ? { node: f.node } : {}),
    params: f.params,
    severity: f.severity,
    summary: f.summary,
    command: f.manual ?? pvefixCommand(f.verb, runbook, flags, extra),
  };
}
