/**
 * Bearer tokens, one per person or system, each with a role. Only the sha256 of a token is kept:
 * tokens are 256 random bits, so a fast hash is enough and a stolen tokens file opens nothing.
 */
import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";

export const Role = z.enum(["viewer", "requester", "approver", "admin"]);
export type Role = z.infer<typeof Role>;

export const TokenName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/,
    "letters, digits, . _ @ - (up to 64), starting with a letter or digit",
  );

export const TokenRecord = z.object({
  name: TokenName,
  role: Role,
  /** sha256 of the token, hex. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
});
export type TokenRecord = z.infer<typeof TokenRecord>;

export type Permission = "read" | "request" | "approve" | "admin";

const GRANTS: Record<Role, readonly Permission[]> = {
  viewer: ["read"],
  requester: ["read", "request"],
  approver: ["read", "approve"],
  admin: ["read", "request", "approve", "admin"],
};

export function may(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function newToken(): string {
  return `pvefix_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
