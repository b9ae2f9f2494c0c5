/**
 * Shell completion, read off the commander program itself: the commands, the runbooks (the
 * `plan`/`run` subcommands, built from the same runbook list as `pvefix list`), every flag with
 * its choices, and the values only known at run time (lab scenarios as `pvefix lab scenarios`
 * lists them, run ids as `pvefix runs` lists them, an Ansible inventory's groups). The shell
 * scripts and the wire format are @pnpm/tabtab's; this module only decides what to offer.
 */
import type { Command, Option } from "commander";

export interface Candidate {
  name: string;
  description?: string;
}

/** Words to offer, or "complete a file name here" (the shell does that better than we can). */
export type Completion = { kind: "words"; items: Candidate[] } | { kind: "files" };

/** The values that are not in the program's declarations; each is asked for only when it is needed. */
export interface CompletionSources {
  scenarios(): Candidate[];
  runs(stateDir: string | undefined): Candidate[];
  labNodes(stateDir: string | undefined): Candidate[];
  formats(): Candidate[];
  groups(inventory: string): Candidate[];
  topics(): Candidate[];
}

const FILE_OPTIONS = new Set(["--inventory", "--state-dir", "--save", "--from", "--file"]);

function describe(cmd: Command): string {
  const text = cmd.summary() || cmd.description();
  return text.split("\n")[0]?.replace(/\s*\(.*$/, "") ?? "";
}

function visibleCommands(cmd: Command): Command[] {
  // Commander keeps `hidden` private; a hidden command's help line is what says so.
  const shown = new Set(cmd.createHelp().visibleCommands(cmd));
  return cmd.commands.filter((c) => shown.has(c));
}

function chain(cmd: Command): Command[] {
  const out: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) out.push(c);
  return out;
}

function findOption(cmd: Command, flag: string): Option | undefined {
  for (const c of chain(cmd)) {
    const found = c.options.find((o) => o.long === flag || o.short === flag);
    if (found) return found;
  }
  return undefined;
}

function commandPath(cmd: Command): string {
  return chain(cmd)
    .reverse()
    .slice(1)
    .map((c) => c.name())
    .join(" ");
}

/** Split the line up to the cursor into the words before it and the word being typed. */
export function wordsBefore(line: string, point: number): { done: string[]; current: string } {
  const upTo = line.slice(0, Number.isFinite(point) && point > 0 ? point : line.length);
  const words = upTo.split(/\s+/);
  if (words[0] === "") words.shift();
  const current = words.pop() ?? "";
  return { done: words.slice(1), current }; // the first word is the program itself
}

/** What to offer for the word being typed, after the words `done` (the program name left out). */
export function complete(
  program: Command,
  done: readonly string[],
  current: string,
  sources: CompletionSources,
): Completion {
  let cmd = program;
  let positional = 0;
  let pending: Option | undefined;
  let variadic: Option | undefined;
  const given = new Map<string, string>();
  for (const word of done) {
    if (pending) {
      given.set(pending.long ?? "", word);
      if (pending.variadic) variadic = pending;
      pending = undefined;
      continue;
    }
    // After `--` come a command's own words (`lab exec pve1 -- pct list`): nothing of ours.
    if (word === "--") return { kind: "words", items: [] };
    if (word.startsWith("-") && word.length > 1) {
      variadic = undefined;
      const [flag = "", inline] = word.split("=", 2);
      const option = findOption(cmd, flag);
      if (option?.long) given.set(option.long, inline ?? "");
      if (option && (option.required || option.optional) && inline === undefined) pending = option;
      continue;
    }
    if (variadic) continue;
    const sub = positional === 0 ? visibleCommands(cmd).find((c) => c.name() === word) : undefined;
    if (sub) cmd = sub;
    else positional++;
  }
  const stateDir = given.get("--state-dir") || undefined;
  const values = (option: Option): Completion => {
    if (option.argChoices) return { kind: "words", items: option.argChoices.map((name) => ({ name })) };
    const long = option.long ?? "";
    if (FILE_OPTIONS.has(long)) return { kind: "files" };
    if (long === "--scenario") return { kind: "words", items: sources.scenarios() };
    if (long === "--runbook") return { kind: "words", items: runbooksOf(program) };
    if (long === "--group") {
      const inventory = given.get("--inventory");
      return { kind: "words", items: inventory ? sources.groups(inventory) : [] };
    }
    if (long === "--node" && commandPath(cmd).startsWith("lab"))
      return { kind: "words", items: sources.labNodes(stateDir) };
    return { kind: "words", items: [] };
  };
  if (pending) return values(pending);
  if (current.startsWith("-")) {
    const options = chain(cmd).flatMap((c) => c.createHelp().visibleOptions(c));
    const items = options.flatMap((o) => {
      const names = [o.long, o.negate ? undefined : o.short].filter((n): n is string => !!n);
      return names.map((name) => ({ name, description: o.description }));
    });
    const seen = new Set<string>();
    return { kind: "words", items: items.filter((i) => !seen.has(i.name) && seen.add(i.name)) };
  }
  if (variadic) return { kind: "files" };
  const subs = positional === 0 ? visibleCommands(cmd) : [];
  if (subs.length > 0) {
    return { kind: "words", items: subs.map((c) => ({ name: c.name(), description: describe(c) })) };
  }
  switch (`${commandPath(cmd)}#${positional}`) {
    case "explain#0":
      return { kind: "words", items: runbooksOf(program) };
    case "undo#0":
    case "show#0":
      return {
        kind: "words",
        items: [{ name: "last", description: "the latest run" }, ...sources.runs(stateDir)],
      };
    case "lab exec#0":
      return { kind: "words", items: sources.labNodes(stateDir) };
    case "parse#0":
      return given.has("--auto") ? { kind: "files" } : { kind: "words", items: sources.formats() };
    case "help#0":
      return { kind: "words", items: sources.topics() };
    case "apply#0":
    case "parse#1":
      return { kind: "files" };
    default:
      return { kind: "words", items: [] };
  }
}

/** The runbooks, as `pvefix plan` declares them: one subcommand per runbook, its summary as help. */
function runbooksOf(program: Command): Candidate[] {
  const plan = program.commands.find((c) => c.name() === "plan");
  return (plan?.commands ?? []).map((c) => ({ name: c.name(), description: describe(c) }));
}
