// Applies prisma/migrations/*/migration.sql in order and records each in Prisma's own
// _prisma_migrations table, so `prisma migrate deploy/status` agree where the Prisma schema
// engine exists. Hand-written because that engine is a native download this service must not need.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { errorMessage } from "../util.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/** The same key `prisma migrate` locks with, so the two never run at once. */
const PRISMA_ADVISORY_LOCK = 72707369;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: checksum(sql) };
    }),
  );
}

/** Applies what is not applied yet; returns the names applied now. Throws on a failed or edited migration. */
export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await readMigrations(dir);
  const client = new pg.Client({ connectionString: databaseUrl });
  // A lost connection also fails the query in flight, which reports it: unhandled, it would crash the process.
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK]);
    await client.query(CREATE_TABLE);
    const applied = await appliedMigrations(client);
    const done: string[] = [];
    for (const m of migrations) {
      const row = applied.get(m.name);
      if (row) {
        checkApplied(m, row);
        continue;
      }
      await applyOne(client, m);
      done.push(m.name);
    }
    return done;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK]).catch(() => {});
    await client.end();
  }
}

interface AppliedRow {
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function appliedMigrations(client: pg.Client): Promise<Map<string, AppliedRow>> {
  const { rows } = await client.query<AppliedRow & { migration_name: string }>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"
     WHERE rolled_back_at IS NULL ORDER BY started_at`,
  );
  return new Map(rows.map((r) => [r.migration_name, r]));
}

function checkApplied(m: Migration, row: AppliedRow): void {
  if (row.finished_at === null) {
    throw new Error(
      `migration ${m.name} failed earlier (its error is in "_prisma_migrations".logs): fix it, then mark it ` +
        `rolled back: prisma migrate resolve --rolled-back ${m.name}, or UPDATE "_prisma_migrations" ` +
        `SET rolled_back_at = now() WHERE migration_name = '${m.name}' AND finished_at IS NULL`,
    );
  }
  // Prisma takes a script whose line endings changed (a Windows checkout) for the same script.
  const variants = [
    m.checksum,
    checksum(m.sql.replaceAll("\r\n", "\n")),
    checksum(m.sql.replaceAll("\n", "\r\n")),
  ];
  if (!variants.includes(row.checksum)) {
    throw new Error(`migration ${m.name} was edited after it was applied (checksum differs)`);
  }
}

/** Prisma's checksum: sha256 of migration.sql as it is, in lowercase hex. */
function checksum(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

/**
 * The migration and its row commit together: a migrator cut off mid-way (Postgres restarting, the
 * container stopped) leaves neither, and the next run applies it. A failing one is recorded as
 * failed (finished_at null, its error in logs), as Prisma records it.
 */
async function applyOne(client: pg.Client, m: Migration): Promise<void> {
  const insert = `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs) VALUES ($1, $2, $3, $4)`;
  const id = randomUUID();
  try {
    await client.query("BEGIN");
    await client.query(insert, [id, m.checksum, m.name, null]);
    await client.query(m.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query("COMMIT");
  } catch (err) {
    const logs = errorMessage(err);
    await client.query("ROLLBACK");
    await client.query(insert, [randomUUID(), m.checksum, m.name, logs]);
    throw new Error(`migration ${m.name} failed: ${logs}`);
  }
}
