import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
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

/**
 * Resolves once Redis has the job (a duplicate id is a no-op in BullMQ), saying whether it was
 * already there; rejects after `timeoutMs`.
 */
export async function enqueueNotification(
  queue: Queue<NotificationJob>,
  jobId: string,
  job: NotificationJob,
  timeoutMs: number,
): Promise<"accepted" | "duplicate"> {
  if ((queue.opts.connection as Redis).status !== "ready") throw new QueueUnavailableError();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EnqueueTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    // EXISTS goes out first on the same connection, so Redis answers it before it runs the add.
    const connection = queue.opts.connection as Redis;
    const existed = connection.exists(queue.toKey(jobId));
    const added = queue.add(job.msgType, job, { ...notificationJobOptions, jobId });
    const [before] = await Promise.race([Promise.all([existed, added]), timeout]);
    return before === 1 ? "duplicate" : "accepted";
  } finally {
    clearTimeout(timer);
  }
}
