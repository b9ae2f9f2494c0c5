/**
 * Sessions of the approval page. The cookie holds a random session id, the token's name, an
 * expiry and a binding to the token (an HMAC of its stored hash), all signed with the service's
 * session key — never the token nor its hash. Every request checks the signature, the expiry,
 * that this process has not seen the session logged out, and that the token still exists with
 * the same hash, so `pvefix serve token remove` ends its sessions at the next request. Workers
 * that share a key (`--session-key-file`) accept each other's sessions. The CSRF token of a form
 * is an HMAC of the session id: nothing to store, and useless without the session.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";

export const SESSION_COOKIE = "pvefix_session";
/** Short: an approval is a short task, and a session left open is a credential left lying about. */
export const SESSION_TTL_MS = 30 * 60_000;

const Payload = z.strictObject({
  sid: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  name: z.string().min(1).max(64),
  bind: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  exp: z.number().int(),
});
type Payload = z.infer<typeof Payload>;

export interface Session {
  sid: string;
  name: string;
  /** HMAC of the token's stored hash at login: a re-issued token under the same name does not inherit it. */
  bind: string;
  exp: number;
}

export class SessionKeeper {
  /** Sessions logged out here, until they would have expired anyway. */
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly key: Buffer,
    readonly ttlMs: number = SESSION_TTL_MS,
  ) {
    if (key.length < 32) throw new Error("a session key needs at least 32 bytes");
  }

  private mac(purpose: string, value: string): string {
    return createHmac("sha256", this.key).update(`${purpose}\0${value}`).digest("base64url");
  }

  /** The binding of a token record's hash: what the cookie holds instead of the hash. */
  bindOf(tokenHash: string): string {
    return this.mac("bind", tokenHash).slice(0, 22);
  }

  issue(name: string, tokenHash: string, now: number): { cookie: string; session: Session } {
    const session: Payload = {
      sid: randomBytes(16).toString("base64url"),
      name,
      bind: this.bindOf(tokenHash),
      exp: now + this.ttlMs,
    };
    const body = Buffer.from(JSON.stringify(session)).toString("base64url");
    return { cookie: `v1.${body}.${this.mac("session", body)}`, session };
  }

  /** The session a cookie value carries, if it is signed by this key, unexpired and not logged out. */
  read(cookie: string | undefined, now: number): Session | null {
    if (!cookie || cookie.length > 1024) return null;
    const m = /^v1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(cookie);
    if (!m) return null;
    if (!same(m[2] as string, this.mac("session", m[1] as string))) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(m[1] as string, "base64url").toString("utf8"));
    } catch {
      return null;
    }
    const p = Payload.safeParse(parsed);
    if (!p.success || p.data.exp <= now || this.revoked.has(p.data.sid)) return null;
    return p.data;
  }

  revoke(session: Session, now: number): void {
    for (const [sid, exp] of this.revoked) if (exp <= now) this.revoked.delete(sid);
    this.revoked.set(session.sid, session.exp);
  }

  csrfToken(session: Session): string {
    return this.mac("csrf", session.sid);
  }

  checkCsrf(session: Session, token: unknown): boolean {
    return typeof token === "string" && same(token, this.csrfToken(session));
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** `Set-Cookie` for a session: HttpOnly, SameSite=Strict, only under /ui, Secure over HTTPS. */
export function sessionCookie(value: string, maxAgeMs: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/ui",
    `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
