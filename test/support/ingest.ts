import type { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import { type AppDeps, buildApp } from "../../src/app.js";
import type { Config } from "../../src/config.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  type NotificationJob,
  waitUntilConnected,
} from "../../src/ingest/queue.js";
import type { RedisClient } from "../../src/ingest/redis.js";
import { testConfig } from "./config.js";
import { testRedisPrefix } from "./db.js";

export interface IngestHarness {
  app: FastifyInstance;
  queue: Queue<NotificationJob>;
  connection: RedisClient;
  config: Config;
  close: () => Promise<void>;
}

/** The receiver on a fresh Redis prefix, with no Postgres (it does not need one on the hot path). */
export async function startIngest(
  overrides: Partial<Config> = {},
  plugins: (
    config: Config,
    redis: { queue: Queue<NotificationJob>; connection: RedisClient },
  ) => AppDeps["plugins"] = () => [],
): Promise<IngestHarness> {
  const config = testConfig({ redisPrefix: testRedisPrefix(), ...overrides });
  const connection = createProducerConnection(config);
  connection.on("error", () => {}); // the tests of an unreachable Redis expect these
  const queue = createNotificationQueue(connection, config.redisPrefix);
  await waitUntilConnected(connection, 2000);
  const app = await buildApp({
    config,
    notificationQueue: queue,
    probes: { redis: () => connection.ping() },
    plugins: plugins(config, { queue, connection }),
  });
  return {
    app,
    queue,
    connection,
    config,
    close: async () => {
      await app.close();
      if (connection.status === "ready") await queue.obliterate({ force: true });
      await queue.close();
      await closeConnection(connection);
    },
  };
}
