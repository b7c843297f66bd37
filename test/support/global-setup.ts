// Once per test run: Postgres, Redis, RabbitMQ and NATS found or started (test/support/containers.ts), a migrated
// template database that each test file copies (test/support/db.ts), and a Redis key prefix under
// which every test queue lives; all removed at the end.
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { migrate } from "../../src/db/migrate.js";
import { resolveServices, type Services } from "./containers.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
    redisPrefix: string;
  }
}

// The integration and system projects each run this setup, in the one vitest process: the services
// are found or started once, and stopped after the last project's teardown.
const shared = globalThis as { pznTestServices?: { services: Promise<Services>; users: number } };

async function acquireServices(): Promise<Services> {
  const first = !shared.pznTestServices;
  shared.pznTestServices ??= { services: resolveServices(), users: 0 };
  shared.pznTestServices.users++;
  const services = await shared.pznTestServices.services;
  if (first) console.log(`test services: ${services.origin}`);
  return services;
}

async function releaseServices(services: Services): Promise<void> {
  const held = shared.pznTestServices;
  if (held && --held.users > 0) return;
  shared.pznTestServices = undefined;
  await services.stop();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await acquireServices();
  // Read by env.ts here and in every test process (they inherit this environment).
  process.env.TEST_PG_ADMIN_URL = services.pgAdminUrl;
  process.env.TEST_REDIS_URL = services.redisUrl;
  process.env.TEST_RABBITMQ_HOST = services.rabbitmqHost;
  process.env.TEST_NATS_HOST = services.natsHost;
  if (services.rabbitmqContainer) process.env.TEST_RABBITMQ_CONTAINER = services.rabbitmqContainer;
  const { adminQuery, dropDatabase } = await import("./admin.js");
  const { databaseUrl, REDIS_URL } = await import("./env.js");
  const { deleteKeys } = await import("./redis.js");

  const run = `${process.pid}_${randomBytes(3).toString("hex")}`;
  const template = `pzn_test_${run}`;
  const redisPrefix = `pzn-test-${run}`;
  await adminQuery(`CREATE DATABASE "${template}"`);
  await migrate(databaseUrl(template));
  project.provide("templateDatabase", template);
  project.provide("redisPrefix", redisPrefix);
  return async () => {
    try {
      await dropDatabase(template);
      const left = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE '${template}%'`);
      for (const row of left.rows) await dropDatabase(String(row.datname));
      await deleteKeys(REDIS_URL, `${redisPrefix}*`);
    } finally {
      await releaseServices(services);
    }
  };
}
