import type { JobType, Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import type { Config } from "../../src/config.js";
import { bodyKey, signedKey } from "../../src/payzero/envelope.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  type NotificationBatch,
  type NotificationMessage,
  waitUntilConnected,
} from "../../src/queue/queue.js";
import type { RedisClient } from "../../src/queue/redis.js";
import { buildApp } from "../../src/server.js";
import { testConfig } from "./config.js";
import { testRedisPrefix } from "./db.js";

export interface IngestHarness {
  app: FastifyInstance;
  queue: Queue<NotificationBatch>;
  connection: RedisClient;
  config: Config;
  close: () => Promise<void>;
}

/** What an app of the api role is built from: the config, the receiver's queue and its connection. */
export interface IngestParts {
  config: Config;
  notificationQueue: Queue<NotificationBatch>;
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

/** Every state a job can be in: a message "in the queue" is in a job in one of them. */
const ALL_STATES: JobType[] = [
  "waiting",
  "delayed",
  "active",
  "prioritized",
  "waiting-children",
  "paused",
  "completed",
  "failed",
];

/** The messages in the queue's jobs in `states`, each with its job's id and its content key. */
export async function queuedMessages(
  queue: Queue<NotificationBatch>,
  states: JobType[] = ALL_STATES,
): Promise<Array<NotificationMessage & { jobId: string; contentKey: string }>> {
  const jobs = await queue.getJobs(states, 0, -1);
  return jobs.flatMap((job) =>
    job.data.messages.map((m) => ({ ...m, jobId: job.id!, contentKey: m.sign ? signedKey(m.sign) : "" })),
  );
}

/** The first queued message with this content key or body key (in a job of any state), or undefined. */
export async function queuedMessage(queue: Queue<NotificationBatch>, key: string, states?: JobType[]) {
  return (await queuedMessages(queue, states)).find(
    (m) => m.contentKey === key || bodyKey(m.msgBody) === key,
  );
}
