// Once per test run: a migrated template database that each test file copies (test/support/db.ts),
// and a Redis key prefix under which every test queue lives; both removed at the end.
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { migrate } from "../../src/db/migrate.js";
import { adminQuery, dropDatabase } from "./admin.js";
import { databaseUrl, REDIS_URL } from "./env.js";
import { deleteKeys } from "./redis.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
    redisPrefix: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const run = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const template = `pzn_test_${run}`;
  const redisPrefix = `pzn-test-${run}`;
  await adminQuery(`CREATE DATABASE "${template}"`);
  await migrate(databaseUrl(template));
  project.provide("templateDatabase", template);
  project.provide("redisPrefix", redisPrefix);
  return async () => {
    await dropDatabase(template);
    const left = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE '${template}%'`);
    for (const row of left.rows) await dropDatabase(String(row.datname));
    await deleteKeys(REDIS_URL, `${redisPrefix}*`);
  };
}
