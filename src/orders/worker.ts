// Consumes the notification queue. (Placeholder until the order-state step lands: logs what it got.)
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { NOTIFICATION_QUEUE, type NotificationJob } from "../ingest/queue.js";

export interface NotificationWorkerDeps {
  config: Config;
  connection: Redis;
  db: Db;
  log: Logger;
}

export function startNotificationWorker(deps: NotificationWorkerDeps): Worker<NotificationJob> {
  return new Worker<NotificationJob>(
    NOTIFICATION_QUEUE,
    async (job) => {
      deps.log.info({ jobId: job.id, msgType: job.data.msgType }, "notification received by worker");
    },
    {
      connection: deps.connection,
      prefix: deps.config.redisPrefix,
      concurrency: deps.config.workerConcurrency,
      settings: { backoffStrategy: cappedBackoff },
    },
  );
}

/** 1 s, 2 s, 4 s … capped at 60 s: a Postgres outage is waited out, never turned into a dropped message. */
export function cappedBackoff(attemptsMade: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attemptsMade - 1), 60_000);
}
