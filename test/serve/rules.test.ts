import { describe, expect, it } from "vitest";
import { checkRules } from "../../src/serve/rules/load.js";
import { matchAlert } from "../../src/serve/rules/match.js";
import type { RulesFile } from "../../src/serve/rules/schema.js";

const RUNBOOKS = ["stuck-lock", "hung-nfs"];

const GOOD = `
version: 1
rules:
  - name: locked
    match: { alertname: PveGuestLocked, severity: "~warning|critical" }
    runbook: stuck-lock
    params: { vmid: "{{ labels.vmid }}" }
    cluster: "{{ labels.pve_cluster }}"
    unattended: true
  - name: nfs
    match: { alertname: PveStorageHung }
    runbook: hung-nfs
    params: { storage: "{{labels.storage}}" }
sweeps:
  - { cluster: lab, every: 15m }
policy: { cooldown: 30m }
`;

describe("checkRules", () => {
  it("accepts a good file and fills the defaults", () => {
    const r = checkRules(GOOD, RUNBOOKS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rules.policy.cooldown).toBe(30 * 60_000);
    expect(r.rules.policy.maxAttempts).toBe(3);
    expect(r.rules.approvals).toEqual({ required: 1, ttl: 3_600_000 });
    expect(r.rules.sweeps[0]?.every).toBe(15 * 60_000);
    expect(r.rules.rules[1]?.unattended).toBe(false);
  });

  it("names the path of every bad field", () => {
    const r = checkRules(
      `version: 1
rules:
  - name: a
    match: {}
    runbook: nope
  - name: b
    match: { x: "~(" }
    runbook: stuck-lock
    params: { vmid: "{{ process.env.HOME }}" }
    colour: red
policy: { cooldown: soon, storm: { maxNodeShare: 2 } }
notify: [{ url: "ftp://x" }]
`,
      RUNBOOKS,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join("\n");
    expect(text).toMatch(/rules\[0\]\.match: match needs at least one label/);
    expect(text).toMatch(
      /rules\[1\]\.params\.vmid: a template may hold only \{\{ labels\.NAME \}\} placeholders/,
    );
    expect(text).toMatch(/rules\[1\]: Unrecognized key: "colour"/);
    expect(text).toMatch(/policy\.cooldown: expected a duration like 90s, 15m, 1h or 2d, got "soon"/);
    expect(text).toMatch(/policy\.storm\.maxNodeShare/);
    expect(text).toMatch(/notify\[0\]\.url/);
  });

  it("checks runbook ids and regexes after the schema", () => {
    const r = checkRules(
      `version: 1
rules:
  - { name: a, match: { a: "1" }, runbook: nope }
  - { name: a, match: { a: "~(" }, runbook: stuck-lock }
`,
      RUNBOOKS,
    );
    expect(r).toEqual({
      ok: false,
      errors: [
        'rules[0].runbook: unknown runbook "nope" (one of stuck-lock, hung-nfs)',
        'rules[1].name: "a" is used by an earlier rule',
        expect.stringMatching(/^rules\[1\]\.match\.a: not a valid regular expression/),
      ],
    });
  });

  it("reports YAML syntax errors with the line", () => {
    const r = checkRules("version: 1\nrules: [\n", RUNBOOKS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^line \d+: not valid YAML/);
  });

  it("requires version 1", () => {
    const r = checkRules("rules: []\n", RUNBOOKS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^version: /);
  });
});

describe("matchAlert", () => {
  const rules = (checkRules(GOOD, RUNBOOKS) as { ok: true; rules: RulesFile }).rules;

  it("fills params and cluster from the labels; the key counts per runbook, cluster and params", () => {
    const r = matchAlert(rules, {
      labels: {
        alertname: "PveGuestLocked",
        severity: "critical",
        vmid: "100",
        pve_cluster: "c7",
        node: "pve2",
      },
    });
    expect(r).toEqual({
      kind: "trigger",
      trigger: {
        rule: "locked",
        runbook: "stuck-lock",
        params: { vmid: "100" },
        cluster: "c7",
        key: 'stuck-lock|c7|vmid="100"',
        node: "pve2",
        unattended: true,
      },
    });
  });

  it("a regex must match the whole label", () => {
    expect(
      matchAlert(rules, {
        labels: { alertname: "PveGuestLocked", severity: "warningX", vmid: "1", pve_cluster: "c" },
      }).kind,
    ).toBe("no-rule");
  });

  it("says which label a template lacks", () => {
    expect(
      matchAlert(rules, { labels: { alertname: "PveGuestLocked", severity: "warning", pve_cluster: "c" } }),
    ).toEqual({
      kind: "no-rule",
      reason: "rule locked: params.vmid needs label vmid",
    });
  });

  it("the default cluster template reads the cluster label", () => {
    const r = matchAlert(rules, {
      labels: { alertname: "PveStorageHung", storage: "nfs-iso", cluster: "lab" },
    });
    expect(r.kind === "trigger" && r.trigger.cluster).toBe("lab");
    expect(r.kind === "trigger" && r.trigger.node).toBe(null);
  });

  it("no rule, no run", () => {
    expect(matchAlert(rules, { labels: { alertname: "Other" } }).kind).toBe("no-rule");
  });
});
