// Consumes the notification queue: each job holds a micro-batch of messages, each verified again
// (./queued-sign.ts: a message whose sign does not match is dropped, counted and logged, never
// retried) and applied once (src/orders/apply.ts). A failure (Postgres down) retries the whole job with capped backoff for as
// long as it takes; nothing is dropped, and the messages applied already are duplicates the next time.
import type { Job, Worker } from "bullmq";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { createBatcher } from "../db/group-commit.js";
import { throttledLog } from "../ops/log-throttle.js";
import {
  notificationLag,
  notificationsProcessed,
  notificationsRejected,
  orderStatusChanges,
  processingLatency,
} from "../ops/metrics.js";
import { SpanKind, startTraced } from "../ops/tracing.js";
import { PAYZERO_MSG_TYPES, signedKey, unsignedKey } from "../payzero/envelope.js";
import { BackoffWorker } from "../queue/full-redis.js";
import {
  messagesOf,
  NOTIFICATION_QUEUE,
  type NotificationBatch,
  type NotificationMessage,
  notificationWorkerOptions,
} from "../queue/queue.js";
import type { RedisClient } from "../queue/redis.js";
import { type ApplyResult, applyNotifications } from "./apply.js";
import { type FanOut, type IncomingNotification, noFanOut } from "./notification.js";
import { checkQueued, QUEUED_REJECTIONS } from "./queued-sign.js";

export interface NotificationWorkerDeps {
  config: Config;
  connection: RedisClient;
  db: Db;
  log: Logger;
  fanOut?: FanOut;
}

/**
 * How many apply transactions one worker process runs at once. WORKER_CONCURRENCY counts notification
 * jobs, each holding the messages that reached an api process together (one to 64): the same number of
 * transactions as when each job held one message, so a backlog of lone messages still fills them.
 */
export function transactionsAtOnce(config: Pick<Config, "workerConcurrency" | "workerBatchSize">): number {
  return Math.ceil(config.workerConcurrency / config.workerBatchSize);
}

type Outcome = "changed" | "unchanged" | "duplicate" | "problem" | "rejected";

