/**
 * `pvefix completion bash` really run in bash: the script registers itself with `complete`, and
 * its function, called the way bash calls it on Tab (COMP_WORDS, COMP_CWORD, COMP_LINE,
 * COMP_POINT), fills COMPREPLY from `pvefix completion-server`.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runbooks } from "../../../runbooks/index.js";
import { cliSession, ROOT } from "./pvefix.js";

const cli = cliSession();
let bin: string;
let script: string;

beforeAll(async () => {
  bin = mkdtempSync(join(tmpdir(), "pvefix-completion-"));
  // The script calls `pvefix` from PATH, as it would once installed.
  writeFileSync(
    join(bin, "pvefix"),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, "bin", "pvefix.js"))} "$@"\n`,
  );
  chmodSync(join(bin, "pvefix"), 0o755);
  const printed = await cli.pvefix(["completion", "bash"]);
  expect(printed.code).toBe(0);
  script = join(bin, "pvefix.bash");
  writeFileSync(script, printed.stdout);
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/** Press Tab after `line` in bash: the COMPREPLY the script leaves. */
async function tab(line: string): Promise<string[]> {
  const words = line.split(" ");
  const program = [
    `source ${JSON.stringify(script)}`,
    "complete -p pvefix",
    `COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE=${JSON.stringify(line)}`,
    `COMP_POINT=${line.length}`,
    "_pvefix_completion",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash array, not a template
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const { stdout } = await promisify(execFile)("bash", ["--norc", "--noprofile", "-c", program], {
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      PVEFIX_STATE_DIR: cli.stateDir,
      XDG_CACHE_HOME: join(bin, "cache"),
    },
    timeout: 60_000,
  });
  const [registered = "", ...reply] = stdout.trimEnd().split("\n");
  expect(registered).toBe("complete -o default -F _pvefix_completion pvefix");
  return reply.filter((r) => r !== "");
}

describe("bash completion", () => {
  it("completes the runbook names after plan, and only those matching what was typed", async () => {
    expect(await tab("pvefix plan ")).toEqual(runbooks.map((r) => r.meta.id));
    expect(await tab("pvefix run stuck")).toEqual(["stuck-lock"]);
  });

  it("completes commands, flags, lab scenarios and run ids", async () => {
    expect(await tab("pvefix dia")).toEqual(["diagnose"]);
    expect(await tab("pvefix diagnose --fr")).toEqual(["--from"]);
    expect(await tab("pvefix lab reset --scenario hung-nfs")).toEqual(expect.arrayContaining(["hung-nfs"]));
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
    const run = await cli.pvefix([
      "--lab",
      "run",
      "stuck-lock",
      "--vmid",
      "100",
      "--unattended",
      "-o",
      "json",
    ]);
    expect(run.code).toBe(0);
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    expect(await tab("pvefix undo ")).toEqual(["last", runId]);
    expect(await tab("pvefix show 2")).toEqual([runId]);
  });
});

/** What the zsh and fish scripts get back: they call the server as bash's does, with their SHELL. */
async function server(shell: "zsh" | "fish", line: string, point = line.length): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    join(bin, "pvefix"),
    ["completion-server", "--", ...line.split(" ")],
    {
      env: {
        ...process.env,
        SHELL: shell,
        COMP_LINE: line,
        COMP_POINT: String(point),
        COMP_CWORD: String(line.split(" ").length - 1),
        PVEFIX_STATE_DIR: cli.stateDir,
        XDG_CACHE_HOME: join(bin, "cache"),
      },
      timeout: 60_000,
    },
  );
  return stdout.trimEnd().split("\n");
}

describe("zsh and fish candidates", () => {
  it("gives zsh name:description with colons escaped, and fish name<TAB>description", async () => {
    const zsh = await server("zsh", "pvefix lab reset --scenario ");
    expect(zsh).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^default:3 quorate nodes\\: CT 100 with a stale backup lock/),
      ]),
    );
    const fish = await server("fish", "pvefix plan stuck-lock --vm ", "pvefix plan stuck-lock --vm".length);
    expect(fish).toEqual(expect.arrayContaining([expect.stringMatching(/^--vmid\t/)]));
  });

  it("asks zsh and fish to complete a file name where a file goes", async () => {
    expect(await server("zsh", "pvefix -i ")).toEqual(["__tabtab_complete_files__"]);
    expect(await server("fish", "pvefix apply ")).toEqual(["__tabtab_complete_files__"]);
  });
});
