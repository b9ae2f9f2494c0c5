import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { runbooks } from "../../runbooks/index.js";
import { docTopics } from "../../src/cli/cli-doc.js";
import { runHelp } from "../../src/cli/commands/help.js";
import { helpTopics, terminalText } from "../../src/cli/help-topics.js";
import { buildProgram } from "../../src/cli/program.js";

const program = buildProgram("test", () => {});
const cliMd = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");

async function help(...words: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    expect(await runHelp(program, words)).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return out.join("");
}

describe("pvefix help <topic>", () => {
  it("has a page for every block of docs/cli.md, rendered from the same text", async () => {
    for (const topic of docTopics()) expect(cliMd).toContain(topic.markdown);
    expect(await help("exit-codes")).toBe(`${terminalText(docTopics()[0]?.markdown ?? "")}\n`);
    expect(await help("inventory")).toContain("/etc/pve/priv/known_hosts under the node's name");
  });

  it("gives every command its own help and every runbook its page", async () => {
    const names = helpTopics(program).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["diagnose", "lab serve", "plan stuck-lock", "completion"]));
    for (const r of runbooks) expect(names).toContain(r.meta.id);
    expect(await help("lab", "serve")).toContain("Usage: pvefix lab serve");
    expect(await help("stuck-lock")).toContain("stuck-lock");
  });

  it("lists the topics without one, and refuses an unknown one with the close matches (exit 2)", async () => {
    expect(await help()).toMatch(/^ {2}environment +environment variables$/m);
    await expect(runHelp(program, ["lab", "nope"])).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining("expected one of lab, lab reset"),
    });
  });

  it("drops table rules, fences and link targets for the terminal", () => {
    expect(terminalText("| a | b |\n|---|---|\n| `x` | [y](y.md) |\n```sh\nls\n```")).toBe("a  b\nx  y\nls");
  });
});
