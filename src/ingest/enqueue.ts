import type { Queue } from "bullmq";
import { createBatcher } from "../db/group-commit.js";
import { withTimeout } from "../util.js";
import { type NotificationJob, notificationJobOptions } from "./queue.js";
import { connectionEpoch, isReady, type RedisClient } from "./redis.js";
import { awaitReplicas } from "./replicas.js";

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

export type EnqueueResult = "accepted" | "duplicate";

interface Pending {
  jobId: string;
  job: NotificationJob;
  /** Date.now() when the request asked: WAIT waits no longer than the oldest request's enqueue timeout. */
  askedAt: number;
}

interface ReplicaAck {
  /** Replicas that must have a batch before its requests are answered; 0: no WAIT. */
  minReplicas: number;
  timeoutMs: number;
}

const WAIT_MARGIN_MS = 50;

/** A batch that Redis took but replicas did not confirm fails as a whole, without a retry per item. */
type Outcome = EnqueueResult | { failed: unknown };

/** EXISTS for each key, in one command (a pipeline costs more to build than it saves here). */
const EXISTS_EACH = "local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('EXISTS', k) end return r";

/**
 * Requests arriving together go to Redis together: one EXISTS script (for the duplicate metric)
 * then one MULTI of adds, instead of two commands and socket writes per request. A lone request
 * sends its two commands as they are (building a MULTI costs more than it saves for one job).
 * A request still waits for its own job to be in Redis (and, with `ack`, on enough replicas: one WAIT
 * per batch) before it is answered.
 */
function batchedAdd(
  queue: Queue<NotificationJob>,
  connection: RedisClient,
  ack: ReplicaAck,
): (p: Pending) => Promise<Outcome> {
  const jobOf = (p: Pending) => ({
    name: p.job.msgType,
    data: p.job,
    opts: { ...notificationJobOptions, jobId: p.jobId },
  });
  const addAll = async (batch: Pending[], keys: string[]): Promise<EnqueueResult[]> => {
    // EXISTS goes out first on the same connection, so Redis answers it before it runs the adds.
    if (batch.length === 1) {
      const job = jobOf(batch[0]!);
      const [existed] = await Promise.all([connection.exists(keys), queue.add(job.name, job.data, job.opts)]);
      return [existed === 1 ? "duplicate" : "accepted"];
    }
    const existed = connection.eval(EXISTS_EACH, batch.length, keys) as Promise<number[]>;
    const [before] = await Promise.all([existed, queue.addBulk(batch.map(jobOf))]);
    return before.map((n): EnqueueResult => (n === 1 ? "duplicate" : "accepted"));
  };
  return createBatcher(
    async (batch: Pending[]): Promise<Outcome[]> => {
      const keys = batch.map((p) => queue.toKey(p.jobId));
      const epoch = connectionEpoch(connection);
      const results = await addAll(batch, keys);
      if (ack.minReplicas === 0) return results;
      const oldest = Math.min(...batch.map((p) => p.askedAt));
      try {
        // WAIT ends a little before the oldest request's deadline, so its 503 names the replicas.
        const left = ack.timeoutMs - (Date.now() - oldest) - WAIT_MARGIN_MS;
        await awaitReplicas(connection, keys[0]!, ack.minReplicas, left, epoch);
        return results;
      } catch (failed) {
        return batch.map(() => ({ failed }));
      }
    },
    { maxSize: 64, maxInFlight: 4 },
  );
}

export type Enqueue = (jobId: string, job: NotificationJob) => Promise<EnqueueResult>;

/**
 * Most messages held for Redis at once. A hung Redis (connected, silent) answers nothing, so every
 * message taken meanwhile would stay in memory, its caller long answered 503, until it answers
 * again; past this many, the receiver refuses at once instead. Far above what a burst holds.
 */
export const MAX_PENDING_ENQUEUES = 4096;

/**
 * The receiver's enqueue: resolves once Redis has the job (a duplicate id is a no-op in BullMQ) and,
 * with `minReplicas`, that many replicas too, saying whether it was already there; rejects at once
 * while Redis is not connected or `maxPending` messages are waiting for it, after `timeoutMs` when
 * Redis does not answer, and when the replicas did not confirm it within `timeoutMs`.
 */
export function createEnqueue(
  queue: Queue<NotificationJob>,
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
  // Copies of one message arriving together all see EXISTS 0 (same batch, or batches in flight at
  // once): the later ones wait for the first one's add and are duplicates.
  const adding = new Map<string, Promise<EnqueueResult>>();
  const addOnce = (jobId: string, job: NotificationJob): Promise<EnqueueResult> => {
    const first = adding.get(jobId);
    if (first) return first.then((): EnqueueResult => "duplicate");
    const added = add({ jobId, job, askedAt: Date.now() }).finally(() => adding.delete(jobId));
    adding.set(jobId, added);
    return added;
  };
  return async (jobId, job) => {
    if (!isReady(connection) || adding.size >= maxPending) throw new QueueUnavailableError();
    return withTimeout(addOnce(jobId, job), timeoutMs, () => new EnqueueTimeoutError(timeoutMs));
  };
}
