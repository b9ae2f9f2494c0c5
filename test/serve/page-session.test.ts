/** The approval page's sessions: signed, expiring, revocable, bound to the token's hash; CSRF tokens per session. */
import { describe, expect, it } from "vitest";
import { cookieValue, SessionKeeper, sessionCookie } from "../../src/serve/http/page/session.js";

const KEY = Buffer.alloc(32, 1);
const HASH = "a".repeat(64);

describe("SessionKeeper", () => {
  it("reads back what it issued until it expires", () => {
    const k = new SessionKeeper(KEY, 60_000);
    const { cookie, session } = k.issue("alice", HASH, 1_000);
    expect(k.read(cookie, 1_000)).toEqual(session);
    expect(k.read(cookie, 60_999)).toEqual(session);
    expect(k.read(cookie, 61_000)).toBeNull();
    expect(session.bind).toBe(k.bindOf(HASH));
    expect(session.bind).not.toBe(k.bindOf("b".repeat(64)));
    expect(cookie).not.toContain(HASH);
  });

  it("refuses another key's cookie, an altered payload and garbage", () => {
    const k = new SessionKeeper(KEY);
    const other = new SessionKeeper(Buffer.alloc(32, 2));
    const { cookie } = k.issue("alice", HASH, 0);
    expect(other.read(cookie, 0)).toBeNull();
    const [v, body, mac] = cookie.split(".") as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), name: "root" }),
    ).toString("base64url");
    expect(k.read(`${v}.${forged}.${mac}`, 0)).toBeNull();
    for (const junk of [undefined, "", "v1..", "v2.x.y", `${cookie}x`, "x".repeat(2000)])
      expect(k.read(junk, 0)).toBeNull();
  });

  it("forgets a logged-out session, and ties the CSRF token to the session", () => {
    const k = new SessionKeeper(KEY);
    const one = k.issue("alice", HASH, 0);
    const two = k.issue("alice", HASH, 0);
    expect(k.checkCsrf(one.session, k.csrfToken(one.session))).toBe(true);
    expect(k.checkCsrf(one.session, k.csrfToken(two.session))).toBe(false);
    expect(k.checkCsrf(one.session, undefined)).toBe(false);
    expect(k.checkCsrf(one.session, ["x"])).toBe(false);
    k.revoke(one.session, 0);
    expect(k.read(one.cookie, 0)).toBeNull();
    expect(k.read(two.cookie, 0)).not.toBeNull();
  });

  it("needs a key of 32 bytes", () => {
    expect(() => new SessionKeeper(Buffer.alloc(31))).toThrow(/32 bytes/);
  });

  it("writes and reads the cookie header", () => {
    expect(sessionCookie("v", 90_500, false)).toBe(
      "pvefix_session=v; Path=/ui; Max-Age=90; HttpOnly; SameSite=Strict",
    );
    expect(sessionCookie("", 0, true)).toMatch(/Max-Age=0; HttpOnly; SameSite=Strict; Secure$/);
    expect(cookieValue("a=1; pvefix_session=v1.x.y; b=2", "pvefix_session")).toBe("v1.x.y");
    expect(cookieValue("xpvefix_session=1", "pvefix_session")).toBeUndefined();
  });
});
