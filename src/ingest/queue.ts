// The notification queue between the receiver (producer) and the order workers (consumers).
import { type JobsOptions, Queue, type Worker } from "bullmq";
import { closingOnPurpose, createRedisClient, isReady, type RedisClient, type RedisTarget } from "./redis.js";

export const NOTIFICATION_QUEUE = "payzero-notifications";

/** What the receiver keeps of a verified notification; the job id is its content key. */
export interface NotificationJob {
  msgType: string;
  /** Decimal text, as signed. */
  timestamp: string;
  msgBody: string;
  /** ISO time the receiver accepted the first copy. */
  receivedAt: string;
  /** W3C traceparent of its enqueue span; only while tracing is on (src/ops/tracing.ts). */
  traceparent?: string;
}

/**
 * Retried with capped backoff until it succeeds: transient failures (Postgres down) never drop a message.
 * Removed once applied: a kept job would swallow (same job id) the same body coming again as a new state
 * (a re-declaration failing again alike, section 8.1); the worker tells resends from those instead.
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

export function createNotificationQueue(connection: RedisClient, prefix: string): Queue<NotificationJob> {
  return new Queue<NotificationJob>(NOTIFICATION_QUEUE, { connection, prefix });
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
