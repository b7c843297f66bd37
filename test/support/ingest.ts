import type { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/app.js";
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

/** What an app of the api role is built from: the config, the receiver's queue and its connection. */
export interface IngestParts {
  config: Config;
  notificationQueue: Queue<NotificationJob>;
  redis: RedisClient;
}

/** The receiver alone (buildApp's base): no Postgres, which it does not need on the hot path. */
function receiverOnly({ config, notificationQueue, redis }: IngestParts): Promise<FastifyInstance> {
  return buildApp({ config, notificationQueue, probes: { redis: () => redis.ping() } });
}

/**
 * The receiver on a fresh Redis prefix; `build` makes the app from it (the whole api role:
 * startPipeline passes buildApiApp).
 */
export async function startIngest(
  overrides: Partial<Config> = {},
  build: (parts: IngestParts) => Promise<FastifyInstance> = receiverOnly,
): Promise<IngestHarness> {
  const config = testConfig({ redisPrefix: testRedisPrefix(), ...overrides });
  const connection = createProducerConnection(config);
  connection.on("error", () => {}); // the tests of an unreachable Redis expect these
  const queue = createNotificationQueue(connection, config.redisPrefix);
  await waitUntilConnected(connection, 2000);
  const app = await build({ config, notificationQueue: queue, redis: connection });
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
