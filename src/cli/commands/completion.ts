/**
 * `pvefix completion bash|zsh|fish` prints the shell's completion script (@pnpm/tabtab's); the
 * script asks `pvefix completion-server` for the candidates each time Tab is pressed.
 */
import * as path from "node:path";
import * as tabtab from "@pnpm/tabtab";
import type { Command } from "commander";
import { inventoryGroups, listRuns } from "../../index.js";
import { labExists, labInventory, listScenarios } from "../../lab/index.js";
import { parserFormats } from "../../pve/parsers/index.js";
import { type CompletionSources, complete, wordsBefore } from "../completion.js";
import { defaultStateDir, GlobalOptionError } from "../global-options.js";
import { helpTopics } from "../help-topics.js";

export const COMPLETION_SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof COMPLETION_SHELLS)[number];

export async function runCompletionScript(shell: string): Promise<number> {
  if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
    throw new GlobalOptionError(
      `✖ Unknown shell \`${shell}\`: expected one of ${COMPLETION_SHELLS.join(", ")}\n  → at <shell>`,
    );
  }
  const script = await tabtab.getCompletionScript({
    name: "pvefix",
    completer: "pvefix",
    shell: shell as Shell,
  });
  process.stdout.write(script.endsWith("\n") ? script : `${script}\n`);
  return 0;
}

const sourcesFor = (program: Command): CompletionSources => ({
  scenarios: () => listScenarios().map((s) => ({ name: s.name, description: s.description })),
  runs: (stateDir) =>
    listRuns(path.resolve(stateDir ?? defaultStateDir())).map((r) => ({
      name: r.runId,
      description: `${r.runbook} ${r.outcome}`,
    })),
  labNodes: (stateDir) => {
    const dir = path.resolve(stateDir ?? defaultStateDir());
    return labExists(dir) ? labInventory(dir).nodes.map((n) => ({ name: n.name })) : [];
  },
  formats: () => [
    ...parserFormats.map((p) => ({ name: p.name, description: p.description })),
    { name: "report", description: "a whole pvereport" },
  ],
  groups: (inventory) =>
    inventoryGroups(inventory).map((g) => ({
      name: g.name,
      description: `${g.hosts} host${g.hosts === 1 ? "" : "s"}`,
    })),
  topics: () =>
    helpTopics(program)
      // `help lab serve` is two words: offer the first one, once.
      .filter((t) => !t.name.includes(" "))
      .map((t) => ({ name: t.name, description: t.summary })),
});

/** Called by the completion script with COMP_LINE and COMP_POINT (and SHELL) set; prints the candidates. */
export async function runCompletionServer(program: Command): Promise<number> {
  const t = tabtab;
  const shell = (
    (COMPLETION_SHELLS as readonly string[]).includes(process.env.SHELL ?? "") ? process.env.SHELL : "bash"
  ) as Shell;
  const line = process.env.COMP_LINE ?? "";
  const { done, current } = wordsBefore(line, Number(process.env.COMP_POINT ?? line.length));
  let result: ReturnType<typeof complete>;
  try {
    result = complete(program, done, current, sourcesFor(program));
  } catch {
    // A broken journal or lab must not print a stack trace into the user's command line.
    return 0;
  }
  if (result.kind === "files") {
    // bash's script falls back to file names by itself (complete -o default) when nothing is offered.
    if (shell !== "bash") t.logFiles();
    return 0;
  }
  const lines: string[] = [];
  t.log(result.items, shell, (s) => lines.push(s));
  // One write: the shell reads it all at once, and a closed pipe fails one write, not many.
  if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
