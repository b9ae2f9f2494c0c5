/** The help (and docs/cli.md) text of `--from`: what a report is, and which probes it can answer. */
import { REPORT_ANSWER_RULES } from "../report/answers.js";

export function fromReportHelp(): string {
  return [
    "Offline, from a ticket (--from FILE|FOLDER…): nothing is sent to any node.",
    "  A FILE with '==== title ====' lines is a pvereport: one node's view (its `# hostname`), taken",
    "  at its `# date -R`. Other nodes of the cluster are 'not in report' (info), not unreachable;",
    "  add their pvereports to check them too. A FOLDER holds captured outputs, one command per file:",
    "    # <command as run>     first line",
    "    # node: <name>         optional (default: the node of the one pvereport given with it)",
    "    # exit: <code>         optional (a pvereport records none)",
    "    <output>  then optionally a '# stderr:' line and what went to stderr",
    "  A capture given later answers before an earlier one. How pvefix's probes are answered:",
    ...REPORT_ANSWER_RULES.map((r) => `    ${r.pvefix}  ->  ${r.report}`),
    "  A probe nothing answers fails with 'not in report: <command>': its detector is listed as not",
    "  able to finish and the commands are listed at the end; nothing is guessed. The status is",
    "  incomplete (exit 12) whenever a node or a check was not in the report.",
    "  A pvereport holds no /etc/pve/.vmlist and no task list: a guest's lock is still reported (from",
    "  the node's pct list / qm list and the guest's config), with whether it is stale 'not in report'",
    "  and `pvefix plan stuck-lock --vmid N` to run against the cluster.",
    "  plan --from plans only when the runbook's facts are all captured; the plan is marked 'from a",
    "  report: re-plan against the cluster before applying' (text, md, json) and `pvefix apply`",
    "  refuses it (exit 3, nothing probed or changed).",
  ].join("\n");
}
