// What each role starts, and how it stops.
import type { Logger } from "pino";
import { notificationRoutes } from "./api/notifications.js";
import { orderRoutes } from "./api/orders.js";
import { type V1RouteModule, v1Api } from "./api/v1.js";
import { buildApp } from "./app.js";
import type { Config } from "./config.js";
import { createDb } from "./db/client.js";
import {
  createNotificationQueue,
  createProducerConnection,
  createWorkerConnection,
  waitUntilConnected,
} from "./ingest/queue.js";
import { startNotificationWorker } from "./orders/worker.js";

export const V1_MODULES: V1RouteModule[] = [orderRoutes, notificationRoutes];

export interface Stoppable {
  stop: () => Promise<void>;
}

export async function startApi(config: Config, log: Logger): Promise<Stoppable> {
  const connection = createProducerConnection(config.redisUrl);
  connection.on("error", (err) => log.warn({ err: err.message }, "redis (producer)"));
  const queue = createNotificationQueue(connection, config.redisPrefix);
  if (!(await waitUntilConnected(connection, 5000)))
    log.warn("Redis not reachable yet: answering 503 until it is");
  const db = createDb(config.databaseUrl);
  const app = await buildApp({
    config,
    notificationQueue: queue,
    probes: { postgres: () => db.$queryRaw`SELECT 1`, redis: () => connection.ping() },
    plugins: [v1Api({ config, db }, V1_MODULES)],
  });
  await app.listen({ host: config.host, port: config.port });
  return {
    stop: async () => {
      await app.close();
      await queue.close();
      connection.disconnect();
      await db.$disconnect();
    },
  };
}

export async function startWorkers(config: Config, log: Logger): Promise<Stoppable> {
  const connection = createWorkerConnection(config.redisUrl);
  connection.on("error", (err) => log.warn({ err: err.message }, "redis (worker)"));
  const db = createDb(config.databaseUrl, config.workerConcurrency + 2);
  const worker = startNotificationWorker({ config, connection, db, log });
  log.info({ concurrency: config.workerConcurrency }, "notification worker started");
  return {
    stop: async () => {
      await worker.close();
      connection.disconnect();
      await db.$disconnect();
    },
  };
}
