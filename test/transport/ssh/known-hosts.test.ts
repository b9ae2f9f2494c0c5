import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  checkHostKey,
  fingerprint,
  hostPattern,
  hostsFieldMatches,
  keyTypeOf,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
} from "../../../src/transport/ssh/known-hosts.js";

const KEY = {
  a: "AAAAC3NzaC1lZDI1NTE5AAAAIB4Xbo9+1yYA/xuHrhT5GSNEm/8cokToLQ1CNxGnvKB8",
  b: "AAAAC3NzaC1lZDI1NTE5AAAAIPMO37HhbB6sPAtg1pB0K9AsY6jFcWbOJ8Anq2/KK3aS",
  c: "AAAAC3NzaC1lZDI1NTE5AAAAIDj5PdJzeLu9IjwYngLNpaJAO33qN04jZrnHo39Jnh7I",
  d: "AAAAC3NzaC1lZDI1NTE5AAAAIF18U3W86eSdbjGqMWiFRaOrL/zZVxzZlpkpWvUdavri",
  e: "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMc9Mh3O2zLSSOlEzGwPWk+k8zhmT3CP8W0hWFB0thJHAuoMMAerj02lOfHLffJnJVdq+obeopY5E2zKIiOgUto=",
  f: "AAAAC3NzaC1lZDI1NTE5AAAAIAI2Zwg+tTmiDQgpM4By3Pj+HnM5k7OvyVjPiHIn/Pwy",
} as const;
const key = (name: keyof typeof KEY) => Buffer.from(KEY[name], "base64");

// Written by OpenSSH 9.2: `ssh-keygen -H` hashed the first four lines (pve1, 10.10.10.1, [10.10.10.2]:2222, pve3.example.com).
const entries = parseKnownHosts(
  readFileSync(new URL("../../fixtures/known-hosts-mixed.txt", import.meta.url), "utf8"),
);

describe("parseKnownHosts", () => {
  it("reads hashed and plain lines with their markers and line numbers, skipping comments and garbage", () => {
    expect(entries.map((e) => [e.line, e.marker, e.keyType])).toEqual([
      [3, null, "ssh-ed25519"],
      [4, null, "ssh-ed25519"],
      [5, null, "ssh-ed25519"],
      [6, null, "ssh-ed25519"],
      [7, null, "ssh-ed25519"],
      [8, null, "ecdsa-sha2-nistp256"],
      [9, null, "ssh-ed25519"],
      [10, "cert-authority", "ssh-ed25519"],
      [11, null, "ssh-ed25519"],
      [12, "revoked", "ssh-ed25519"],
    ]);
  });
});

describe("hostsFieldMatches", () => {
  it("matches hashed entries by HMAC-SHA1 of the host, as ssh-keygen -H wrote them", () => {
    const [pve1, ip1, port2222] = entries;
    expect(hostsFieldMatches(pve1!.hosts, "pve1", 22)).toBe(true);
    expect(hostsFieldMatches(pve1!.hosts, "PVE1", 22)).toBe(true);
    expect(hostsFieldMatches(pve1!.hosts, "pve2", 22)).toBe(false);
    expect(hostsFieldMatches(ip1!.hosts, "10.10.10.1", 22)).toBe(true);
    expect(hostsFieldMatches(port2222!.hosts, "10.10.10.2", 2222)).toBe(true);
    expect(hostsFieldMatches(port2222!.hosts, "10.10.10.2", 22)).toBe(false);
  });

  it("uses the [host]:port form only for ports other than 22", () => {
    expect(hostPattern("PVE5.example.com", 2200)).toBe("[pve5.example.com]:2200");
    expect(hostPattern("pve5", 22)).toBe("pve5");
    expect(hostsFieldMatches("[pve5.example.com]:2200", "pve5.example.com", 2200)).toBe(true);
    expect(hostsFieldMatches("pve5.example.com", "pve5.example.com", 2200)).toBe(false);
  });

  it("matches comma lists and wildcards, and lets a !negation veto the match", () => {
    expect(hostsFieldMatches("pve4,10.10.10.4", "10.10.10.4", 22)).toBe(true);
    expect(hostsFieldMatches("10.20.*,!10.20.0.9", "10.20.3.7", 22)).toBe(true);
    expect(hostsFieldMatches("10.20.*,!10.20.0.9", "10.20.0.9", 22)).toBe(false);
    expect(hostsFieldMatches("pve?", "pve7", 22)).toBe(true);
    expect(hostsFieldMatches("pve?", "pve10", 22)).toBe(false);
    expect(hostsFieldMatches("pve.1", "pvex1", 22)).toBe(false);
  });
});

describe("checkHostKey", () => {
  it("accepts the key on file for a hashed host", () => {
    expect(checkHostKey(entries, "pve1", 22, key("a"))).toMatchObject({
      status: "known",
      entry: { line: 3 },
    });
  });

  it("reports a different key of the same type as changed, naming the line on file", () => {
    expect(checkHostKey(entries, "10.10.10.2", 2222, key("c"))).toMatchObject({
      status: "changed",
      entry: { line: 5 },
    });
  });

  it("reports a host with only keys of other types as unknown, like ssh does", () => {
    expect(checkHostKey(entries, "pve5.example.com", 2200, key("a")).status).toBe("unknown");
    expect(checkHostKey(entries, "pve5.example.com", 2200, key("e")).status).toBe("known");
  });

  it("reports a host that is nowhere on file as unknown", () => {
    expect(checkHostKey(entries, "pve9", 22, key("a")).status).toBe("unknown");
  });

  it("refuses a key marked @revoked even where it is listed as the host's key", () => {
    expect(checkHostKey(entries, "pve6", 22, key("f"))).toMatchObject({
      status: "revoked",
      entry: { line: 12 },
    });
  });

  it("ignores @cert-authority lines and unknown markers for plain host keys", () => {
    expect(checkHostKey(entries, "pve3x.example.com", 22, key("c")).status).toBe("unknown");
    expect(checkHostKey(entries, "pve7", 22, key("a")).status).toBe("unknown");
  });
});

describe("key helpers", () => {
  it("prints SHA256 fingerprints exactly as ssh-keygen -l does", () => {
    expect(fingerprint(key("a"))).toBe("SHA256:J5Aw5v+oddZfhdbIjXxT3fzOwhCAMpPDRMg7KbaKpqM");
    expect(fingerprint(key("e"))).toBe("SHA256:ZwWfDHAzhT0hVwu12YEo/eP/1NW1J292MNaLragnvyw");
  });

  it("reads the key type from the key blob and rejects blobs that are not keys", () => {
    expect(keyTypeOf(key("e"))).toBe("ecdsa-sha2-nistp256");
    expect(keyTypeOf(Buffer.from("garbage"))).toBeNull();
  });

  it("writes a plain line that parses back to the same key for the same host", () => {
    const line = knownHostsLine("127.0.0.1", 22001, key("b"));
    expect(line).toBe(`[127.0.0.1]:22001 ssh-ed25519 ${KEY.b}`);
    expect(checkHostKey(parseKnownHosts(line), "127.0.0.1", 22001, key("b")).status).toBe("known");
  });

  it("lists the key types a host is known with, so the handshake can ask for them first", () => {
    expect(knownKeyTypes(entries, "pve5.example.com", 2200)).toEqual(["ecdsa-sha2-nistp256"]);
    expect(knownKeyTypes(entries, "pve9", 22)).toEqual([]);
  });
});
