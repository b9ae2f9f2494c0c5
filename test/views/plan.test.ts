import { describe, expect, it } from "vitest";
import { Plan } from "../../src/engine/model.js";
import { finishPlan } from "../../src/engine/plan.js";
import { renderPlan } from "../../src/views/plan.js";
import { hungNfsPlan, NOW, staleBackupLockFacts, stuckLock, stuckLockPlan } from "./sample-data.js";

const plain = { color: false };

describe("renderPlan text", () => {
  it("shows the header, the step with its reason, commands, backups, undo and checks, then how to run it", () => {
    expect(renderPlan(stuckLockPlan(), "text", plain)).toMatchInlineSnapshot(`
      "Plan: Remove the stale lock 'backup' from CT 100 on pve2
        runbook      stuck-lock
        params       --vmid 100
        cluster      lab
        created      2026-11-23T10:35:00.000Z
        fingerprint  ae09d2d2dca2
        unattended   eligible: every step is safe and every guard held

      Steps (+ safe: runs without asking · ~ guarded: asks yes/no · ! dangerous: asks for the node name)

      + 1. [pve2] Remove lock 'backup' from CT 100 (safe: runs without asking)
           why: no running task holds the lock; stale task claims: pid 77626 is gone
           $ pct unlock 100
           backs up: /etc/pve/nodes/pve2/lxc/100.conf
           undo: put \`lock: backup\` back with \`pct set --lock\`
             $ pct set 100 --lock backup  # skipped when \`pct config 100 | grep -q '^lock: backup$'\` succeeds
           check: CT 100 has no lock

      To run it (probes again and asks at each gate):
        pvefix run stuck-lock --vmid 100
        pvefix run stuck-lock --vmid 100 --unattended
      To apply exactly this plan later (refused if the cluster or the file changed meanwhile):
        pvefix plan stuck-lock --vmid 100 --save plan.json
        pvefix apply plan.json"
    `);
  });

  it("shows warnings before the steps and marks a guarded step with ~ and its gate", () => {
    const text = renderPlan(hungNfsPlan(), "text", plain);
    expect(text).toMatchInlineSnapshot(`
      "Plan: Lazy-unmount the hung nfs storage 'nfs-backup' on pve2 and let PVE mount it again
        runbook      hung-nfs
        params       --storage nfs-backup
        cluster      lab
        created      2026-11-23T10:35:00.000Z
        fingerprint  5817594bd9e0
        unattended   not eligible: needs a human: step remount-nfs-backup-pve2 is guarded

      Warnings:
      ! CT 101 runs on pve2 with volumes on nfs-backup (mp0)

      Steps (+ safe: runs without asking · ~ guarded: asks yes/no · ! dangerous: asks for the node name)

      ~ 1. [pve2] Lazy-unmount /mnt/pve/nfs-backup on pve2 and let PVE mount nfs-backup again (guarded: asks yes/no)
           why: /mnt/pve/nfs-backup does not answer statfs within 5 s on pve2; guests on pve2 use nfs-backup: CT 101 (running; mp0); its server 10.10.0.5 answers on port 2049
           ! Running guests use nfs-backup on pve2: CT 101 (running; mp0). Processes already blocked on the hung mount stay blocked or get I/O errors (stale file handles); new file access goes to the fresh mount. Consider stopping these guests first.
           $ umount -nlf /mnt/pve/nfs-backup
           $ pvesm status --storage nfs-backup
           undo: mount 10.10.0.5:/export/backup on /mnt/pve/nfs-backup again (nfs4, options as before), only if 10.10.0.5 answers on port 2049
             $ mount -t nfs4 -o rw,relatime,vers=4.2,hard,proto=tcp 10.10.0.5:/export/backup /mnt/pve/nfs-backup  # ok exit codes: 0, 32  # skipped when \`cat /proc/mounts | grep -q ' /mnt/pve/nfs-backup ' || ! timeout -s KILL 3 bash -c '</dev/tcp/10.10.0.5/2049'\` succeeds
           check: nfs-backup is mounted on /mnt/pve/nfs-backup, answers statfs and is active in pvesm (waits up to 30 s)

      To run it (probes again and asks at each gate):
        pvefix run hung-nfs --storage nfs-backup
      To apply exactly this plan later (refused if the cluster or the file changed meanwhile):
        pvefix plan hung-nfs --storage nfs-backup --save plan.json
        pvefix apply plan.json"
    `);
    expect(text.indexOf("! CT 101 runs on pve2")).toBeLessThan(text.indexOf("~ 1. [pve2]"));
  });

  it("points every command it prints at the same cluster when given the target flags", () => {
    const target = "-i '/etc/pvefix/prod cluster.yaml'";
    const text = renderPlan(stuckLockPlan(), "text", { color: false, target });
    const md = renderPlan(stuckLockPlan(), "md", { color: false, target });
    for (const out of [text, md]) {
      expect(out).toContain(`pvefix run stuck-lock --vmid 100 ${target}`);
      expect(out).toContain(`pvefix plan stuck-lock --vmid 100 --save plan.json ${target}`);
      expect(out).toContain(`pvefix apply plan.json ${target}`);
    }
    expect(text).toContain(`pvefix run stuck-lock --vmid 100 --unattended ${target}`);
  });

  it("does not offer --unattended when the plan is not eligible", () => {
    expect(renderPlan(hungNfsPlan(), "text", plain)).not.toContain("--unattended");
    expect(renderPlan(stuckLockPlan(), "text", plain)).toContain(
      "pvefix run stuck-lock --vmid 100 --unattended",
    );
  });

  it("says there is no undo for an irreversible step and shows written files by size", () => {
    const plan = finishPlan(
      stuckLock,
      { vmid: 100 },
      staleBackupLockFacts(),
      {
        summary: "Write a file",
        steps: [
          {
            id: "write-x",
            title: "Write /etc/x",
            node: "pve1",
            risk: "dangerous",
            reason: "because",
            actions: [{ kind: "write-file", path: "/etc/x", content: "héllo\n", mode: "0644" }],
            undo: { kind: "irreversible", reason: "the old content is not kept" },
          },
        ],
      },
      "lab",
      NOW,
    );
    const text = renderPlan(plan, "text", plain);
    expect(text).toContain("! 1. [pve1] Write /etc/x (dangerous: asks you to type pve1)");
    expect(text).toContain("     write /etc/x (7 bytes, mode 0644)");
    expect(text).toContain(
      "undo: none — irreversible: the old content is not kept\n       There is no undo.",
    );
    expect(renderPlan(plan, "md", plain)).toContain(
      "**none — irreversible:** the old content is not kept. There is no undo.",
    );
  });

  it("escapes terminal sequences that came from the cluster (a lock name, a task claim)", () => {
    const facts = { ...staleBackupLockFacts({ lock: "backup\x1b[2J\x1b[31m" }) };
    const decision = stuckLock.decide({ vmid: 100 }, facts);
    if (decision.kind !== "plan") throw new Error(`expected a plan, got ${decision.kind}`);
    const plan = finishPlan(stuckLock, { vmid: 100 }, facts, decision.plan, "lab", NOW);
    const text = renderPlan(plan, "text", plain);
    expect(text).not.toContain("\x1b");
    expect(text).toContain("Remove lock 'backup' from CT 100");
  });

  it("colors only when asked to", () => {
    expect(renderPlan(stuckLockPlan(), "text", plain)).not.toContain("\x1b[");
    expect(renderPlan(stuckLockPlan(), "text", { color: true })).toContain("\x1b[");
  });
});

