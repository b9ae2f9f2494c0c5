/**
 * Which captured output answers a command pvefix sends. pvefix and pvereport run the same tools
 * with different wrappers: pvefix bounds a read with `timeout -s KILL N` (pvereport has its own
 * timeout), pvereport adds `2>/dev/null` or prints a guest's config under its own path. Only those
 * differences are bridged; a command whose answer is not captured is not answered (never derived).
 */
import type { Captured, CapturedOutput } from "./captured.js";

/** How a command is answered: shown in `pvefix diagnose --help` and docs/cli.md. */
export const REPORT_ANSWER_RULES: ReadonlyArray<{ pvefix: string; report: string }> = [
  {
    pvefix: "true (is the node there?)",
    report: "yes for a node with a report; the other nodes are 'not in report'",
  },
  { pvefix: "timeout -s KILL N <command>", report: "<command> (pvereport bounds its commands itself)" },
  { pvefix: "<command> 2>&1, <command> 2>/dev/null", report: "<command>, as captured" },
  { pvefix: "cat '<path>' (quoted)", report: "cat <path>" },
  {
    pvefix: "cat /etc/pve/nodes/<node>/{qemu-server,lxc}/<id>.conf",
    report: "cat /etc/pve/{qemu-server,lxc}/<id>.conf (pvereport's guest configs) of <node>'s report",
  },
  {
    pvefix: "any other command",
    report: "the same command line in a pvereport or a captured file, else 'not in report: <command>'",
  },
];

/** A command line with its wrappers and redirections removed, as both sides are compared. */
export function normalizeCommand(command: string): string {
  let c = command.trim().replace(/\s+/g, " ");
  c = c.replace(/^timeout (?:-s \S+ |--signal=\S+ )?\d+(?:\.\d+)?s? /, "");
  c = c.replace(/(?: 2>&1| 2> ?\/dev\/null)+$/, "");
  // `cat '/etc/pve/x'`: a quoted word without quotes or blanks inside reads the same unquoted.
  c = c.replace(/'([^'\s"\\$`]*)'/g, "$1");
  return c;
}

/** The commands (normalized) whose captured output would answer `command` on `node`. */
function candidates(node: string, command: string): string[] {
  const c = normalizeCommand(command);
  const out = [c];
  const guest = /^cat \/etc\/pve\/nodes\/([^/\s]+)\/(qemu-server|lxc)\/(\d+\.conf)$/.exec(c);
  if (guest && guest[1] === node)
    out.push(`cat /etc/pve/${guest[2]}/${guest[3]}`, `cat /etc/pve/local/${guest[2]}/${guest[3]}`);
  const local = /^cat \/etc\/pve\/(?:local\/)?(qemu-server|lxc)\/(\d+\.conf)$/.exec(c);
  if (local)
    out.push(`cat /etc/pve/nodes/${node}/${local[1]}/${local[2]}`, `cat /etc/pve/${local[1]}/${local[2]}`);
  return out;
}

export interface Answer {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Where the answer was read (`file:line`). */
  source: string;
}

// What `cat` prints for a file that is not there: the one failure a pvereport's output shows plainly.
const CAT_MISSING = /^cat: .+: No such file or directory\n?$/;

/** The captured answer to `command` on `node`, or null when nothing captured answers it. */
export function answerFrom(captured: Captured, node: string, command: string): Answer | null {
  const mine = captured.outputs.filter((o) => o.node === node);
  if (mine.length === 0) return null;
  if (command.trim() === "true") return { stdout: "", stderr: "", exitCode: 0, source: "the report exists" };
  const wanted = candidates(node, command);
  // The last capture of a command wins: a captured file given after a pvereport corrects it.
  const hit = [...mine].reverse().find((o) => wanted.includes(normalizeCommand(o.command)));
  return hit ? answerOf(hit) : null;
}

function answerOf(o: CapturedOutput): Answer {
  if (o.exitCode !== null)
    return { stdout: o.stdout, stderr: o.stderr, exitCode: o.exitCode, source: o.source };
  // A pvereport keeps stdout and stderr together and no exit code: a missing file reads as missing;
  // anything else is the command's answer as the tools' parsers read it (they accept their errors).
  if (/^cat /.test(o.command) && CAT_MISSING.test(o.stdout))
    return { stdout: "", stderr: o.stdout, exitCode: 1, source: o.source };
  return { stdout: o.stdout, stderr: o.stderr, exitCode: 0, source: o.source };
}
