import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HostKeyCheck } from "../../../src/transport/ssh/host-key.js";

const ED25519_A = "AAAAC3NzaC1lZDI1NTE5AAAAIB4Xbo9+1yYA/xuHrhT5GSNEm/8cokToLQ1CNxGnvKB8";
const ED25519_B = "AAAAC3NzaC1lZDI1NTE5AAAAIPMO37HhbB6sPAtg1pB0K9AsY6jFcWbOJ8Anq2/KK3aS";
const ECDSA_E =
  "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMc9Mh3O2zLSSOlEzGwPWk+k8zhmT3CP8W0hWFB0thJHAuoMMAerj02lOfHLffJnJVdq+obeopY5E2zKIiOgUto=";
const blob = (b64: string) => Buffer.from(b64, "base64");

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pvefix-hostkey-"));
  path = join(dir, "ssh", "known_hosts");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function check(acceptNew = false, port = 22) {
  return new HostKeyCheck({
    node: "pve2",
    label: "pve2",
    host: "10.0.0.2",
    port,
    knownHostsPath: path,
    acceptNew,
  });
}

function write(text: string) {
  rmSync(path, { force: true });
  writeFileSync(join(dir, "kh"), text);
  path = join(dir, "kh");
}

describe("HostKeyCheck", () => {
  it("refuses an unknown key with its SHA256 fingerprint and the flag that trusts it", () => {
    const c = check();
    expect(c.verify(blob(ED25519_A))).toBe(false);
    expect(c.error?.code).toBe("PVEFIX_HOST_KEY_UNKNOWN");
    expect(c.error?.node).toBe("pve2");
    expect(c.error?.message).toBe(
      `Host key of pve2 (10.0.0.2:22) is not known: the server offered ssh-ed25519 SHA256:J5Aw5v+oddZfhdbIjXxT3fzOwhCAMpPDRMg7KbaKpqM, which is not in ${path}. ` +
        "Compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run on pve2, then re-run with --accept-new-host-keys to trust it.",
    );
  });

  it("appends an accepted new key to a known_hosts file it creates with mode 0600", () => {
    const c = check(true, 2222);
    expect(c.verify(blob(ED25519_A))).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(`[10.0.0.2]:2222 ssh-ed25519 ${ED25519_A}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // Verifying again (a rekey, a second connection) finds it and does not append twice.
    expect(check(false, 2222).verify(blob(ED25519_A))).toBe(true);
    expect(readFileSync(path, "utf8").split("\n")).toHaveLength(2);
  });

  it("keeps existing lines and adds the missing final newline before appending", () => {
    write(`pve1 ssh-ed25519 ${ED25519_B}`);
    expect(check(true).verify(blob(ED25519_A))).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(
      `pve1 ssh-ed25519 ${ED25519_B}\n10.0.0.2 ssh-ed25519 ${ED25519_A}\n`,
    );
  });

  it("refuses a changed key even when new keys are accepted, and leaves the file untouched", () => {
    write(`# cluster\n10.0.0.2 ssh-ed25519 ${ED25519_B}\n`);
    const c = check(true);
    expect(c.verify(blob(ED25519_A))).toBe(false);
    expect(c.error?.code).toBe("PVEFIX_HOST_KEY_CHANGED");
    expect(c.error?.message).toContain("line 2 has SHA256:bBcHJXdeBkwYAQrFGk0tIUPrGlIvhiE3IaccMBU6e2s");
    expect(c.error?.message).toContain(`ssh-keygen -f ${path} -R 10.0.0.2`);
    expect(readFileSync(path, "utf8")).toBe(`# cluster\n10.0.0.2 ssh-ed25519 ${ED25519_B}\n`);
  });

  it("refuses a key marked @revoked", () => {
    write(`10.0.0.2 ssh-ed25519 ${ED25519_A}\n@revoked * ssh-ed25519 ${ED25519_A}\n`);
    const c = check(true);
    expect(c.verify(blob(ED25519_A))).toBe(false);
    expect(c.error?.code).toBe("PVEFIX_HOST_KEY_CHANGED");
    expect(c.error?.message).toContain("marks @revoked");
  });

  it("asks the server for the key types already on file first", () => {
    write(`10.0.0.2 ecdsa-sha2-nistp256 ${ECDSA_E}\n`);
    expect(check().algorithms().slice(0, 2)).toEqual(["ecdsa-sha2-nistp256", "ssh-ed25519"]);
    rmSync(path);
    expect(check().algorithms()[0]).toBe("ssh-ed25519");
  });

  it("looks the key up under the host key alias, whatever address and port (PVE pins nodes by name)", () => {
    write(`pve2 ssh-rsa AAAA\npve2 ssh-ed25519 ${ED25519_B}\n10.0.0.2 ssh-ed25519 ${ED25519_A}\n`);
    const aliased = (acceptNew = false) =>
      new HostKeyCheck({
        node: "pve2",
        label: "pve2",
        host: "127.0.0.1",
        port: 2222,
        hostKeyAlias: "pve2",
        knownHostsPath: path,
        acceptNew,
      });
    expect(aliased().verify(blob(ED25519_B))).toBe(true);
    const c = aliased(true);
    // The address's own line does not count: the alias replaces it, as in OpenSSH.
    expect(c.verify(blob(ED25519_A))).toBe(false);
    expect(c.error?.code).toBe("PVEFIX_HOST_KEY_CHANGED");
    expect(c.error?.message).toContain("pve2 (127.0.0.1:2222, host key alias pve2)");
    expect(c.error?.message).toContain(`ssh-keygen -f ${path} -R pve2\``);
  });

  it("records a new key accepted under an alias by the alias", () => {
    write("");
    const c = new HostKeyCheck({
      node: "pve3",
      label: "pve3",
      host: "127.0.0.1",
      port: 2222,
      hostKeyAlias: "pve3",
      knownHostsPath: path,
      acceptNew: true,
    });
    expect(c.verify(blob(ED25519_A))).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(`pve3 ssh-ed25519 ${ED25519_A}\n`);
  });
});
