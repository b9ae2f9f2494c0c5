import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { cliSession } from "./pvefix.js";

const cli = cliSession();

describe("ha-replication-mismatch on the lab, through the CLI", () => {
  beforeAll(async () => {
    const reset = ["lab", "reset", "--scenario", "ha-replication-mismatch-rules", "--quiet"];
    expect((await cli.pvefix(reset)).code).toBe(0);
  });

  it("shows in text which rule of the operator align-ha changes, and the diff of rules.cfg", async () => {
    const result = await cli.pvefix([
      "plan",
      "ha-replication-mismatch",
      "--vmid",
      "100",
      "--fix",
      "align-ha",
      "--lab",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("your rule 'vm100-placement' is changed in place");
    expect(result.stdout).toContain(
      [
        "     write /etc/pve/ha/rules.cfg (81 bytes)",
        "         --- /etc/pve/ha/rules.cfg (current)",
        "         +++ /etc/pve/ha/rules.cfg (new)",
        "         @@ -1,5 +1,5 @@",
        "          node-affinity: vm100-placement",
        "         -\tnodes pve1,pve3",
        "         +\tnodes pve1:2,pve2:1",
      ].join("\n"),
    );
  });

  it("keeps what the write replaces in a saved plan, and shows the diff in Markdown", async () => {
    const saved = `${cli.stateDir}/rules-plan.json`;
    const args = ["plan", "ha-replication-mismatch", "--vmid", "100", "--fix", "align-ha", "--lab"];
    expect((await cli.pvefix([...args, "-o", "json", "--save", saved])).code).toBe(0);
    const md = await cli.pvefix([...args, "-o", "md"]);
    expect(md.stdout).toContain(
      "```diff\n--- /etc/pve/ha/rules.cfg (current)\n+++ /etc/pve/ha/rules.cfg (new)\n",
    );
    // A saved plan is the plan itself or, in some versions, wrapped as { kind, plan }.
    const file = JSON.parse(readFileSync(saved, "utf8"));
    const plan = file.plan ?? file;
    const write = plan.steps[0].actions[0];
    expect(write.before).toEqual({
      path: "/etc/pve/ha/rules.cfg",
      content: "node-affinity: vm100-placement\n\tnodes pve1,pve3\n\tresources vm:100\n\tstrict 1\n\n",
    });
  });
});