describe("renderPlan md", () => {
  it("renders a ticket-ready document with facts, warnings, steps, undo, verification and how to apply", () => {
    expect(renderPlan(hungNfsPlan(), "md", plain)).toMatchInlineSnapshot(`
      "# Plan: Lazy-unmount the hung nfs storage 'nfs-backup' on pve2 and let PVE mount it again

      | Fact | Value |
      |---|---|
      | Runbook | \`hung-nfs\` |
      | Parameters | \`--storage nfs-backup\` |
      | Cluster | lab |
      | Created | 2026-11-23T10:35:00.000Z |
      | Fingerprint | \`5817594bd9e0615e5d38d538bdb86a4740b9b71ad194436b2525c845cbf51bb2\` |
      | Unattended | not eligible: needs a human: step remount-nfs-backup-pve2 is guarded |

      ## Warnings

      - CT 101 runs on pve2 with volumes on nfs-backup (mp0)

      ## Steps

      Risk: **safe** runs without asking, **guarded** asks yes/no, **dangerous** asks for the node name.

      ### 1. Lazy-unmount /mnt/pve/nfs-backup on pve2 and let PVE mount nfs-backup again

      | Node | Risk | Why |
      |---|---|---|
      | pve2 | guarded (asks yes/no) | /mnt/pve/nfs-backup does not answer statfs within 5 s on pve2; guests on pve2 use nfs-backup: CT 101 (running; mp0); its server 10.10.0.5 answers on port 2049 |

      > **Warning:** Running guests use nfs-backup on pve2: CT 101 (running; mp0). Processes already blocked on the hung mount stay blocked or get I/O errors (stale file handles); new file access goes to the fresh mount. Consider stopping these guests first.

      Commands:

      \`\`\`sh
      umount -nlf /mnt/pve/nfs-backup
      pvesm status --storage nfs-backup
      \`\`\`

      Undo: mount 10.10.0.5:/export/backup on /mnt/pve/nfs-backup again (nfs4, options as before), only if 10.10.0.5 answers on port 2049

      \`\`\`sh
      mount -t nfs4 -o rw,relatime,vers=4.2,hard,proto=tcp 10.10.0.5:/export/backup /mnt/pve/nfs-backup  # ok exit codes: 0, 32  # skipped when \`cat /proc/mounts | grep -q ' /mnt/pve/nfs-backup ' || ! timeout -s KILL 3 bash -c '</dev/tcp/10.10.0.5/2049'\` succeeds
      \`\`\`

      Checks:

      - nfs-backup is mounted on /mnt/pve/nfs-backup, answers statfs and is active in pvesm (waits up to 30 s)

      ## Undo

      If a step fails, the steps already done are undone in reverse order and the files they changed are restored from the backups taken before each step.

      After a run, \`pvefix undo <run-id>\` undoes every step still in place.

      ## Verification

      - after step remount-nfs-backup-pve2: nfs-backup is mounted on /mnt/pve/nfs-backup, answers statfs and is active in pvesm (on pve2, waits up to 30 s)

      ## How to apply

      Apply exactly this plan (pvefix plans again and refuses if the cluster or the file changed):

      \`\`\`sh
      pvefix plan hung-nfs --storage nfs-backup --save plan.json
      pvefix apply plan.json
      \`\`\`

      Or probe again and run it interactively, answering each gate:

      \`\`\`sh
      pvefix run hung-nfs --storage nfs-backup
      \`\`\`"
    `);
  });

  it("keeps the section order fixed", () => {
    const md = renderPlan(stuckLockPlan(), "md", plain);
    const headings = md.split("\n").filter((l) => /^##? /.test(l));
    expect(headings).toEqual([
      "# Plan: Remove the stale lock 'backup' from CT 100 on pve2",
      "## Warnings",
      "## Steps",
      "## Undo",
      "## Verification",
      "## How to apply",
    ]);
  });
});

describe("renderPlan json", () => {
  it("wraps the plan as is, so a saved plan parses back to the same plan", () => {
    const plan = stuckLockPlan();
    const parsed = JSON.parse(renderPlan(plan, "json", plain));
    expect(parsed.kind).toBe("plan");
    expect(Object.keys(parsed)).toEqual(["kind", "plan"]);
    expect(Plan.parse(parsed.plan)).toEqual(plan);
  });
});

describe("renderPlan: file writes as diffs", () => {
  const RULES = "/etc/pve/ha/rules.cfg";
  const OLD = "node-affinity: vm100-placement\n\tnodes pve1,pve3\n\tresources vm:100\n\tstrict 1\n\n";
  const NEW = "node-affinity: vm100-placement\n\tnodes pve1:2,pve2:1\n\tresources vm:100\n\tstrict 1\n\n";
  type Write = Extract<Plan["steps"][number]["actions"][number], { kind: "write-file" }>;
  const writePlan = (write: Write) =>
    finishPlan(
      stuckLock,
      { vmid: 100 },
      staleBackupLockFacts(),
      {
        summary: "Change a rule",
        steps: [
          {
            id: "write-rules-cfg",
            title: "Change rule vm100-placement",
            node: "pve1",
            risk: "guarded",
            reason: "because",
            actions: [write],
            undo: {
              kind: "actions",
              description: "restore",
              actions: [{ kind: "restore-file", path: RULES }],
            },
            files: [RULES],
          },
        ],
      },
      "lab",
      NOW,
    );

  it("shows the change against the content the plan was made on in text, under the write", () => {
    const plan = writePlan({
      kind: "write-file",
      path: RULES,
      content: NEW,
      before: { path: RULES, content: OLD },
    });
    expect(renderPlan(plan, "text", plain)).toContain(
      [
        "     write /etc/pve/ha/rules.cfg (81 bytes)",
        "         --- /etc/pve/ha/rules.cfg (current)",
        "         +++ /etc/pve/ha/rules.cfg (new)",
        "         @@ -1,5 +1,5 @@",
        "          node-affinity: vm100-placement",
        "         -\tnodes pve1,pve3",
        "         +\tnodes pve1:2,pve2:1",
        "          \tresources vm:100",
        "          \tstrict 1",
      ].join("\n"),
    );
  });

  it("shows the same diff in Markdown, with the whole new content folded below it", () => {
    const plan = writePlan({
      kind: "write-file",
      path: RULES,
      content: NEW,
      before: { path: RULES, content: OLD },
    });
    const md = renderPlan(plan, "md", plain);
    expect(md).toContain(
      "Changes to `/etc/pve/ha/rules.cfg`:\n\n```diff\n--- /etc/pve/ha/rules.cfg (current)\n+++ /etc/pve/ha/rules.cfg (new)\n@@ -1,5 +1,5 @@\n node-affinity: vm100-placement\n-\tnodes pve1,pve3\n+\tnodes pve1:2,pve2:1\n",
    );
    expect(md).toContain("<details><summary>New content of `/etc/pve/ha/rules.cfg` (81 bytes)</summary>");
  });

  it("keeps the diff in a saved plan: JSON carries what the write replaces", () => {
    const plan = writePlan({
      kind: "write-file",
      path: RULES,
      content: NEW,
      before: { path: RULES, content: OLD },
    });
    const saved = Plan.parse(JSON.parse(renderPlan(plan, "json", plain)).plan);
    expect(renderPlan(saved, "text", plain)).toBe(renderPlan(plan, "text", plain));
    expect(renderPlan(saved, "text", plain)).toContain("-\tnodes pve1,pve3");
  });

  it("shows a new file as all added lines, a staged copy against the file it replaces, and an unchanged one", () => {
    const created = renderPlan(
      writePlan({ kind: "write-file", path: RULES, content: NEW, before: { path: RULES, content: null } }),
      "text",
      plain,
    );
    expect(created).toContain(
      "--- /etc/pve/ha/rules.cfg (does not exist)\n         +++ /etc/pve/ha/rules.cfg (new)",
    );
    expect(created).toContain("         +\tnodes pve1:2,pve2:1");
    const staged = renderPlan(
      writePlan({
        kind: "write-file",
        path: `${RULES}.new`,
        content: NEW,
        before: { path: RULES, content: OLD },
      }),
      "text",
      plain,
    );
    expect(staged).toContain(
      "--- /etc/pve/ha/rules.cfg (current)\n         +++ /etc/pve/ha/rules.cfg.new (new)",
    );
    const same = renderPlan(
      writePlan({ kind: "write-file", path: RULES, content: OLD, before: { path: RULES, content: OLD } }),
      "text",
      plain,
    );
    expect(same).toContain("(unchanged: /etc/pve/ha/rules.cfg gets the same content)");
  });

  it("shows the whole new content, and says why, when a plan does not record the current one", () => {
    const text = renderPlan(writePlan({ kind: "write-file", path: RULES, content: NEW }), "text", plain);
    expect(text).toContain(
      "         (this plan does not record the current content of /etc/pve/ha/rules.cfg: the whole new content follows)\n         +node-affinity: vm100-placement\n         +\tnodes pve1:2,pve2:1",
    );
  });

  it("colors removed lines red and added lines green when asked to", () => {
    const plan = writePlan({
      kind: "write-file",
      path: RULES,
      content: NEW,
      before: { path: RULES, content: OLD },
    });
    const text = renderPlan(plan, "text", { color: true });
    expect(text).toContain("\x1b[31m-\tnodes pve1,pve3\x1b[39m");
    expect(text).toContain("\x1b[32m+\tnodes pve1:2,pve2:1\x1b[39m");
  });
});

describe("a warning that names a pvefix command", () => {
  it.each(["text", "md"] as const)("gives that command the target flags (%s)", (format) => {
    const plan = {
      ...stuckLockPlan(),
      warnings: ["start it with `pvefix run restart-pve-services --node pve1 --services corosync`"],
    };
    const out = renderPlan(plan, format, { color: false, target: "-i inv.yaml" });
    expect(out).toContain("`pvefix run restart-pve-services --node pve1 --services corosync -i inv.yaml`");
  });
});
