import { describe, expect, it } from "vitest";
import type { JournalEntry, RunSummary } from "../../src/engine/journal.js";
import { renderRunDetail, renderRunList } from "../../src/views/journal.js";
import { MAX_OUTPUT_LINES } from "../../src/views/journal-timeline.js";
import { stuckLockPlan } from "./sample-data.js";

const plain = { color: false };
const RUN_ID = "20261123T103500Z-stuck-lock-1a2b";

function result(
  command: string,
  fields: Partial<{ exitCode: number | null; stdout: string; stderr: string; timedOut: boolean }> = {},
) {
  const exitCode = fields.exitCode === undefined ? 0 : fields.exitCode;
  const timedOut = fields.timedOut ?? false;
  return {
    node: "pve2",
    command,
    exitCode,
    stdout: fields.stdout ?? "",
    stderr: fields.stderr ?? "",
    durationMs: 12.4,
    timedOut,
    connectionLost: false,
    failed: timedOut || exitCode !== 0,
  };
}

function journal(): JournalEntry[] {
  const t = (s: string) => `2026-11-23T10:35:${s}Z`;
  return [
    {
      type: "run-start",
      time: t("00.000"),
      runId: RUN_ID,
      runbook: "stuck-lock",
      mode: "interactive",
      params: { vmid: 100 },
      cluster: "lab",
      transport: "lab",
      user: "root",
      host: "ops1",
      pid: 4242,
    },
    {
      type: "command",
      time: t("00.120"),
      phase: "probe",
      result: result("cat /etc/pve/.vmlist", { stdout: '{"ids":{"100":{"node":"pve2","type":"lxc"}}}\n' }),
    },
    {
      type: "facts",
      time: t("00.300"),
      facts: { guest: { vmid: 100, node: "pve2", kind: "lxc" }, lock: "backup" },
    },
    { type: "decision", time: t("00.310"), kind: "plan", plan: stuckLockPlan() },
    {
      type: "backup",
      time: t("00.400"),
      stepId: "unlock-100",
      node: "pve2",
      path: "/etc/pve/nodes/pve2/lxc/100.conf",
      existed: true,
      sha256: "3f2a9c1d4e5b6a7980aabbccddeeff00112233445566778899aabbccddeeff00",
      contentBase64: "YQ==",
      nodeCopy: null,
    },
    { type: "step-start", time: t("00.410"), stepId: "unlock-100" },
    {
      type: "command",
      time: t("00.420"),
      phase: "step",
      stepId: "unlock-100",
      result: result("pct unlock 100", { exitCode: 2, stderr: "\x1b[31mCT 100 is not locked\x1b[0m\n" }),
    },
    {
      type: "step-end",
      time: t("00.450"),
      stepId: "unlock-100",
      status: "failed",
      error: "Command failed with exit code 2: pct unlock 100 (on pve2)",
    },
    {
      type: "run-end",
      time: t("00.500"),
      outcome: "failed-rolled-back",
      exitCode: 1,
      message: "step unlock-100 failed",
    },
  ];
}

