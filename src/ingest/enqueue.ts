import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { createBatcher } from "../db/batch.js";
import { withTimeout } from "../util.js";
import { type NotificationJob, notificationJobOptions } from "./queue.js";

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
}

/** EXISTS for each key, in one command (a pipeline costs more to build than it saves here). */
const EXISTS_EACH = "local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('EXISTS', k) end return r";

/**
 * Requests arriving together go to Redis together: one EXISTS script (for the duplicate metric)
 * then one MULTI of adds, instead of two commands and socket writes per request. A lone request
 * sends its two commands as they are (building a MULTI costs more than it saves for one job).
 * A request still waits for its own job to be in Redis before it is answered.
 */
function batchedAdd(
  queue: Queue<NotificationJob>,
  connection: Redis,
): (p: Pending) => Promise<EnqueueResult> {
  const jobOf = (p: Pending) => ({
    name: p.job.msgType,
    data: p.job,
    opts: { ...notificationJobOptions, jobId: p.jobId },
  });
  return createBatcher(
    async (batch: Pending[]) => {
      // EXISTS goes out first on the same connection, so Redis answers it before it runs the adds.
      const keys = batch.map((p) => queue.toKey(p.jobId));
      if (batch.length === 1) {
        const job = jobOf(batch[0]!);
        const [existed] = await Promise.all([
          connection.exists(keys),
          queue.add(job.name, job.data, job.opts),
        ]);
        return [existed === 1 ? "duplicate" : "accepted"];
      }
      const existed = connection.eval(EXISTS_EACH, batch.length, keys) as Promise<number[]>;
      const [before] = await Promise.all([existed, queue.addBulk(batch.map(jobOf))]);
      return before.map((n): EnqueueResult => (n === 1 ? "duplicate" : "accepted"));
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
 * The receiver's enqueue: resolves once Redis has the job (a duplicate id is a no-op in BullMQ),
 * saying whether it was already there; rejects at once while Redis is not connected or `maxPending`
 * messages are waiting for it, and after `timeoutMs` when Redis does not answer.
 */
export function createEnqueue(
  queue: Queue<NotificationJob>,
  timeoutMs: number,
  maxPending = MAX_PENDING_ENQUEUES,
): Enqueue {
  const connection = queue.opts.connection as Redis;
  const add = batchedAdd(queue, connection);
  // Copies of one message arriving together all see EXISTS 0 (same batch, or batches in flight at
  // once): the later ones wait for the first one's add and are duplicates.
  const adding = new Map<string, Promise<EnqueueResult>>();
  const addOnce = (jobId: string, job: NotificationJob): Promise<EnqueueResult> => {
    const first = adding.get(jobId);
    if (first) return first.then((): EnqueueResult => "duplicate");
    const added = add({ jobId, job }).finally(() => adding.delete(jobId));
    adding.set(jobId, added);
    return added;
  };
  return async (jobId, job) => {
    if (connection.status !== "ready" || adding.size >= maxPending) throw new QueueUnavailableError();
    return withTimeout(addOnce(jobId, job), timeoutMs, () => new EnqueueTimeoutError(timeoutMs));
  };
}
