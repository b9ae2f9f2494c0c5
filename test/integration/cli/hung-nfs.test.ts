import { beforeAll, describe, expect, it } from "vitest";
import { cliSession } from "./pvefix.js";

const cli = cliSession();

describe("hung-nfs on the lab", () => {
  beforeAll(async () => {
    expect((await cli.pvefix(["lab", "reset", "--quiet"])).code).toBe(0);
  });

  it("renders the nfs-backup plan as Markdown: heading, steps, fenced commands and the undo", async () => {
    const result = await cli.pvefix(["plan", "hung-nfs", "--storage", "nfs-backup", "--lab", "-o", "md"]);
    expect(result.code).toBe(0);
    const md = result.stdout;
    expect(md).toMatch(/^# Plan: Lazy-unmount the hung nfs storage 'nfs-backup' on pve2/);
    expect(md).toMatch(/^## Steps$/m);
    expect(md).toMatch(/^### 1\. Lazy-unmount \/mnt\/pve\/nfs-backup on pve2/m);
    expect(md).toContain("```sh\numount -nlf /mnt/pve/nfs-backup\npvesm status --storage nfs-backup\n```");
    // The undo mounts only when the server answers: a dead export would hang again.
    expect(md).toContain("|| ! timeout -s KILL 3 bash -c '</dev/tcp/10.10.20.50/2049'");
    expect(md).toMatch(/Undo: mount 10\.10\.20\.50:\/export\/backup on \/mnt\/pve\/nfs-backup again/);
    expect(md).toMatch(
      /```sh\nmount -t nfs4 -o [^\n]+ 10\.10\.20\.50:\/export\/backup \/mnt\/pve\/nfs-backup/,
    );
    expect(md).toMatch(/^## Undo$/m);
    expect(md).toContain("CT 105");
    // Every fence that opens is closed: the document renders as intended.
    const fences = md.match(/^```/gm)?.length ?? 0;
    expect(fences).toBeGreaterThanOrEqual(4);
    expect(fences % 2).toBe(0);
  });

  it("stops unattended before unmounting storage that running CT 105 uses: exit 4, the plan, nothing changed", async () => {
    const mounts = () => cli.labExec("pve2", "cat", "/proc/mounts");
    const before = await mounts();
    expect(before.stdout).toContain("/mnt/pve/nfs-backup");
    const result = await cli.pvefix(["run", "hung-nfs", "--storage", "nfs-backup", "--lab", "--unattended"]);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^\? Needs a human: step remount-nfs-backup-pve2 is guarded/);
    expect(result.stdout).toContain("Nothing was changed");
    expect(result.stdout).toContain("CT 105 runs on pve2 with volumes on nfs-backup");
    expect(result.stdout).toContain("$ umount -nlf /mnt/pve/nfs-backup");
    expect((await mounts()).stdout).toBe(before.stdout);
  });

  it("remounts nfs-iso on pve3 unattended and pvesm reports it active again", async () => {
    const status = () => cli.labExec("pve3", "pvesm", "status", "--storage", "nfs-iso");
    expect((await status()).stdout).toMatch(/nfs-iso\s+nfs\s+inactive/);
    const result = await cli.pvefix(["run", "hung-nfs", "--storage", "nfs-iso", "--lab", "--unattended"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✔ Done: /);
    const after = await status();
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/nfs-iso\s+nfs\s+active/);
  });
});