describe("renderRunDetail", () => {
  it("shows the run as a timeline: params, commands with their status and output, facts, decision, backups, steps, outcome", () => {
    expect(renderRunDetail(journal(), "text", plain)).toMatchInlineSnapshot(`
      "Run 20261123T103500Z-stuck-lock-1a2b (stuck-lock, interactive)
        started  2026-11-23T10:35:00.000Z by root@ops1 (pid 4242)
        cluster  lab (transport lab)
        params   --vmid 100

      [10:35:00.000] run started
      [10:35:00.120] [pve2] $ cat /etc/pve/.vmlist  # probe
                       ✔ (exit 0, 12 ms)
                       stdout:
                         {"ids":{"100":{"node":"pve2","type":"lxc"}}}
      [10:35:00.300] facts
                       {
                         "guest": {
                           "vmid": 100,
                           "node": "pve2",
                           "kind": "lxc"
                         },
                         "lock": "backup"
                       }
      [10:35:00.310] decision: plan: Remove the stale lock 'backup' from CT 100 on pve2
                       + 1. [pve2] Remove lock 'backup' from CT 100 (unlock-100)
      [10:35:00.400] backup unlock-100: pve2:/etc/pve/nodes/pve2/lxc/100.conf sha256 3f2a9c1d4e5b
      [10:35:00.410] step unlock-100 started
      [10:35:00.420] [pve2] $ pct unlock 100
                       ✖ exit 2 (12 ms)
                       stderr:
                         CT 100 is not locked
      [10:35:00.450] step unlock-100: ✖ failed
                       Command failed with exit code 2: pct unlock 100 (on pve2)
      [10:35:00.500] ✖ outcome: failed and rolled back (failed-rolled-back, exit 1)
                       step unlock-100 failed"
    `);
  });

  it("cuts long output in text and says how many lines were left out", () => {
    const stdout = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n");
    const entries: JournalEntry[] = [
      {
        type: "command",
        time: "2026-11-23T10:35:00.000Z",
        phase: "probe",
        result: result("dmesg", { stdout }),
      },
    ];
    const text = renderRunDetail(entries, "text", plain);
    expect(text).toContain(`line ${MAX_OUTPUT_LINES}\n`);
    expect(text).not.toContain(`line ${MAX_OUTPUT_LINES + 1}\n`);
    expect(text).toContain(`… ${30 - MAX_OUTPUT_LINES} more lines`);
    expect(JSON.parse(renderRunDetail(entries, "json", plain)).entries[0].result.stdout).toBe(stdout);
  });

  it("says a command timed out rather than giving an exit code", () => {
    const entries: JournalEntry[] = [
      {
        type: "command",
        time: "2026-11-23T10:35:00.000Z",
        phase: "step",
        result: result("umount -nlf /mnt/pve/nfs-backup", { exitCode: null, timedOut: true }),
      },
    ];
    expect(renderRunDetail(entries, "text", plain)).toContain("✖ timed out after 12 ms");
  });

  it("escapes ANSI sequences in remote output", () => {
    const text = renderRunDetail(journal(), "text", plain);
    expect(text).not.toContain("\x1b");
    expect(text).toContain("CT 100 is not locked");
  });

  it("emits the journal entries themselves as JSON", () => {
    const runId = journal().find((e) => e.type === "run-start")?.runId;
    expect(runId).toEqual(expect.any(String));
    expect(JSON.parse(renderRunDetail(journal(), "json", plain))).toEqual({ runId, entries: journal() });
  });
});

describe("renderRunList", () => {
  const runs: RunSummary[] = [
    {
      runId: RUN_ID,
      runbook: "stuck-lock",
      mode: "interactive",
      startedAt: "2026-11-23T10:35:00.000Z",
      params: { vmid: 100 },
      cluster: "lab",
      outcome: "done",
      exitCode: 0,
      undoneBy: "20261123T110000Z-stuck-lock-9c9c",
      undoOf: null,
    },
    {
      runId: "20261123T110000Z-stuck-lock-9c9c",
      runbook: "stuck-lock",
      mode: "undo",
      startedAt: "2026-11-23T11:00:00.000Z",
      params: { vmid: 100 },
      cluster: "lab",
      outcome: "undone",
      exitCode: 0,
      undoneBy: null,
      undoOf: RUN_ID,
    },
  ];

  it("tabulates run id, start, runbook, params, outcome and undone-by", () => {
    expect(renderRunList(runs, "text", plain)).toMatchInlineSnapshot(`
      "RUN ID                            STARTED               RUNBOOK     PARAMS      OUTCOME                                            UNDONE BY
      20261123T103500Z-stuck-lock-1a2b  2026-11-23 10:35:00Z  stuck-lock  --vmid 100  done                                               20261123T110000Z-stuck-lock-9c9c
      20261123T110000Z-stuck-lock-9c9c  2026-11-23 11:00:00Z  stuck-lock  --vmid 100  undone (undo of 20261123T103500Z-stuck-lock-1a2b)

      pvefix show <run-id> shows a run's timeline (a unique prefix of the id, or \`last\`, will do)."
    `);
  });

  it("says there are no runs yet when the journal is empty", () => {
    expect(renderRunList([], "text", plain)).toBe("no runs yet");
    expect(JSON.parse(renderRunList([], "json", plain))).toEqual({ runs: [] });
  });
});

