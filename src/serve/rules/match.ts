/**
 * An alert's labels → what to run: the first rule whose `match` fits, its templates filled from
 * the labels. Pure. A template naming a label the alert lacks makes the rule not apply, with why.
 */
import type { IncomingAlert } from "../alerts/alertmanager.js";
import type { Rule, RulesFile } from "./schema.js";

export interface Trigger {
  rule: string;
  runbook: string;
  /** Strings from templates, or a sweep finding's parsed values; the runbook's schema validates them. */
  params: Record<string, unknown>;
  cluster: string;
  /** What cooldowns and attempt caps count per: `runbook|cluster|target`. */
  key: string;
  /** The node the alert is about, when it names one. */
  node: string | null;
  unattended: boolean;
}

export type MatchResult = { kind: "trigger"; trigger: Trigger } | { kind: "no-rule"; reason: string };

export function fillTemplate(template: string, labels: Record<string, string>): string | { missing: string } {
  let missing: string | null = null;
  const out = template.replace(/\{\{\s*labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_all, name: string) => {
    const value = labels[name];
    if (value === undefined) missing ??= name;
    return value ?? "";
  });
  return missing === null ? out : { missing };
}

function fits(rule: Rule, labels: Record<string, string>): boolean {
  return Object.entries(rule.match).every(([label, want]) => {
    const value = labels[label];
    if (value === undefined) return false;
    return want.startsWith("~") ? new RegExp(`^(?:${want.slice(1)})$`).test(value) : value === want;
  });
}

export function matchAlert(rules: RulesFile, alert: Pick<IncomingAlert, "labels">): MatchResult {
  const rule = rules.rules.find((r) => fits(r, alert.labels));
  if (!rule) return { kind: "no-rule", reason: "no rule matches the alert's labels" };
  const params: Record<string, string> = {};
  for (const [name, template] of Object.entries(rule.params)) {
    const value = fillTemplate(template, alert.labels);
    if (typeof value !== "string") {
      return { kind: "no-rule", reason: `rule ${rule.name}: params.${name} needs label ${value.missing}` };
    }
    params[name] = value;
  }
  const cluster = fillTemplate(rule.cluster, alert.labels);
  if (typeof cluster !== "string" || cluster === "") {
    return {
      kind: "no-rule",
      reason: `rule ${rule.name}: the cluster template needs a label the alert lacks`,
    };
  }
  const node = fillTemplate(rule.node, alert.labels);
  const target = rule.target ? fillTemplate(rule.target, alert.labels) : canonicalParams(params);
  return {
    kind: "trigger",
    trigger: {
      rule: rule.name,
      runbook: rule.runbook,
      params,
      cluster,
      key: `${rule.runbook}|${cluster}|${typeof target === "string" ? target : canonicalParams(params)}`,
      node: typeof node === "string" && node !== "" ? node : null,
      unattended: rule.unattended,
    },
  };
}

/** Parameters in one stable text, so the same parameters always count as the same target. */
export function canonicalParams(params: Record<string, unknown>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${k}=${JSON.stringify(params[k])}`)
    .join(",");
}
