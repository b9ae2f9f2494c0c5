import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { holdsSecrets, isSecretKey, isSecretPath, redact, redactDeep } from "../../src/engine/redact.js";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/secrets");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
/** Every secret value the fixtures hold: none may survive redaction in any form. */
const SECRET_VALUES = fixture("secret-values.txt").split("\n").filter(Boolean);
const leaked = (text: string) => SECRET_VALUES.filter((s) => text.includes(s));

describe("redact", () => {
  it("removes private keys, passwords and API tokens from recorded text", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----";
    expect(redact(`key:\n${key}\nend`)).toBe("key:\n[REDACTED PRIVATE KEY]\nend");
    expect(redact("pvesm set smb --password hunter2 --username x")).toBe(
      "pvesm set smb --password [REDACTED] --username x",
    );
    expect(redact('{"password": "s3cret", "user": "root"}')).toBe(
      '{"password": "[REDACTED]", "user": "root"}',
    );
    expect(redact("Authorization: PVEAPIToken=root@pam!ci=0d1f2e3a-aaaa-bbbb-cccc-1234567890ab")).toContain(
      "[REDACTED]",
    );
    expect(redact("mount -t cifs -o username=pve,password=hunter2,soft //h/s /mnt")).toBe(
      "mount -t cifs -o username=pve,password=[REDACTED],soft //h/s /mnt",
    );
  });

  it("keeps corosync's token timeout and a PBS fingerprint, which are not secrets", () => {
    expect(redact("totem {\n  token: 3000\n  secauth: on\n}")).toBe(
      "totem {\n  token: 3000\n  secauth: on\n}",
    );
    const pbs = "pbs: b\n\tfingerprint 8a:2c:4e:91\n\tusername backup@pbs\n";
    expect(redact(pbs)).toBe(pbs);
  });

  it("leaves prose that only mentions a password readable", () => {
    const text = "Permission denied (publickey,password).\nPassword authentication failed for root";
    expect(redact(text)).toBe(text);
  });

  it("redacts every secret field of a storage.cfg, with its tab indentation, and keeps the rest", () => {
    const cfg = fixture("storage.cfg");
    const out = redact(cfg);
    expect(leaked(out)).toEqual([]);
    expect(out).toContain("\tpassword [REDACTED]\n");
    expect(out).toContain("\tkeyring [REDACTED]\n");
    expect(out).toContain("\tencryption-key [REDACTED]\n");
    expect(out).toContain("\tusername pvebackup\n\tpassword [REDACTED]\n");
    expect(out).toContain("\tfingerprint 8a:2c:4e:91");
    expect(out).toContain("\tmonhost 10.10.20.90 10.10.20.91\n");
    expect(out.split("\n").length).toBe(cfg.split("\n").length);
  });

  it("redacts a guest's cipassword, also in a snapshot section, and user.cfg's two-factor keys", () => {
    expect(leaked(redact(fixture("guest-vm.conf")))).toEqual([]);
    expect(redact(fixture("guest-vm.conf"))).toContain("cipassword: [REDACTED]\nciuser: admin\n");
    const users = redact(fixture("user.cfg"));
    expect(leaked(users)).toEqual([]);
    expect(users).toContain("user:alice@pve:1:0:Alice:Smith:alice@example.com:ops:[REDACTED]:\n");
    expect(users).toContain("user:root@pam:1:0:::root@example.com:::\n");
    expect(users).toContain("\ntoken:root@pam!ci:0:1::\n");
  });

  it("leaves pvefix's own words about secrets readable", () => {
    for (const text of [
      "file x holds [REDACTED] where pvefix hid a secret (put the real values back)",
      "run r1 kept no copy of /etc/pve/storage.cfg in its journal because it holds secrets (its copy is /var/lib/pvefix/backups/r1/s/etc/pve/storage.cfg on pve1: copy that to a local file and pass --file)",
      "changed: a redacted (secret) value in the facts",
      "not run: this exec action holds [REDACTED] (it was read back from a redacted record)",
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  it("is idempotent", () => {
    for (const name of ["storage.cfg", "guest-vm.conf", "user.cfg"]) {
      const once = redact(fixture(name));
      expect(redact(once)).toBe(once);
    }
  });

  it("treats pmxcfs priv files and ZeroTier secrets as secret paths", () => {
    expect(isSecretPath("/etc/pve/priv/storage/smb.pw")).toBe(true);
    expect(isSecretPath("/var/lib/zerotier-one/authtoken.secret")).toBe(true);
    expect(isSecretPath("/etc/corosync/authkey")).toBe(true);
    expect(isSecretPath("/etc/pve/corosync.conf")).toBe(false);
    expect(isSecretPath("/var/lib/pvefix/backups/r1/s/etc/pve/priv/storage/smb.pw")).toBe(true);
    expect(isSecretPath("/var/lib/pvefix/backups/r1/s/etc/pve/storage.cfg")).toBe(false);
  });

  it("knows secret keys by name, and corosync's token is not one", () => {
    for (const key of [
      "password",
      "cipassword",
      "dell-password",
      "keyring",
      "encryption-key",
      "client_secret",
    ]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ["token", "fingerprint", "username", "sha256", "contentBase64"]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it("says which files hold secrets: by path or by a secret field", () => {
    expect(holdsSecrets("/etc/pve/storage.cfg", fixture("storage.cfg"))).toBe(true);
    expect(holdsSecrets("/etc/pve/storage.cfg", "dir: local\n\tpath /var/lib/vz\n")).toBe(false);
    expect(holdsSecrets("/etc/pve/priv/storage/x.pw", "anything")).toBe(true);
  });
});

describe("redactDeep", () => {
  const cfg = fixture("storage.cfg");
  const b64 = (s: string) => Buffer.from(s).toString("base64");

  it("redacts values in tabs and newlines that JSON would escape, by key and by file location", () => {
    const entry = {
      facts: { path: "/etc/pve/storage.cfg", current: cfg, newContent: { text: cfg, sha256: "ab" } },
      guest: { cipassword: "$5$CIhashSECRET$x", memory: 2048, password: 1234 },
      secretFile: { path: "/etc/pve/priv/storage/smb.pw", current: "PWfileSECRET\n" },
      write: { kind: "write-file", path: "/etc/pve/priv/token.cfg", content: "root@pam!ci PWfileSECRET\n" },
    };
    const out = redactDeep(entry);
    expect(leaked(JSON.stringify(out))).toEqual([]);
    expect(out.guest).toEqual({ cipassword: "[REDACTED]", memory: 2048, password: "[REDACTED]" });
    expect(out.secretFile).toEqual({ path: "/etc/pve/priv/storage/smb.pw", current: "[REDACTED]" });
    expect(out.write.content).toBe("[REDACTED]");
    expect(out.facts.newContent.sha256).toBe("ab");
    // The input is not changed: the engine keeps running on the real values.
    expect(entry.facts.current).toBe(cfg);
    expect(redactDeep(out)).toEqual(out);
  });

  it("redacts file reads: base64 output decoded and encoded again, a secret file's output whole", () => {
    const result = (command: string, stdout: string) => ({
      node: "pve1",
      command,
      stdout,
      stderr: "",
      exitCode: 0,
    });
    const read = redactDeep(result("base64 -w0 /etc/pve/storage.cfg", b64(cfg)));
    const text = Buffer.from(read.stdout, "base64").toString("utf8");
    expect(leaked(text)).toEqual([]);
    expect(text).toContain("\tpassword [REDACTED]\n");
    expect(redactDeep(result("cat /etc/pve/priv/storage/smb.pw", "PWfileSECRET\n")).stdout).toBe(
      "[REDACTED]",
    );
    expect(redactDeep(result("base64 -w0 /etc/corosync/authkey", b64("PWfileSECRET"))).stdout).toBe(
      "[REDACTED]",
    );
    const plain = b64("dir: local\n\tpath /var/lib/vz\n");
    expect(redactDeep(result("base64 -w0 /etc/pve/storage.cfg", plain)).stdout).toBe(plain);
  });

  it("turns a backup's journal copy of a file with secrets into null, never into other bytes", () => {
    const backup = { type: "backup", path: "/etc/pve/storage.cfg", contentBase64: b64(cfg), sha256: "ab" };
    expect(redactDeep(backup).contentBase64).toBeNull();
    const clean = { ...backup, contentBase64: b64("dir: local\n") };
    expect(redactDeep(clean).contentBase64).toBe(clean.contentBase64);
  });
});
