import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import notQuorateConfig from "../../../runbooks/not-quorate-config.js";
import restartPveServices from "../../../runbooks/restart-pve-services.js";
import type { Gate, GateRequest } from "../../../src/engine/apply.js";
import { diagnose } from "../../../src/engine/diagnose.js";
import { readJournal } from "../../../src/engine/journal.js";
import { planOnly, runRunbook, undoRun } from "../../../src/engine/session.js";
import { addFault } from "../../../src/lab/index.js";
import { answerGates, nodeResult, type ServedCluster, serveCluster } from "../served-lab.js";

const rb = notQuorateConfig;
const NODES = ["pve1", "pve2", "pve3"];
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

let bed: ServedCluster;

beforeAll(async () => {
  bed = await serveCluster("not-quorate-config");
});

afterAll(async () => {
  await bed?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The test's own view of a node, straight from the lab (not through pvefix). */
const onNode = (node: string, command: string) => nodeResult(bed.labDir, node, command);

/** A fresh scenario, pvefix state directory and SSH transport; returns the lab's current corosync.conf. */
async function scenario(name: string): Promise<string> {
  await bed.reset(name);
  return (await onNode("pve1", "cat /etc/pve/corosync.conf")).stdout;
}

/** Write `text` to a local file the runbook reads with --file. */
function localFile(text: string): string {
  const file = join(tempDir("pvefix-nqc-file-"), "corosync.conf.fixed");
  writeFileSync(file, text);
  return file;
}

const gate = answerGates;
const yes = () => gate(() => true);

const run = (params: Record<string, unknown>, g: Gate, mode: "interactive" | "unattended" = "interactive") =>
  runRunbook({ ...bed.target(), runbook: rb, rawParams: params, stateDir: bed.stateDir, mode, gate: g });
const undo = (runId: string, g: Gate = yes()) =>
  undoRun({
    ...bed.target(),
    stateDir: bed.stateDir,
    runId,
    runbookFor: () => rb,
    mode: "interactive",
    gate: g,
  });

/** sha256 of every file the runbook may change, and whether a staged `.new` is left over. */
async function fileState(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const hash = async (node: string, path: string) => {
    const r = await onNode(node, `sha256sum ${path}`);
    out[`${node}:${path}`] = r.exitCode === 0 ? r.stdout.split(" ")[0]! : "(missing)";
  };
  await hash("pve1", "/etc/pve/corosync.conf");
  await hash("pve1", "/etc/pve/corosync.conf.new");
  for (const node of NODES) await hash(node, "/etc/corosync/corosync.conf");
  return out;
}

async function localVersions(): Promise<Array<string | undefined>> {
  return Promise.all(
    NODES.map(
      async (n) =>
        /config_version: (\d+)/.exec((await onNode(n, "cat /etc/corosync/corosync.conf")).stdout)?.[1],
    ),
  );
}

async function services(node: string): Promise<string> {
  const units = (await onNode(node, "systemctl is-active corosync pve-cluster")).stdout
    .trim()
    .replace("\n", " ");
  const ps = (await onNode(node, "ps -C pmxcfs -o pid=,args=")).stdout;
  return `${units}${/ -l/.test(ps) ? " local-mode" : ""}`;
}

const quorumLine = async (node: string) =>
  (await onNode(node, "pvecm status")).stdout.split("\n").filter((l) => /^(Quorate|Expected votes):/.test(l));

/** A real fix: give link 0 a priority (the lab only needs it to stay a valid config). */
const tweak = (conf: string) =>
  conf.replace("    linknumber: 0\n", "    knet_link_priority: 10\n    linknumber: 0\n");
/** The corosync-down scenario's broken file with its missing brace put back. */
const closeBrace = (conf: string) =>
  conf.replace("  interface {\n    linknumber: 1\n", "  interface {\n    linknumber: 1\n  }\n");

const PATH_A = [
  "lower-expected-votes-pve1",
  "stage-new-file-pve1",
  "write-corosync-conf-pve2",
  "write-corosync-conf-pve3",
  "replace-file-pve1",
  "restore-expected-votes-pve1",
];
const PATH_B = [
  "stop-pve-cluster-pve1",
  "pmxcfs-local-mode-pve1",
  "stage-new-file-pve1",
  "write-corosync-conf-pve1",
  "write-corosync-conf-pve2",
  "write-corosync-conf-pve3",
  "replace-file-pve1",
  "stop-pmxcfs-local-mode-pve1",
  "start-pve-cluster-pve1",
];

describe("not-quorate-config over SSH: every node cut off, corosync running (pvecm expected)", () => {
  it("diagnose reports each non-quorate node with the exact next command", async () => {
    await scenario("not-quorate-config");
    const findings = await diagnose({ ...bed.target(), runbooks: [rb] });
    expect(findings.map((f) => [f.severity, f.node, f.summary, f.command])).toEqual(
      NODES.map((n) => [
        "critical",
        n,
        `${n} is not quorate (1 of 3 votes) and no node is: /etc/pve is read-only there`,
        `pvefix plan not-quorate-config --node ${n} --file PATH-TO-NEW-CONF`,
      ]),
    );
  });

  it("plans path A with one dangerous gate that states the split-brain risk", async () => {
    const conf = await scenario("not-quorate-config");
    const planned = await planOnly({
      ...bed.target(),
      runbook: rb,
      rawParams: { node: "pve1", file: localFile(tweak(conf)) },
    });
    if (planned.kind !== "plan") throw new Error(JSON.stringify(planned));
    expect(planned.plan.steps.map((s) => s.id)).toEqual(PATH_A);
    expect(planned.plan.steps.map((s) => s.risk)).toEqual([
      "dangerous",
      "safe",
      "safe",
      "safe",
      "safe",
      "safe",
    ]);
    expect(planned.plan.steps[0]?.warning).toContain(
      "pve2, pve3 are disconnected from pve1 on every corosync link; no reachable node is quorate",
    );
    expect(planned.plan.unattended.eligible).toBe(false);
  });

  it("an unattended run needs a human and a gate answered no changes nothing", async () => {
    const conf = await scenario("not-quorate-config");
    const before = await fileState();
    const file = localFile(tweak(conf));
    expect((await run({ node: "pve1", file }, yes(), "unattended")).outcome).toBe("needs-human");
    const seen: GateRequest[] = [];
    const declined = await run(
      { node: "pve1", file },
      gate(() => false, seen),
    );
    expect(declined.outcome).toBe("declined");
    expect(seen.map((r) => [r.step.id, r.confirm])).toEqual([["lower-expected-votes-pve1", "node-name"]]);
    expect(readJournal(bed.stateDir, declined.runId!).filter((e) => e.type === "step-start")).toEqual([]);
    expect(await fileState()).toEqual(before);
    expect(await quorumLine("pve1")).toEqual(["Quorate:          No", "Expected votes:   3"]);
  });

  it("an approved run puts config_version 4 on every node and gives pve1 its expected votes back", async () => {
    const conf = await scenario("not-quorate-config");
    const result = await run({ node: "pve1", file: localFile(tweak(conf)) }, yes());
    expect(result.outcome).toBe("done");
    expect(result.steps.map((s) => `${s.id}:${s.status}`)).toEqual(PATH_A.map((id) => `${id}:done`));
    expect(await localVersions()).toEqual(["4", "4", "4"]);
    expect((await onNode("pve1", "cat /etc/pve/corosync.conf")).stdout).toBe(
      tweak(conf).replace("config_version: 3", "config_version: 4"),
    );
    expect(await quorumLine("pve1")).toEqual(["Quorate:          No", "Expected votes:   3"]);
    expect(await services("pve1")).toBe("active active");
  });

  it("a failure in a middle step rolls everything back byte for byte", async () => {
    const conf = await scenario("not-quorate-config");
    const before = await fileState();
    await addFault(bed.labDir, {
      node: "pve3",
      match: "cat > /etc/corosync/corosync.conf",
      action: "fail",
      times: 1,
    });
    const result = await run({ node: "pve1", file: localFile(tweak(conf)) }, yes());
    expect(result.outcome).toBe("failed-rolled-back");
    expect(result.steps.map((s) => `${s.id}:${s.status}`)).toEqual([
      "lower-expected-votes-pve1:undone",
      "stage-new-file-pve1:undone",
      "write-corosync-conf-pve2:undone",
      "write-corosync-conf-pve3:failed",
      "replace-file-pve1:skipped",
      "restore-expected-votes-pve1:skipped",
    ]);
    expect(await fileState()).toEqual(before);
    expect(await quorumLine("pve1")).toEqual(["Quorate:          No", "Expected votes:   3"]);
  });

  it("undo after a successful run restores every file and the quorum state from before", async () => {
    const conf = await scenario("not-quorate-config");
    const before = await fileState();
    const done = await run({ node: "pve1", file: localFile(tweak(conf)) }, yes());
    expect(done.outcome).toBe("done");
    const undone = await undo(done.runId!);
    expect(undone.outcome).toBe("undone");
    expect(await fileState()).toEqual(before);
    expect(await quorumLine("pve1")).toEqual(["Quorate:          No", "Expected votes:   3"]);
    expect(await services("pve1")).toBe("active active");
  });

  it("--restore-backup puts back what an earlier run replaced, with a higher config_version", async () => {
    const conf = await scenario("not-quorate-config");
    const done = await run({ node: "pve1", file: localFile(tweak(conf)) }, yes());
    const reverted = await run({ node: "pve1", restoreBackup: done.runId }, yes());
    expect(reverted.outcome).toBe("done");
    expect((await onNode("pve1", "cat /etc/pve/corosync.conf")).stdout).toBe(
      conf.replace("config_version: 3", "config_version: 5"),
    );
    expect(await localVersions()).toEqual(["5", "5", "5"]);
  });
});

describe("not-quorate-config over SSH: pve2 and pve3 quorate without pve1", () => {
  it("refuses to force quorum on pve1", async () => {
    const conf = await scenario("not-quorate-config-split");
    const before = await fileState();
    const result = await run({ node: "pve1", file: localFile(tweak(conf)) }, yes());
    expect(result.outcome).toBe("refused");
    expect(result.refusal).toMatchObject({
      code: "split-brain-risk",
      message: "pve2, pve3 are quorate without pve1",
    });
    expect(await fileState()).toEqual(before);
  });
});

describe("not-quorate-config over SSH: corosync dead everywhere (pmxcfs local mode)", () => {
  it("plans path B: the first two steps are dangerous, the rest run within the run", async () => {
    const broken = await scenario("not-quorate-config-corosync-down");
    const planned = await planOnly({
      ...bed.target(),
      runbook: rb,
      rawParams: { node: "pve1", file: localFile(closeBrace(broken)) },
    });
    if (planned.kind !== "plan") throw new Error(JSON.stringify(planned));
    expect(planned.plan.steps.map((s) => s.id)).toEqual(PATH_B);
    expect(planned.plan.steps.map((s) => s.risk)).toEqual([
      "dangerous",
      "dangerous",
      ...Array(PATH_B.length - 2).fill("safe"),
    ]);
  });

  it("an approved run writes version 5 everywhere and leaves pve1 on its normal pmxcfs", async () => {
    const broken = await scenario("not-quorate-config-corosync-down");
    const result = await run({ node: "pve1", file: localFile(closeBrace(broken)) }, yes());
    expect(result.outcome).toBe("done");
    expect(await localVersions()).toEqual(["5", "5", "5"]);
    expect(await services("pve1")).toBe("failed active");
    expect((await onNode("pve1", "systemctl start corosync")).exitCode).toBe(0);
  });

  it("is finished with pvefix: diagnose then asks for a corosync start on every node, and restart-pve-services quorates them", async () => {
    const broken = await scenario("not-quorate-config-corosync-down");
    const before = await diagnose({ ...bed.target(), runbooks: [rb, restartPveServices] });
    expect(before.map((f) => [f.runbook, f.node, f.summary.split(":")[0]])).toEqual(
      NODES.map((n) => ["not-quorate-config", n, `corosync is failed on ${n} and cannot start`]),
    );
    expect((await run({ node: "pve1", file: localFile(closeBrace(broken)) }, yes())).outcome).toBe("done");
    const after = await diagnose({ ...bed.target(), runbooks: [rb, restartPveServices] });
    expect(after.map((f) => [f.runbook, f.severity, f.node, f.command])).toEqual(
      NODES.map((n) => [
        "restart-pve-services",
        "critical",
        n,
        `pvefix run restart-pve-services --node ${n} --services corosync`,
      ]),
    );
    const restart = await runRunbook({
      ...bed.target(),
      runbook: restartPveServices,
      rawParams: { node: NODES.join(","), services: "corosync" },
      stateDir: bed.stateDir,
      mode: "interactive",
      gate: yes(),
    });
    expect(restart.outcome).toBe("done");
    for (const n of NODES)
      expect(await quorumLine(n)).toEqual(["Quorate:          Yes", "Expected votes:   3"]);
    expect(await diagnose({ ...bed.target(), runbooks: [rb, restartPveServices] })).toEqual([]);
  });

  it("a failure in a middle step rolls back files and services", async () => {
    const broken = await scenario("not-quorate-config-corosync-down");
    const before = await fileState();
    await addFault(bed.labDir, {
      node: "pve2",
      match: "cat > /etc/corosync/corosync.conf",
      action: "fail",
      times: 1,
    });
    const result = await run({ node: "pve1", file: localFile(closeBrace(broken)) }, yes());
    expect(result.outcome).toBe("failed-rolled-back");
    expect(result.steps.map((s) => s.status)).toEqual([
      "undone",
      "undone",
      "undone",
      "undone",
      "failed",
      ...Array(PATH_B.length - 5).fill("skipped"),
    ]);
    expect(await fileState()).toEqual(before);
    expect(await services("pve1")).toBe("failed active");
  });

  it("undo after a successful run brings the broken files and services back exactly", async () => {
    const broken = await scenario("not-quorate-config-corosync-down");
    const before = await fileState();
    const done = await run({ node: "pve1", file: localFile(closeBrace(broken)) }, yes());
    expect(done.outcome).toBe("done");
    expect((await undo(done.runId!)).outcome).toBe("undone");
    expect(await fileState()).toEqual(before);
    expect(await services("pve1")).toBe("failed active");
  });
});
