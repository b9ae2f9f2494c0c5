/**
 * `pvefix help <topic>`: the pages of docs/cli.md (rendered from the same declarations by
 * cli-doc.ts), every command's own help, and every runbook's page (as `pvefix explain`).
 */
import type { Command } from "commander";
import { runbookById, runbooks } from "../../runbooks/index.js";
import { renderRunbookDoc } from "../views/index.js";
import { docTopics } from "./cli-doc.js";

export interface HelpTopic {
  name: string;
  summary: string;
  render(): string;
}

/** Markdown made to read well in a terminal: no table rules, no code fences, no link targets. */
export function terminalText(markdown: string): string {
  return markdown
    .split("\n")
    .filter((line) => !/^\|[-| :]+\|$/.test(line) && !/^```/.test(line))
    .map((line) => (line.startsWith("|") ? line.replace(/^\|\s?|\s?\|$/g, "").replace(/ \| /g, "  ") : line))
    .join("\n")
    .replace(/\[([^\]]+)\]\([^)]+\)/g, "$1")
    .replace(/`([^`]+)`/g, "$1");
}

function commandsOf(cmd: Command, prefix: string): Array<{ path: string; cmd: Command }> {
  return cmd.commands
    .filter((c) => c.name() !== "help" && !c.name().startsWith("completion-"))
    .flatMap((c) => {
      const path = prefix ? `${prefix} ${c.name()}` : c.name();
      return [{ path, cmd: c }, ...commandsOf(c, path)];
    });
}

/** Every topic: the reference's pages, then commands (when the program is given), then runbooks. */
export function helpTopics(program?: Command): HelpTopic[] {
  const pages = docTopics().map((t) => ({
    name: t.name,
    summary: t.summary,
    render: () => terminalText(t.markdown),
  }));
  const commands = program
    ? commandsOf(program, "").map(({ path, cmd }) => ({
        name: path,
        summary: (cmd.summary() || cmd.description()).split("\n")[0] ?? "",
        render: () => cmd.helpInformation(),
      }))
    : [];
  // `plan stuck-lock` is a command too; the runbook's page is under its bare id.
  const pages2 = runbooks.map((r) => ({
    name: r.meta.id,
    summary: `runbook: ${r.meta.summary}`,
    render: () => renderRunbookDoc(runbookById(r.meta.id), "text"),
  }));
  return [...pages, ...commands, ...pages2];
}
