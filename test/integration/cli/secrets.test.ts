/**
 * Secrets never leave (issue 16.2): Proxmox files full of secret fields go through plan (text, md,
 * json, --save), apply, run, show and undo, and no secret value is in any output or in any file
 * of the state directory outside the simulated cluster, in clear or in base64. The cluster itself
 * keeps them byte for byte: what runs is never the redacted text.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { updateLab } from "../../../src/lab/index.js";
import { cliSession, json, type PvefixResult, pvefixLine } from "./pvefix.js";

const cli = cliSession();
const FIXTURES = path.join(import.meta.dirname, "../../fixtures/secrets");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
const SECRETS = fixture("secret-values.txt").split("\n").filter(Boolean);
const STORAGE_CFG = fixture("storage.cfg");
const NEW_STORAGE_CFG = `${STORAGE_CFG}\ndir: extra\n\tpath /srv/extra\n\tcontent iso\n`;
const VM210 = "nodes/pve1/qemu-server/210.conf";

/** Every output of every command, searched for secrets at the end. */
const outputs: Array<{ what: string; text: string }> = [];

async function pvefix(args: string[]): Promise<PvefixResult> {
  const result = await cli.pvefix(args);
  outputs.push({ what: `pvefix ${args.join(" ")}`, text: result.stdout + result.stderr });
  return result;
}

