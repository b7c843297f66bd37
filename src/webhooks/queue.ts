// The delivery queue: one job per attempt, its id derived from the delivery row and its attempt count.
import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";

export const DELIVERY_QUEUE = "payzero-deliveries";

/** One attempt of one delivery: runs only while the row is pending with `attempt` attempts made. */
export interface DeliveryJob {
  /** Delivery row id, decimal. */
  deliveryId: string;
  /** The row's attemptCount this job expects (0 for the first attempt). */
  attempt: number;
}

/**
 * `delivery-<id>-<attempt>`: the first attempt, the relay's re-enqueue and a manual retry of the same
 * row state share one id (so BullMQ keeps one of them), and every later attempt has a fresh one.
 */
export function deliveryJobId(deliveryId: bigint | string, attempt: number): string {
  return `delivery-${deliveryId}-${attempt}`;
}

/**
 * Our schedule and our rows drive the retries of an endpoint; BullMQ's own attempts only ride out a
 * Postgres outage while processing (the relay takes over after that).
 */
export const deliveryJobOptions: JobsOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function createDeliveryQueue(connection: Redis, prefix: string): Queue<DeliveryJob> {
  return new Queue<DeliveryJob>(DELIVERY_QUEUE, { connection, prefix });
}

export function attemptJob(deliveryId: bigint | string, attempt: number, delayMs = 0) {
  return {
    name: "attempt",
    data: { deliveryId: String(deliveryId), attempt },
    opts: { ...deliveryJobOptions, jobId: deliveryJobId(deliveryId, attempt), delay: delayMs },
  };
}

export async function addAttempts(
  queue: Queue<DeliveryJob>,
  jobs: ReturnType<typeof attemptJob>[],
): Promise<void> {
  if (jobs.length > 0) await queue.addBulk(jobs);
}

/**
 * Enqueues an attempt even when a finished job with the same id is still kept (BullMQ would
 * otherwise ignore the add); a waiting, delayed or active one is left as it is.
 */
export async function ensureAttempt(
  queue: Queue<DeliveryJob>,
  deliveryId: bigint,
  attempt: number,
): Promise<void> {
  const id = deliveryJobId(deliveryId, attempt);
  const state = await queue.getJobState(id);
  if (state === "completed" || state === "failed") await queue.remove(id);
  const job = attemptJob(deliveryId, attempt);
  await queue.add(job.name, job.data, job.opts);
}
