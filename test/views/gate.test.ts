import { describe, expect, it } from "vitest";
import { UNDO_STEP_REASON } from "../../src/engine/undo-plan.js";
import { renderGateText } from "../../src/views/gate.js";
import { hungNfsPlan } from "./sample-data.js";

describe("renderGateText", () => {
  it("shows the step's warning before what will run and how it is undone", () => {
    const plan = hungNfsPlan();
    const text = renderGateText({ plan, step: plan.steps[0]!, index: 0, confirm: "yes" }, { color: false });
    expect(text).toMatchInlineSnapshot(`
      "Step 1 of 1 needs your approval:
      ! Running guests use nfs-backup on pve2: CT 101 (running; mp0). Processes already blocked on the hung mount stay blocked or get I/O errors (stale file handles); new file access goes to the fresh mount. Consider stopping these guests first.
      ~ 1. [pve2] Lazy-unmount /mnt/pve/nfs-backup on pve2 and let PVE mount nfs-backup again (guarded: asks yes/no)
           why: /mnt/pve/nfs-backup does not answer statfs within 5 s on pve2; guests on pve2 use nfs-backup: CT 101 (running; mp0); its server 10.10.0.5 answers on port 2049
           $ umount -nlf /mnt/pve/nfs-backup
           $ pvesm status --storage nfs-backup
           undo: mount 10.10.0.5:/export/backup on /mnt/pve/nfs-backup again (nfs4, options as before), only if 10.10.0.5 answers on port 2049
             $ mount -t nfs4 -o rw,relatime,vers=4.2,hard,proto=tcp 10.10.0.5:/export/backup /mnt/pve/nfs-backup  # ok exit codes: 0, 32  # skipped when \`cat /proc/mounts | grep -q ' /mnt/pve/nfs-backup ' || ! timeout -s KILL 3 bash -c '</dev/tcp/10.10.0.5/2049'\` succeeds
           check: nfs-backup is mounted on /mnt/pve/nfs-backup, answers statfs and is active in pvesm (waits up to 30 s)"
    `);
    expect(text.indexOf("! Running guests use nfs-backup")).toBeLessThan(text.indexOf("$ umount -nlf"));
  });

  it("says there is no undo for an irreversible step and escapes remote text", () => {
    const plan = hungNfsPlan();
    const step = {
      ...plan.steps[0]!,
      title: "Reset\x1b[2J",
      undo: { kind: "irreversible" as const, reason: "nothing to go back to" },
    };
    const text = renderGateText({ plan, step, index: 0, confirm: "node-name" }, { color: false });
    expect(text).toContain("undo: none — irreversible: nothing to go back to\n       There is no undo.");
    expect(text).not.toContain("\x1b");
  });

  it("does not repeat at an undo step's gate that the step has nothing to undo", () => {
    const plan = hungNfsPlan();
    const step = {
      ...plan.steps[0]!,
      title: "Undo: Lazy-unmount",
      undo: { kind: "none" as const, reason: UNDO_STEP_REASON },
    };
    const text = renderGateText({ plan, step, index: 0, confirm: "yes" }, { color: false });
    expect(text).toContain("Undo: Lazy-unmount");
    expect(text).not.toContain("nothing to undo");
  });
});
