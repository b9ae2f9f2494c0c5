import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { utils } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransportError } from "../../../src/transport/errors.js";
import { planAuth } from "../../../src/transport/ssh/auth.js";
import type { SshEndpoint } from "../../../src/transport/ssh/config.js";

let home: string;
const endpoint = (over: Partial<SshEndpoint> = {}): SshEndpoint => ({
  label: "pve2",
  host: "10.0.0.2",
  port: 22,
  user: "root",
  identityFiles: [],
  identityRequired: false,
  ...over,
});
// ssh-keygen's format (openssh-key-v1), made in process: the unit project starts no programs.
const keygen = (path: string, passphrase = "") => {
  const pair = passphrase
    ? utils.generateKeyPairSync("ed25519", { passphrase, cipher: "aes256-ctr", rounds: 1 })
    : utils.generateKeyPairSync("ed25519");
  writeFileSync(path, pair.private, { mode: 0o600 });
  writeFileSync(`${path}.pub`, pair.public);
};

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), "pvefix-auth-"));
  mkdirSync(join(home, ".ssh"));
  keygen(join(home, ".ssh", "id_ed25519"));
  keygen(join(home, ".ssh", "id_rsa"), "secret"); // an encrypted default key (any type name will do)
  keygen(join(home, "explicit"));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe("planAuth", () => {
  it("offers the default keys that exist after the agent, and skips encrypted ones with a hint", () => {
    const plan = planAuth(endpoint(), "/run/agent.sock", home);
    expect(plan.methods.map((m) => m.type)).toEqual(["agent", "publickey"]);
    expect(plan.tried).toEqual(["ssh-agent (/run/agent.sock)", join(home, ".ssh", "id_ed25519")]);
    expect(plan.skipped).toEqual([
      `${join(home, ".ssh", "id_rsa")}: encrypted; add it to ssh-agent with \`ssh-add\``,
    ]);
  });

  it("offers a configured identity first and no default keys", () => {
    const plan = planAuth(
      endpoint({ identityFiles: [join(home, "explicit")], identityRequired: true }),
      null,
      home,
    );
    expect(plan.tried).toEqual([join(home, "explicit")]);
  });

  it("skips ssh-config identities that do not exist, as ssh does", () => {
    const plan = planAuth(
      endpoint({ identityFiles: [join(home, "missing"), join(home, "explicit")] }),
      null,
      home,
    );
    expect(plan.tried).toEqual([join(home, "explicit")]);
  });

  it("fails with PVEFIX_AUTH_FAILED when the inventory's identity file is missing", () => {
    const missing = join(home, "missing");
    expect(() =>
      planAuth(endpoint({ identityFiles: [missing], identityRequired: true }), null, home),
    ).toThrow(
      new TransportError(
        "PVEFIX_AUTH_FAILED",
        "pve2",
        `Identity file ${missing} for pve2 does not exist. Fix \`identity:\` in the inventory.`,
      ),
    );
  });

  it("fails with PVEFIX_AUTH_FAILED, saying what to set, when there is nothing to offer", () => {
    const empty = mkdtempSync(join(tmpdir(), "pvefix-auth-empty-"));
    try {
      expect(() => planAuth(endpoint(), null, empty)).toThrow(/No SSH credentials to log in to pve2 as root/);
      expect(() => planAuth(endpoint(), null, empty)).toThrow(
        /Set `identity:` in the inventory or start ssh-agent/,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
