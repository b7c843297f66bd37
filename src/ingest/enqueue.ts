import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { createBatcher } from "../db/batch.js";
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

/**
 * Requests arriving together go to Redis together: one EXISTS script (for the duplicate
 * metric) then one MULTI of adds, instead of two round trips and socket writes per request.
 * A request still waits for its own job to be in Redis before it is answered.
 */
/** EXISTS for each key, in one command (a pipeline costs more to build than it saves here). */
const EXISTS_EACH = "local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('EXISTS', k) end return r";

function batchedAdd(queue: Queue<NotificationJob>): (p: Pending) => Promise<EnqueueResult> {
  return createBatcher(
    async (batch: Pending[]) => {
      const connection = queue.opts.connection as Redis;
      // Sent first on the same connection, so Redis answers them before it runs the adds.
      const existed = connection.eval(
        EXISTS_EACH,
        batch.length,
        batch.map((p) => queue.toKey(p.jobId)),
      ) as Promise<number[]>;
      const added = queue.addBulk(
        batch.map((p) => ({
          name: p.job.msgType,
          data: p.job,
          opts: { ...notificationJobOptions, jobId: p.jobId },
        })),
      );
      const [before] = await Promise.all([existed, added]);
      return before.map((n): EnqueueResult => (n === 1 ? "duplicate" : "accepted"));
    },
    { maxSize: 64, maxInFlight: 4 },
  );
}

export type Enqueue = (jobId: string, job: NotificationJob) => Promise<EnqueueResult>;

/**
 * The receiver's enqueue: resolves once Redis has the job (a duplicate id is a no-op in BullMQ),
 * saying whether it was already there; rejects at once while Redis is not connected, and after
 * `timeoutMs` when Redis does not answer.
 */
export function createEnqueue(queue: Queue<NotificationJob>, timeoutMs: number): Enqueue {
  const add = batchedAdd(queue);
  return async (jobId, job) => {
    if ((queue.opts.connection as Redis).status !== "ready") throw new QueueUnavailableError();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EnqueueTimeoutError(timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([add({ jobId, job }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
