// The webhook forwarding stage: fan-out (outbox), the delivery worker and the relay.
import { DelayedError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { closeWorker } from "../ingest/queue.js";
import { watchQueue } from "../ops/metrics.js";
import type { FanOut } from "../orders/fanout.js";
import { type AttemptDeps, runAttempt } from "./attempt.js";
import { createDeliveryStore } from "./delivery-store.js";
import { createEndpointGate } from "./endpoint-gate.js";
import { startEndpointMetricsPruner } from "./endpoint-metrics.js";
import { createFanOut } from "./fanout.js";
import { attemptJob, createDeliveryQueue, DELIVERY_QUEUE, type DeliveryJob } from "./queue.js";
import { startRelay } from "./relay.js";

export { deliveryRoutes } from "./delivery-routes.js";
export { webhookRoutes } from "./webhook-routes.js";

export interface WebhookWorkerDeps {
  config: Config;
  /** A worker connection (createWorkerConnection); the caller owns and closes it. */
  connection: Redis;
  db: Db;
  log: Logger;
}

export interface WebhookWorkers {
  fanOut: FanOut;
  stop(): Promise<void>;
}

export function startWebhookWorkers({ config, connection, db, log }: WebhookWorkerDeps): WebhookWorkers {
  const queue = createDeliveryQueue(connection, config.redisPrefix);
  const unwatch = watchQueue(queue);
  const graceMs = config.relayIntervalMs;
  const attemptDeps: AttemptDeps = {
    db,
    store: createDeliveryStore(db),
    log,
    retrySchedule: config.webhookRetrySchedule,
    timeoutMs: config.webhookTimeoutMs,
    leaseGraceMs: graceMs,
    gate: createEndpointGate(config.webhookEndpointConcurrency),
    disableAfterSeconds: config.endpointDisableAfterSeconds,
    scheduleNext: async (deliveryId, attempt, delayMs) => {
      const job = attemptJob(deliveryId, attempt, delayMs);
      await queue.add(job.name, job.data, job.opts);
    },
  };
  const worker = new Worker<DeliveryJob>(
    DELIVERY_QUEUE,
    async (job, token) => {
      const outcome = await runAttempt(attemptDeps, BigInt(job.data.deliveryId), job.data.attempt);
      if (outcome === "busy") {
        // The endpoint has its share of slots: step aside and let other endpoints' jobs run.
        await job.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 200), token);
        throw new DelayedError();
      }
      return outcome;
    },
    {
      connection,
      prefix: config.redisPrefix,
      concurrency: config.webhookConcurrency,
      lockDuration: config.workerLockMs,
      stalledInterval: config.workerLockMs,
    },
  );
  worker.on("failed", (job, err) =>
    log.warn({ jobId: job?.id, err: err.message }, "delivery job failed (retried by BullMQ, then the relay)"),
  );
  const relay = startRelay({ db, queue, log, intervalMs: config.relayIntervalMs, graceMs });
  const pruner = startEndpointMetricsPruner(db, log, config.relayIntervalMs);
  return {
    fanOut: createFanOut(queue, log),
    stop: async () => {
      pruner.stop();
      await relay.stop();
      await closeWorker(worker);
      unwatch();
      await queue.close();
    },
  };
}
