// The notification queue between the receiver (producer) and the order workers (consumers).
import { type JobsOptions, Queue, type Worker } from "bullmq";
import { closingOnPurpose, createRedisClient, isReady, type RedisClient, type RedisTarget } from "./redis.js";

export const NOTIFICATION_QUEUE = "payzero-notifications";

/** What the receiver keeps of a verified notification (its content key is derived from it again). */
export interface NotificationMessage {
  msgType: string;
  /** Decimal text, as signed. */
  timestamp: string;
  msgBody: string;
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
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Keep trying to reconnect in the background (a failover: to the new master); requests meanwhile fail at once.
    retryDelay: (times) => Math.min(times * 200, 2000),
  });
}

/** Worker connections wait and reconnect (BullMQ needs maxRetriesPerRequest null for blocking calls). */
export function createWorkerConnection(target: RedisTarget): RedisClient {
  return createRedisClient(target, {
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
