// The worker role (worker, and the child process of all): what it starts and how it stops. It
// loads no HTTP code unless it serves /healthz, /readyz and /metrics itself (worker-only processes).
import type { Logger } from "pino";
import type { Config } from "./config.js";
import { createDb } from "./db/client.js";
import { throttledLog } from "./ops/log-throttle.js";
import { watchQueue } from "./ops/metrics.js";
import { sealPersonalDataAtStart } from "./orders/seal-existing.js";
import { startNotificationWorker, transactionsAtOnce } from "./orders/worker.js";
import { letWorkersTakeJobsWhenFull } from "./queue/full-redis.js";
import {
  closeConnection,
  closeWorker,
  createNotificationQueue,
  createWorkerConnection,
} from "./queue/queue.js";
import { startReconciler } from "./reconcile/scheduler.js";
import { startRetention } from "./retention/runner.js";
import { sealAtStart } from "./webhooks/endpoints/endpoint-sealing.js";
import { startWebhookWorkers } from "./webhooks/index.js";

export interface Stoppable {
  stop: () => Promise<void>;
}

/** The workers; `serveOps` adds an HTTP server with /healthz, /readyz and /metrics (worker-only processes). */
export async function startWorkers(config: Config, log: Logger, serveOps: boolean): Promise<Stoppable> {
  const connection = createWorkerConnection(config);
  letWorkersTakeJobsWhenFull(connection);
  // Redis down or full fails every command the same way: one line, then a count a minute.
  const redisErrors = throttledLog(log);
  connection.on("error", (err) => redisErrors.warn({ err }, "redis (worker)"));
  // Connections: the notification transactions at once, the delivery batches (renewals and records,
  // 2 each), and a few for the claims, the reconciler and the rarer delivery statements.
  const db = createDb(config.databaseUrl, transactionsAtOnce(config) + 10);
  await sealAtStart(db, config, log);
  sealPersonalDataAtStart(db, config, log);
  const queue = createNotificationQueue(connection, config.redisPrefix);
  const unwatch = watchQueue(queue);
  const webhooks = startWebhookWorkers({ config, db, log, redis: connection });
  const worker = startNotificationWorker({ config, connection, db, log, fanOut: webhooks.fanOut });
  const reconciler = startReconciler({ config, connection, db, log, fanOut: webhooks.fanOut });
  const retention = startRetention({ config, db, log });
  log.info({ concurrency: config.workerConcurrency }, "notification worker started");
  const app = serveOps ? await import("./server.js") : null;
  const ops = app
    ? await app.buildApp({
        config,
        probes: { postgres: () => db.$queryRaw`SELECT 1`, redis: () => connection.ping() },
      })
    : null;
  await ops?.listen({ host: config.host, port: config.port });
  return {
    stop: async () => {
      await reconciler.stop();
      await retention.stop();
      await closeWorker(worker);
      await webhooks.stop();
      if (ops) await app?.closeServer(ops);
      unwatch();
      await queue.close();
      await closeConnection(connection);
      redisErrors.stop();
      await db.$disconnect();
    },
  };
}
