import type { JobType, Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import { type AppDeps, buildApp } from "../../src/app.js";
import type { Config } from "../../src/config.js";
import {
  closeConnection,
  createNotificationQueue,
  createProducerConnection,
  type NotificationBatch,
  type NotificationMessage,
  waitUntilConnected,
} from "../../src/ingest/queue.js";
import type { RedisClient } from "../../src/ingest/redis.js";
import { contentKey } from "../../src/payzero/envelope.js";
import { testConfig } from "./config.js";
import { testRedisPrefix } from "./db.js";

export interface IngestHarness {
  app: FastifyInstance;
  queue: Queue<NotificationBatch>;
  connection: RedisClient;
  config: Config;
  close: () => Promise<void>;
}

/** The receiver on a fresh Redis prefix, with no Postgres (it does not need one on the hot path). */
export async function startIngest(
  overrides: Partial<Config> = {},
  plugins: (
    config: Config,
    redis: { queue: Queue<NotificationBatch>; connection: RedisClient },
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
    job.data.messages.map((m) => ({ ...m, jobId: job.id!, contentKey: contentKey(m.msgType, m.msgBody) })),
  );
}

/** The first queued message with this content key (in a job of any state), or undefined. */
export async function queuedMessage(queue: Queue<NotificationBatch>, key: string, states?: JobType[]) {
  return (await queuedMessages(queue, states)).find((m) => m.contentKey === key);
}