describe("renderRunDetail of a run without an end entry", () => {
  const cut = () => [...journal().filter((e) => e.type !== "run-end" && e.type !== "step-end")];

  it("says the run was interrupted and how to undo it, without inventing an entry", () => {
    const text = renderRunDetail(cut(), "text", { ...plain, unfinished: "interrupted" });
    expect(text.split("\n").at(-1)).toBe(
      `‼ interrupted: the process ended without recording an outcome; \`pvefix undo ${RUN_ID}\` puts back what ran`,
    );
    const doc = JSON.parse(renderRunDetail(cut(), "json", { ...plain, unfinished: "interrupted" }));
    expect(doc.unfinished).toBe("interrupted");
    expect(doc.entries).toHaveLength(cut().length);
  });

  it("says nothing more for a run that ended", () => {
    expect(renderRunDetail(journal(), "text", plain)).not.toContain("without recording an outcome");
  });
});

describe("commands whose non-zero exit was expected", () => {
  it("are drawn neutral, not as a failure", () => {
    const read = result("base64 -w0 /etc/pve/corosync.conf.new", {
      exitCode: 1,
      stderr: "No such file or directory",
    });
    const entries: JournalEntry[] = [
      ...journal().slice(0, 1),
      {
        type: "command",
        time: "2026-11-23T10:35:01.000Z",
        phase: "backup",
        stepId: "s",
        result: read,
        expected: true,
      },
      { type: "command", time: "2026-11-23T10:35:02.000Z", phase: "step", stepId: "s", result: read },
    ];
    const lines = renderRunDetail(entries, "text", plain).split("\n");
    expect(lines.filter((l) => l.includes("exit 1")).map((l) => l.trim())).toEqual([
      "· exit 1, as expected (12 ms)",
      "✖ exit 1 (12 ms)",
    ]);
  });
});

describe("a probe's non-zero exit", () => {
  it("is an answer drawn neutral; a step's non-zero exit is still a failure", () => {
    const inactive = result("systemctl is-active pvestatd", { exitCode: 3, stdout: "inactive\n" });
    const entries: JournalEntry[] = [
      ...journal().slice(0, 1),
      { type: "command", time: "2026-11-23T10:35:01.000Z", phase: "probe", result: inactive },
      { type: "command", time: "2026-11-23T10:35:02.000Z", phase: "step", stepId: "s", result: inactive },
    ];
    const lines = renderRunDetail(entries, "text", plain).split("\n");
    expect(lines.filter((l) => l.includes("exit 3")).map((l) => l.trim())).toEqual([
      "· exit 3 (12 ms)",
      "✖ exit 3 (12 ms)",
    ]);
  });
});

describe("renderRunList on a narrow terminal", () => {
  it("cuts params, outcome and undone-by with … so every line fits, and keeps the run id whole", () => {
    const long: RunSummary = {
      runId: "20261123T103500Z-restart-pve-services-1a2b",
      runbook: "restart-pve-services",
      mode: "undo",
      startedAt: "2026-11-23T10:35:00.000Z",
      params: {
        node: ["pve1", "pve2", "pve3"],
        services: ["pveproxy", "spiceproxy", "pvestatd", "pve-cluster"],
      },
      cluster: "lab",
      outcome: "undone",
      exitCode: 0,
      undoneBy: "20261123T110000Z-restart-pve-services-9c9c",
      undoOf: "20261123T100000Z-restart-pve-services-0f0f",
    };
    const text = renderRunList([long, long], "text", { ...plain, columns: 120 });
    const table = text.split("\n").slice(0, 3);
    for (const line of table) expect([...line].length).toBeLessThanOrEqual(120);
    expect(table[1]).toContain(long.runId);
    expect(table[1]).toContain("…");
    // Without a terminal width nothing is cut.
    expect(renderRunList([long], "text", plain)).toContain(long.undoneBy!);
  });
});

describe("a run declined at its first gate", () => {
  it("says nothing was changed instead of rolled back; a run with steps still says rolled back", () => {
    const start = journal().slice(0, 4);
    const end = (outcome: "declined") => ({
      type: "run-end" as const,
      time: "2026-11-23T10:35:01.000Z",
      outcome,
      exitCode: 1,
      message: "step unlock-100 was not approved",
    });
    const declined = renderRunDetail([...start, end("declined")], "text", plain);
    expect(declined).toContain("outcome: declined at a gate; nothing was changed (declined, exit 1)");
    expect(declined).not.toContain("rolled back");
    const withStep: JournalEntry[] = [
      ...start,
      { type: "step-start", time: "2026-11-23T10:35:00.500Z", stepId: "unlock-100" },
      end("declined"),
    ];
    expect(renderRunDetail(withStep, "text", plain)).toContain("outcome: declined at a gate and rolled back");
  });
});
