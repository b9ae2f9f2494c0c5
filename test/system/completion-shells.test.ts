/**
 * `pvefix completion zsh|fish` in the real shells (Debian's zsh and fish,
 * scripts/install-system-deps.sh): the printed scripts are installed where docs/cli.md says, an
 * interactive shell on a pseudo-terminal loads them, a partial word and Tab are typed, and the shell itself must complete the word. The bash
 * script is exercised in test/integration/cli/completion.test.ts (bash is always there).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandLine } from "../../src/shell/quote.js";
import { cliSession, plainText, ROOT } from "../integration/cli/pvefix.js";

const cli = cliSession();
let home: string;
let bin: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "pvefix-shells-"));
  bin = join(home, "bin");
  mkdirSync(bin);
  // The scripts call `pvefix` from PATH, as they would once installed.
  writeFileSync(
    join(bin, "pvefix"),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, "bin", "pvefix.js"))} "$@"\n`,
  );
  chmodSync(join(bin, "pvefix"), 0o755);
  // Where docs/cli.md tells users to put the scripts: an fpath directory for zsh (autoloaded by
  // compinit), fish's completions directory (loaded when `pvefix` is first completed).
  const places = {
    zsh: join(home, ".zfunc", "_pvefix"),
    fish: join(home, ".config", "fish", "completions", "pvefix.fish"),
  };
  for (const [shell, file] of Object.entries(places)) {
    const printed = await cli.pvefix(["completion", shell]);
    expect(printed.code).toBe(0);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, printed.stdout);
  }
  writeFileSync(
    join(home, ".zshrc"),
    `PS1='zsh-ready> '\nfpath+=(${join(home, ".zfunc")})\nautoload -U compinit && compinit -u\n`,
  );
  writeFileSync(
    join(home, ".config", "fish", "config.fish"),
    "function fish_prompt; echo 'fish-ready> '; end\n",
  );
});

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
  rmSync(home, { recursive: true, force: true });
});

/** How each shell is started interactively (reading the files above), and its prompt. */
const SHELLS = {
  zsh: { argv: ["zsh", "-i"], ready: "zsh-ready>", enter: "\n" },
  fish: { argv: ["fish", "-i"], ready: "fish-ready>", enter: "\r" },
} as const;

/**
 * Type `partial` and Tab in an interactive `shell`; resolves with what the terminal showed once
 * `expected` appeared (or rejects with the screen after 30 s).
 */
async function pressTab(shell: keyof typeof SHELLS, partial: string, expected: string): Promise<string> {
  const { argv, ready, enter } = SHELLS[shell];
  const child = spawn("script", ["-qfec", `exec ${commandLine(argv)}`, "/dev/null"], {
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      HOME: home,
      ZDOTDIR: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local"),
      PVEFIX_STATE_DIR: cli.stateDir,
      SHELL: "/bin/sh",
      TERM: "xterm",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  let screen = "";
  child.stdout?.on("data", (d: Buffer) => {
    screen += d.toString();
  });
  const until = (text: string, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + ms;
      const poll = setInterval(() => {
        if (plainText(screen).includes(text)) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() > deadline || child.exitCode !== null) {
          clearInterval(poll);
          reject(new Error(`${shell}: no \`${text}\` on the terminal:\n${plainText(screen)}`));
        }
      }, 50);
    });
  try {
    await until(ready, 30_000);
    child.stdin?.write(`${partial}\t`);
    await until(expected, 30_000);
    return plainText(screen);
  } finally {
    // Clear the line (Ctrl-U) and leave; the kill is for a shell that did not listen.
    child.stdin?.write(`\x15exit${enter}`);
    await new Promise((resolve) => {
      const stubborn = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => resolve(clearTimeout(stubborn)));
    });
    running.delete(child);
  }
}

describe.each(["zsh", "fish"] as const)("%s completion, typed on a terminal", (shell) => {
  it("completes a runbook name from its first letters", async () => {
    const screen = await pressTab(shell, "pvefix plan stu", "stuck-lock");
    expect(screen).toContain("pvefix plan stuck-lock");
  });

  it("completes a lab scenario after --scenario", async () => {
    const screen = await pressTab(
      shell,
      "pvefix lab reset --scenario cluster-network-mt",
      "cluster-network-mtu",
    );
    expect(screen).toContain("--scenario cluster-network-mtu");
  });
});
