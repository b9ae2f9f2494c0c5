/**
 * `pvefix apply FILE`: run a saved plan only when the plan pvefix builds now is the same.
 */
import { EngineError } from "../errors.js";
import { canonicalJson, diffFacts } from "../fingerprint.js";
import { PLAN_FORMAT_VERSION, Plan } from "../model.js";
import { paramFlags, parseParams } from "../params.js";
import { planDifferences, planRunbook } from "../plan.js";
import { redactDeep } from "../redact.js";
import { engineRefusal } from "../refusals.js";
import type { AnyRunbook } from "../runbook.js";
import { executePlanned } from "./execute.js";
import { type RunResult, withRun } from "./frame.js";
import type { RunOptions } from "./run.js";

export interface ApplySavedOptions extends Omit<RunOptions, "runbook" | "rawParams"> {
  plan: unknown;
  runbookFor(id: string): AnyRunbook;
}

/**
 * Apply a saved plan: probe again, build the plan again from the saved parameters, and run that
 * fresh plan only when its facts have the saved fingerprint (Terraform's stale-plan rule) and it
 * does exactly what the saved one says, step by step. The file is a record of what was reviewed,
 * never the source of commands: an edited file is refused, naming each difference.
 */
export async function applySavedPlan(options: ApplySavedOptions): Promise<RunResult> {
  const saved = loadSavedPlan(options.plan);
  const runbook = options.runbookFor(saved.runbook);
  const params = savedParams(runbook, saved.params);
  if (saved.cluster !== options.cluster) {
    throw new EngineError(
      "PVEFIX_STALE_PLAN",
      `Saved plan is for cluster ${saved.cluster}, not ${options.cluster}`,
      "point -i/--lab at the cluster the plan was made for",
    );
  }
  const again = `run \`pvefix plan ${saved.runbook} ${paramFlags(saved.params).join(" ")}\` again to get a fresh plan`;
  return withRun(options, runbook, params, "apply", async (ex) => {
    const planned = await planRunbook({ runbook, params, ctx: ex.checkContext });
    ex.events.emit({ type: "facts", facts: planned.facts });
    if (planned.kind !== "plan" || planned.plan.fingerprint !== saved.fingerprint) {
      const now = planned.kind === "plan" ? planned.plan.facts : refreshedFacts(runbook, planned.facts);
      const changes = diffFacts(redactDeep(saved.facts), redactDeep(now));
      const secretOnly = changes.length === 0 && planned.kind === "plan";
      const refusal = engineRefusal("stale-plan", {
        what: whatChanged(runbook, changes),
        changes,
        secretOnly,
        today:
          planned.kind === "refusal"
            ? { kind: "refusal", message: planned.refusal.message }
            : planned.kind === "nothing-to-do"
              ? { kind: "nothing-to-do", reason: planned.reason }
              : { kind: "plan" },
        again,
      });
      return executePlanned(options, { kind: "refusal", refusal, facts: planned.facts }, ex);
    }
    const differences = planDifferences(saved, planned.plan);
    if (differences.length > 0) {
      const refusal = engineRefusal("plan-mismatch", { differences, again });
      return executePlanned(options, { kind: "refusal", refusal, facts: planned.facts }, ex);
    }
    // Run what pvefix built just now; it equals the reviewed plan in everything but its time.
    return executePlanned(options, planned, ex);
  });
}

/**
 * A plan holds its parameters as parsed (`--nodes-down pve3` is `["pve3"]`), and a file's values
 * are untrusted: they are validated again, read back from the form the CLI takes (a list as a
 * comma list), and used only when parsing gives exactly the saved values.
 */
function savedParams(runbook: AnyRunbook, saved: Record<string, unknown>): Record<string, unknown> {
  const asFlags = Object.fromEntries(
    Object.entries(saved).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
  );
  let firstError: unknown;
  for (const raw of [saved, asFlags]) {
    try {
      const parsed = parseParams(runbook, raw);
      if (canonicalJson(parsed) === canonicalJson(saved)) return parsed;
    } catch (error) {
      firstError ??= error;
    }
  }
  throw (
    firstError ??
    new EngineError(
      "PVEFIX_PLAN_FORMAT",
      `the plan file's params ${JSON.stringify(saved)} are not what \`pvefix plan ${runbook.meta.id}\` saves`,
    )
  );
}

function refreshedFacts(runbook: AnyRunbook, facts: unknown): unknown {
  if (facts === null) return null;
  return runbook.stableFacts ? runbook.stableFacts(facts) : facts;
}

export function loadSavedPlan(raw: unknown): Plan {
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (version !== PLAN_FORMAT_VERSION) {
    throw new EngineError(
      "PVEFIX_PLAN_FORMAT",
      `unsupported plan file format version ${JSON.stringify(version)}; only version ${PLAN_FORMAT_VERSION} is supported`,
    );
  }
  const parsed = Plan.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // Name the field, or a user editing the file cannot tell which one is wrong.
    const where = issue && issue.path.length > 0 ? `at ${issue.path.join(".")}: ` : "";
    throw new EngineError(
      "PVEFIX_PLAN_FORMAT",
      `the plan file is not a valid pvefix plan: ${where}${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Who changed a saved plan's facts: the cluster, the local file the plan read (`--file`), or both. */
function whatChanged(runbook: AnyRunbook, changes: string[]): string {
  const local = runbook.localFacts ?? [];
  const isLocal = (change: string) =>
    local.some((key) => change.startsWith(`${key}.`) || change.startsWith(`${key}:`));
  const localCount = changes.filter(isLocal).length;
  if (localCount === 0) return "the cluster";
  return localCount === changes.length ? "the local file" : "the cluster and the local file";
}
