/**
 * A saved plan is a record, never the source of commands: `apply` builds the plan again from fresh
 * probes and refuses an edited file, naming each difference, before anything runs (issue 16.1).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { JournalEntry } from "../../../src/engine/journal.js";
import type { Plan } from "../../../src/engine/model.js";
import { cliSession, json } from "./pvefix.js";

const cli = cliSession();
const file = (name: string) => path.join(cli.stateDir, name);
const VM210 = "/etc/pve/nodes/pve1/qemu-server/210.conf";

async function save(name: string, ...params: string[]): Promise<Plan> {
  const result = await cli.pvefix(["plan", "hung-nfs", ...params, "--lab", "--save", file(name)]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(fs.readFileSync(file(name), "utf8")) as Plan;
}

function write(name: string, plan: Plan): string {
  fs.writeFileSync(file(name), JSON.stringify(plan, null, 2));
  return file(name);
}

/** The mount line of a storage on a node: the hung mount stays until a step really ran. */
const mountOf = async (node: string, storage: string) =>
  (await cli.labExec(node, "cat", "/proc/mounts")).stdout
    .split("\n")
    .filter((l) => l.includes(`/mnt/pve/${storage} `));

/** The journal of the run an apply printed: it must hold no gate and no started step. */
async function journalOf(stdout: string): Promise<JournalEntry[]> {
  const runId = /run (\S+-hung-nfs-[0-9a-f]{4})/.exec(stdout)?.[1];
  expect(runId, stdout).toBeDefined();
  return json<{ entries: JournalEntry[] }>(await cli.pvefix(["show", runId!, "-o", "json"])).entries;
}

beforeEach(async () => {
  expect((await cli.pvefix(["lab", "reset", "--scenario", "hung-nfs", "--quiet"])).code).toBe(0);
});

describe("apply of a hand-edited plan file", () => {
  it("refuses an injected command with exit 3, names the step and both commands, and runs nothing", async () => {
    const plan = await save("p.json", "--storage", "nfs-iso", "--node", "pve3");
    const exec = plan.steps[0]!.actions[0]!;
    if (exec.kind !== "exec") throw new Error("expected an exec action first");
    expect(exec.command).toBe("umount -nlf /mnt/pve/nfs-iso");
    exec.command = "umount -nlf /mnt/pve/nfs-iso; rm -rf /etc/pve/qemu-server";
    const before = await mountOf("pve3", "nfs-iso");
    const vm = (await cli.labExec("pve1", "cat", VM210)).stdout;

    const result = await cli.pvefix(["apply", write("edited.json", plan), "--lab"]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain("Refused (plan-mismatch)");
    expect(result.stdout).toContain(
      'step remount-nfs-iso-pve3 actions[0].command: saved "umount -nlf /mnt/pve/nfs-iso; rm -rf /etc/pve/qemu-server"; now "umount -nlf /mnt/pve/nfs-iso"',
    );
    expect(result.stdout).toContain("nothing was changed");
    const entries = await journalOf(result.stdout);
    expect(entries.filter((e) => e.type === "step-start" || e.type === "gate")).toEqual([]);
    expect(entries.filter((e) => e.type === "command").map((e) => e.phase)).not.toContain("step");
    expect(await mountOf("pve3", "nfs-iso")).toEqual(before);
    expect((await cli.labExec("pve1", "cat", VM210)).stdout).toBe(vm);
  });

  it("refuses a guarded step lowered to safe with a command added, unattended, without asking", async () => {
    const plan = await save("g.json", "--storage", "smb-tmpl", "--node", "pve1");
    const step = plan.steps[0]!;
    expect(step.risk).toBe("guarded");
    step.risk = "safe";
    step.actions.push({ kind: "exec", command: "rm -rf /etc/pve/qemu-server" });
    plan.unattended = { eligible: true, reason: "every step is safe and every guard held" };
    const before = await mountOf("pve1", "smb-tmpl");

    const result = await cli.pvefix([
      "apply",
      write("lowered.json", plan),
      "--lab",
      "--unattended",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(3);
    const out = json<{ outcome: string; refusal: { code: string; detail: string } }>(result);
    expect(out.outcome).toBe("refused");
    expect(out.refusal.code).toBe("plan-mismatch");
    expect(out.refusal.detail.split("\n")).toEqual(
      expect.arrayContaining([
        "plan unattended.eligible: saved true; now false",
        'step remount-smb-tmpl-pve1 risk: saved "safe"; now "guarded"',
        'step remount-smb-tmpl-pve1 actions[2]: saved {"kind":"exec","command":"rm -rf /etc/pve/qemu-server"}; now (absent)',
      ]),
    );
    expect(result.stderr).not.toMatch(/Run step|needs your approval/);
    const entries = await journalOf(`run ${json<{ runId: string }>(result).runId}`);
    expect(entries.filter((e) => e.type === "step-start" || e.type === "gate")).toEqual([]);
    expect(await mountOf("pve1", "smb-tmpl")).toEqual(before);
  });

  it("applies the same plan unedited, running the plan it built again", async () => {
    const plan = await save("ok.json", "--storage", "nfs-iso", "--node", "pve3");
    const result = await cli.pvefix(["apply", file("ok.json"), "--lab", "--unattended", "-o", "json"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const out = json<{ outcome: string; runId: string; plan: Plan }>(result);
    expect(out.outcome).toBe("done");
    expect(out.plan.steps.map((s) => s.id)).toEqual(plan.steps.map((s) => s.id));
    const entries = await journalOf(`run ${out.runId}`);
    expect(
      entries.flatMap((e) => (e.type === "command" && e.phase === "step" ? [e.result.command] : [])),
    ).toEqual(["umount -nlf /mnt/pve/nfs-iso", "pvesm status --storage nfs-iso"]);
    expect(
      entries.filter((e) => e.type === "step-end").map((e) => e.type === "step-end" && e.status),
    ).toEqual(["done"]);
  });
});
