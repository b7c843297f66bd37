import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../../../src/db/migrate.js";
import { bodyKey } from "../../../src/payzero/envelope.js";
import { adminQuery, dropDatabase, queryDatabase } from "../../support/admin.js";
import { createTestDatabase, type TestDatabase } from "../../support/db.js";
import { databaseUrl } from "../../support/env.js";
import { orderBody } from "../../support/payzero.js";

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

  it("gives orders and stored notifications stored before versions the versions they would have had", async () => {
    const name = `pzn_migrate_version_${process.pid}_${Date.now()}`;
    await adminQuery(`CREATE DATABASE "${name}"`);
    try {
      const url = databaseUrl(name);
      const dir = await mkdtemp(join(tmpdir(), "pzn-migrations-"));
      const all = await readMigrations();
      const before = all.filter((m) => m.name < "20261207110000_order_version");
      const write = async (m: (typeof all)[number]) => {
        await mkdir(join(dir, m.name), { recursive: true });
        await writeFile(join(dir, m.name, "migration.sql"), m.sql);
      };
      for (const m of before) await write(m);
      await migrate(url, dir);
      await queryDatabase(
        url,
        `INSERT INTO orders (mcht_order_no, pay_status) VALUES ('A', 'PAY_SUCCEED'), ('B', NULL);
         INSERT INTO notifications (content_key, msg_type, timestamp, msg_body, mcht_order_no, problem,
                                    changed_order, order_after, received_at) VALUES
           (repeat('1', 64), 'PAY_STATUS_NOTIFY', 1, '{}', 'A', NULL, true, '{"payStatus": "PAY_APPLIED"}', now()),
           (repeat('2', 64), 'PAY_STATUS_NOTIFY', 3, '{}', 'A', NULL, true, '{"payStatus": "PAY_SUCCEED"}', now()),
           (repeat('3', 64), 'PAY_STATUS_NOTIFY', 2, '{}', 'A', NULL, false, '{"payStatus": "PAY_SUCCEED"}', now()),
           (repeat('4', 64), 'PAY_STATUS_NOTIFY', 2, 'x', 'A', 'msgBody is not JSON', false, NULL, now())`,
      );
      for (const m of all) await write(m);
      expect(await migrate(url, dir)).toEqual(all.filter((m) => !before.includes(m)).map((m) => m.name));
      const orders = await queryDatabase(url, "SELECT mcht_order_no, version FROM orders ORDER BY 1");
      expect(orders.rows).toEqual([
        { mcht_order_no: "A", version: 2 },
        { mcht_order_no: "B", version: 0 },
      ]);
      const stored = await queryDatabase(
        url,
        "SELECT applied, order_after->'version' AS version FROM notifications ORDER BY id",
      );
      expect(stored.rows).toEqual([
        { applied: true, version: 1 },
        { applied: true, version: 2 },
        { applied: true, version: 2 },
        { applied: false, version: null },
      ]);
    } finally {
      await dropDatabase(name);
    }
  });

  it("gives notifications stored before body keys the key the apply step computes for their body", async () => {
    const name = `pzn_migrate_body_key_${process.pid}_${Date.now()}`;
    await adminQuery(`CREATE DATABASE "${name}"`);
    try {
      const url = databaseUrl(name);
      const dir = await mkdtemp(join(tmpdir(), "pzn-migrations-"));
      const all = await readMigrations();
      const before = all.filter((m) => m.name < "20261207130000_notification_body_key");
      const write = async (m: (typeof all)[number]) => {
        await mkdir(join(dir, m.name), { recursive: true });
        await writeFile(join(dir, m.name, "migration.sql"), m.sql);
      };
      for (const m of before) await write(m);
      await migrate(url, dir);
      const body = orderBody({ mchtOrderNo: "BODY-KEY", payStatus: "PAY_SUCCEED" });
      await queryDatabase(
        url,
        `INSERT INTO notifications (content_key, msg_type, timestamp, msg_body, received_at) VALUES
           (repeat('1', 64), 'PAY_STATUS_NOTIFY', 1, $body$${body}$body$, now()),
           (repeat('2', 64), 'PAY_STATUS_NOTIFY', 2, NULL, now())`,
      );
      for (const m of all) await write(m);
      await migrate(url, dir);
      const stored = await queryDatabase(url, "SELECT content_key, body_key FROM notifications ORDER BY id");
      expect(stored.rows).toEqual([
        { content_key: "1".repeat(64), body_key: bodyKey(body) },
        { content_key: "2".repeat(64), body_key: null },
      ]);
    } finally {
      await dropDatabase(name);
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
    // The way out the message names, without the Prisma CLI: fix the script, mark the failure rolled back.
    await writeFile(join(dir, "20260101000000_bad", "migration.sql"), "CREATE TABLE half_done (id int);");
    await queryDatabase(
      db.url,
      `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '20260101000000_bad' AND finished_at IS NULL`,
    );
    expect(await migrate(db.url, dir)).toEqual(["20260101000000_bad"]);
  });
});

describe("migrator and Prisma's bookkeeping", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it("takes a migration whose line endings changed as applied, as Prisma does (git autocrlf)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pzn-migrations-"));
    const file = join(dir, "20260101000000_crlf", "migration.sql");
    await mkdir(join(dir, "20260101000000_crlf"));
    await writeFile(file, "-- CreateTable\r\nCREATE TABLE crlf_a (id int);\r\n");
    expect(await migrate(db.url, dir)).toEqual(["20260101000000_crlf"]);
    await writeFile(file, "-- CreateTable\nCREATE TABLE crlf_a (id int);\n");
    expect(await migrate(db.url, dir)).toEqual([]);
  });

  it("records nothing for a migration whose connection was lost, so the next run applies it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pzn-migrations-"));
    await mkdir(join(dir, "20260101000000_cut"));
    await writeFile(
      join(dir, "20260101000000_cut", "migration.sql"),
      "CREATE TABLE cut_a (id int); SELECT pg_sleep(0.5) /* cut here */;",
    );
    const running = migrate(db.url, dir).catch((err: unknown) => err);
    // Postgres restarting (or a failover) mid-migration: the migrator's connection is terminated.
    for (let i = 0; i < 100; i++) {
      const { rowCount } = await queryDatabase(
        db.url,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE query LIKE '%cut here%' AND pid <> pg_backend_pid()`,
      );
      if (rowCount) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await running).toBeInstanceOf(Error);
    expect(await migrate(db.url, dir)).toEqual(["20260101000000_cut"]);
    const { rows } = await queryDatabase(
      db.url,
      `SELECT finished_at, applied_steps_count FROM "_prisma_migrations" WHERE migration_name = '20260101000000_cut'`,
    );
    expect(rows).toEqual([{ finished_at: expect.any(Date), applied_steps_count: 1 }]);
  });
});
