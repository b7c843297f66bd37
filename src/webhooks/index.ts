// The webhook forwarding stage. Postgres is the delivery queue: the rows written with each batch of
// notifications are dispatched by the process that committed them; everything else that is due
// (retries, rows a crashed process held, overflow, manual retries) is claimed by any worker process.

import type { Logger } from "pino";
import type { Config } from "../config.js";
import { keyringOf } from "../crypto/keyring.js";
import type { Db } from "../db/client.js";
import { createBatcher } from "../db/group-commit.js";
import { watchDeliveries } from "../ops/metrics.js";
import type { FanOut } from "../orders/notification.js";
import type { RedisClient } from "../queue/redis.js";
import { type AttemptDeps, runAttempt } from "./delivery/attempt.js";
import { startBackfillWorker } from "./delivery/backfill-worker.js";
import {
  type AttemptRecord,
  deferHolds,
  type HeldDelivery,
  recordAttempts,
  releaseHolds,
  renewHolds,
} from "./delivery/delivery-queue.js";
import { createFanOut } from "./delivery/delivery-rows.js";
import { createDispatcher } from "./delivery/dispatcher.js";
import { startEndpointMetricsPruner } from "./delivery/endpoint-metrics.js";
import { startPoller } from "./delivery/poller.js";
import { createEndpointLimiter } from "./delivery/rate-limit.js";
import { destinationPolicy } from "./endpoints/address-rule.js";
import { createDestinations } from "./transports/destination.js";

export interface WebhookWorkerDeps {
  config: Config;
  db: Db;
  log: Logger;
  /** Holds endpoints' rate limits across processes (absent: in this process only). */
  redis?: RedisClient;
}

export interface WebhookWorkers {
  fanOut: FanOut<HeldDelivery[]>;
  stop(): Promise<void>;
}

/** How long a hold lasts: the attempt's timeout, and the grace past it before another process may take the row. */
function leaseMs(config: Pick<Config, "webhookTimeoutMs" | "webhookLeaseGraceMs">): number {
  return config.webhookTimeoutMs + config.webhookLeaseGraceMs;
}

export function startWebhookWorkers({ config, db, log, redis }: WebhookWorkerDeps): WebhookWorkers {
  const lease = leaseMs(config);
  // The attempts running at once share their statements: renewals and records go in batches.
  const batches = { maxSize: 64, maxInFlight: 2 };
  const renew = createBatcher((rows: HeldDelivery[]) => renewHolds(db, rows, lease), batches);
  const record = createBatcher(async (records: AttemptRecord[]) => {
    await recordAttempts(db, records);
    return records.map(() => undefined);
  }, batches);
  // One connection per message broker for the process, closed when the workers stop.
  const destinations = createDestinations(log, destinationPolicy(config));
  const attemptDeps: AttemptDeps = {
    db,
    log,
    retrySchedule: config.webhookRetrySchedule,
    timeoutMs: config.webhookTimeoutMs,
    destinations,
    keyring: keyringOf(config),
    disableAfterSeconds: config.endpointDisableAfterSeconds,
    renew,
    record,
    throttle: {
      maxMs: config.webhookThrottleMaxSeconds * 1000,
      limit: config.webhookThrottleLimit,
      streaks: new Map(),
      pause: (endpointId, until) => dispatcher.throttle(endpointId, until),
    },
  };
  const limiter = createEndpointLimiter(redis, config.redisPrefix);
  const dispatcher = createDispatcher({
    concurrency: config.webhookConcurrency,
    endpointConcurrency: config.webhookEndpointConcurrency,
    queueLimit: config.webhookQueueLimit,
    log,
    release: (rows) => releaseHolds(db, rows),
    defer: (rows, until) => deferHolds(db, rows, until),
    gate: (row) => limiter.gate(row),
    attempt: async (row) => {
      const outcome = await runAttempt(attemptDeps, row);
      // The next delivery of this order to a per-order endpoint is due and waited for this one.
      if (row.endpoint.ordering === "per-order" && (outcome === "succeeded" || outcome === "failed"))
        poller.claimSoon();
      return outcome;
    },
  });
  const unwatch = watchDeliveries(dispatcher.counts);
  const poller = startPoller({
    db,
    dispatcher,
    log,
    intervalMs: config.webhookPollIntervalMs,
    leaseMs: lease,
  });
  // Deleted endpoints' metric series go every ten claim intervals (10 s by default).
  const pruner = startEndpointMetricsPruner(db, log, 10 * config.webhookPollIntervalMs);
  const backfills = startBackfillWorker(db, log, config.webhookBackfillBatch, config.webhookPollIntervalMs);
  return {
    fanOut: createFanOut(dispatcher, lease, () => poller.claimSoon()),
    stop: async () => {
      await pruner.stop();
      await backfills.stop();
      await poller.stop();
      await dispatcher.stop();
      await destinations.close();
      unwatch();
    },
  };
}
