// Consumes the notification queue: each job is applied once (src/orders/apply.ts). A failure
// (Postgres down) is retried with capped backoff for as long as it takes; nothing is dropped.
import { Worker } from "bullmq";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { createBatcher } from "../db/group-commit.js";
import { NOTIFICATION_QUEUE, type NotificationJob } from "../ingest/queue.js";
import type { RedisClient } from "../ingest/redis.js";
import {
  notificationLag,
  notificationsProcessed,
  orderStatusChanges,
  processingLatency,
} from "../ops/metrics.js";
import { SpanKind, startTraced } from "../ops/tracing.js";
import { type ApplyResult, applyNotifications } from "./apply.js";
import { type FanOut, type IncomingNotification, noFanOut } from "./notification.js";
import { ORDER_MSG_TYPES } from "./order-state.js";

export interface NotificationWorkerDeps {
  config: Config;
  connection: RedisClient;
  db: Db;
  log: Logger;
  fanOut?: FanOut;
}

/** How many apply transactions one worker process runs at once: enough batches to hold its jobs. */
export function transactionsAtOnce(config: Pick<Config, "workerConcurrency" | "workerBatchSize">): number {
  return Math.ceil(config.workerConcurrency / config.workerBatchSize);
}

export function startNotificationWorker(deps: NotificationWorkerDeps): Worker<NotificationJob> {
  const fanOut = deps.fanOut ?? noFanOut;
  // Jobs that arrive together share one transaction (group commit): the worker's slots fill batches.
  const apply = createBatcher(
    (inputs: IncomingNotification[]) => applyNotifications(deps.db, inputs, fanOut),
    {
      maxSize: deps.config.workerBatchSize,
      maxInFlight: transactionsAtOnce(deps.config),
    },
  );
  const worker = new Worker<NotificationJob>(
    NOTIFICATION_QUEUE,
    async (job) => {
      const stopTimer = processingLatency.startTimer();
      // One span per message, child of its enqueue span, though the batch shares a transaction: a
      // batch span could only link to the messages' traces, splitting each notification's trace.
      const span = startTraced(`${NOTIFICATION_QUEUE} process`, SpanKind.CONSUMER, job.data.traceparent, {
        "messaging.system": "bullmq",
        "messaging.operation.type": "process",
        "messaging.destination.name": NOTIFICATION_QUEUE,
        "messaging.message.id": job.id ?? "",
        "payzero.msg_type": job.data.msgType,
        "payzero.content_key": job.id ?? "",
      });
      let result: ApplyResult;
      try {
        result = await apply({
          msgType: job.data.msgType,
          timestamp: BigInt(job.data.timestamp),
          msgBody: job.data.msgBody,
          receivedAt: new Date(job.data.receivedAt),
          source: "payzero-notify",
          // Stored with the notification: each delivery attempt, whenever and wherever, continues it.
          traceparent: span?.traceparent ?? null,
        });
      } catch (err) {
        span?.end(err);
        throw err;
      }
      stopTimer();
      notificationLag.observe(Math.max(0, Date.now() - Date.parse(job.data.receivedAt)) / 1000);
      const outcome = result.duplicate
        ? "duplicate"
        : result.problem
          ? "problem"
          : result.changedOrder
            ? "changed"
            : "unchanged";
      recordMetrics(job.data.msgType, outcome, result);
      span?.set({
        "payzero.outcome": outcome,
        "payzero.notification_id": String(result.notificationId ?? ""),
      });
      span?.end();
      deps.log.info(
        {
          contentKey: job.id,
          msgType: job.data.msgType,
          outcome,
          problem: result.problem,
          notificationId: result.notificationId?.toString(),
        },
        result.duplicate ? "notification already stored" : "notification stored",
      );
      return outcome;
    },
    {
      connection: deps.connection,
      prefix: deps.config.redisPrefix,
      concurrency: deps.config.workerConcurrency,
      lockDuration: deps.config.workerLockMs,
      stalledInterval: deps.config.workerLockMs,
      settings: { backoffStrategy: cappedBackoff },
    },
  );
  worker.on("failed", (job, err) => {
    deps.log.warn({ contentKey: job?.id, attempt: job?.attemptsMade, err }, "notification not stored yet");
  });
  worker.on("error", (err) => deps.log.error({ err }, "notification worker error"));
  return worker;
}

function recordMetrics(msgType: string, outcome: string, result: ApplyResult): void {
  const label = ORDER_MSG_TYPES.includes(msgType) ? msgType : "other";
  notificationsProcessed.inc({ msg_type: label, result: outcome });
  if (result.changedOrder && result.order) {
    orderStatusChanges.inc({
      pay_status: result.order.payStatus ?? "none",
      declare_status: result.order.declareStatus ?? "none",
    });
  }
}

/** 1 s, 2 s, 4 s … capped at 60 s: a Postgres outage is waited out, never turned into a dropped message. */
function cappedBackoff(attemptsMade: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attemptsMade - 1), 60_000);
}
