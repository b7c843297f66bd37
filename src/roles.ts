// The receiver and /v1 API role (api, and the parent process of all): what it starts and how it stops.
import type { Logger } from "pino";
import { buildApiListeners } from "./api/app.js";
import type { Config } from "./config.js";
import { createDb } from "./db/client.js";
import { throttledLog } from "./ops/log-throttle.js";
import { watchQueue } from "./ops/metrics.js";
import { sealPersonalDataAtStart } from "./orders/seal-existing.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  waitUntilConnected,
} from "./queue/queue.js";
import { closeServer } from "./server.js";
import { sealAtStart } from "./webhooks/endpoints/endpoint-sealing.js";
import type { Stoppable } from "./workers.js";

export async function startApi(config: Config, log: Logger): Promise<Stoppable> {
  const connection = createProducerConnection(config);
  // Redis down or full fails every command the same way: one line, then a count a minute.
  const redisErrors = throttledLog(log);
  connection.on("error", (err) => redisErrors.warn({ err }, "redis (producer)"));
  const queue = createNotificationQueue(connection, config.redisPrefix);
  if (!(await waitUntilConnected(connection, 5000)))
    log.warn("Redis not reachable yet: answering 503 until it is");
  const db = createDb(config.databaseUrl);
  await sealAtStart(db, config, log);
  sealPersonalDataAtStart(db, config, log);
  const unwatch = watchQueue(queue);
  const listeners = await buildApiListeners({ config, db, notificationQueue: queue, redis: connection });
  await listeners.public.listen({ host: config.host, port: config.port });
  await listeners.admin?.listen({ host: config.adminHost || config.host, port: config.adminPort });
  return {
    stop: async () => {
      await Promise.all([listeners.public, listeners.admin].map((app) => app && closeServer(app)));
      unwatch();
      await queue.close();
      await closeConnection(connection);
      redisErrors.stop();
      await db.$disconnect();
    },
  };
}
