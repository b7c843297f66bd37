// The bench's own Postgres database and Redis key prefix: created at the start, removed at the end.
import { cpus } from "node:os";
import { Redis } from "ioredis";
import type pg from "pg";
import { migrate } from "../src/db/migrate.js";
import { queryDatabase } from "../test/support/admin.js";

export interface Resources {
  databaseUrl: string;
  /** The bench database's name, and a connection to the server outside it. */
  database: string;
  pgAdminUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Empties every table but the webhook endpoints, and the prefix's Redis keys: a fresh start for a phase. */
  reset: () => Promise<void>;
  /** Removes the prefix's Redis keys only (the tables keep what they hold). */
  clearQueues: () => Promise<void>;
  machine: () => Promise<string>;
  remove: () => Promise<void>;
}

const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/0";

const adminQuery = (sql: string, url = PG_ADMIN_URL): Promise<pg.QueryResult> => queryDatabase(url, sql);

export async function createResources(): Promise<Resources> {
  const name = `pzn_bench_${process.pid}`;
  const redisPrefix = `pzn-bench-${process.pid}`;
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await adminQuery(`CREATE DATABASE "${name}"`);
  await migrate(databaseUrl);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  return {
    databaseUrl,
    database: name,
    pgAdminUrl: PG_ADMIN_URL,
    redisUrl: REDIS_URL,
    redisPrefix,
    reset: async () => {
      await adminQuery("TRUNCATE delivery_attempts, deliveries, notifications, orders", databaseUrl);
      await deleteKeys(redis, `${redisPrefix}:*`);
    },
    clearQueues: () => deleteKeys(redis, `${redisPrefix}:*`),
    machine: async () => describeMachine(databaseUrl, redis),
    remove: async () => {
      await deleteKeys(redis, `${redisPrefix}:*`).catch(() => {});
      redis.disconnect();
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** SCAN, never KEYS: Redis stays responsive for everyone else. */
async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
}

async function describeMachine(databaseUrl: string, redis: Redis): Promise<string> {
  const pgVersion = (await adminQuery("SHOW server_version", databaseUrl)).rows[0]?.server_version;
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info("server"))?.[1];
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim()}, Node ${process.version}, Postgres ${pgVersion}, Redis ${redisVersion}`;
}
