import { describe, expect, it } from "vitest";
import { isSecretPath, redact } from "../../src/engine/redact.js";

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
  });

  it("keeps corosync's token timeout, which is not a secret", () => {
    expect(redact("totem {\n  token: 3000\n  secauth: on\n}")).toBe(
      "totem {\n  token: 3000\n  secauth: on\n}",
    );
  });

  it("treats pmxcfs priv files and ZeroTier secrets as secret paths", () => {
    expect(isSecretPath("/etc/pve/priv/storage/smb.pw")).toBe(true);
    expect(isSecretPath("/var/lib/zerotier-one/authtoken.secret")).toBe(true);
    expect(isSecretPath("/etc/pve/corosync.conf")).toBe(false);
  });
});
