import { describe, expect, it } from "vitest";
import { JournalEntry } from "../../src/engine/journal.js";
import { renderRunDetail } from "../../src/views/journal.js";

const time = "2026-12-05T10:35:00.000Z";
const check = { name: "unit-active", node: "pve1", description: "corosync is active on pve1", args: {} };

describe("the verify phase in `pvefix show`", () => {
  it("shows a step's check and a postcondition with their verdicts", () => {
    const entries = [
      { type: "step-start", time, stepId: "restart-corosync" },
      { type: "check", time, phase: "verify", stepId: "restart-corosync", check, ok: true, detail: "active" },
      { type: "step-end", time, stepId: "restart-corosync", status: "done" },
      { type: "check", time, phase: "verify", check, ok: false, detail: "inactive" },
    ].map((e) => JournalEntry.parse(e));
    const text = renderRunDetail(entries, "text", { color: false });
    expect(text).toContain("check restart-corosync: ✔ corosync is active on pve1: active");
    expect(text).toContain("check (postcondition): ✖ corosync is active on pve1: inactive");
    const json = JSON.parse(renderRunDetail(entries, "json", { color: false })) as { entries: unknown[] };
    expect(json.entries[1]).toMatchObject({ type: "check", phase: "verify", ok: true });
  });

  it("refuses a check entry of any other phase: the verify phase is the only one checks run in", () => {
    expect(
      JournalEntry.safeParse({ type: "check", time, phase: "probe", check, ok: true, detail: "" }).success,
    ).toBe(false);
  });
});
