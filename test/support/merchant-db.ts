// The merchant's own databases of the database destination tests: a Postgres database and a MariaDB
// database with a user of its own (so its connections can be told apart and killed), both dropped after.
import { randomBytes } from "node:crypto";
import { createConnection, type RowDataPacket } from "mysql2/promise";
import pg from "pg";
import { adminQuery, dropDatabase } from "./admin.js";
import { databaseUrl } from "./env.js";

const MYSQL_HOST = process.env.TEST_MYSQL_HOST ?? "127.0.0.1:3306";
const MYSQL_ADMIN_USER = process.env.TEST_MYSQL_ADMIN_USER ?? "root";
const MYSQL_ADMIN_PASSWORD = process.env.TEST_MYSQL_ADMIN_PASSWORD ?? "";

export interface MerchantDatabase {
  /** The endpoint URL of `table` in it (personalData, when given, appended). */
  url(table: string, params?: Record<string, string>): string;
  /** Rows of a query, each column as the driver reads it. */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  /** Ends every connection of payzero-notify to this database. */
  cutConnections(): Promise<number>;
  drop(): Promise<void>;
}

const name = (prefix: string) => `${prefix}_${randomBytes(4).toString("hex")}`;

function withParams(base: string, table: string, params: Record<string, string> = {}): string {
  const url = new URL(base);
  url.searchParams.set("table", table);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/** A Postgres database with a user of its own (password authentication is not required by the test server). */
export async function createPostgresMerchant(): Promise<MerchantDatabase> {
  const db = name("merchant_pg");
  await adminQuery(`CREATE DATABASE "${db}"`);
  const client = new pg.Client({ connectionString: databaseUrl(db) });
  await client.connect();
  return {
    url(table, params) {
      const url = new URL(databaseUrl(db));
      url.password = "merchant-pw";
      return withParams(url.toString(), table, params);
    },
    async query(sql) {
      return (await client.query(sql)).rows;
    },
    async cutConnections() {
      const res = await client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = $1 AND application_name = 'payzero-notify'`,
        [db],
      );
      return res.rowCount ?? 0;
    },
    async drop() {
      await client.end();
      await dropDatabase(db);
    },
  };
}

/** A MariaDB/MySQL database and a user that may use it alone. */
export async function createMysqlMerchant(): Promise<MerchantDatabase> {
  const db = name("merchant_my");
  const user = name("pz");
  const password = randomBytes(8).toString("hex");
  const [host, port] = MYSQL_HOST.split(":") as [string, string];
  const admin = await createConnection({
    host,
    port: Number(port),
    user: MYSQL_ADMIN_USER,
    password: MYSQL_ADMIN_PASSWORD,
    timezone: "Z",
  });
  await admin.query(`CREATE DATABASE \`${db}\``);
  await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await admin.query(`GRANT ALL ON \`${db}\`.* TO '${user}'@'%'`);
  await admin.query(`USE \`${db}\``);
  return {
    url: (table, params) => withParams(`mysql://${user}:${password}@${MYSQL_HOST}/${db}`, table, params),
    async query(sql) {
      const [rows] = await admin.query<RowDataPacket[]>(sql);
      return rows;
    },
    async cutConnections() {
      const [rows] = await admin.query<RowDataPacket[]>(
        "SELECT id FROM information_schema.processlist WHERE user = ?",
        [user],
      );
      for (const { id } of rows) await admin.query(`KILL ${Number(id)}`).catch(() => undefined);
      return rows.length;
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${db}\``);
      await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
      await admin.end();
    },
  };
}
