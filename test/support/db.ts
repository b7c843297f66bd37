// Each test file gets its own database, copied from the migrated template, dropped after the file.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { adminQuery, dropDatabase } from "./admin.js";
import { databaseUrl } from "./env.js";

export interface TestDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject("templateDatabase");
  const name = `${template}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return { name, url: databaseUrl(name), drop: () => dropDatabase(name) };
}

/** A Redis prefix of this run, unique to the caller. */
export function testRedisPrefix(): string {
  return `${inject("redisPrefix")}:${randomBytes(4).toString("hex")}`;
}