/** The secrets in a text, in clear or inside any base64 run in it (file reads, backups). */
function secretsIn(text: string): string[] {
  const decoded = (text.match(/[A-Za-z0-9+/]{24,}={0,2}/g) ?? []).map((b) =>
    Buffer.from(b, "base64").toString("utf8"),
  );
  return SECRETS.filter((s) => [text, ...decoded].some((t) => t.includes(s)));
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Run in a pseudo-terminal, answering each prompt that appears with `answer`. */
async function interactive(args: string[], prompt: string, answer: string): Promise<PvefixResult> {
  const session = cli.inPty(pvefixLine(args));
  await session.waitFor(prompt, 60_000);
  session.type(answer);
  const result = await session.exited;
  outputs.push({ what: `pvefix ${args.join(" ")}`, text: result.stdout + result.stderr });
  return result;
}

const lastRunId = async () =>
  json<{ runs: Array<{ runId: string }> }>(await cli.pvefix(["runs", "-o", "json"])).runs.at(-1)!.runId;

async function showEverywhere(runId: string): Promise<void> {
  for (const format of ["text", "md", "json"])
    expect((await pvefix(["show", runId, "-o", format])).code).toBe(0);
}

const catOnPve1 = async (file: string) => (await cli.labExec("pve1", "cat", file)).stdout;

afterAll(() => {
  // Also when a test above failed: a leak found here is worth its own message.
  const leaks = [
    ...outputs.flatMap((o) => secretsIn(o.text).map((s) => `${s} in the output of ${o.what}`)),
    ...filesUnder(cli.stateDir)
      .filter((f) => !f.startsWith(path.join(cli.stateDir, "lab") + path.sep))
      .flatMap((f) => secretsIn(fs.readFileSync(f, "latin1")).map((s) => `${s} in ${f}`)),
  ];
  expect(leaks).toEqual([]);
});

describe("a storage.cfg with CIFS, PBS, RBD and ESXi secrets replaced by not-quorate-config", () => {
  // The operator's own file is outside the state directory: it is the one place the secrets belong.
  const newFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pvefix-secrets-")), "storage.cfg.new");
  afterAll(() => fs.rmSync(path.dirname(newFile), { recursive: true, force: true }));

  it("prints the plan in text, Markdown and JSON, and saves it, with every secret field redacted", async () => {
    expect((await cli.pvefix(["lab", "reset", "--scenario", "not-quorate-config", "--quiet"])).code).toBe(0);
    await updateLab(path.join(cli.stateDir), (state) => {
      state.pve["storage.cfg"] = STORAGE_CFG;
      state.pve["user.cfg"] = fixture("user.cfg");
      state.pve["priv/storage/smb-backup.pw"] = "PWfileSECRET\n";
    });
    fs.writeFileSync(newFile, NEW_STORAGE_CFG);
    const params = [
      "not-quorate-config",
      "--node",
      "pve1",
      "--file",
      newFile,
      "--target",
      "/etc/pve/storage.cfg",
    ];
    for (const format of ["text", "md", "json"]) {
      expect((await pvefix(["plan", ...params, "--lab", "-o", format])).code).toBe(0);
    }
    const md = outputs.at(-2)!.text;
    expect(md).toContain("\tpassword [REDACTED]\n");
    expect(md).toContain("\tkeyring [REDACTED]\n");
    expect(md).toContain("\tfingerprint 8a:2c:4e:91");
    const saved = path.join(cli.stateDir, "p.json");
    expect((await pvefix(["plan", ...params, "--lab", "--save", saved])).code).toBe(0);
    expect(fs.readFileSync(saved, "utf8")).toContain("\\tencryption-key [REDACTED]\\n");
  });

  it("applies the saved, redacted plan: the node gets the new file with its real secrets", async () => {
    const result = await interactive(
      ["apply", path.join(cli.stateDir, "p.json"), "--lab"],
      "Type pve1 to continue",
      "pve1\r",
    );
    expect(result.code, result.stdout).toBe(0);
    expect(await catOnPve1("/etc/pve/storage.cfg")).toBe(NEW_STORAGE_CFG);
    await showEverywhere(await lastRunId());
  });

  it("undo puts the old file with its secrets back byte for byte, from the copy on the node", async () => {
    const applied = await lastRunId();
    const journal = fs.readFileSync(path.join(cli.stateDir, "runs", `${applied}.jsonl`), "utf8");
    const backups = journal
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.type === "backup" && e.path === "/etc/pve/storage.cfg");
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatchObject({ existed: true, contentBase64: null });
    expect(backups[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // --restore-backup of that run reads the bytes from the node copy, checked by that sha256.
    const restore = await pvefix([
      "plan",
      "not-quorate-config",
      "--node",
      "pve1",
      "--restore-backup",
      applied,
      "--target",
      "/etc/pve/storage.cfg",
      "--lab",
      "-o",
      "json",
    ]);
    expect(restore.code, restore.stdout).toBe(0);
    const facts = json<{ plan: { facts: { newContent: { sha256: string; source: string } } } }>(restore).plan
      .facts;
    expect(facts.newContent).toMatchObject({ sha256: backups[0]!.sha256 });
    expect(facts.newContent.source).toContain(`the backup of /etc/pve/storage.cfg in run ${applied}`);
    // The undo asks at the run's gates: `pvecm expected 1` again is dangerous.
    const undo = await interactive(["undo", applied, "--lab"], "Type pve1 to continue", "pve1\r");
    expect(undo.code, undo.stdout).toBe(0);
    expect(await catOnPve1("/etc/pve/storage.cfg")).toBe(STORAGE_CFG);
    await showEverywhere(await lastRunId());
  });
});

describe("a VM config with a cloud-init password hash, on a CIFS storage with its password", () => {
  it("runs hung-nfs and shows the run with the hash and the password redacted", async () => {
    expect((await cli.pvefix(["lab", "reset", "--scenario", "hung-nfs", "--quiet"])).code).toBe(0);
    await updateLab(cli.stateDir, (state) => {
      state.pve["storage.cfg"] = state.pve["storage.cfg"]!.replace(
        "\tusername pve\n",
        "\tusername pve\n\tpassword hunter2SECRET\n",
      );
      state.pve[VM210] =
        `${state.pve[VM210]!}cipassword: $5$CIhashSECRET$abcdefghijklmnopqrstuvwxyz0123456789ABCDEF\n`;
    });
    expect(await catOnPve1(`/etc/pve/${VM210}`)).toContain("CIhashSECRET");
    const params = ["hung-nfs", "--storage", "smb-tmpl", "--node", "pve1", "--lab"];
    for (const format of ["text", "md", "json"])
      expect((await pvefix(["plan", ...params, "-o", format])).code).toBe(0);
    const result = await interactive(["run", ...params], "Run step", "y\r");
    expect(result.code, result.stdout).toBe(0);
    const runId = await lastRunId();
    const show = await pvefix(["show", runId, "-o", "json"]);
    expect(show.stdout).toContain("cipassword: [REDACTED]");
    await showEverywhere(runId);
  });
});
