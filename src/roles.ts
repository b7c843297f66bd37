// What each role starts, and how it stops.
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { notificationRoutes } from "./api/notifications.js";
import { orderRoutes } from "./api/orders.js";
import { type V1RouteModule, v1Api } from "./api/v1.js";
import { buildApp } from "./app.js";
import type { Config } from "./config.js";
import { createDb } from "./db/client.js";
import {
  closeConnection,
  closeWorker,
  createNotificationQueue,
  createProducerConnection,
  createWorkerConnection,
  waitUntilConnected,
} from "./ingest/queue.js";
import { watchQueue } from "./ops/metrics.js";
import { startNotificationWorker } from "./orders/worker.js";
import { startReconciler } from "./reconcile/worker.js";
import { deliveryRoutes, startWebhookWorkers, webhookRoutes } from "./webhooks/index.js";

export const V1_MODULES: V1RouteModule[] = [orderRoutes, notificationRoutes, webhookRoutes, deliveryRoutes];

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
  const unwatch = watchQueue(queue);
  const app = await buildApp({
    config,
    notificationQueue: queue,
    probes: { postgres: () => db.$queryRaw`SELECT 1`, redis: () => connection.ping() },
    plugins: [v1Api({ config, db }, V1_MODULES)],
  });
  await app.listen({ host: config.host, port: config.port });
  return {
    stop: async () => {
      await closeServer(app);
      unwatch();
      await queue.close();
      await closeConnection(connection);
      await db.$disconnect();
    },
  };
}

/** The workers; `serveOps` adds an HTTP server with /healthz, /readyz and /metrics (worker-only processes). */
export async function startWorkers(config: Config, log: Logger, serveOps: boolean): Promise<Stoppable> {
  const connection = createWorkerConnection(config.redisUrl);
  connection.on("error", (err) => log.warn({ err: err.message }, "redis (worker)"));
  // Connections: the notification transactions at once, the delivery store's batches (3 kinds × 2),
  // and a few for the relay, the reconciler and the rarer delivery statements.
  const transactions = Math.ceil(config.workerConcurrency / config.workerBatchSize);
  const db = createDb(config.databaseUrl, transactions + 10);
  const queue = createNotificationQueue(connection, config.redisPrefix);
  const unwatch = watchQueue(queue);
  const webhooks = startWebhookWorkers({ config, connection, db, log });
  const worker = startNotificationWorker({ config, connection, db, log, fanOut: webhooks.fanOut });
  const reconciler = startReconciler({ config, connection, db, log, fanOut: webhooks.fanOut });
  log.info({ concurrency: config.workerConcurrency }, "notification worker started");
  const ops = serveOps
    ? await buildApp({
        config,
        probes: { postgres: () => db.$queryRaw`SELECT 1`, redis: () => connection.ping() },
      })
    : null;
  await ops?.listen({ host: config.host, port: config.port });
  return {
    stop: async () => {
      await reconciler.stop();
      await closeWorker(worker);
      await webhooks.stop();
      if (ops) await closeServer(ops);
      unwatch();
      await queue.close();
      await closeConnection(connection);
      await db.$disconnect();
    },
  };
}

/**
 * Stops taking connections and waits for in-flight requests. Keep-alive connections that fall
 * idle meanwhile are closed as they do (Node closes idle ones only once, when close starts), so
 * a client that keeps its connection open cannot hold the stop for the keep-alive timeout.
 */
async function closeServer(app: FastifyInstance): Promise<void> {
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
  }
}
