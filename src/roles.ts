// The receiver and /v1 API role (api, and the parent process of all): what it starts and how it stops.
import type { Logger } from "pino";
import { expectedRoutes } from "./api/expected.js";
import { notificationRoutes } from "./api/notifications.js";
import { orderRoutes } from "./api/orders.js";
import { type V1RouteModule, v1Api } from "./api/v1.js";
import { buildApp, closeServer } from "./app.js";
import type { Config } from "./config.js";
import { consoleUi } from "./console/index.js";
import { createDb } from "./db/client.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  waitUntilConnected,
} from "./ingest/queue.js";
import { watchQueue } from "./ops/metrics.js";
import { sealAtStart } from "./webhooks/endpoint-sealing.js";
import { backfillRoutes, deliveryRoutes, webhookRoutes } from "./webhooks/index.js";
import type { Stoppable } from "./workers.js";

export const V1_MODULES: V1RouteModule[] = [
  orderRoutes,
  expectedRoutes,
  notificationRoutes,
  webhookRoutes,
  deliveryRoutes,
  backfillRoutes,
];

export async function startApi(config: Config, log: Logger): Promise<Stoppable> {
  const connection = createProducerConnection(config);
  connection.on("error", (err) => log.warn({ err }, "redis (producer)"));
  const queue = createNotificationQueue(connection, config.redisPrefix);
  if (!(await waitUntilConnected(connection, 5000)))
    log.warn("Redis not reachable yet: answering 503 until it is");
  const db = createDb(config.databaseUrl);
  await sealAtStart(db, config, log);
  const unwatch = watchQueue(queue);
  const app = await buildApp({
    config,
    notificationQueue: queue,
    probes: { postgres: () => db.$queryRaw`SELECT 1`, redis: () => connection.ping() },
    plugins: [
      v1Api({ config, db }, V1_MODULES),
      consoleUi({ config, db, notificationQueue: queue, redis: connection }),
    ],
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
