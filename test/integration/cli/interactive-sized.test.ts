/**
 * An interactive run on a terminal with a size, as an operator has (the other pty tests run with 0
 * columns, where listr2 draws differently). Found in the QA pass of issues 9 and 16: after the
 * first gate every later line was swallowed, and the postcondition's command threw inside the
 * spinner, so a good run failed and rolled itself back.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cliSession, plainText, pvefixLine } from "./pvefix.js";

const cli = cliSession();

describe("not-quorate-config on a 120-column terminal", () => {
  it("shows every step, passes its postcondition and exits 0", async () => {
    expect((await cli.pvefix(["lab", "reset", "--scenario", "not-quorate-config", "--quiet"])).code).toBe(0);
    const before = (await cli.labExec("pve1", "cat", "/etc/pve/storage.cfg")).stdout;
    const next = `${before}\ndir: extra\n\tpath /srv/extra\n\tcontent iso\n`;
    const file = path.join(cli.stateDir, "storage.cfg.new");
    fs.writeFileSync(file, next);
    const args = ["run", "not-quorate-config", "--node", "pve1", "--file", file];
    const session = cli.inPty(
      `stty cols 120 rows 40; ${pvefixLine([...args, "--target", "/etc/pve/storage.cfg", "--lab"])}`,
    );
    await session.waitFor(/Type pve1 to continue/, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    session.type("pve1\r");
    const result = await session.exited;
    const screen = plainText(result.stdout);
    expect(result.code, screen).toBe(0);
    expect(screen).toContain("[4/4] Restart corosync on pve1");
    expect(screen).toMatch(/✔ Done: Replace \/etc\/pve\/storage.cfg on pve1/);
    expect((await cli.labExec("pve1", "cat", "/etc/pve/storage.cfg")).stdout).toBe(next);
  });
});