export function startNotificationWorker(deps: NotificationWorkerDeps): Worker<NotificationBatch> {
  const fanOut = deps.fanOut ?? noFanOut;
  // Messages of the jobs held share transactions (group commit), each transaction taking them in the
  // order they were handed over, so a job's messages keep their order within a transaction. A job
  // longer than WORKER_BATCH_SIZE spans several transactions, which may commit in any order, as
  // separate jobs always could: per-order locks and the order's whole history keep the state right.
  const apply = createBatcher(
    (inputs: IncomingNotification[]) => applyNotifications(deps.db, inputs, fanOut),
    {
      maxSize: deps.config.workerBatchSize,
      maxInFlight: transactionsAtOnce(deps.config),
    },
  );

  const unsigned = { startedAt: Date.now(), graceMs: deps.config.unsignedJobsGraceSeconds * 1000 };
  // From 0, so an increase() alert sees the first one.
  for (const reason of QUEUED_REJECTIONS) notificationsRejected.inc({ reason }, 0);

  const applyMessage = async (
    job: Job,
    message: NotificationMessage,
    sign: string | null,
    count: number,
  ): Promise<Outcome> => {
    const key = sign ? signedKey(sign) : unsignedKey(message.msgType, message.msgBody, message.timestamp);
    const stopTimer = processingLatency.startTimer();
    // One span per message, child of its own enqueue span, though a job and a transaction hold several:
    // a batch span could only link to the messages' traces, splitting each notification's trace.
    const span = startTraced(`${NOTIFICATION_QUEUE} process`, SpanKind.CONSUMER, message.traceparent, {
      "messaging.system": "bullmq",
      "messaging.operation.type": "process",
      "messaging.destination.name": NOTIFICATION_QUEUE,
      "messaging.message.id": key,
      "messaging.batch.message_count": count,
      "payzero.job_id": job.id ?? "",
      "payzero.msg_type": message.msgType,
      "payzero.content_key": key,
    });
    let result: ApplyResult;
    try {
      result = await apply({
        msgType: message.msgType,
        timestamp: BigInt(message.timestamp),
        msgBody: message.msgBody,
        sign,
        receivedAt: receivedAt(message, job),
        source: "payzero-notify",
        // Stored with the notification: each delivery attempt, whenever and wherever, continues it.
        traceparent: span?.traceparent ?? null,
      });
    } catch (err) {
      span?.end(err);
      throw err;
    }
    stopTimer();
    notificationLag.observe(Math.max(0, Date.now() - receivedAt(message, job).getTime()) / 1000);
    const outcome: Outcome = result.duplicate
      ? "duplicate"
      : !result.applied && result.problem
        ? "problem"
        : result.changedOrder
          ? "changed"
          : "unchanged";
    recordMetrics(message.msgType, outcome, result);
    span?.set({
      "payzero.outcome": outcome,
      "payzero.notification_id": String(result.notificationId ?? ""),
    });
    span?.end();
    deps.log.info(
      {
        contentKey: key,
        msgType: message.msgType,
        outcome,
        problem: result.problem,
        notificationId: result.notificationId?.toString(),
      },
      result.duplicate ? "notification already stored" : "notification stored",
    );
    return outcome;
  };

  // Not applied and not retried (it would fail the same way each time): counted and logged, so whoever
  // watches pzn_notifications_rejected_total learns that something other than the receiver wrote to Redis.
  const reject = (job: Job, message: NotificationMessage, reason: string): Outcome => {
    notificationsRejected.inc({ reason });
    deps.log.error(
      {
        job: job.id,
        reason,
        msgType: typeof message.msgType === "string" ? message.msgType.slice(0, 64) : typeof message.msgType,
        timestamp:
          typeof message.timestamp === "string" ? message.timestamp.slice(0, 20) : typeof message.timestamp,
      },
      reason === "unsigned_in_queue"
        ? "queued notification not applied: it has no sign (UNSIGNED_JOBS_GRACE_SECONDS)"
        : "queued notification not applied: its sign does not verify (was the job written into Redis by someone else?)",
    );
    return "rejected";
  };

  const worker = new BackoffWorker<NotificationBatch>(
    NOTIFICATION_QUEUE,
    async (job) => {
      // Every message is handed to the batcher in the job's order, in one turn of the event loop, so
      // they share transactions in that order. The job fails (and is retried whole, the messages
      // applied already then collapsing as duplicates) only once none of its messages is still running.
      const messages = messagesOf(job.data);
      const settled = await Promise.allSettled(
        messages.map((m) => {
          const check = checkQueued(m, job.timestamp, deps.config.signTokens, unsigned, Date.now());
          if (!check.ok) return Promise.resolve(reject(job, m, check.reason));
          if (check.sign === null)
            deps.log.warn(
              { job: job.id, msgType: m.msgType, timestamp: m.timestamp },
              "notification job without a sign (queued by an older receiver) applied: UNSIGNED_JOBS_GRACE_SECONDS",
            );
          return applyMessage(job, m, check.sign, messages.length);
        }),
      );
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
      return settled.map((s) => (s as PromiseFulfilledResult<Outcome>).value);
    },
    notificationWorkerOptions(deps.connection, deps.config),
  );
  // A job failing while Postgres is down, or Redis refusing while it is full, fails the same way each
  // try: logged once whole, then counted (src/ops/log-throttle.ts).
  const failures = throttledLog(deps.log);
  worker.on("closed", () => failures.stop());
  worker.on("failed", (job, err) => {
    failures.warn(
      { job: job?.id, messages: job && messagesOf(job.data).length, attempt: job?.attemptsMade, err },
      "notifications not stored yet",
    );
  });
  worker.on("error", (err) => failures.error({ err }, "notification worker error"));
  return worker;
}

/** When the receiver took it; a job whose receivedAt is not a time (not written by the receiver) says when it was queued. */
function receivedAt(message: NotificationMessage, job: Job): Date {
  const at = new Date(message.receivedAt);
  return Number.isNaN(at.getTime()) ? new Date(job.timestamp) : at;
}

function recordMetrics(msgType: string, outcome: Outcome, result: ApplyResult): void {
  const label = PAYZERO_MSG_TYPES.includes(msgType) ? msgType : "other";
  notificationsProcessed.inc({ msg_type: label, result: outcome });
  if (result.changedOrder && result.order) {
    orderStatusChanges.inc({
      pay_status: result.order.payStatus ?? "none",
      declare_status: result.order.declareStatus ?? "none",
    });
  }
}
