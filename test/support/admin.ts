import pg from "pg";
import { PG_ADMIN_URL } from "./env.js";

export function adminQuery(sql: string): Promise<pg.QueryResult> {
  return queryDatabase(PG_ADMIN_URL, sql);
}

/** One statement on its own connection, to any database of the test server. */
export async function queryDatabase(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
