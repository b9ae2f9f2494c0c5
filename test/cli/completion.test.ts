import { describe, expect, it } from "vitest";
import { runbooks } from "../../runbooks/index.js";
import { type CompletionSources, complete, wordsBefore } from "../../src/cli/completion.js";
import { buildProgram } from "../../src/cli/program.js";

const program = buildProgram("test", () => {});
const asked: string[] = [];
const sources: CompletionSources = {
  scenarios: () => [{ name: "default", description: "the default" }, { name: "stuck-lock" }],
  runs: (stateDir) => {
    asked.push(`runs ${stateDir}`);
    return [{ name: "20261205T031700Z-stuck-lock-1a2b", description: "stuck-lock done" }];
  },
  labNodes: () => [{ name: "pve1" }, { name: "pve2" }],
  formats: () => [{ name: "pvecm-status" }],
  groups: (inventory) => [{ name: `group-of-${inventory}` }],
  topics: () => [{ name: "inventory" }],
};

function names(line: string): string[] | "files" {
  const { done, current } = wordsBefore(line, line.length);
  const result = complete(program, done, current, sources);
  return result.kind === "files" ? "files" : result.items.map((i) => i.name);
}

describe("completion candidates, read off the commander program", () => {
  it("offers the commands, the help command and not the hidden completion server", () => {
    const top = names("pvefix ");
    expect(top).toEqual(
      expect.arrayContaining(["list", "diagnose", "plan", "run", "undo", "lab", "inventory", "help"]),
    );
    expect(top).not.toContain("completion-server");
  });

  it("offers every runbook after plan and run, and to explain, as pvefix list lists them", () => {
    const ids = runbooks.map((r) => r.meta.id);
    expect(names("pvefix plan ")).toEqual(ids);
    expect(names("pvefix -i c.yaml run st")).toEqual(ids);
    expect(names("pvefix explain ")).toEqual(ids);
    expect(names("pvefix runs --runbook ")).toEqual(ids);
  });

  it("offers a command's flags and the global ones, with choices for their values", () => {
    const flags = names("pvefix plan stuck-lock --");
    expect(flags).toEqual(
      expect.arrayContaining(["--vmid", "--save", "--inventory", "--lab", "--output", "-o"]),
    );
    expect(names("pvefix diagnose -o ")).toEqual(["text", "md", "json", "jsonl"]);
    expect(names("pvefix lab fault add --action ")).toEqual(["fail", "hang", "drop"]);
  });

  it("offers lab scenarios, lab nodes, run ids (with the --state-dir given), formats, help topics", () => {
    expect(names("pvefix lab reset --scenario ")).toEqual(["default", "stuck-lock"]);
    expect(names("pvefix lab exec ")).toEqual(["pve1", "pve2"]);
    expect(names("pvefix lab report --node ")).toEqual(["pve1", "pve2"]);
    expect(names("pvefix --state-dir /srv/pvefix undo ")).toEqual([
      "last",
      "20261205T031700Z-stuck-lock-1a2b",
    ]);
    expect(asked.at(-1)).toBe("runs /srv/pvefix");
    expect(names("pvefix show 2026")).toEqual(["last", "20261205T031700Z-stuck-lock-1a2b"]);
    expect(names("pvefix parse ")).toEqual(["pvecm-status"]);
    expect(names("pvefix help ")).toEqual(["inventory"]);
  });

  it("offers the Ansible groups of the inventory given with -i", () => {
    expect(names("pvefix -i hosts.ini --group ")).toEqual(["group-of-hosts.ini"]);
    expect(names("pvefix --group ")).toEqual([]);
  });

  it("leaves file names to the shell, and offers nothing after --", () => {
    expect(names("pvefix -i ")).toBe("files");
    expect(names("pvefix apply ")).toBe("files");
    expect(names("pvefix diagnose --from a.txt ")).toBe("files");
    expect(names("pvefix lab exec pve1 -- pct ")).toEqual([]);
  });

  it("reads only the words before the cursor", () => {
    expect(wordsBefore("pvefix plan stuck-lock", 11)).toEqual({ done: [], current: "plan" });
    expect(wordsBefore("pvefix plan ", 12)).toEqual({ done: ["plan"], current: "" });
  });
});
