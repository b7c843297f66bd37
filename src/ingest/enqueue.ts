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

/** Resolves once Redis has the job (a duplicate id is a no-op in BullMQ); rejects after `timeoutMs`. */
export async function enqueueNotification(
  queue: Queue<NotificationJob>,
  jobId: string,
  job: NotificationJob,
  timeoutMs: number,
): Promise<void> {
  if ((queue.opts.connection as Redis).status !== "ready") throw new QueueUnavailableError();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EnqueueTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([queue.add(job.msgType, job, { ...notificationJobOptions, jobId }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
