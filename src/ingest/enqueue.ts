import type { Queue } from "bullmq";
import { createBatcher } from "../db/group-commit.js";
import {
  NOTIFICATION_JOB_NAME,
  type NotificationBatch,
  type NotificationMessage,
  notificationJobOptions,
} from "../queue/queue.js";
import { connectionEpoch, isReady, type RedisClient } from "../queue/redis.js";
import { awaitReplicas } from "../queue/replicas.js";
import { withTimeout } from "../util.js";

export class EnqueueTimeoutError extends Error {
  constructor(ms: number) {
    super(`the queue did not take the message within ${ms} ms`);
    this.name = "EnqueueTimeoutError";
  }
}

export class QueueUnavailableError extends Error {
  constructor() {
    super("the queue's Redis connection is not ready");
    this.name = "QueueUnavailableError";
  }
}

/**
 * "duplicate": a copy of the message (same sign) was being queued by this process at the same
 * time, and this one rides on it. Best effort: copies queued apart (other processes, later) are
 * "accepted" here and collapse in Postgres (notifications.content_key), where the workers count them
 * as duplicates.
 */
export type EnqueueResult = "accepted" | "duplicate";

interface Pending {
  message: NotificationMessage;
  /** Date.now() when the request asked: WAIT waits no longer than the oldest request's enqueue timeout. */
  askedAt: number;
}

interface ReplicaAck {
  /** Replicas that must have a batch before its requests are answered; 0: no WAIT. */
  minReplicas: number;
  timeoutMs: number;
}

const WAIT_MARGIN_MS = 50;

/** Most messages in one job: what the receiver takes from one turn of its event loop, at most. */
const MAX_MESSAGES_PER_JOB = 64;

/** A batch that Redis took but replicas did not confirm fails as a whole, without a retry per item. */
type Outcome = "accepted" | { failed: unknown };

/**
 * Requests arriving together go to Redis together, as ONE job holding their messages in arrival
 * order (one script call instead of one job, its keys and its events per message); a lone request is
 * a job of one. A request still waits for the job holding its message to be in Redis (and, with
 * `ack`, on enough replicas: one WAIT per job) before it is answered.
 */
function batchedAdd(
  queue: Queue<NotificationBatch>,
  connection: RedisClient,
  ack: ReplicaAck,
): (p: Pending) => Promise<Outcome> {
  return createBatcher(
    async (batch: Pending[]): Promise<Outcome[]> => {
      const epoch = connectionEpoch(connection);
      const job = await queue.add(
        NOTIFICATION_JOB_NAME,
        { messages: batch.map((p) => p.message) },
        notificationJobOptions,
      );
      const accepted = batch.map((): Outcome => "accepted");
      if (ack.minReplicas === 0) return accepted;
      const oldest = Math.min(...batch.map((p) => p.askedAt));
      try {
        // WAIT ends a little before the oldest request's deadline, so its 503 names the replicas.
        const left = ack.timeoutMs - (Date.now() - oldest) - WAIT_MARGIN_MS;
        await awaitReplicas(connection, queue.toKey(job.id!), ack.minReplicas, left, epoch);
        return accepted;
      } catch (failed) {
        return batch.map(() => ({ failed }));
      }
    },
    { maxSize: MAX_MESSAGES_PER_JOB, maxInFlight: 4 },
  );
}

/** Queues a verified message under its content key. */
export type Enqueue = (contentKey: string, message: NotificationMessage) => Promise<EnqueueResult>;

/**
 * Most messages held for Redis at once. A hung Redis (connected, silent) answers nothing, so every
 * message taken meanwhile would stay in memory, its caller long answered 503, until it answers
 * again; past this many, the receiver refuses at once instead. Far above what a burst holds.
 */
export const MAX_PENDING_ENQUEUES = 4096;

/**
 * The receiver's enqueue: resolves once Redis has a job holding the message and, with `minReplicas`,
 * that many replicas too; rejects at once while Redis is not connected or `maxPending` messages are
 * waiting for it, after `timeoutMs` when Redis does not answer, and when the replicas did not confirm
 * it within `timeoutMs`.
 */
export function createEnqueue(
  queue: Queue<NotificationBatch>,
  timeoutMs: number,
  maxPending = MAX_PENDING_ENQUEUES,
  minReplicas = 0,
): Enqueue {
  const connection = queue.opts.connection as RedisClient;
  const batched = batchedAdd(queue, connection, { minReplicas, timeoutMs });
  const add = async (p: Pending): Promise<EnqueueResult> => {
    const outcome = await batched(p);
    if (typeof outcome === "object") throw outcome.failed;
    return outcome;
  };
  // Copies of one message (same content key: the same sign, so the same timestamp and body) arriving
  // while the first is being queued wait for its job (answered once it is in Redis) instead of adding
  // theirs: "duplicate". A body with another timestamp is queued: Postgres tells a resend from a new state.
  const adding = new Map<string, Promise<EnqueueResult>>();
  const addOnce = (contentKey: string, message: NotificationMessage): Promise<EnqueueResult> => {
    const first = adding.get(contentKey);
    if (first) return first.then((): EnqueueResult => "duplicate");
    const added = add({ message, askedAt: Date.now() }).finally(() => adding.delete(contentKey));
    adding.set(contentKey, added);
    return added;
  };
  return async (contentKey, message) => {
    if (!isReady(connection) || adding.size >= maxPending) throw new QueueUnavailableError();
    return withTimeout(addOnce(contentKey, message), timeoutMs, () => new EnqueueTimeoutError(timeoutMs));
  };
}
