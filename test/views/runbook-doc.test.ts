import { describe, expect, it } from "vitest";
import { runbooks } from "../../runbooks/index.js";
import { RunOutcome } from "../../src/engine/model.js";
import { exitCodeFor } from "../../src/engine/session.js";
import { EXIT_CODES } from "../../src/views/outcomes.js";
import { DOC_SECTIONS, renderRunbookDoc } from "../../src/views/runbook-doc.js";
import { renderRunbookList } from "../../src/views/runbook-list.js";
import { paramDocs } from "../../src/views/runbook-params.js";
import { hungNfs, stuckLock } from "./sample-data.js";

/** Index of each heading in `text`; -1 when missing. */
function positions(text: string, headings: string[]): number[] {
  return headings.map((h) => text.split("\n").indexOf(h));
}

describe("renderRunbookDoc", () => {
  it.each(runbooks.map((r) => [r.meta.id, r] as const))(
    "renders every section of %s in the fixed order, in text and md",
    (_id, runbook) => {
      const text = positions(
        renderRunbookDoc(runbook, "text"),
        DOC_SECTIONS.map((s) => s.toUpperCase()),
      );
      const md = positions(
        renderRunbookDoc(runbook, "md"),
        DOC_SECTIONS.map((s) => `## ${s}`),
      );
      for (const found of [text, md]) {
        expect(found.every((i) => i >= 0)).toBe(true);
        expect([...found].sort((a, b) => a - b)).toEqual(found);
      }
    },
  );

  it.each(runbooks.map((r) => [r.meta.id, r] as const))(
    "documents every parameter of %s with a description",
    (_id, runbook) => {
      const params = paramDocs(runbook);
      expect(params.length).toBeGreaterThan(0);
      for (const p of params) expect(p.description, `${p.flag} has no description`).not.toBe("");
    },
  );

  it("reads flags, requiredness and patterns from the zod schema, including checks after a coercion", () => {
    expect(paramDocs(stuckLock)).toEqual([
      {
        key: "vmid",
        flag: "--vmid",
        type: "string or number",
        required: true,
        allowed: ["matching `/^[1-9][0-9]{2,8}$/`"],
        description: "Guest id (CT or VM) whose lock to remove",
      },
    ]);
    expect(paramDocs(hungNfs).map((p) => [p.flag, p.required])).toEqual([
      ["--storage", true],
      ["--node", false],
    ]);
  });

  it("shows each example as the exact command under its intent", () => {
    const text = renderRunbookDoc(hungNfs, "text");
    expect(text).toContain(
      "  # Recover the backup store on pve2 only\n  pvefix plan hung-nfs --storage nfs-backup --node pve2",
    );
    const md = renderRunbookDoc(hungNfs, "md");
    expect(md).toContain(
      "### Recover the backup store on pve2 only\n\n```sh\npvefix plan hung-nfs --storage nfs-backup --node pve2\n```",
    );
  });

  it("lists the runbook's own refusal codes under exit 3", () => {
    expect(renderRunbookDoc(hungNfs, "text")).toContain(
      "exit 3  refused by a guard: nothing was changed (storage-not-found, storage-not-network, server-down, node-unreachable)",
    );
  });

  it("escapes angle brackets outside code spans in Markdown so GitHub does not swallow them", () => {
    const md = renderRunbookDoc(hungNfs, "md");
    expect(md).toContain("mount point /mnt/pve/&lt;id>");
    expect(md).toContain("`umount -nlf <mountpoint>`");
  });

  it("emits metadata and the parameters' JSON Schema as JSON", () => {
    const doc = JSON.parse(renderRunbookDoc(stuckLock, "json"));
    expect(doc).toMatchObject({
      kind: "runbook",
      id: "stuck-lock",
      risk: "safe",
      unattended: "eligible",
      undo: "full",
    });
    expect(doc.params.required).toEqual(["vmid"]);
    expect(doc.examples[0]).toEqual({
      intent: "Unlock CT 100 left locked by a killed vzdump",
      params: { vmid: 100 },
      command: "pvefix plan stuck-lock --vmid 100",
    });
  });
});

describe("EXIT_CODES", () => {
  it("documents, for every run outcome, the exit code the engine gives it", () => {
    for (const outcome of RunOutcome.options) {
      const row = EXIT_CODES.find((r) => r.outcomes.includes(outcome));
      expect(row?.code, outcome).toBe(exitCodeFor(outcome));
    }
    expect(EXIT_CODES.map((r) => r.code)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe("renderRunbookList", () => {
  it("aligns id, risk, unattended eligibility, undo and summary in columns", () => {
    const lines = renderRunbookList(runbooks, "text").split("\n");
    const header = lines[0]!;
    expect(header).toMatch(/^RUNBOOK +RISK +UNATTENDED +UNDO +SUMMARY$/);
    for (const [i, meta] of runbooks.map((r) => r.meta).entries()) {
      const line = lines[i + 1]!;
      expect(line.indexOf(meta.risk, meta.id.length)).toBe(header.indexOf("RISK"));
      expect(line.indexOf(meta.summary)).toBe(header.indexOf("SUMMARY"));
    }
  });

  it("emits the same facts as JSON", () => {
    expect(JSON.parse(renderRunbookList(runbooks, "json")).runbooks[0]).toEqual({
      id: runbooks[0]!.meta.id,
      risk: runbooks[0]!.meta.risk,
      unattended: runbooks[0]!.meta.unattended,
      undo: runbooks[0]!.meta.undo,
      summary: runbooks[0]!.meta.summary,
    });
  });
});
