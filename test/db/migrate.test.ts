import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../../src/db/migrate.js";
import { adminQuery, dropDatabase, queryDatabase } from "../support/admin.js";
import { createTestDatabase, type TestDatabase } from "../support/db.js";
import { databaseUrl } from "../support/env.js";

describe("migrator", () => {
  let db: TestDatabase;
  const empty = `pzn_migrate_${process.pid}_${Date.now()}`;
  beforeAll(async () => {
    db = await createTestDatabase();
    await adminQuery(`CREATE DATABASE "${empty}"`);
  });
  afterAll(async () => {
    await db.drop();
    await dropDatabase(empty);
  });

  it("applies every migration once and records it the way Prisma does", async () => {
    const url = databaseUrl(empty);
    const all = (await readMigrations()).map((m) => m.name);
    expect(await migrate(url)).toEqual(all);
    expect(await migrate(url)).toEqual([]);
    const { rows } = await queryDatabase(
      url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(all);
    for (const r of rows) {
      expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(r.finished_at).not.toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }
  });

  it("refuses to run past a migration edited after it was applied", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pzn-migrations-"));
    await mkdir(join(dir, "20260101000000_a"));
    await writeFile(join(dir, "20260101000000_a", "migration.sql"), "CREATE TABLE edited_a (id int);");
    expect(await migrate(db.url, dir)).toEqual(["20260101000000_a"]);
    await writeFile(join(dir, "20260101000000_a", "migration.sql"), "CREATE TABLE edited_a (id bigint);");
    await expect(migrate(db.url, dir)).rejects.toThrow(/edited after it was applied/);
  });

  it("rolls back a failing migration, records the failure and stops there", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pzn-migrations-"));
    await mkdir(join(dir, "20260101000000_bad"));
    await writeFile(
      join(dir, "20260101000000_bad", "migration.sql"),
      "CREATE TABLE half_done (id int); SELEC 1;",
    );
    await expect(migrate(db.url, dir)).rejects.toThrow(/20260101000000_bad failed/);
    const tables = await queryDatabase(db.url, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'");
    expect(tables.rowCount).toBe(0);
    await expect(migrate(db.url, dir)).rejects.toThrow(/failed earlier/);
  });
});
