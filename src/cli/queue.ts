// The delivery queue for one CLI run: connected on demand, bounded in time, always closed.
import type { Queue } from "bullmq";
import type { Config } from "../config.js";
import { closeConnection, createProducerConnection } from "../ingest/queue.js";
import { ENQUEUE_WAIT_MS, errorMessage, withTimeout } from "../util.js";
import { createDeliveryQueue, type DeliveryJob } from "../webhooks/queue.js";

/**
 * Runs `run` against the delivery queue; resolves to null, or to why Redis did not take the jobs
 * (the rows are already pending in Postgres then, and the relay enqueues them).
 */
export async function withDeliveryQueue(
  config: Config,
  run: (queue: Queue<DeliveryJob>) => Promise<void>,
): Promise<string | null> {
  const connection = createProducerConnection(config.redisUrl);
  // Reported through the result below; an unhandled "error" event would only add noise.
  connection.on("error", () => {});
  const queue = createDeliveryQueue(connection, config.redisPrefix);
  try {
    await withTimeout(run(queue), ENQUEUE_WAIT_MS);
    return null;
  } catch (err) {
    return errorMessage(err);
  } finally {
    await withTimeout(queue.close(), 1000).catch(() => {});
    await closeConnection(connection);
  }
}
