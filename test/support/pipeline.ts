// The whole service in-process on a fresh database and Redis prefix: receiver + /v1 API + worker.
import type { Worker } from "bullmq";
import { pino } from "pino";
import { type ApiAppDeps, buildApiApp } from "../../src/api/app.js";
import type { Config } from "../../src/config.js";
import { createDb, type Db } from "../../src/db/client.js";
import type { FanOut } from "../../src/orders/notification.js";
import { startNotificationWorker } from "../../src/orders/worker.js";
import {
  closeConnection,
  closeWorker,
  createWorkerConnection,
  type NotificationBatch,
} from "../../src/queue/queue.js";
import type { RedisClient } from "../../src/queue/redis.js";
import { startWebhookWorkers, type WebhookWorkers } from "../../src/webhooks/index.js";
import { TEST_ADMIN_TOKEN } from "./config.js";
import { createTestDatabase, type TestDatabase } from "./db.js";
import { type IngestHarness, startIngest } from "./ingest.js";

export interface Pipeline extends IngestHarness {
  db: Db;
  database: TestDatabase;
  startWorker: (fanOut?: FanOut) => Worker<NotificationBatch>;
  /** The webhook stage (dispatcher + claims of due rows); pass its fanOut to startWorker. */
  startWebhooks: () => WebhookWorkers;
  /** Resolves when the queue has nothing waiting, delayed or active. */
  drained: (timeoutMs?: number) => Promise<void>;
  authorized: { authorization: string };
}

/** The api role's app as startApi builds it (buildApiApp); `consoleOptions`: the console's clock. */
export async function startPipeline(
  overrides: Partial<Config> = {},
  consoleOptions: ApiAppDeps["console"] = {},
): Promise<Pipeline> {
  const database = await createTestDatabase();
  const db = createDb(database.url, 20);
  const ingest = await startIngest({ databaseUrl: database.url, ...overrides }, (parts) =>
    buildApiApp({ ...parts, db, console: consoleOptions }),
  );
  const workers: Array<{ worker: Worker<NotificationBatch>; connection: RedisClient }> = [];
  const stages: Array<() => Promise<void>> = [];
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  return {
    ...ingest,
    db,
    database,
    authorized: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    startWorker: (fanOut) => {
      const connection = createWorkerConnection(ingest.config);
      const worker = startNotificationWorker({ config: ingest.config, connection, db, log, fanOut });
      workers.push({ worker, connection });
      return worker;
    },
    startWebhooks: () => {
      const webhooks = startWebhookWorkers({ config: ingest.config, db, log });
      stages.push(() => webhooks.stop());
      return webhooks;
    },
    drained: async (timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const c = await ingest.queue.getJobCounts("waiting", "delayed", "active", "prioritized");
        if (Object.values(c).every((n) => n === 0)) return;
        if (Date.now() > deadline) throw new Error(`queue not drained: ${JSON.stringify(c)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: async () => {
      for (const { worker, connection } of workers) {
        await closeWorker(worker);
        await closeConnection(connection);
      }
      for (const stop of stages) await stop();
      await ingest.close();
      await db.$disconnect();
      await database.drop();
    },
  };
}
