// The one owner of the service's Redis connections and BullMQ queues: how each role connects
// (producer: fail fast; worker: wait), every queue's name, its job and worker options, and how
// connections and workers are closed. Clients themselves are built in ./redis.ts (standalone,
// Sentinel or Cluster). Each process opens one connection for its role and shares it: the api its
// producer connection (receiver, console, probes), a worker process its worker connection (BullMQ
// adds one blocking duplicate per Worker).
import { type JobsOptions, Queue, type Worker, type WorkerOptions } from "bullmq";
import type { Config } from "../config.js";
import type { SignCharset } from "../payzero/sign.js";
import { doublingDelay } from "../util.js";
import { closingOnPurpose, createRedisClient, isReady, type RedisClient, type RedisTarget } from "./redis.js";

/** Notifications, from the receiver (producer) to the order workers (consumers). */
export const NOTIFICATION_QUEUE = "payzero-notifications";
/** The reconciler's runs (src/reconcile/scheduler.ts), read back by the console's overview. */
export const RECONCILE_QUEUE = "payzero-reconcile";
/** The reconciler's job scheduler: every worker process registers this same one, so a run happens once per interval. */
export const RECONCILE_SCHEDULER = "reconcile-stale-orders";

/**
 * What the receiver keeps of a verified notification: enough for the worker to verify its sign again
 * (src/orders/queued-sign.ts) and derive its identity from it.
 */
export interface NotificationMessage {
  /** Not signed by Payzero: the worker takes it only where the body does not contradict it. */
  msgType: string;
  /** Decimal text, as signed. */
  timestamp: string;
  msgBody: string;
  /** Payzero's sign, as it came. Absent only in jobs of a receiver older than signed jobs. */
  sign?: string;
  /** The charset the receiver verified the sign over: the worker checks it over the same. */
  signedOver?: SignCharset;
  /** ISO time the receiver accepted this copy. */
  receivedAt: string;
  /** W3C traceparent of its enqueue span; only while tracing is on (src/ops/tracing.ts). */
  traceparent?: string;
}

/**
 * One job per micro-batch: the notifications that reached one api process together (a lone one is a
 * batch of one), in the order they arrived. Copies of a message in several jobs collapse in Postgres
 * (notifications.content_key), not in Redis: the job id is BullMQ's own.
 */
export interface NotificationBatch {
  messages: NotificationMessage[];
}

export const NOTIFICATION_JOB_NAME = "notifications";

/**
 * The messages of a notification job. A job queued by a receiver older than micro-batch jobs holds one
 * message as its data (job id: its content key): a batch of one, so an upgrade leaves none behind.
 */
export function messagesOf(data: NotificationBatch | NotificationMessage): NotificationMessage[] {
  return "messages" in data ? data.messages : [data];
}

/**
 * Retried with capped backoff until it succeeds: transient failures (Postgres down) never drop a message;
 * a retried job's messages already applied are duplicates in Postgres. Removed once applied: nothing
 * reads it afterwards, and Redis holds only what is still to be applied.
 */
export const notificationJobOptions: JobsOptions = {
  attempts: 1_000_000,
  backoff: { type: "capped" },
  removeOnComplete: true,
  removeOnFail: false,
};

/**
 * The producer side fails fast: enqueueNotification refuses at once while this connection is not
 * ready. (ioredis's offline queue stays on because BullMQ's Queue sends its first commands before
 * the connection is up, and breaks for good if they are refused.)
 */
export function createProducerConnection(target: RedisTarget): RedisClient {
  return createRedisClient(target, {
    role: "producer",
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Keep trying to reconnect in the background (a failover: to the new master); requests meanwhile fail at once.
    retryDelay: (times) => Math.min(times * 200, 2000),
  });
}

/** Worker connections wait and reconnect (BullMQ needs maxRetriesPerRequest null for blocking calls). */
export function createWorkerConnection(target: RedisTarget): RedisClient {
  return createRedisClient(target, {
    role: "worker",
    maxRetriesPerRequest: null,
    retryDelay: (times) => Math.min(times * 200, 5000),
  });
}

/** Resolves true once the connection is ready, false after `timeoutMs` (the caller goes on either way). */
export function waitUntilConnected(connection: RedisClient, timeoutMs: number): Promise<boolean> {
  if (isReady(connection)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      connection.off("ready", onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    connection.on("ready", onReady);
  });
}

export function createNotificationQueue(connection: RedisClient, prefix: string): Queue<NotificationBatch> {
  return new Queue<NotificationBatch>(NOTIFICATION_QUEUE, { connection, prefix });
}

/** 1 s, 2 s, 4 s … capped at 60 s: a Postgres outage is waited out, never turned into a dropped message. */
function cappedBackoff(attemptsMade: number): number {
  return doublingDelay(attemptsMade, 1000, 60_000);
}

/**
 * The order workers' options: WORKER_CONCURRENCY notification jobs at once, a crashed worker's jobs
 * taken again after WORKER_LOCK_MS, and the "capped" backoff of notificationJobOptions.
 */
export function notificationWorkerOptions(
  connection: RedisClient,
  config: Pick<Config, "redisPrefix" | "workerConcurrency" | "workerLockMs">,
): WorkerOptions {
  return {
    connection,
    prefix: config.redisPrefix,
    concurrency: config.workerConcurrency,
    lockDuration: config.workerLockMs,
    stalledInterval: config.workerLockMs,
    settings: { backoffStrategy: cappedBackoff },
  };
}

/** The refund poll's job scheduler (src/refunds/schedule.ts), on the reconciler's queue. */
export const REFUND_POLL_SCHEDULER = "poll-refunds";

/** Every 10 s and of no interest once done: not kept, so the console lists the reconciler's runs only. */
export const refundPollJobOptions: JobsOptions = { attempts: 1, removeOnComplete: true, removeOnFail: true };

/** A run is not retried (the next interval's run is); the last 100 of each outcome stay for the console. */
export const reconcileJobOptions: JobsOptions = {
  attempts: 1,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
};

/** On a shared connection: BullMQ leaves it open on close (the role closes it with closeConnection). */
export function createReconcileQueue(connection: RedisClient, prefix: string): Queue {
  return new Queue(RECONCILE_QUEUE, { connection, prefix });
}

/** One run at a time in this process (the queue's global concurrency makes it one in all of them). */
export function reconcileWorkerOptions(connection: RedisClient, prefix: string): WorkerOptions {
  return { connection, prefix, concurrency: 1 };
}

/**
 * Closes a connection after the replies it is still waiting for (QUIT), so no pending command is
 * rejected with "Connection is closed"; a connection that cannot say QUIT within a second is cut.
 */
export async function closeConnection(connection: RedisClient): Promise<void> {
  closingOnPurpose(connection);
  if (connection.status === "end") return;
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 1000);
  });
  try {
    await Promise.race([connection.status === "ready" ? connection.quit() : Promise.resolve(), cut]);
  } catch {
    // Already closing: nothing left to wait for.
  } finally {
    clearTimeout(timer);
    connection.disconnect();
  }
}

/**
 * Closes a worker once its connections are up: closed while BullMQ is still connecting them, its
 * pending setup commands are rejected with "Connection is closed" where nobody catches them.
 */
export async function closeWorker(worker: Worker): Promise<void> {
  await worker.waitUntilReady().catch(() => {});
  await worker.close();
}
