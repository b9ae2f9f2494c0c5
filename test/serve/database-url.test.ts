/** Which store a command uses, and how a database URL is checked and shown: pure, no PostgreSQL. */
import { describe, expect, it } from "vitest";
import { databaseUrl } from "../../src/serve/store/choose.js";
import { parseDatabaseUrl, redact } from "../../src/serve/store/postgres/db.js";
import { MIGRATIONS } from "../../src/serve/store/postgres/migrations.js";

describe("databaseUrl", () => {
  it("takes the flag first, then PVEFIX_DATABASE_URL, else the embedded default", () => {
    const env = { PVEFIX_DATABASE_URL: "postgres://env/db" };
    expect(databaseUrl("postgres://flag/db", env)).toBe("postgres://flag/db");
    expect(databaseUrl(undefined, env)).toBe("postgres://env/db");
    expect(databaseUrl(undefined, {})).toBeNull();
    expect(databaseUrl(undefined, { PVEFIX_DATABASE_URL: "" })).toBeNull();
  });
});

describe("parseDatabaseUrl", () => {
  it("accepts postgres:// and postgresql://", () => {
    expect(parseDatabaseUrl("postgres://u@127.0.0.1:5432/pvefix").port).toBe("5432");
    expect(parseDatabaseUrl("postgresql://u@h/db").hostname).toBe("h");
  });

  it("refuses another scheme or no URL, naming the field", () => {
    expect(() => parseDatabaseUrl("mysql://h/db")).toThrow(/--database must start with postgres:\/\//);
    expect(() => parseDatabaseUrl("not a url", "PVEFIX_DATABASE_URL")).toThrow(
      /PVEFIX_DATABASE_URL must be a URL like postgres:/,
    );
  });
});

describe("redact", () => {
  it("never shows the password", () => {
    const shown = redact(parseDatabaseUrl("postgres://pvefix:s3cret@db.example:5432/pvefix"));
    expect(shown).not.toContain("s3cret");
    expect(shown).toBe("postgres://pvefix:***@db.example:5432/pvefix");
  });
});

describe("MIGRATIONS", () => {
  it("are numbered 1, 2, … with no gap and no repeat", () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });
});
