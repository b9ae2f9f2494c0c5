import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fileDrift, type UndoPlan } from "../../src/engine/undo-plan.js";
import { renderUndoPlan } from "../../src/views/undo-plan.js";
import { hungNfsPlan } from "./sample-data.js";

const SECRET = "hunter2SECRET";
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** An undo plan whose fresh facts hold a storage.cfg password, as `undo --plan` re-probes them. */
function undoWithSecret(): UndoPlan {
  const plan = hungNfsPlan();
  return {
    of: "20261205T012544Z-not-quorate-config-b95d",
    plan: {
      ...plan,
      facts: { newContent: { source: "file /tmp/s.cfg", text: `cifs: smb1\n\tpassword ${SECRET}\n` } },
    },
    drift: [],
    refusal: null,
  };
}

describe("renderUndoPlan", () => {
  it.each(["text", "md", "json"] as const)("redacts secret fields in the fresh facts (%s)", (format) => {
    const out = renderUndoPlan(undoWithSecret(), format, { color: false });
    expect(out).not.toContain(SECRET);
    if (format === "json") expect(out).toContain("\\tpassword [REDACTED]");
  });
});

describe("a refused undo plan", () => {
  it.each(["text", "md", "json"] as const)(
    "gives the refusal's next command the target flags (%s)",
    (format) => {
      const refused: UndoPlan = {
        ...undoWithSecret(),
        refusal: {
          code: "split-brain-risk",
          message: "pve1 is quorate with 1 other node(s) now",
          detail:
            "put the old file back with `pvefix plan not-quorate-config --node pve1 --restore-backup r1` instead.",
        },
      };
      const out = renderUndoPlan(refused, format, { color: false, target: "--lab --state-dir /tmp/s" });
      expect(out).toContain(
        "pvefix plan not-quorate-config --node pve1 --restore-backup r1 --lab --state-dir /tmp/s",
      );
    },
  );
});

describe("fileDrift", () => {
  it("diffs redacted text: a password someone added since the run is not in the diff", () => {
    const left = "cifs: smb1\n\tusername admin\n";
    const now = `cifs: smb1\n\tusername admin\n\tpassword ${SECRET}\n`;
    const target = { stepId: "replace-file-pve1", node: "pve1", path: "/etc/pve/storage.cfg" };
    const drift = fileDrift(target, { ...target, sha256: sha(now), content: Buffer.from(now) }, [
      {
        type: "file-state",
        time: "2026-12-05T01:25:44.000Z",
        ...target,
        sha256: sha(left),
        contentBase64: Buffer.from(left).toString("base64"),
      },
    ]);
    expect(drift?.diff).toContain("+\tpassword [REDACTED]");
    expect(drift?.diff).not.toContain(SECRET);
  });
});
