/**
 * The service's stores in PostgreSQL, for many workers on one database. Every read-change-write
 * is one transaction holding the row's lock (`SELECT … FOR UPDATE`), so two workers that take
 * the same alert at the same moment see each other's counts: the policy's pure functions decide,
 * the row lock orders them.
 */
import { Approval } from "../../approvals/approval.js";
import { ServeError } from "../../errors.js";
import { TokenRecord } from "../../http/tokens.js";
import { PolicyState } from "../../policy/state.js";
import type { ApprovalStore, PolicyStore, ServeStores, StoreTx, TokenStore } from "../types.js";
import { type Db, pgTx, transaction } from "./db.js";

function policyOf(raw: unknown): PolicyState {
  const parsed = PolicyState.safeParse(raw);
  if (!parsed.success) {
    // Failing closed, as the state-dir store does: an unreadable policy is never replaced by an empty one.
    throw new ServeError(
      "PVEFIX_SERVE_STATE",
      `pvefix_policy is not a pvefix policy state: ${parsed.error.issues[0]?.message}`,
    );
  }
  return parsed.data;
}

export class PgPolicyStore implements PolicyStore {
  constructor(private readonly db: Db) {}

  async read(): Promise<PolicyState> {
    return transaction(this.db, async (c) => {
      const r = await c.query<{ state: unknown }>("SELECT state FROM pvefix_policy WHERE id = 1");
      return policyOf(r.rows[0]?.state);
    });
  }

  async update<T>(
    fn: (state: PolicyState) => { state: PolicyState; result: T },
    commitWith?: (result: T, tx: StoreTx) => Promise<void>,
  ): Promise<T> {
    return transaction(this.db, async (c) => {
      const r = await c.query<{ state: unknown }>("SELECT state FROM pvefix_policy WHERE id = 1 FOR UPDATE");
      const { state, result } = fn(policyOf(r.rows[0]?.state));
      await c.query("UPDATE pvefix_policy SET state = $1 WHERE id = 1", [
        JSON.stringify(PolicyState.parse(state)),
      ]);
      if (commitWith) await commitWith(result, pgTx(c));
      return result;
    });
  }
}

function checkId(id: string): void {
  // The same ids as the state-dir store: an id valid in one is valid in the other.
  if (!/^[a-z0-9-]{6,64}$/.test(id)) {
    throw new ServeError(
      "PVEFIX_APPROVAL_NOT_FOUND",
      `✖ Expected an approval id like a1b2c3d4e5f6, got "${id}"`,
    );
  }
}

export class PgApprovalStore implements ApprovalStore {
  constructor(private readonly db: Db) {}

  async create(approval: Approval, plan: unknown): Promise<void> {
    checkId(approval.id);
    await transaction(this.db, (c) =>
      c.query("INSERT INTO pvefix_approvals (id, approval, plan, created_at) VALUES ($1, $2, $3, $4)", [
        approval.id,
        JSON.stringify(Approval.parse(approval)),
        JSON.stringify(plan),
        approval.createdAt,
      ]),
    );
  }

  async get(id: string): Promise<Approval | null> {
    checkId(id);
    const r = await transaction(this.db, (c) =>
      c.query<{ approval: unknown }>("SELECT approval FROM pvefix_approvals WHERE id = $1", [id]),
    );
    return r.rows[0] ? Approval.parse(r.rows[0].approval) : null;
  }

  async plan(id: string): Promise<unknown> {
    checkId(id);
    const r = await transaction(this.db, (c) =>
      c.query<{ plan: unknown }>("SELECT plan FROM pvefix_approvals WHERE id = $1", [id]),
    );
    return r.rows[0]?.plan;
  }

  async list(): Promise<Approval[]> {
    const r = await transaction(this.db, (c) =>
      c.query<{ approval: unknown }>("SELECT approval FROM pvefix_approvals ORDER BY created_at, id"),
    );
    const out: Approval[] = [];
    for (const row of r.rows) {
      const parsed = Approval.safeParse(row.approval);
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }

  async update(id: string, fn: (approval: Approval) => Approval): Promise<Approval> {
    checkId(id);
    return transaction(this.db, async (c) => {
      const r = await c.query<{ approval: unknown }>(
        "SELECT approval FROM pvefix_approvals WHERE id = $1 FOR UPDATE",
        [id],
      );
      if (!r.rows[0]) throw new ServeError("PVEFIX_APPROVAL_NOT_FOUND", `✖ No approval ${id}`);
      const next = Approval.parse(fn(Approval.parse(r.rows[0].approval)));
      await c.query("UPDATE pvefix_approvals SET approval = $2 WHERE id = $1", [id, JSON.stringify(next)]);
      return next;
    });
  }
}

export class PgTokenStore implements TokenStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<TokenRecord[]> {
    const r = await transaction(this.db, (c) =>
      c.query<{ record: unknown }>("SELECT record FROM pvefix_tokens ORDER BY name"),
    );
    return r.rows.map((row) => TokenRecord.parse(row.record));
  }

  async add(record: TokenRecord): Promise<void> {
    const valid = TokenRecord.parse(record);
    try {
      await transaction(this.db, (c) =>
        c.query("INSERT INTO pvefix_tokens (name, hash, record) VALUES ($1, $2, $3)", [
          valid.name,
          valid.hash,
          JSON.stringify(valid),
        ]),
      );
    } catch (error) {
      if ((error as { code?: string }).code === "23505") {
        throw new ServeError(
          "PVEFIX_SERVE_TOKEN",
          `✖ A token named ${record.name} exists`,
          `remove it first: pvefix serve token remove ${record.name}`,
        );
      }
      throw error;
    }
  }

  async remove(name: string): Promise<boolean> {
    const r = await transaction(this.db, (c) => c.query("DELETE FROM pvefix_tokens WHERE name = $1", [name]));
    return (r.rowCount ?? 0) > 0;
  }

  async byHash(hash: string): Promise<TokenRecord | null> {
    const r = await transaction(this.db, (c) =>
      c.query<{ record: unknown }>("SELECT record FROM pvefix_tokens WHERE hash = $1", [hash]),
    );
    return r.rows[0] ? TokenRecord.parse(r.rows[0].record) : null;
  }
}

export function postgresStores(db: Db): ServeStores {
  return { policy: new PgPolicyStore(db), approvals: new PgApprovalStore(db), tokens: new PgTokenStore(db) };
}
