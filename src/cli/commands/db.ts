/** `pvefix db migrate`: the flag in, the migrations applied, what was done printed. */
import { InputError } from "../../index.js";
import { databaseUrl } from "../../serve/store/choose.js";
import { openDb } from "../../serve/store/postgres/db.js";
import { graphileWorkerVersion, migrateJobSchema } from "../../serve/store/postgres/graphile-schema.js";
import { MIGRATIONS, migrate } from "../../serve/store/postgres/migrations.js";
import { EXIT } from "../exit-codes.js";
import { print } from "./shared.js";

export async function runDbMigrate(flag: string | undefined): Promise<number> {
  const url = databaseUrl(flag);
  if (url === null) {
    throw new InputError([
      { field: "--database", message: "Expected a PostgreSQL URL (or PVEFIX_DATABASE_URL), got nothing" },
    ]);
  }
  const db = await openDb(url, { max: 1, field: flag ? "--database" : "PVEFIX_DATABASE_URL" });
  try {
    const applied = await migrate(db);
    const latest = MIGRATIONS.at(-1)?.version ?? 0;
    print(
      applied.length === 0
        ? `✔ ${db.label} is at migration ${latest}: nothing to apply`
        : `✔ ${db.label}: applied ${applied.map((v) => `${v} (${MIGRATIONS.find((m) => m.version === v)?.name})`).join(", ")}; now at ${latest}`,
    );
    // The job queue's schema (graphile_worker): pvefix serve --database refuses a database without it.
    const jobs = await migrateJobSchema(db, url);
    print(
      jobs.before === jobs.after
        ? `✔ graphile-worker ${graphileWorkerVersion()} job schema is at migration ${jobs.after}: nothing to apply`
        : `✔ graphile-worker ${graphileWorkerVersion()} job schema: ${jobs.before === 0 ? "installed" : `upgraded from ${jobs.before}`}; now at ${jobs.after}`,
    );
    return EXIT.ok;
  } finally {
    await db.close();
  }
}
